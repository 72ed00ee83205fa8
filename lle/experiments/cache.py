"""The per-layer score cache: one ``.npz`` per (model, dataset, split) with a JSON provenance sidecar.

``results/layer_scores/<model-slug>/<dataset>_<split>.npz`` holds ``log_probs`` (float32, (n_samples, n_layers,
n_classes), layer index = hidden-state index, last = final) and ``labels`` (int64). The sidecar ``.json`` records
how they were made. Loading checks the file's checksum against the sidecar and the sidecar against what the
caller expects: a mismatch or a corrupt file is an error, never a silent reuse.
"""
from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lle.integrity import CacheMismatchError, atomic_path, atomic_write_text, sha256_file
from lle.paths import REPO_ROOT, results_dir


def score_path(model_slug: str, dataset: str, split: str, root=None) -> Path:
    return Path(results_dir(root)) / "layer_scores" / model_slug / f"{dataset}_{split}.npz"


def cached_runs(root=None) -> list[tuple[str, str, str]]:
    """(run slug, dataset, split) of every cached score file, sorted."""
    base = Path(results_dir(root)) / "layer_scores"
    found = []
    for path in sorted(base.glob("*/*.npz")):
        dataset, split = path.stem.rsplit("_", 1)
        found.append((path.parent.name, dataset, split))
    return found


CODE_PATHS = ("lle", "scripts", "pyproject.toml", "requirements.txt")  # what computed scores depend on


def git_commit() -> str | None:
    """HEAD, marked ``-dirty`` when the code (not notebooks or results) has uncommitted changes."""
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True, check=True)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", *CODE_PATHS],
                               cwd=REPO_ROOT, capture_output=True, text=True, check=True).stdout.strip()
        return out.stdout.strip() + ("-dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return None


def save_layer_scores(path: Path, log_probs: np.ndarray, labels: np.ndarray, provenance: dict) -> Path:
    """Write the arrays and their sidecar; the sidecar records the array file's SHA-256 and shapes."""
    log_probs = np.asarray(log_probs, dtype=np.float32)
    labels = np.asarray(labels, dtype=np.int64)
    if log_probs.ndim != 3 or log_probs.shape[0] != labels.shape[0]:
        raise ValueError(f"log_probs {log_probs.shape} must be (n_samples, n_layers, n_classes) matching labels {labels.shape}")
    if not np.all(np.isfinite(log_probs)):
        raise ValueError("refusing to cache non-finite log-probabilities")
    with atomic_path(path) as temporary:
        np.savez_compressed(temporary, log_probs=log_probs, labels=labels)
    import lle

    sidecar = dict(provenance, n_samples=int(log_probs.shape[0]), n_layers=int(log_probs.shape[1]),
                   n_classes=int(log_probs.shape[2]), file_sha256=sha256_file(path), package_version=lle.__version__)
    sidecar.setdefault("git_commit", git_commit())
    atomic_write_text(path.with_suffix(".json"), json.dumps(sidecar, indent=1, sort_keys=True) + "\n")
    return path


@dataclass(frozen=True)
class LayerScores:
    log_probs: np.ndarray
    labels: np.ndarray
    provenance: dict


def load_layer_scores(path: Path, **expected) -> LayerScores:
    """Load and check: file checksum against the sidecar, and each ``expected`` key against the sidecar."""
    path = Path(path)
    sidecar_path = path.with_suffix(".json")
    if not path.is_file() or not sidecar_path.is_file():
        raise FileNotFoundError(f"{path} or its sidecar is missing; run make reproduce RECOMPUTE=1 to compute it")
    provenance = json.loads(sidecar_path.read_text())
    if sha256_file(path) != provenance.get("file_sha256"):
        raise CacheMismatchError(f"{path} does not match the checksum in its sidecar: the file is corrupt or was "
                                 "changed after it was written; recompute it")
    for key, value in expected.items():
        if provenance.get(key) != value:
            raise CacheMismatchError(f"{path} was made with {key}={provenance.get(key)!r}, expected {value!r}; "
                                     "recompute it or ask for what it holds")
    with np.load(path) as arrays:
        log_probs, labels = arrays["log_probs"], arrays["labels"]
    if log_probs.shape != (provenance["n_samples"], provenance["n_layers"], provenance["n_classes"]):
        raise CacheMismatchError(f"{path} holds shape {log_probs.shape}, its sidecar says otherwise")
    return LayerScores(log_probs, labels, provenance)
