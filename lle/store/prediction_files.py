"""Per-sample test predictions of one (run, dataset) at its selected configurations: what Table 1's comparisons
read, stored where the per-layer scores themselves are too large to commit (the frozen heads' goEmotions training
seeds, :mod:`lle.runs.seeds`).

``<results_root>/predictions/<run>/<dataset>.npz`` holds integer arrays (the test labels, the standard
classifier's predictions and one array per selected method); its JSON sidecar records what the arrays mean (each
method's configuration and tie counts, the soundness check), the SHA-256 of the score files they were computed
from, and the array file's own SHA-256. Loading checks that checksum: a changed or corrupt file is an error.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from lle.integrity import CacheMismatchError, atomic_path, atomic_write_text, sha256_file


def predictions_path(results_root, run: str, dataset: str) -> Path:
    """The predictions file of (run, dataset) under the results folder ``results_root``."""
    return Path(results_root) / "predictions" / run / f"{dataset}.npz"


def stored_pairs(results_root) -> list[tuple[str, str]]:
    """(run, dataset) of every predictions file under ``results_root``, sorted."""
    folder = Path(results_root) / "predictions"
    return sorted(
        (path.parent.name, path.stem)
        for path in folder.glob("*/*.npz")
        if not path.name.startswith(".") and not path.parent.name.startswith(".")  # temporary files of a writer
    )


def save_predictions(path: Path, arrays: dict, record: dict) -> Path:
    """Write ``arrays`` ({name: 1-d integer array}) and the sidecar ``record`` with the array file's SHA-256."""
    lengths = {name: np.shape(values) for name, values in arrays.items()}
    if len({shape for shape in lengths.values()}) != 1 or len(next(iter(lengths.values()))) != 1:
        raise ValueError(f"predictions must be 1-d arrays of one length; got shapes {lengths}")
    with atomic_path(path) as temporary:
        np.savez_compressed(temporary, **{name: np.asarray(values, dtype=np.int64) for name, values in arrays.items()})
    sidecar = dict(record, arrays=sorted(arrays), file_sha256=sha256_file(path))
    atomic_write_text(path.with_suffix(".json"), json.dumps(sidecar, indent=1, sort_keys=True) + "\n")
    return path


def load_predictions(path: Path) -> tuple[dict, dict]:
    """({name: array}, sidecar) of a predictions file, its checksum checked against the sidecar."""
    path = Path(path)
    sidecar_path = path.with_suffix(".json")
    fix = "delete it and rerun notebooks/02_table1_main_results.ipynb where the per-layer scores are present"
    if not path.is_file() or not sidecar_path.is_file():
        raise FileNotFoundError(f"{path} or its sidecar {sidecar_path.name} is missing; restore it with git checkout")
    try:
        record = json.loads(sidecar_path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise CacheMismatchError(f"the sidecar {sidecar_path} is not valid JSON ({error}); {fix}") from None
    if sha256_file(path) != record.get("file_sha256"):
        raise CacheMismatchError(f"{path} does not match the checksum in its sidecar; {fix}")
    with np.load(path) as stored:
        arrays = {name: stored[name] for name in stored.files}
    if sorted(arrays) != record.get("arrays"):
        raise CacheMismatchError(f"{path} holds {sorted(arrays)}, its sidecar names {record.get('arrays')}; {fix}")
    return arrays, record
