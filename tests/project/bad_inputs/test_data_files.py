"""Bad data files of a user's own dataset fail clearly, naming the file and the fix (valid files: tests/data/test_files.py)."""

import re
import sys
from pathlib import Path

import pytest

from lle import data

sys.path.insert(0, str(Path(__file__).parent))  # the case tables beside this file
from cases_data_files import DATA_FILE_CASES  # noqa: E402
from own_data import own_dataset  # noqa: E402


@pytest.mark.parametrize("case_id, what, files, error, patterns", DATA_FILE_CASES, ids=[c[0] for c in DATA_FILE_CASES])
def test_bad_data_file_fails_clearly(tmp_path, case_id, what, files, error, patterns):
    files = dict(files)
    columns = files.pop("columns", {})
    if files.get("test", "") is None:
        (tmp_path / "folder.csv").mkdir()
        files.pop("test")
        paths = {split: own_dataset(tmp_path, files).files[split] for split in ("train", "validation")}
        call = lambda: data.FileDataset("mine", {**paths, "test": tmp_path / "folder.csv"})  # noqa: E731
    else:
        call = lambda: own_dataset(tmp_path, files, **columns).validate()  # noqa: E731
    with pytest.raises(error) as raised:
        call()
    message = str(raised.value)
    for pattern in patterns:
        assert re.search(pattern, message), f"{case_id}: {pattern!r} not in {message}"
    assert str(tmp_path) in message, f"{case_id}: the message does not name the file: {message}"
