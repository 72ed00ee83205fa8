"""Sparsify-then-Classify (Liu, Jiao & Anderson): layer-wise L1 probes, neuron selection by a weight-mass fraction η,
and aggregation of the kept neurons of layers 0..l into one refitted probe — on features from
:mod:`lle.context.stc.feature_cache` (numpy arrays; scikit-learn estimators).

* **Probe**: standardize (fit on train), then an L1-regularized logistic regression, one-vs-rest (liblinear),
  seeded. Every fit starts from a fresh :func:`sklearn.base.clone` of the template: no estimator is warm-started,
  reused or aliased between fits.
* **Per layer**: the regularization strength C (and the iteration budget) is chosen on validation macro-F1.
* **Sparsify**: a neuron's importance is its squared probe weight summed over classes; the kept neurons are the
  shortest prefix of the importance ranking whose mass reaches η of the layer's total (:func:`select_neurons`).
* **Aggregate**: the kept neurons of every layer ≤ l are concatenated and a probe is refitted (C on validation).
* **Choose** (representation, pooling, η, l) on validation macro-F1; test is only reported. Ties (within 1e-12)
  go to fewer features, then the shallower l, then the smaller η, then the grid order of representation and
  pooling (:func:`choose`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from lle.method.metrics import classification_metrics
from lle.progress import tqdm

ETAS = (0.001, 0.01, 0.05, 0.1, 0.2, 0.5)
TIE = 1e-12


@dataclass(frozen=True)
class ProbeGrid:
    """What is searched on validation. ``max_iters`` is liblinear's iteration budget; ``layer_stride`` > 1 probes
    every stride-th layer (always the last one too), a budget cut for deep models that the results record."""

    cs: tuple = (0.01, 0.1, 1.0)
    max_iters: tuple = (100,)
    etas: tuple = ETAS
    seed: int = 0
    layer_stride: int = 1

    def __post_init__(self):
        for name in ("cs", "max_iters", "etas"):
            values = getattr(self, name)
            if not values or any(not np.isfinite(v) or v <= 0 for v in values):
                raise ValueError(f"ProbeGrid.{name} must be a non-empty tuple of positive numbers, got {values!r}")
        if any(eta > 1 for eta in self.etas):
            raise ValueError(f"ProbeGrid.etas are fractions of the weight mass, in (0, 1]; got {self.etas!r}")
        if not isinstance(self.layer_stride, int) or self.layer_stride < 1:
            raise ValueError(f"ProbeGrid.layer_stride must be a positive int, got {self.layer_stride!r}")

    def probed(self, layers: range) -> list[int]:
        """The layers probed: every ``layer_stride``-th from the first, and the last."""
        chosen = list(layers[:: self.layer_stride])
        return chosen if chosen[-1] == layers[-1] else chosen + [layers[-1]]

    def settings(self) -> list[tuple[float, int]]:
        return [(c, it) for c in self.cs for it in self.max_iters]


PENALTIES = {"l1": 1.0, "l2": 0.0}  # STC's sparse probe, and plain (ridge-penalized) logistic regression


def probe_template(c: float, max_iter: int, seed: int, penalty: str = "l1"):
    """An unfitted probe: standardize, then logistic regression one-vs-rest, L1 (STC's probe) or L2 (plain logistic
    regression, scikit-learn's default penalty; everything else the same). Always clone before fitting."""
    if penalty not in PENALTIES:
        raise ValueError(f"penalty must be one of {sorted(PENALTIES)}, got {penalty!r}")
    model = LogisticRegression(
        l1_ratio=PENALTIES[penalty], C=c, solver="liblinear", max_iter=max_iter, tol=1e-4, random_state=seed
    )
    return make_pipeline(StandardScaler(), OneVsRestClassifier(model))


def probe_weights(probe) -> np.ndarray:
    """(n_fitted_classes, n_features) weights of a fitted probe, on the standardized features."""
    return np.vstack([estimator.coef_ for estimator in probe[-1].estimators_])


def neuron_importance(weights: np.ndarray) -> np.ndarray:
    """Squared weight of each feature summed over classes (weights: (n_classes, n_features) or (n_features,))."""
    weights = np.atleast_2d(np.asarray(weights, dtype=np.float64))
    return np.square(weights).sum(axis=0)


def select_neurons(importance: np.ndarray, eta: float) -> np.ndarray:
    """Indices of the most important features whose importance first reaches ``eta`` of the total, most important
    first (ties in importance keep the lower index first). A probe with all-zero weights keeps nothing."""
    if not 0 < eta <= 1:
        raise ValueError(f"eta must lie in (0, 1], got {eta!r}")
    importance = np.asarray(importance, dtype=np.float64)
    if np.any(importance < 0) or not np.all(np.isfinite(importance)):
        raise ValueError("importance must be finite and non-negative (squared weights)")
    total = importance.sum()
    if total == 0:
        return np.empty(0, dtype=np.int64)
    order = np.argsort(-importance, kind="stable")
    reached = np.cumsum(importance[order]) >= eta * total * (1 - 1e-12)  # float slack: η = 1 keeps all nonzero
    return order[: int(np.argmax(reached)) + 1]


def aggregate_columns(kept: dict, upto: int) -> list[tuple[int, np.ndarray]]:
    """(layer, kept feature indices) for every layer ≤ ``upto`` that kept something, in layer order."""
    return [(layer, np.asarray(kept[layer])) for layer in sorted(kept) if layer <= upto and len(kept[layer])]


def aggregate(features: np.ndarray, columns: list, first_layer: int = 0) -> np.ndarray:
    """Concatenate features[:, layer − first_layer, indices] over ``columns`` ((n, n_layers, width) features)."""
    if not columns:
        return np.empty((len(features), 0), dtype=features.dtype)
    return np.concatenate([features[:, layer - first_layer, indices] for layer, indices in columns], axis=1)


@dataclass
class FitResult:
    setting: tuple
    validation: dict
    test: dict
    n_parameters: int
    seconds: float
    weights: np.ndarray = field(repr=False)
    test_predictions: np.ndarray = field(repr=False)


def fit_and_score(
    train: tuple, validation: tuple, test: tuple, n_classes: int, grid: ProbeGrid, *, penalty: str = "l1"
) -> FitResult:
    """Fit one probe per (C, iterations) of the grid on train; keep the best by validation macro-F1 (ties: the
    smaller C, then fewer iterations — the grid's order); score it on validation and test."""
    best, seconds = None, 0.0
    for c, max_iter in grid.settings():
        start = time.perf_counter()
        probe = clone(probe_template(c, max_iter, grid.seed, penalty)).fit(*train)
        seconds += time.perf_counter() - start
        validation_score = _metrics(probe.predict(validation[0]), validation[1], n_classes)
        if best is None or validation_score["macro_f1"] > best[1]["macro_f1"] + TIE:
            best = (probe, validation_score, (c, max_iter))
    probe, validation_score, setting = best
    test_predictions = probe.predict(test[0])  # only the validation-chosen probe ever sees test
    weights = probe_weights(probe)
    n_parameters = int(np.count_nonzero(weights)) + len(probe[-1].estimators_)  # nonzero weights + intercepts
    return FitResult(
        setting,
        validation_score,
        _metrics(test_predictions, test[1], n_classes),
        n_parameters,
        seconds,
        weights,
        test_predictions,
    )


def _metrics(predictions, labels, n_classes: int) -> dict:
    metrics = classification_metrics(predictions, labels, n_classes)
    return {"macro_f1": float(metrics["macro_f1"]), "accuracy": float(metrics["accuracy"])}


@dataclass
class FeatureSplits:
    """One (representation, pooling): (n, n_layers, width) features per split, labels, and the first layer's
    number (0 for hidden states, 1 for FFN activations)."""

    train: np.ndarray
    validation: np.ndarray
    test: np.ndarray
    labels: dict
    first_layer: int
    n_classes: int

    def at(self, layer: int, name: str) -> tuple:
        return getattr(self, name)[:, layer - self.first_layer], self.labels[name]

    def aggregated(self, columns, name: str) -> tuple:
        return aggregate(getattr(self, name), columns, self.first_layer), self.labels[name]

    @property
    def layers(self) -> range:
        return range(self.first_layer, self.first_layer + self.train.shape[1])


def layer_probes(
    splits: FeatureSplits, grid: ProbeGrid, *, progress: bool = True, desc: str = "layer probes", penalty: str = "l1"
):
    """A probe per layer: (table rows, {layer: neuron importance of its validation-chosen probe})."""
    rows, importance = [], {}
    for layer in tqdm(grid.probed(splits.layers), desc=desc, disable=not progress, leave=False):
        fit = fit_and_score(
            *(splits.at(layer, s) for s in ("train", "validation", "test")), splits.n_classes, grid, penalty=penalty
        )
        importance[layer] = neuron_importance(fit.weights)
        rows.append({"layer": layer, **_row(fit), "width": splits.train.shape[2]})
    return rows, importance


def aggregation_curve(
    splits: FeatureSplits, importance: dict, grid: ProbeGrid, *, progress: bool = True, desc: str = "aggregation"
) -> list[dict]:
    """For each η and each l: refit on the kept neurons of layers ≤ l (rows with n_features = 0 are skipped)."""
    rows = []
    for eta in tqdm(grid.etas, desc=desc, disable=not progress, leave=False):
        kept = {layer: select_neurons(weights, eta) for layer, weights in importance.items()}
        for upto in grid.probed(splits.layers):
            columns = aggregate_columns(kept, upto)
            n_features = sum(len(indices) for _, indices in columns)
            if n_features == 0:
                continue
            fit = fit_and_score(
                *(splits.aggregated(columns, s) for s in ("train", "validation", "test")), splits.n_classes, grid
            )
            rows.append({"eta": eta, "upto_layer": upto, "n_features": n_features, **_row(fit)})
    return rows


def _row(fit: FitResult) -> dict:
    """A table row; ``test_predictions`` rides along for the stage to keep only those of the chosen probes."""
    return {
        "C": fit.setting[0],
        "max_iter": fit.setting[1],
        "test_predictions": fit.test_predictions.tolist(),
        "validation_macro_f1": fit.validation["macro_f1"],
        "validation_accuracy": fit.validation["accuracy"],
        "test_macro_f1": fit.test["macro_f1"],
        "test_accuracy": fit.test["accuracy"],
        "n_parameters": fit.n_parameters,
        "fit_seconds": round(fit.seconds, 3),
    }


def choose(table: pd.DataFrame, *, size_column: str = "n_features", depth_column: str = "upto_layer") -> pd.Series:
    """The row with the best validation macro-F1; ties (within 1e-12) go to the smaller ``size_column``, then the
    shallower ``depth_column``, then the earlier row (the grid's order). Reads only validation columns to choose."""
    if table.empty:
        raise ValueError("nothing to choose from: the table is empty")
    best = table["validation_macro_f1"].max()
    tied = table[table["validation_macro_f1"] >= best - TIE]
    order = [c for c in (size_column, depth_column) if c in tied.columns]
    return tied.sort_values(order, kind="stable").iloc[0] if order else tied.iloc[0]
