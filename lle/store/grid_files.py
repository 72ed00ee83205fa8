"""Grid tables computed once per (run, dataset, split, distance, grid) and stored under ``results/grids/``.

Each stored table has a JSON sidecar with the SHA-256 of the score file it was computed from and the grid it
covers; it is reused only when both match, and otherwise recomputed and replaced (atomically). Floats are
written at full precision and read back exactly, so selections from a stored grid equal those from a fresh one.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from lle.integrity import atomic_path, atomic_write_text
from lle.method.grid import evaluate_grid


def _describe(grid: dict) -> dict:
    """The grid as JSON-comparable data."""
    return {
        "alphas": [float(a) for a in grid["alphas"]],
        "betas": [float(b) for b in grid["betas"]],
        "target_layers": [float(t) for t in grid["target_layers"]],
        "candidate_sets": [[int(layer) for layer in layers] for layers in grid["candidate_sets"]],
        "distance": grid["distance"],
    }


def grid_path(grids_dir, run: str, dataset: str, split: str, grid: dict) -> Path:
    """The file of a stored grid: one per (run, dataset, split, distance, earliest layer)."""
    first = min(int(layers[0]) for layers in grid["candidate_sets"])
    return Path(grids_dir) / run / f"{dataset}_{split}_{grid['distance']}_k{first}.csv.gz"


def _sidecar(path: Path) -> Path:
    """``x.csv.gz`` -> ``x.json``: what the stored table was computed from."""
    return path.with_suffix("").with_suffix(".json")


def _matches(path: Path, expected: dict) -> bool:
    return path.is_file() and _sidecar(path).is_file() and json.loads(_sidecar(path).read_text()) == expected


def stored_grid(scores, grid: dict, path: Path, *, read_only: tuple = ()) -> pd.DataFrame:
    """The grid table of ``scores`` (a LayerScores) over ``grid``: read from ``path``, or from one of the
    ``read_only`` paths (the repository's stored grids, for a study writing elsewhere), if its sidecar matches the
    score file's checksum and the grid, else computed with :func:`lle.evaluate_grid` and written to ``path``."""
    expected = {"scores_sha256": scores.provenance.get("file_sha256"), "grid": _describe(grid)}
    for candidate in (path, *read_only):
        if _matches(Path(candidate), expected):
            return pd.read_csv(candidate)  # pandas reads floats back exactly (round-trip precision)
    # The protocols' grids include beta = -0.25 (interpolation), as the released code's does: asked for here.
    table = evaluate_grid(scores.log_probs, scores.labels, **grid, allow_interpolation=True).drop(
        columns="amateur_histogram"
    )
    if expected["scores_sha256"] is not None:  # only tables of checksummed score files are worth keeping
        with atomic_path(path) as temporary:
            table.to_csv(temporary, index=False, compression={"method": "gzip", "mtime": 0})
        atomic_write_text(_sidecar(path), json.dumps(expected, indent=1) + "\n")
    return table
