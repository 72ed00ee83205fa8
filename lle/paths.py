"""Where the package reads and writes: the repository's figures/, results/ and a local cache.

Run from a checkout, that is the checkout. Installed from a wheel (Colab, ``pip install``), it is a copy of the
repository in ``$LLE_HOME`` (default ``~/.cache/lle/repository``), fetched with git on first use of the cached
results, from ``$LLE_REPOSITORY_URL`` or else the ``Repository`` address in the package's metadata.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def _is_checkout(root: Path) -> bool:
    return (root / "pyproject.toml").is_file() and (root / "notebooks").is_dir()


REPO_ROOT = (
    PACKAGE_DIR.parent
    if _is_checkout(PACKAGE_DIR.parent)
    else Path(os.environ.get("LLE_HOME") or Path.home() / ".cache" / "lle" / "repository")
)


def repository_url() -> str:
    """The repository's one address: the ``Repository`` entry of ``[project.urls]`` (from pyproject.toml in a
    checkout, else from the installed package's metadata)."""
    if _is_checkout(PACKAGE_DIR.parent):
        import tomllib

        return tomllib.loads((PACKAGE_DIR.parent / "pyproject.toml").read_text())["project"]["urls"]["Repository"]
    for entry in metadata.metadata("lle").get_all("Project-URL") or []:
        name, _, url = entry.partition(",")
        if name.strip().lower() == "repository":
            return url.strip()
    raise RuntimeError(
        "the installed lle has no Repository address in its metadata; set LLE_REPOSITORY_URL to a "
        "clone of the repository (or LLE_HOME to a checkout)"
    )


def ensure_repository() -> Path:
    """The repository the cached results are read from; outside a checkout, fetched (``git clone --depth 1``) into
    REPO_ROOT when it is not there yet."""
    if (REPO_ROOT / "results").is_dir():
        return REPO_ROOT
    if REPO_ROOT.exists() and any(REPO_ROOT.iterdir()):
        raise FileExistsError(
            f"{REPO_ROOT} exists but holds no results/; it is not a copy of the repository. "
            "Move it away, or set LLE_HOME to an empty folder or to a checkout"
        )
    url = os.environ.get("LLE_REPOSITORY_URL") or repository_url()
    if shutil.which("git") is None:
        raise RuntimeError(
            f"the cached results are fetched with git, which is not installed; install git, or clone "
            f"{url} yourself and set LLE_HOME to it"
        )
    print(f"lle: fetching the repository's cached results from {url} into {REPO_ROOT} (once)", file=sys.stderr)
    REPO_ROOT.parent.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["git", "clone", "--quiet", "--depth", "1", url, str(REPO_ROOT)], capture_output=True, text=True
    )
    if done.returncode != 0:
        shutil.rmtree(REPO_ROOT, ignore_errors=True)  # a half-made copy would pass for the repository next time
        raise RuntimeError(
            f"could not fetch {url} into {REPO_ROOT}: {done.stderr.strip()}; check the address and "
            "your network, or clone it yourself and set LLE_HOME to the clone"
        )
    return REPO_ROOT


def _directory(value: str | os.PathLike | None, default: Path) -> Path:
    path = Path(value) if value is not None else default
    path.mkdir(parents=True, exist_ok=True)
    return path


def figures_dir(value=None) -> Path:
    """``value``, else the repository's figures/ (created if missing)."""
    return _directory(value, REPO_ROOT / "figures")


def results_dir(value=None) -> Path:
    """``value``, else the repository's results/ (fetched outside a checkout; created if missing)."""
    return _directory(value, ensure_repository() / "results" if value is None else None)


def cache_dir(value=None, *, create: bool = True) -> Path:
    """Model copies and checkpoints: argument, then $LLE_CACHE_DIR, then .cache/ in the repository (git-ignored).
    A cache that exists but is not a folder is an error naming where it was set."""
    chosen = value or os.environ.get("LLE_CACHE_DIR")
    folder = Path(chosen) if chosen is not None else REPO_ROOT / ".cache"
    if folder.exists() and not folder.is_dir() or folder.is_symlink() and not folder.exists():
        where = "cache_dir=" if value else "$LLE_CACHE_DIR" if os.environ.get("LLE_CACHE_DIR") else "the default cache"
        what = "a file" if folder.exists() else "a symbolic link to nothing"
        raise ValueError(
            f"the cache folder {folder} ({where}) is {what}; point {where} to a folder (a new one is "
            "created), or move it away"
        )
    return _directory(folder, folder) if create else folder


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
