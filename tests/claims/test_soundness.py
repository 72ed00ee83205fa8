"""The classifier check: chance levels computed exactly, degenerate classifiers flagged in tables and by lle evaluate."""

import numpy as np
import pytest

from lle import cli
from lle.claims.soundness import chance_warning, classifier_check, majority_macro_f1, uniform_macro_f1
from lle.method.metrics import classification_metrics
from lle.store.outputs import claim_output_folder
from lle.store.scores import LayerScores, Pair, save_layer_scores, score_path


def test_uniform_chance_is_the_mean_macro_f1_of_random_guessing():
    """The closed form is the large-sample limit: over 200 random guessers on 3,000 skewed labels it agrees with the
    mean macro-F1 to within 0.005."""
    rng = np.random.default_rng(0)
    labels = rng.choice(4, 3000, p=[0.55, 0.25, 0.15, 0.05])
    guesses = rng.integers(0, 4, (200, 3000))
    simulated = classification_metrics(guesses, labels, 4)["macro_f1"].mean()
    assert uniform_macro_f1(labels, 4) == pytest.approx(simulated, abs=0.005)
    prevalence = np.bincount(labels) / len(labels)
    assert majority_macro_f1(labels, 4) == pytest.approx((2 * prevalence[0] / (1 + prevalence[0])) / 4)


def pair_from(val_logits, val_labels):
    scores = LayerScores(np.stack([np.zeros_like(val_logits), val_logits], 1), np.asarray(val_labels), {})
    return Pair("run", "data", scores, scores)


def test_one_class_and_random_classifiers_are_at_chance_and_a_good_one_is_sound():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 4, 400)
    constant = np.tile([0.0, 5.0, 0.0, 0.0], (400, 1))
    assert classifier_check(pair_from(constant, labels))["classifier"] == "at chance"
    assert classifier_check(pair_from(rng.normal(size=(400, 4)), labels))["classifier"] == "at chance"
    good = np.eye(4)[labels] * 3 + rng.normal(size=(400, 4))
    check = classifier_check(pair_from(good, labels))
    assert check["classifier"] == "sound" and check["final_layer_validation_f1"] > 0.8
    assert check["predicted_classes"] == 4


def test_lle_evaluate_warns_that_gains_over_a_degenerate_classifier_are_no_evidence(tmp_path, capsys):
    out = claim_output_folder(tmp_path / "out")
    rng = np.random.default_rng(1)
    for split in ("validation", "test"):
        labels = rng.integers(0, 3, 60)
        scores = rng.normal(size=(60, 4, 3))
        scores[:, -1] = [0.0, 4.0, 0.0]  # the final layer predicts one class
        save_layer_scores(
            score_path("run", "mine", split, out),
            scores - np.log(np.exp(scores).sum(-1, keepdims=True)),
            labels,
            {"run": "run", "dataset": "mine", "split": split},
        )
    assert cli.main(["evaluate", str(out), "--n-resamples", "20"]) == 0
    captured = capsys.readouterr()
    assert "WARNING: Standard classifier at chance for run / mine" in captured.err
    assert "not evidence for the method" in captured.err and "at chance" in captured.out
    table = (out / "results" / "tables" / "comparison.csv").read_text()
    assert "classifier" in table.splitlines()[0] and "at chance" in table


def test_chance_warning_is_silent_when_every_run_is_sound():
    import pandas as pd

    assert (
        chance_warning(
            pd.DataFrame(
                {
                    "model": ["m"],
                    "dataset": ["d"],
                    "classifier": ["sound"],
                    "final_layer_validation_f1": [0.9],
                    "chance_validation_f1": [0.3],
                    "predicted_classes": [3],
                }
            )
        )
        is None
    )
