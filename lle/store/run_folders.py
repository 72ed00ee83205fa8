"""A run's score files land together or not at all, and one process at a time writes them.

A run writes ``layer_scores/<run>/<dataset>_{validation,test}.{npz,json}``. :func:`commit_scores` stages the four
files in a hidden folder beside them, writes a completion record naming each file's SHA-256 and the run key, then
moves them into place: first the old record is removed (the run is then *incomplete*), then each file is renamed
into place, then the new record. A kill at any moment therefore leaves either a complete run (a record whose
checksums match every file) or an incomplete one, which :func:`completion` reports as such and the same command
recomputes. Readers skip hidden files (staging folders, temporary files of atomic writes).

:func:`run_lock` is the one-writer rule: an exclusive lock per output (results folder, run, dataset) and per cache
entry, taken before any expensive work; a second process is refused with the holder's process id, host, command and
start time. Before writing, :func:`check_free_space` compares the free space with an estimate of what the run
writes; a full disk during the write (``ENOSPC``) is reported with the folder and the space needed, and the staging
folder is removed, leaving the run folder as it was.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import socket
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from filelock import FileLock, Timeout

from lle.integrity import CacheMismatchError, fault_point, sha256_file

SPLITS = ("validation", "test")


class RunInProgressError(RuntimeError):
    """Another process holds the lock of a run this process would write."""


class DiskFullError(OSError):
    """Not enough free space for a run's output; the message names the folder and the space needed."""


def run_folder(results_root, slug: str) -> Path:
    """The folder of run ``slug``'s score files under the results folder ``results_root``."""
    return Path(results_root) / "layer_scores" / slug


def record_path(results_root, slug: str, dataset: str) -> Path:
    """The completion record of (run, dataset) under the results folder ``results_root``."""
    return run_folder(results_root, slug) / f"{dataset}.complete.json"


def score_files(results_root, slug: str, dataset: str) -> list[Path]:
    """The four files one (run, dataset) consists of: each split's scores and sidecar."""
    folder = run_folder(results_root, slug)
    return [folder / f"{dataset}_{split}{suffix}" for split in SPLITS for suffix in (".npz", ".json")]


def completion(results_root, slug: str, dataset: str) -> dict | None:
    """The completion record of (run, dataset) if the run is complete — the record exists and every file it names
    has the checksum it records — else None (never written, interrupted, or changed since)."""
    path = record_path(results_root, slug, dataset)
    if not path.is_file():
        return None
    try:
        record = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    folder = run_folder(results_root, slug)
    for name, digest in record.get("files", {}).items():
        if not (folder / name).is_file() or sha256_file(folder / name) != digest:
            return None
    return record if len(record.get("files", {})) == len(score_files(results_root, slug, dataset)) else None


