"""Significance, confidence intervals and multiplicity: the statistics behind every decision in the tables.

One decision per comparison, printed the same way everywhere (:func:`pair_decision`): a difference is called
"better" or "worse" only when the Holm-adjusted permutation p-value is below the level **and** the paired
bootstrap 95% CI excludes 0 on the same side; "no significant difference" when neither does; otherwise
"unclear (CI and test disagree)". A decision therefore never contradicts the CI printed beside it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from lle.method._validate import class_indices
from lle.method.metrics import classification_metrics, metrics_from_counts

LEVEL = 0.05


@dataclass(frozen=True)
class PairedComparison:
    delta: float
    ci_low: float
    ci_high: float
    p_value: float


def paired_comparison(
    labels, baseline, candidate, *, n_classes: int, n_resamples: int = 2000, seed: int = 0
) -> PairedComparison:
    """Macro-F1(candidate) − macro-F1(baseline): paired bootstrap 95% CI and a paired permutation test.

    The permutation test swaps the two systems' predictions per sample at random (the null: the systems are
    exchangeable); ``p = (1 + #{|Δ*| ≥ |Δ|}) / (1 + n_resamples)``.
    """
    if isinstance(n_resamples, bool) or not isinstance(n_resamples, (int, np.integer)) or n_resamples < 1:
        raise ValueError(
            f"n_resamples must be a whole number >= 1, got {n_resamples!r}; e.g. n_resamples=2000 (below "
            "1000 the p-values are coarse)"
        )
    labels, baseline, candidate = (
        class_indices(a, name=name, n_classes=n_classes)
        for a, name in ((labels, "labels"), (baseline, "baseline"), (candidate, "candidate"))
    )
    if not labels.shape == baseline.shape == candidate.shape or labels.ndim != 1:
        raise ValueError(
            f"labels {labels.shape}, baseline {baseline.shape} and candidate {candidate.shape} must "
            "have the same shape: one prediction per sample from each system"
        )
    rng = np.random.default_rng(seed)
    delta = float(_macro_f1(candidate, labels, n_classes) - _macro_f1(baseline, labels, n_classes))
    resample = rng.integers(0, len(labels), (n_resamples, len(labels)))
    # A resample is a count per sample; the per-class counts of every resample are then one matrix product each
    # (exact in float64), instead of gathering and counting n_resamples × n_samples predictions per system.
    weights = (
        np.bincount(
            (resample + (np.arange(n_resamples) * len(labels))[:, None]).ravel(), minlength=n_resamples * len(labels)
        )
        .reshape(n_resamples, len(labels))
        .astype(np.float64)
    )
    label_hot = _one_hot(labels, n_classes)
    systems = {
        name: _SystemCounts.of(predictions, labels, n_classes)
        for name, predictions in (("baseline", baseline), ("candidate", candidate))
    }
    actual = weights @ label_hot
    boot = systems["candidate"].resampled_macro_f1(weights, actual) - systems["baseline"].resampled_macro_f1(
        weights, actual
    )
    swap = (rng.random((n_resamples, len(labels))) < 0.5).astype(np.float64)
    actual = np.broadcast_to(label_hot.sum(axis=0), (n_resamples, n_classes))
    permuted = _swapped_macro_f1(swap, systems["baseline"], systems["candidate"], actual) - _swapped_macro_f1(
        swap, systems["candidate"], systems["baseline"], actual
    )
    p_value = (1 + np.sum(np.abs(permuted) >= abs(delta) - 1e-12)) / (1 + n_resamples)
    low, high = np.percentile(boot, [2.5, 97.5])
    return PairedComparison(delta, float(low), float(high), float(p_value))


def _one_hot(values: np.ndarray, n_classes: int) -> np.ndarray:
    return np.eye(n_classes)[values]


def _macro_f1(predictions, labels, n_classes: int):
    return classification_metrics(predictions, labels, n_classes)["macro_f1"]


@dataclass(frozen=True)
class _SystemCounts:
    """One system's predictions as per-sample one-hot rows (n_samples, n_classes): predicted classes, and the same
    rows kept only where the prediction is right. Weighted sums of these rows are a resample's per-class counts."""

    predicted: np.ndarray
    hits: np.ndarray

    @classmethod
    def of(cls, predictions, labels, n_classes: int) -> "_SystemCounts":
        predicted = _one_hot(predictions, n_classes)
        return cls(predicted, predicted * (predictions == labels)[:, None])

    def resampled_macro_f1(self, weights, actual) -> np.ndarray:
        """Macro-F1 on each weighted resample (weights: how often each sample is drawn)."""
        return metrics_from_counts(weights @ self.hits, weights @ self.predicted, actual, n_samples=weights.shape[1])[
            "macro_f1"
        ]


def _swapped_macro_f1(swap, first: _SystemCounts, second: _SystemCounts, actual) -> np.ndarray:
    """Macro-F1 of the system that predicts ``first`` where ``swap`` is 1 and ``second`` where it is 0, per row."""
    predicted = swap @ (first.predicted - second.predicted) + second.predicted.sum(axis=0)
    hits = swap @ (first.hits - second.hits) + second.hits.sum(axis=0)
    return metrics_from_counts(hits, predicted, actual, n_samples=swap.shape[1])["macro_f1"]


def holm(p_values) -> np.ndarray:
    """Holm's step-down adjustment (family-wise error control), in the input order."""
    p = np.asarray(p_values, dtype=np.float64)
    if p.size == 0:
        return p
    order = np.argsort(p, kind="stable")
    scaled = p[order] * (len(p) - np.arange(len(p)))
    adjusted = np.minimum(np.maximum.accumulate(scaled), 1.0)
    result = np.empty_like(p)
    result[order] = adjusted
    return result


BETTER, WORSE, NO_DIFFERENCE, UNCLEAR = "better", "worse", "no significant difference", "unclear (CI and test disagree)"


def pair_decision(ci_low: float, ci_high: float, p_adjusted: float, *, level: float = LEVEL) -> str:
    """The one decision printed for a difference (module docstring)."""
    significant = p_adjusted < level
    if significant and ci_low > 0:
        return BETTER
    if significant and ci_high < 0:
        return WORSE
    if not significant and ci_low <= 0 <= ci_high:
        return NO_DIFFERENCE
    return UNCLEAR


def binomial_p(successes: int, trials: int, null_rate: float, alternative: str = "greater") -> float:
    """Exact binomial test; 1.0 when there are no trials (nothing to test)."""
    if trials == 0:
        return 1.0
    return float(stats.binomtest(int(successes), int(trials), null_rate, alternative=alternative).pvalue)
