"""Stored grids (lle.store.grid_files): reused only when made from the same scores."""

import numpy as np
import pandas as pd

from lle.claims.protocols import VALIDATION
from lle.store.scores import LayerScores, Pair
from lle.study import analysis


def synthetic(seed, n=300, layers=5, classes=4):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, classes, n)
    depth = np.linspace(0, 1, layers)[None, :, None]
    scores = np.eye(classes)[labels][:, None] * 2.5 * depth + rng.normal(size=(n, layers, classes))
    return LayerScores(scores.astype(np.float32), labels, {})


def test_stored_grids_are_reused_and_equal_fresh_ones(tmp_path):
    scores = synthetic(3)
    scores = LayerScores(scores.log_probs, scores.labels, {"file_sha256": "abc"})
    study = analysis.Study([Pair("m", "goemotions", scores, synthetic(4))], tmp_path, tmp_path)
    fresh = study.grid(study.pairs[0], "validation")
    reread = analysis.Study(study.pairs, tmp_path, tmp_path).grid(study.pairs[0], "validation")
    pd.testing.assert_frame_equal(
        fresh.reset_index(drop=True), reread.reset_index(drop=True), check_dtype=False, check_exact=True
    )
    stored = list((tmp_path / "grids" / "m").glob("*.csv.gz"))
    assert len(stored) == 1
    changed = LayerScores(scores.log_probs, scores.labels, {"file_sha256": "other"})  # a recomputed score file
    recomputed = analysis.Study([Pair("m", "goemotions", changed, synthetic(4))], tmp_path, tmp_path)
    recomputed.grid(recomputed.pairs[0], "validation")
    assert '"other"' in stored[0].with_suffix("").with_suffix(".json").read_text()  # not reused: rewritten


def test_a_stored_grid_elsewhere_is_read_only_when_its_checksum_matches(tmp_path):
    from lle.store.grid_files import grid_path, stored_grid

    scores = synthetic(3)
    scores = LayerScores(scores.log_probs, scores.labels, {"file_sha256": "abc"})
    spec = VALIDATION.grid(scores.log_probs.shape[1])
    shared = grid_path(tmp_path / "shared", "m", "goemotions", "validation", spec)
    fresh = stored_grid(scores, spec, shared)
    own = grid_path(tmp_path / "own", "m", "goemotions", "validation", spec)
    reread = stored_grid(scores, spec, own, read_only=(shared,))
    pd.testing.assert_frame_equal(fresh, reread, check_dtype=False, check_exact=True)
    assert not own.exists()  # read from the shared store, nothing written
    changed = LayerScores(scores.log_probs, scores.labels, {"file_sha256": "other"})
    stored_grid(changed, spec, own, read_only=(shared,))
    assert own.is_file() and '"abc"' in shared.with_suffix("").with_suffix(".json").read_text()  # shared untouched