def commit_scores(results_root, slug: str, dataset: str, splits: dict, *, run_key: str | None, write) -> dict:
    """Write both splits' scores (``{split: (log_probs, labels, sidecar)}``) of (run, dataset) under ``results_root``
    together (module docstring) with ``write(path, log_probs, labels, sidecar)`` (the score-file writer,
    :func:`lle.store.scores.save_layer_scores`); returns the completion record. The caller holds the run's
    lock (:func:`run_lock`), so staging folders of this run left by a killed writer are removed first."""
    folder = run_folder(results_root, slug)
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob(f".staging-{dataset}-*"):  # left by a killed writer; the caller holds the run's lock
        shutil.rmtree(stale, ignore_errors=True)
    staging = folder / f".staging-{dataset}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        staging.mkdir()
        for split in SPLITS:
            log_probs, labels, sidecar = splits[split]
            write(staging / "layer_scores" / slug / f"{dataset}_{split}.npz", log_probs, labels, sidecar)
            fault_point(f"staged {split}")
        staged = staging / "layer_scores" / slug
        record = {
            "run": slug,
            "dataset": dataset,
            "run_key": run_key,
            "files": {path.name: sha256_file(staged / path.name) for path in score_files(results_root, slug, dataset)},
        }
        (staging / "record.json").write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
        record_path(results_root, slug, dataset).unlink(missing_ok=True)  # from here until the end: incomplete
        for path in score_files(results_root, slug, dataset):
            (staged / path.name).replace(path)
            fault_point(f"committed {path.name}")
        (staging / "record.json").replace(record_path(results_root, slug, dataset))
        return record
    except OSError as error:
        if error.errno == errno.ENOSPC:
            needed = sum(np.asarray(splits[s][0]).nbytes + np.asarray(splits[s][1]).nbytes for s in SPLITS)
            raise DiskFullError(
                errno.ENOSPC,
                f"the disk holding {folder} is full: writing the scores of {slug} / "
                f"{dataset} needs up to {_size(needed)}; free space there (or pass another --out) "
                "and run the same command again: the computed work is cached and reused",
            ) from None
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def check_complete(results_root, slug: str, dataset: str, provenance: dict) -> None:
    """Refuse a run whose splits do not belong together: a completion record that no longer matches its files
    (an interrupted write, or files changed since), or splits made with different run keys."""
    record_file = record_path(results_root, slug, dataset)
    if record_file.is_file() and completion(results_root, slug, dataset) is None:
        raise CacheMismatchError(
            f"{record_file} does not match the score files beside it: the run was interrupted "
            "while writing, or its files were changed since; rerun the lle run command that "
            "made it (the same --out), which recomputes it"
        )
    keys = {split: provenance[split].get("run_key") for split in SPLITS}
    if None not in keys.values() and len(set(keys.values())) > 1:
        raise CacheMismatchError(
            f"the validation and test scores of {slug} / {dataset} in {run_folder(results_root, slug)} "
            f"come from different runs (run keys {keys['validation']} and {keys['test']}); "
            "rerun the lle run command with --force to recompute both"
        )


_HELD: dict[str, int] = {}  # lock files this process holds, with how often it took each (reentrant)


@contextmanager
def run_lock(*paths, what: str):
    """Hold exclusive locks on ``paths`` (lock files, created as needed) for the duration; a path another process
    holds raises :class:`RunInProgressError` naming that process. Reentrant within one process."""
    taken = []
    try:
        for path in sorted({str(Path(p)) for p in paths}):
            if _HELD.get(path):
                _HELD[path] += 1
                taken.append((path, None))
                continue
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            lock = FileLock(path, timeout=0)
            try:
                lock.acquire()
            except Timeout:
                raise RunInProgressError(
                    f"{what} is being written by another process ({_holder(path)}); wait for it "
                    "to finish, or write elsewhere (another --out or --name)"
                ) from None
            _info_path(path).write_text(
                json.dumps(
                    {
                        "pid": os.getpid(),
                        "host": socket.gethostname(),
                        "command": " ".join(sys.argv),
                        "since": time.strftime("%Y-%m-%d %H:%M:%S"),
                    }
                )
                + "\n"
            )
            _HELD[path] = 1
            taken.append((path, lock))
        yield
    finally:
        for path, lock in reversed(taken):
            _HELD[path] -= 1
            if lock is not None:
                _info_path(path).unlink(missing_ok=True)
                _HELD.pop(path)
                lock.release()


def output_lock_path(results_root, slug: str, dataset: str) -> Path:
    """The lock file of (run, dataset) under the results folder ``results_root`` (hidden, beside its score files)."""
    return run_folder(results_root, slug) / f".{dataset}.lock"


def _info_path(lock_path) -> Path:
    return Path(f"{lock_path}.holder.json")


def _holder(lock_path) -> str:
    try:
        info = json.loads(_info_path(lock_path).read_text())
    except (OSError, json.JSONDecodeError):
        return "holder unknown"
    return f"process {info['pid']} on {info['host']} since {info['since']}: {info['command']}"


def check_free_space(folder, needed: int, *, what: str) -> None:
    """Refuse to start when the disk holding ``folder`` has less than ``needed`` bytes free (plus a 5% margin)."""
    folder = Path(folder)
    existing = next(p for p in (folder, *folder.parents) if p.exists())
    free = shutil.disk_usage(existing).free
    if free < needed * 1.05:
        raise DiskFullError(
            errno.ENOSPC,
            f"{existing} has {_size(free)} free, and {what} needs about {_size(needed)}; "
            "free space there or choose another folder",
        )


def _size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"
