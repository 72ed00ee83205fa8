"""Per-pair statistics (lle.claims.statistics): Holm, decisions, the paired bootstrap and permutation test."""

import numpy as np
import pytest

from lle.claims.statistics import holm, pair_decision, paired_comparison
from lle.method.metrics import classification_metrics


def test_holm_matches_the_step_down_definition():
    np.testing.assert_allclose(holm([0.01, 0.04, 0.03, 0.5]), [0.04, 0.09, 0.09, 0.5])
    assert holm([]).size == 0
    assert holm([0.6, 0.7]).tolist() == [1.0, 1.0]  # capped at 1
    assert holm([0.3]).tolist() == [0.3] and holm([True, False]).dtype == np.float64


@pytest.mark.parametrize(
    "low, high, p, expected",
    [
        (0.01, 0.05, 0.01, "better"),
        (-0.05, -0.01, 0.01, "worse"),
        (-0.01, 0.02, 0.3, "no significant difference"),
        (0.001, 0.02, 0.059, "unclear (CI and test disagree)"),
        (-0.01, 0.02, 0.01, "unclear (CI and test disagree)"),
    ],
)
def test_pair_decision_never_contradicts_the_ci(low, high, p, expected):
    assert pair_decision(low, high, p) == expected


def _plain_paired_comparison(labels, baseline, candidate, n_classes, n_resamples, seed):
    """The definition, one resample at a time: what the count-based implementation must reproduce bit for bit."""
    rng = np.random.default_rng(seed)

    def f1(predictions, truth):
        return classification_metrics(predictions, truth, n_classes)["macro_f1"]

    delta = f1(candidate, labels) - f1(baseline, labels)
    resample = rng.integers(0, len(labels), (n_resamples, len(labels)))
    boot = [f1(candidate[r], labels[r]) - f1(baseline[r], labels[r]) for r in resample]
    swap = rng.random((n_resamples, len(labels))) < 0.5
    permuted = np.array(
        [f1(np.where(s, baseline, candidate), labels) - f1(np.where(s, candidate, baseline), labels) for s in swap]
    )
    p_value = (1 + np.sum(np.abs(permuted) >= abs(delta) - 1e-12)) / (1 + n_resamples)
    low, high = np.percentile(boot, [2.5, 97.5])
    return float(delta), float(low), float(high), float(p_value)


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


@pytest.mark.parametrize("n, n_classes, seed", [(60, 3, 0), (257, 8, 1), (500, 28, 2)])
def test_paired_comparison_equals_its_definition_bit_for_bit(n, n_classes, seed):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, n_classes, n)
    baseline = np.where(rng.random(n) < 0.5, labels, rng.integers(0, n_classes, n))
    candidate = np.where(rng.random(n) < 0.55, labels, rng.integers(0, n_classes, n))
    fast = paired_comparison(labels, baseline, candidate, n_classes=n_classes, n_resamples=120, seed=seed)
    assert (fast.delta, fast.ci_low, fast.ci_high, fast.p_value) == _plain_paired_comparison(
        labels, baseline, candidate, n_classes, 120, seed
    )


def test_the_binomial_p_is_scipys_exact_test_one_sided_by_default_and_one_without_trials():
    from scipy import stats

    from lle.claims.statistics import binomial_p

    assert binomial_p(9, 12, 0.5) == pytest.approx(stats.binomtest(9, 12, 0.5, alternative="greater").pvalue)
    assert binomial_p(9, 12, 0.5, "less") == pytest.approx(stats.binomtest(9, 12, 0.5, alternative="less").pvalue)
    assert binomial_p(9, 12, 0.5, "two-sided") == pytest.approx(stats.binomtest(9, 12, 0.5).pvalue)
    assert binomial_p(0, 0, 0.5) == 1.0 and binomial_p(9, 12, 0.5) < binomial_p(6, 12, 0.5)


@pytest.mark.parametrize(
    "ci_low, ci_high, p_adjusted, expected",
    [
        (0.01, 0.05, 0.05, "unclear (CI and test disagree)"),  # p exactly at the level is not significant
        (0.0, 0.05, 0.01, "unclear (CI and test disagree)"),  # significant, but the CI touches 0
        (-0.05, 0.0, 0.01, "unclear (CI and test disagree)"),
        (0.0, 0.05, 0.5, "no significant difference"),  # a CI touching 0 from either side still holds 0
        (-0.05, 0.0, 0.5, "no significant difference"),
    ],
)
def test_pair_decisions_at_their_boundaries(ci_low, ci_high, p_adjusted, expected):
    assert pair_decision(ci_low, ci_high, p_adjusted) == expected


def _systems(n=60, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, classes, n)
    baseline = np.where(rng.random(n) < 0.6, labels, rng.integers(0, classes, n))
    candidate = np.where(rng.random(n) < 0.7, labels, rng.integers(0, classes, n))
    return labels, baseline, candidate


def test_a_paired_comparison_defaults_to_2000_resamples_and_seed_0():
    labels, baseline, candidate = _systems()
    default = paired_comparison(labels, baseline, candidate, n_classes=3)
    assert default == paired_comparison(labels, baseline, candidate, n_classes=3, n_resamples=2000, seed=0)
    assert default != paired_comparison(labels, baseline, candidate, n_classes=3, n_resamples=2000, seed=1)
    assert paired_comparison(labels, baseline, candidate, n_classes=3, n_resamples=1).p_value in (0.5, 1.0)


@pytest.mark.parametrize("bad", [0, -3, True, 2.5, "100"])
def test_a_paired_comparison_refuses_a_resample_count_that_is_not_a_whole_number_from_1(bad):
    labels, baseline, candidate = _systems()
    with pytest.raises(
        ValueError,
        match=r"^n_resamples must be a whole number >= 1, got .*; e\.g\. n_resamples=2000 "
        r"\(below 1000 the p-values are coarse\)$",
    ):
        paired_comparison(labels, baseline, candidate, n_classes=3, n_resamples=bad)


def test_a_paired_comparison_names_the_argument_that_is_off_and_counts_classes_it_is_told():
    labels, baseline, candidate = _systems()
    for name, arrays in (
        ("labels", (labels + 5, baseline, candidate)),
        ("baseline", (labels, baseline + 5, candidate)),
        ("candidate", (labels, baseline, candidate + 5)),
    ):
        with pytest.raises(ValueError, match=rf"^{name} contain class"):
            paired_comparison(*arrays, n_classes=3, n_resamples=10)
    with pytest.raises(
        ValueError,
        match=r"^labels \(60,\), baseline \(59,\) and candidate \(60,\) must have the "
        r"same shape: one prediction per sample from each system$",
    ):
        paired_comparison(labels, baseline[:-1], candidate, n_classes=3, n_resamples=10)
    with pytest.raises(ValueError, match="must have the same shape"):  # one shape, but not one prediction per sample
        paired_comparison(labels.reshape(6, 10), baseline.reshape(6, 10), candidate.reshape(6, 10), n_classes=3)
    # a class absent from labels and predictions is skipped by the macro average, as scikit-learn does
    wide = paired_comparison(labels, baseline, candidate, n_classes=4, n_resamples=10)
    assert wide.delta == pytest.approx(paired_comparison(labels, baseline, candidate, n_classes=3).delta)


def test_a_tie_with_the_observed_difference_counts_in_the_permutation_p():
    labels = np.array([0, 1, 0, 1])
    same = paired_comparison(labels, labels, labels, n_classes=2, n_resamples=50)
    assert same.delta == 0.0 and same.p_value == 1.0  # every permuted difference ties the observed 0
