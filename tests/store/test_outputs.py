"""Output folders: the package writes only into folders it made or found empty, and says so with a marker."""

import pytest

from lle.store.outputs import (
    MARKER,
    OutputFolderError,
    check_output_folder,
    claim_output_folder,
    require_output_folder,
)


def test_a_new_or_empty_folder_is_claimed_with_a_marker(tmp_path):
    new = claim_output_folder(tmp_path / "a" / "b")
    assert (new / MARKER).is_file()
    (tmp_path / "empty").mkdir()
    assert (claim_output_folder(tmp_path / "empty") / MARKER).is_file()
    assert claim_output_folder(new) == new  # its own folder, again
    assert require_output_folder(new, command="lle evaluate") == new


def test_checking_writes_nothing_and_foreign_folders_are_refused(tmp_path):
    assert check_output_folder(tmp_path / "later") == tmp_path / "later" and not (tmp_path / "later").exists()
    (tmp_path / "project").mkdir()
    (tmp_path / "project" / "paper.tex").write_text("mine")
    with pytest.raises(OutputFolderError, match="did not write .paper.tex.*choose another folder"):
        claim_output_folder(tmp_path / "project")
    assert sorted(p.name for p in (tmp_path / "project").iterdir()) == ["paper.tex"]


def test_a_folder_made_before_markers_existed_is_recognised_by_its_contents(tmp_path):
    legacy = tmp_path / "old-run"
    (legacy / "layer_scores" / "run").mkdir(parents=True)
    (legacy / "results").mkdir()
    assert (require_output_folder(legacy, command="lle evaluate") / MARKER).is_file()
    (tmp_path / "mixed" / "layer_scores").mkdir(parents=True)
    (tmp_path / "mixed" / "thesis.pdf").write_text("mine")
    with pytest.raises(OutputFolderError, match="not made by lle run"):
        require_output_folder(tmp_path / "mixed", command="lle evaluate")
