"""Protocols, confidence intervals, significance and the SuperTweetEval metric."""
import numpy as np
import pytest
from sklearn.metrics import f1_score

from lle.experiments.cache import LayerScores
from lle.experiments.evaluation import (best_row, paired_comparison, paper_grid, predictions_for, supertweeteval_hate_score,
                            table1_rows, target_layers_for)
from lle.grid import evaluate_grid
from lle.metrics import classification_metrics


def synthetic(seed, n=300, layers=5, classes=4):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, classes, n)
    depth = np.linspace(0, 1, layers)[None, :, None]
    scores = np.eye(classes)[labels][:, None] * 2.5 * depth + rng.normal(size=(n, layers, classes))
    return LayerScores(scores.astype(np.float32), labels, {})


def test_supertweeteval_score_matches_its_definition():
    rng = np.random.default_rng(0)
    labels, predictions = rng.integers(0, 8, 500), rng.integers(0, 8, 500)
    binary = f1_score(labels != 7, predictions != 7, average="macro")
    micro = f1_score(labels, predictions, labels=list(range(7)), average="micro")
    assert supertweeteval_hate_score(labels, predictions) == pytest.approx((binary + micro) / 2)


def test_identical_systems_have_no_difference():
    labels = np.arange(100) % 4
    predictions = np.roll(labels, 3)
    result = paired_comparison(labels, predictions, predictions, n_classes=4, n_resamples=200)
    assert result.delta == 0 and result.ci_low == 0 and result.ci_high == 0 and result.p_value == 1


def test_a_clearly_better_system_is_significant():
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 4, 400)
    good = np.where(rng.random(400) < 0.8, labels, rng.integers(0, 4, 400))
    bad = np.where(rng.random(400) < 0.3, labels, rng.integers(0, 4, 400))
    result = paired_comparison(labels, bad, good, n_classes=4, n_resamples=500)
    assert result.delta > 0.3 and result.ci_low > 0 and result.p_value < 0.01
    again = paired_comparison(labels, bad, good, n_classes=4, n_resamples=500)
    assert again == result  # seeded


def test_target_layers_follow_the_released_grid():
    np.testing.assert_array_equal(target_layers_for(24), np.arange(25, 51))  # the paper's 24..49 in block numbering


def test_table1_rows_recompute_and_select_on_validation():
    validation, test = synthetic(0), synthetic(1)
    rows = table1_rows("m", "tweet_hate", validation, test, n_resamples=50)
    assert [(r["method"], r["protocol"]) for r in rows] == [
        (m, p) for m in ("standard", "static", "dynamic") for p in ("validation", "test")]
    grid = paper_grid(5)
    on_validation = evaluate_grid(validation.log_probs, validation.labels, **grid)
    on_test = evaluate_grid(test.log_probs, test.labels, **grid)
    for row in rows:
        predicted = predictions_for(row, test.log_probs)
        assert classification_metrics(predicted, test.labels, 4)["macro_f1"] == pytest.approx(row["macro_f1"], abs=1e-12)
        assert "supertweeteval_score" in row
        if row["method"] == "standard":
            continue
        source = on_validation if row["protocol"] == "validation" else on_test
        chosen = best_row(source, row["method"])
        assert (row["alpha"], row["candidate_layers"]) == (chosen.alpha, chosen.candidate_layers)
    test_tuned = {r["method"]: r["macro_f1"] for r in rows if r["protocol"] == "test"}
    selected = {r["method"]: r["macro_f1"] for r in rows if r["protocol"] == "validation"}
    assert all(test_tuned[m] >= selected[m] for m in test_tuned)  # test-tuning can only look better on test
