"""What the cached runs are (lle.runs.inventory): summaries, per-layer scores and training logs read from score
files and their sidecars, on a synthetic results folder."""

import numpy as np
import pytest

from lle.runs import inventory
from lle.store.scores import save_layer_scores, score_path


def _cached(tmp_path):
    rng = np.random.default_rng(0)
    for split, n in (("validation", 30), ("test", 40)):
        labels = np.arange(n) % 3
        logits = rng.normal(size=(n, 4, 3)) + 3 * np.eye(3)[labels][:, None] * np.linspace(0, 1, 4)[None, :, None]
        log_probs = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
        provenance = {
            "run": "run-a",
            "dataset": "tweet_hate",
            "split": split,
            "model_id": "tiny",
            "wall_time_seconds": {"total": 120.0, "training": 60.0},
            "threads": 2,
            "training_log": [{"epoch": 1, "validation_macro_f1": 0.5}, {"epoch": 2, "validation_macro_f1": 0.6}],
        }
        save_layer_scores(score_path("run-a", "tweet_hate", split, tmp_path), log_probs, labels, provenance)
    return inventory.load_cached(results_root=tmp_path)


def test_the_inventory_summarizes_each_run_from_its_files_and_sidecars(tmp_path):
    cached = _cached(tmp_path)
    assert sorted(cached) == [("run-a", "tweet_hate", "test"), ("run-a", "tweet_hate", "validation")]
    summary = inventory.run_summary(cached)
    row = summary.iloc[0]
    assert (row.run, row.layers, row.wall_time_minutes, row.training_minutes, row.threads) == ("run-a", 3, 2.0, 1.0, 2)
    assert row.test_macro_f1 > row.majority_class_test_macro_f1  # the synthetic final layer carries the label
    curves = inventory.layer_f1(cached, split="test")
    assert list(curves.layer) == [0, 1, 2, 3] and curves.relative_depth.tolist() == pytest.approx([0, 1 / 3, 2 / 3, 1])
    assert curves.macro_f1.iloc[-1] == pytest.approx(row.test_macro_f1)
    logs = inventory.training_logs(cached)
    assert logs.epoch.tolist() == [1, 2] and set(logs.run) == {"run-a"}
    readme = inventory.results_readme(summary, [("run-b", "goemotions")])
    assert "| run-a" in readme and "- run-b / goemotions" in readme and "seeds/seed<k>/" in readme
