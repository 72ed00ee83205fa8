"""Low-level file integrity shared by every layer: checksums, atomic writes, and the cache-mismatch error.

Nothing here imports the rest of the package, so data loading, model resolution and the result caches can all
build on it.
"""

from __future__ import annotations

import hashlib
import os
import signal
import tempfile
from contextlib import contextmanager
from pathlib import Path

FAULT_VARIABLE = "LLE_FAULT_AT"  # the fault tests set it to a fault point's name: the process kills itself there


def fault_point(name: str) -> None:
    """A place where the fault tests kill the process (``LLE_FAULT_AT=name``): a real SIGKILL, no cleanup, as a
    user's Ctrl-\\, an out-of-memory kill or a lost machine would."""
    if os.environ.get(FAULT_VARIABLE) == name:
        os.kill(os.getpid(), signal.SIGKILL)


class CacheMismatchError(ValueError):
    """A cached artifact does not match what it claims to be, or what the caller asked for."""


def sha256_file(path, chunk: int = 1 << 20) -> str:
    """SHA-256 of the file at ``path``, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(chunk), b""):
            digest.update(block)
    return digest.hexdigest()


@contextmanager
def atomic_path(path):
    """Yield a temporary path beside ``path``; on success it replaces ``path``, on any error it is removed.

    A writer that fails midway (an exception, a bug) therefore never leaves ``path`` half-written or replaced.
    The temporary name keeps ``path``'s suffix, since some writers (numpy, matplotlib) choose a format from it.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=f".tmp{path.suffix}")
    os.close(handle)
    temporary = Path(temporary)
    umask = os.umask(0)
    os.umask(umask)
    temporary.chmod(0o666 & ~umask)  # mkstemp creates 0600; written artifacts get the usual permissions
    try:
        yield temporary
        temporary.replace(path)
    finally:
        temporary.unlink(missing_ok=True)


def atomic_write_text(path, text: str) -> Path:
    """Write ``text`` to ``path`` atomically (a failed write leaves the old file)."""
    with atomic_path(path) as temporary:
        temporary.write_text(text)
    return Path(path)
