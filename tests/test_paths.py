"""Where the package reads and writes (lle.paths): the cache folder's precedence and errors, paths shown relative
to the repository, a notebook's out_dir, and the refusals of fetching the repository outside a checkout."""

from pathlib import Path

import pytest

from lle import paths


def test_the_cache_folder_is_the_argument_then_the_environment_then_the_repository(tmp_path, monkeypatch):
    monkeypatch.delenv("LLE_CACHE_DIR", raising=False)
    assert paths.cache_dir(create=False) == paths.REPO_ROOT / ".cache"
    monkeypatch.setenv("LLE_CACHE_DIR", str(tmp_path / "from-env"))
    assert paths.cache_dir() == tmp_path / "from-env" and (tmp_path / "from-env").is_dir()
    assert paths.cache_dir(tmp_path / "given") == tmp_path / "given"


@pytest.mark.parametrize("where", ["argument", "environment"])
def test_a_cache_that_is_a_file_names_where_it_was_set(tmp_path, monkeypatch, where):
    target = tmp_path / "cache"
    target.write_text("not a folder")
    monkeypatch.delenv("LLE_CACHE_DIR", raising=False)
    if where == "environment":
        monkeypatch.setenv("LLE_CACHE_DIR", str(target))
    named = "cache_dir=" if where == "argument" else "$LLE_CACHE_DIR"
    with pytest.raises(ValueError, match=rf"{target} \({named.replace('$', '[$]')}\) is a file"):
        paths.cache_dir(target if where == "argument" else None)
    assert target.read_text() == "not a folder"


def test_a_cache_that_links_to_nothing_is_refused(tmp_path):
    link = tmp_path / "cache"
    link.symlink_to(tmp_path / "gone")
    with pytest.raises(ValueError, match="symbolic link to nothing"):
        paths.cache_dir(link)
    assert not (tmp_path / "gone").exists()


def test_paths_are_shown_relative_to_the_repository_only_inside_it(tmp_path):
    assert paths.relative_to_repo(paths.REPO_ROOT / "results" / "tables") == str(Path("results", "tables"))
    assert paths.relative_to_repo(tmp_path) == str(tmp_path.resolve())


def test_a_notebook_with_out_dir_writes_under_it(tmp_path):
    assert paths.results_dir_in(tmp_path) == tmp_path / "results" and (tmp_path / "results").is_dir()
    assert paths.figures_dir_in(tmp_path) == tmp_path / "figures" and (tmp_path / "figures").is_dir()
    assert paths.results_dir_in() == paths.REPO_ROOT / "results"


def test_a_folder_that_is_not_the_repository_is_never_overwritten(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    (home / "notes.txt").write_text("mine")
    monkeypatch.setattr(paths, "REPO_ROOT", home)
    with pytest.raises(FileExistsError, match="holds no results/.*set LLE_HOME"):
        paths.ensure_repository()
    assert [p.name for p in home.iterdir()] == ["notes.txt"]


def test_fetching_without_git_says_how_to_do_it_by_hand(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "REPO_ROOT", tmp_path / "home")
    monkeypatch.setattr(paths.shutil, "which", lambda name: None)
    monkeypatch.setenv("LLE_REPOSITORY_URL", "https://example.org/lle.git")
    with pytest.raises(RuntimeError, match="install git, or clone https://example.org/lle.git yourself"):
        paths.ensure_repository()
    assert not (tmp_path / "home").exists()


def test_a_failed_fetch_leaves_no_half_made_copy(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "REPO_ROOT", tmp_path / "home")
    monkeypatch.setenv("LLE_REPOSITORY_URL", str(tmp_path / "no-such-repository"))
    with pytest.raises(RuntimeError, match="could not fetch"):
        paths.ensure_repository()
    assert not (tmp_path / "home").exists()
