"""Output folders of ``lle run``: the package writes only inside folders it created or recognises as its own.

A folder becomes the package's when ``lle run`` creates it, or finds it empty, and writes the marker
``.lle-output.json`` into it. A folder that exists, is not empty and has no marker belongs to someone else: the
package refuses to write there rather than replace a file it did not write.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from lle.integrity import atomic_write_text

MARKER = ".lle-output.json"
LEGACY_CONTENTS = {"layer_scores", "results", "figures"}  # all that lle run and evaluate write


class OutputFolderError(ValueError):
    """An output location the package may not or cannot write to; the message names it and what to do."""


def check_output_folder(path, *, option: str = "--out") -> Path:
    """Check, without writing anything, that ``path`` is the package's or can become it: a folder holding the marker,
    an empty folder, or a new folder whose nearest existing parent is writable."""
    path = Path(path).expanduser()
    if path.is_symlink() and not path.exists():
        raise OutputFolderError(
            f"{option} {path} is a symbolic link to {os.readlink(path)}, which does not exist; "
            "create that folder, or pass another one"
        )
    if path.exists() and not path.is_dir():
        raise OutputFolderError(f"{option} {path} is a file; pass a folder (a new one is created)")
    if path.is_dir():
        if not os.access(path, os.W_OK | os.X_OK):
            raise OutputFolderError(f"{option} {path} is not writable by this user; choose a folder you can write to")
        # the marker, or the temporary file of its atomic write (another process of a data-parallel launch
        # claiming the same folder at the same moment), makes the folder the package's
        contents = sorted(p.name for p in path.iterdir())
        ours = any(name == MARKER or name.startswith(f".{Path(MARKER).stem}.") for name in contents)
        if contents and not ours:
            shown = ", ".join(contents[:5]) + (", ..." if len(contents) > 5 else "")
            raise OutputFolderError(
                f"{option} {path} already holds files that lle did not write ({shown}); lle writes "
                "only into a new or empty folder, or one it made: choose another folder, e.g. "
                f"{option} {path / 'lle-output'}"
            )
        return path
    parent = next(p for p in path.parents if p.exists())
    if not parent.is_dir():
        raise OutputFolderError(f"{option} {path} lies under {parent}, which is a file; choose a folder path")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputFolderError(
            f"{option} {path} cannot be created: {parent} is not writable by this user; choose a "
            "folder you can write to"
        )
    return path


def claim_output_folder(path, *, option: str = "--out") -> Path:
    """Create ``path`` if needed and mark it as the package's (after :func:`check_output_folder`)."""
    path = check_output_folder(path, option=option)
    path.mkdir(parents=True, exist_ok=True)
    return _mark(path)


def _mark(path: Path) -> Path:
    marker = path / MARKER
    if not marker.is_file():
        atomic_write_text(
            marker,
            json.dumps(
                {
                    "written_by": "lle",
                    "what": "per-layer scores (layer_scores/) and "
                    "comparison tables (results/) of lle run and lle evaluate",
                },
                indent=1,
            )
            + "\n",
        )
    return path


def require_output_folder(path, *, command: str) -> Path:
    """A folder ``lle run`` made (it holds the marker), for commands that read it and write beside its contents."""
    path = Path(path).expanduser()
    if not path.exists():
        raise FileNotFoundError(
            f"{path} does not exist; pass the --out folder of an lle run (run lle run ... --out {path} first)"
        )
    if not path.is_dir():
        raise OutputFolderError(f"{path} is a file; pass the --out folder of an lle run")
    if (
        not (path / MARKER).is_file()
        and {p.name for p in path.iterdir()} <= LEGACY_CONTENTS
        and (path / "layer_scores").is_dir()
    ):
        return _mark(path)  # made by lle run before folders were marked
    if not (path / MARKER).is_file():
        raise OutputFolderError(
            f"{path} was not made by lle run (it has no {MARKER}), so {command} will not write "
            "its tables there; pass the --out folder of an lle run"
        )
    return path
