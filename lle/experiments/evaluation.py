"""Honest evaluation of standard, static-β and dynamic-β (LLE) classification on cached layer scores.

Two protocols, kept apart:

* ``validation``: hyperparameters (α, β or ℓ_t, candidate layers) chosen on the validation split, scored once on
  test — the headline;
* ``test``: the best test score over the same grid — what the released code reports (test-tuned, optimistic).

Differences to standard classification come with a paired bootstrap 95% confidence interval and a paired
permutation test on macro-F1.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

import lle
from lle.grid import earliest_candidate_sets, evaluate_grid, parse_layers
from lle.metrics import classification_metrics

ALPHAS = tuple(np.round(np.arange(1, 11) / 10, 1))
STATIC_BETAS = (-0.25, 0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)  # the released code's grid


def target_layers_for(final_layer: int) -> np.ndarray:
    """ℓ_t from L+1 to 2L+2: the released code's 24..49 for L = 23 (blocks), i.e. 25..50 in hidden-state indices."""
    return np.arange(final_layer + 1, 2 * final_layer + 3)


def paper_grid(n_layers: int) -> dict:
    """The grid of the released code, scaled to a model with ``n_layers`` hidden states (L = n_layers - 1)."""
    final = n_layers - 1
    return {
        "alphas": ALPHAS,
        "betas": STATIC_BETAS,
        "target_layers": target_layers_for(final),
        "candidate_sets": earliest_candidate_sets(range(0, final), final),
    }


def predictions_for(row, log_probs: np.ndarray) -> np.ndarray:
    """Recompute a grid row's predictions with :func:`lle.classify` (so any table row can be checked)."""
    if row["method"] == "standard":
        return lle.classify(log_probs)
    hyper = {"beta": row["beta"]} if row["method"] == "static" else {"target_layer": row["target_layer"]}
    return lle.classify(log_probs, candidate_layers=parse_layers(row["candidate_layers"]), alpha=row["alpha"],
                        distance=row["distance"], **hyper)


def best_row(table: pd.DataFrame, method: str) -> pd.Series:
    """Highest macro-F1 of a method; ties go to the first row (smallest earliest layer, α, then β/ℓ_t)."""
    rows = table[table["method"] == method]
    return rows.loc[rows["macro_f1"].idxmax()]


@dataclass(frozen=True)
class PairedComparison:
    delta: float
    ci_low: float
    ci_high: float
    p_value: float


def paired_comparison(labels, baseline, candidate, *, n_classes: int, n_resamples: int = 2000,
                      seed: int = 0) -> PairedComparison:
    """Macro-F1(candidate) − macro-F1(baseline): paired bootstrap 95% CI and a paired permutation test.

    The permutation test swaps the two systems' predictions per sample at random (the null: the systems are
    exchangeable); p = (1 + #{|Δ*| ≥ |Δ|}) / (1 + n_resamples).
    """
    labels, baseline, candidate = (np.asarray(a, dtype=np.int64) for a in (labels, baseline, candidate))
    rng = np.random.default_rng(seed)

    def macro_f1(predictions, truth):
        return classification_metrics(predictions, truth, n_classes)["macro_f1"]

    delta = float(macro_f1(candidate, labels) - macro_f1(baseline, labels))
    resample = rng.integers(0, len(labels), (n_resamples, len(labels)))
    boot = macro_f1(candidate[resample], labels[resample]) - macro_f1(baseline[resample], labels[resample])
    swap = rng.random((n_resamples, len(labels))) < 0.5
    permuted = (macro_f1(np.where(swap, baseline, candidate), labels)
                - macro_f1(np.where(swap, candidate, baseline), labels))
    p_value = (1 + np.sum(np.abs(permuted) >= abs(delta) - 1e-12)) / (1 + n_resamples)
    low, high = np.percentile(boot, [2.5, 97.5])
    return PairedComparison(delta, float(low), float(high), float(p_value))


def supertweeteval_hate_score(labels, predictions, *, not_hate: int = 7) -> float:
    """SuperTweetEval tweet_hate: (macro-F1 of hate vs not_hate + micro-F1 over the 7 hate classes) / 2."""
    labels, predictions = np.asarray(labels), np.asarray(predictions)
    binary = classification_metrics((predictions != not_hate).astype(int), (labels != not_hate).astype(int), 2)
    hate_classes = np.arange(not_hate)
    true_positive = np.sum((predictions == labels) & np.isin(labels, hate_classes))
    predicted = np.sum(np.isin(predictions, hate_classes))
    actual = np.sum(np.isin(labels, hate_classes))
    micro = 2 * true_positive / (predicted + actual) if predicted + actual else 0.0
    return float((binary["macro_f1"] + micro) / 2)


HYPERPARAMETERS = ["alpha", "beta", "target_layer", "candidate_layers", "distance"]


def table1_rows(model: str, dataset: str, validation, test, *, distance: str = "jsd", n_resamples: int = 2000,
                seed: int = 0) -> list[dict]:
    """Standard, static and dynamic under both protocols, for one cached (model, dataset)."""
    grid = paper_grid(validation.log_probs.shape[1])
    n_classes = validation.log_probs.shape[2]
    tables = {split: evaluate_grid(scores.log_probs, scores.labels, distance=distance, **grid)
              for split, scores in (("validation", validation), ("test", test))}
    standard = predictions_for({"method": "standard"}, test.log_probs)
    rows = []
    for method in ("standard", "static", "dynamic"):
        for protocol in ("validation", "test"):
            chosen = best_row(tables[protocol], method)
            predicted = predictions_for(chosen, test.log_probs)
            comparison = paired_comparison(test.labels, standard, predicted, n_classes=n_classes,
                                           n_resamples=n_resamples, seed=seed)
            row = {"model": model, "dataset": dataset, "method": method, "protocol": protocol,
                   "macro_f1": float(classification_metrics(predicted, test.labels, n_classes)["macro_f1"])}
            if method != "standard":
                row.update(delta_vs_standard=comparison.delta, ci_low=comparison.ci_low, ci_high=comparison.ci_high,
                           p_value=comparison.p_value, **{k: chosen[k] for k in HYPERPARAMETERS})
            if dataset == "tweet_hate":
                row["supertweeteval_score"] = supertweeteval_hate_score(test.labels, predicted)
            rows.append(row)
    return rows


def cached_pairs(*, runs=None, datasets=None, scores_dir=None):
    """(run, dataset, validation scores, test scores) for every cached run having both splits."""
    from lle.experiments.cache import cached_runs, load_layer_scores, score_path

    found = {(slug, dataset) for slug, dataset, _ in cached_runs(scores_dir)}
    for slug, dataset in sorted(found):
        if (runs is not None and slug not in runs) or (datasets is not None and dataset not in datasets):
            continue
        paths = {split: score_path(slug, dataset, split, scores_dir) for split in ("validation", "test")}
        if all(path.is_file() for path in paths.values()):
            yield (slug, dataset, *(load_layer_scores(paths[s], run=slug, dataset=dataset, split=s)
                                    for s in ("validation", "test")))
