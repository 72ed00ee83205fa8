"""Where the package reads and writes: the repository's figures/, results/ and a local cache."""
from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parent


def _directory(value: str | os.PathLike | None, default: Path) -> Path:
    path = Path(value) if value is not None else default
    path.mkdir(parents=True, exist_ok=True)
    return path


def figures_dir(value=None) -> Path:
    return _directory(value, REPO_ROOT / "figures")


def results_dir(value=None) -> Path:
    return _directory(value, REPO_ROOT / "results")


def cache_dir(value=None) -> Path:
    """Model copies and checkpoints: argument, then $LLE_CACHE_DIR, then .cache/ in the repository (git-ignored)."""
    return _directory(value or os.environ.get("LLE_CACHE_DIR"), REPO_ROOT / ".cache")


def relative_to_repo(path: str | os.PathLike) -> str:
    """A path as shown in notebooks and provenance: relative to the repository when inside it."""
    path = Path(path).resolve()
    try:
        return str(path.relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


def results_dir_in(out_dir=None) -> Path:
    """results/ of the repository, or ``out_dir``/results: where a notebook run with ``out_dir`` writes tables."""
    return results_dir(None if out_dir is None else Path(out_dir) / "results")


def figures_dir_in(out_dir=None) -> Path:
    """figures/ of the repository, or ``out_dir``/figures."""
    return figures_dir(None if out_dir is None else Path(out_dir) / "figures")
