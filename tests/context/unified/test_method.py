"""The unified interpolation/extrapolation view on small arrays with known answers."""

import numpy as np
import pytest

import lle
from lle.context.unified import method as unified


def scores(seed=0, shape=(300, 6, 4)):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, shape[2], shape[0])
    depth = np.linspace(0, 1, shape[1])[None, :, None]
    return np.eye(shape[2])[labels][:, None] * 3 * depth + rng.normal(size=shape), labels


def test_ends_of_the_axis_are_the_two_layers():
    data, _ = scores()
    logp = lle.log_softmax(data)
    np.testing.assert_allclose(unified.guided_log_probs(data, 2, 0.0), logp[:, -1], atol=1e-12)
    np.testing.assert_allclose(unified.guided_log_probs(data, 2, 1.0), logp[:, 2], atol=1e-12)


def test_negative_unified_beta_is_contrastive_classification():
    data, _ = scores(1)
    amateur = lle.select_amateur(data, candidate_layers=range(5))
    for beta in (0.5, 2.0):
        guided = unified.guided_log_probs(data, amateur, -beta, alpha=0.1)
        expected = lle.classify(data, candidate_layers=range(5), beta=beta, alpha=0.1)
        np.testing.assert_array_equal(np.argmax(guided, axis=1), expected)
    assert unified.NAMED_METHODS["contrastive decoding (beta = 1; the source also puts DoLa here)"] == float(
        lle.unified_beta_from_beta(1.0)
    )


def test_ece_and_nll_on_known_distributions():
    confident_right = np.log(np.array([[0.9, 0.1]] * 10))
    labels = np.array([0] * 9 + [1])
    assert unified.expected_calibration_error(confident_right, labels) == pytest.approx(0.0, abs=1e-12)
    metrics = unified.distribution_metrics(confident_right, labels)
    assert metrics["nll"] == pytest.approx(-(9 * np.log(0.9) + np.log(0.1)) / 10)
    assert metrics["entropy"] == pytest.approx(-(0.9 * np.log(0.9) + 0.1 * np.log(0.1)))
    masked = np.array([[0.0, -np.inf]])  # probability 1 and 0
    assert unified.distribution_metrics(masked, np.array([1]))["nll"] == pytest.approx(-unified.FLOOR)


def test_rescaling_r2_is_one_for_a_scaled_layer():
    data, _ = scores(2)
    data[:, 1] = 0.3 * data[:, -1] + 5.0  # layer 1 is a rescaled final layer (plus a constant)
    r2 = unified.rescaling_r2(data)
    assert r2[1] == pytest.approx(1.0, abs=1e-9) and r2[-1] == pytest.approx(1.0) and r2[0] < 0.9


def test_temperature_one_is_the_final_layer_and_matching_interpolates():
    data, labels = scores(3)
    rows = unified.temperature_sweep(data, labels, [0.5, 1.0, 2.0])
    final = unified.distribution_metrics(lle.log_softmax(data)[:, -1], labels)
    assert rows[1]["macro_f1"] == final["macro_f1"] and rows[0]["entropy"] < rows[1]["entropy"] < rows[2]["entropy"]
    sweep = [{"layer": "x", "unified_beta": 0.0, "alpha": None, **final}]
    matched = unified.at_matched_entropy(sweep, rows)
    assert matched[0]["temperature"] == pytest.approx(1.0)


def test_selection_prefers_the_smallest_change_on_ties():
    rows = [
        {"layer": "a", "alpha": None, "unified_beta": b, "macro_f1": f}
        for b, f in ((-1.0, 0.5), (0.0, 0.5), (0.5, 0.4), (-0.25, 0.5))
    ]
    assert unified.select_on_validation(rows) == {("a", None): 0.0}
    assert unified.select_on_validation(rows, "macro_f1", higher=False) == {("a", None): 0.5}


def test_fixed_layers_stay_below_the_final_layer():
    assert unified.fixed_layers(7) == {"25% depth": 2, "50% depth": 3, "75% depth": 4, "L-1": 5}
    with pytest.raises(ValueError, match="layer must lie"):
        unified.guided_log_probs(scores()[0], 9, 0.5)


def test_the_sweep_equals_one_guided_distribution_per_setting():
    rng = np.random.default_rng(3)
    scores, labels = rng.normal(size=(40, 6, 5)), rng.integers(0, 5, 40)
    amateur = rng.integers(1, 5, 40)
    rows = unified.unified_sweep(
        scores,
        labels,
        layers={"LLE amateur": amateur, "layer 2": 2},
        unified_betas=(-1.0, 0.0, 0.5),
        alphas=(None, 0.2),
    )
    for row in rows:
        layer = amateur if row["layer"] == "LLE amateur" else 2
        guided = unified.guided_log_probs(scores, layer, row["unified_beta"], alpha=row["alpha"])
        final = np.argmax(scores[:, -1], axis=1)  # the final layer's prediction (log-softmax keeps the argmax)
        assert row == {
            "layer": row["layer"],
            "unified_beta": row["unified_beta"],
            "alpha": row["alpha"],
            **unified.distribution_metrics(guided, labels),
            "changed_vs_final": float(np.mean(np.argmax(guided, axis=1) != final)),
        }


def test_dolas_score_is_the_far_end_of_the_axis_not_its_point_minus_one():
    """DoLa ranks by log p_L − log p_ℓ: the β_u → −∞ limit. At β_u = −1 (contrastive decoding, β = 1) the ranking can
    differ; far out on the axis it agrees."""
    rng = np.random.default_rng(5)
    scores = rng.normal(size=(400, 4, 6)) * 3
    placed = unified.dola_placement(scores, 1, [-1.0, -1000.0, 0.0])
    assert placed["farthest_beta_u"] == -1000.0
    assert placed["dola_differs_from_farthest"] == 0.0 and placed["dola_differs_from_minus_one"] > 0.05
