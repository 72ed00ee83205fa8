"""Bad files and environment fail clearly; a failing notebook or score-file write leaves the old file."""

import re
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest

from lle import data, network
from lle.publish.notebooks import NotebookFailedError, execute
from lle.store.scores import load_layer_scores, load_pairs, save_layer_scores

sys.path.insert(0, str(Path(__file__).parent))  # the case tables beside this file
from cases_files import FILE_CASES  # noqa: E402


@pytest.fixture
def file_case(request, tmp_path, monkeypatch):
    """Sets up one FILE_CASES row and returns the call that must fail."""
    case_id = request.param
    monkeypatch.delenv("LLE_DATA_DIR", raising=False)
    if case_id == "data-dir-env-missing":
        monkeypatch.setenv("LLE_DATA_DIR", str(tmp_path / "nowhere"))
        return lambda: data.load_dataset("tweet_hate", "test")
    if case_id == "data-dir-argument-missing":
        return lambda: data.load_dataset("tweet_hate", "test", data_dir=tmp_path / "nowhere")
    if case_id == "truncated-data-file":
        target = tmp_path / "lle-paper" / "tweet_hate_test.csv"
        target.parent.mkdir()
        target.write_text("text,label\nhello,1\n")
        monkeypatch.setenv("LLE_DATA_DIR", str(tmp_path))
        return lambda: data.load_dataset("tweet_hate", "test")
    if case_id == "offline-no-data":
        monkeypatch.setenv("HF_HUB_OFFLINE", "0")
        monkeypatch.setattr(network, "hub_reachable", lambda: False)  # never contact the Hub from a test
        (tmp_path / "empty").mkdir()
        return lambda: data.load_dataset("tweet_hate", "test", data_dir=tmp_path / "empty")
    path = tmp_path / "layer_scores" / "run" / "tweet_hate_test.npz"
    save_layer_scores(path, np.zeros((3, 2, 2)), np.zeros(3), {"run": "run", "dataset": "tweet_hate", "split": "test"})
    save_layer_scores(
        path.with_name("tweet_hate_validation.npz"),
        np.zeros((3, 2, 2)),
        np.zeros(3),
        {"run": "run", "dataset": "tweet_hate", "split": "validation"},
    )
    if case_id == "corrupt-sidecar":
        path.with_suffix(".json").write_text("{not json")
        return lambda: load_layer_scores(path)
    if case_id == "truncated-scores":
        path.write_bytes(path.read_bytes()[:-8])
        return lambda: load_layer_scores(path)
    if case_id == "missing-scores":
        path.unlink()
        return lambda: load_layer_scores(path)
    if case_id == "missing-split":
        path.unlink()
        return lambda: load_pairs(runs=["run"], datasets=["tweet_hate"], results_root=tmp_path)
    notebook = tmp_path / "nb.ipynb"
    nbformat.write(
        nbformat.v4.new_notebook(
            cells=[
                nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["parameters"]}),
                nbformat.v4.new_code_cell("raise RuntimeError('boom')"),
            ],
            metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        ),
        notebook,
    )
    if case_id == "notebook-parameter":
        return lambda: execute(notebook, notebook, {"y": 2})
    if case_id == "notebook-parameter-type":
        return lambda: execute(notebook, notebook, {"x": 2.5})
    return lambda: execute(notebook, notebook, {"x": 2})


@pytest.mark.parametrize(
    "file_case, error, patterns",
    [(c[0], c[2], c[3]) for c in FILE_CASES],
    ids=[c[0] for c in FILE_CASES],
    indirect=["file_case"],
)
def test_bad_file_or_environment_fails_clearly(file_case, error, patterns):
    with pytest.raises(error) as raised:
        file_case()
    for pattern in patterns:
        assert re.search(pattern, str(raised.value)), f"{pattern!r} not in {raised.value}"


@pytest.mark.slow
def test_a_failing_notebook_leaves_the_file_as_it_was(tmp_path):
    notebook = tmp_path / "nb.ipynb"
    nbformat.write(
        nbformat.v4.new_notebook(
            cells=[
                nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["parameters"]}),
                nbformat.v4.new_code_cell("raise RuntimeError('boom')"),
            ],
            metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        ),
        notebook,
    )
    before = notebook.read_bytes()
    with pytest.raises(
        NotebookFailedError, match=r"nb.ipynb failed in the cell shown as In \[3\] .RuntimeError: boom."
    ):
        execute(notebook, notebook, {"x": 2})
    assert notebook.read_bytes() == before and sorted(tmp_path.iterdir()) == [notebook]


def test_a_score_file_write_that_fails_midway_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "run" / "tweet_hate_test.npz"
    save_layer_scores(path, np.zeros((3, 2, 2)), np.zeros(3), {"run": "run"})
    before = path.read_bytes(), path.with_suffix(".json").read_text()

    def broken(file, **arrays):
        Path(file).write_bytes(b"half a file")
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez_compressed", broken)
    with pytest.raises(OSError, match="disk full"):
        save_layer_scores(path, np.ones((3, 2, 2)), np.zeros(3), {"run": "run"})
    assert (path.read_bytes(), path.with_suffix(".json").read_text()) == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["tweet_hate_test.json", "tweet_hate_test.npz"]
