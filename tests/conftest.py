import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # tiny_models

from lle import data  # noqa: E402


@pytest.fixture(scope="session")
def data_dir():
    """The verified data directory, or a skip naming where the files should be."""
    for directory in data.data_dir_candidates():
        if (directory / "lle-paper").is_dir():
            return directory
    pytest.skip("the paper's data are not available (see ../shared/data/README.md or set LLE_DATA_DIR)")
