"""Score a whole hyperparameter grid in one vectorized pass.

Log-probabilities and layer distances are computed once; per candidate set the amateur is chosen
once; all (α, β) or (α, ℓ_t) pairs are then scored as stacked arrays. Predictions are bit-identical
to calling :func:`lle.classify` once per configuration (tested), only much faster.
"""

from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np

from lle.method._validate import (
    candidate_layer_array,
    check_alpha,
    check_static_betas,
    check_target_layers,
    class_indices,
    layer_scores_array,
    list_of_numbers,
    resolve_final_layer,
)
from lle.method.config import describe_layers, parse_layers  # noqa: F401 (parse_layers: public API)
from lle.method.conventions import dynamic_beta
from lle.method.core import amateur_from_distances, contrast, distances_to_final, log_softmax, plausibility_gap
from lle.method.metrics import classification_metrics

METRIC_COLUMNS = ["macro_f1", "accuracy", "macro_precision", "macro_recall"]


def earliest_candidate_sets(first_layers: Iterable[int], final_layer: int) -> list[range]:
    """Candidate sets ``first..final-1``, one per earliest candidate layer k (the paper's n_blocks)."""
    return [range(int(k), int(final_layer)) for k in first_layers]


def _argmax_per_alpha(final_logp, amateur_logp, betas, alphas) -> np.ndarray:
    """Predictions shaped (n_alpha, n_beta, n_samples); betas are (n_beta, 1) or (n_beta, n_samples).

    Exactly what :func:`lle.classify` computes, only cheaper: a class implausible at the smallest α is
    implausible at every α, so scores are computed once, on the classes plausible at the smallest α, gathered in
    ascending class order (argmax ties still go to the lowest class index).
    """
    gap = plausibility_gap(final_logp)
    widest = gap >= np.log(np.min(alphas))
    width = int(widest.sum(axis=1).max())
    order = np.argsort(~widest, axis=1, kind="stable")[:, :width]  # plausible classes first, ascending
    gathered = [np.take_along_axis(a, order, axis=1) for a in (final_logp, amateur_logp, gap, widest)]
    final, amateur, gap, valid = gathered
    scores = contrast(final, amateur, betas[..., None])  # the same arithmetic as lle.classify
    rows = np.arange(final.shape[0])[None, :]
    return np.stack(
        [order[rows, np.argmax(np.where(valid & (gap >= np.log(alpha)), scores, -np.inf), axis=-1)] for alpha in alphas]
    )


def evaluate_grid(
    layer_scores,
    labels,
    *,
    candidate_sets: Sequence[Iterable[int]],
    alphas: Sequence[float] = (0.1,),
    betas: Sequence[float] | None = None,
    target_layers: Sequence[float] | None = None,
    final_layer: int = -1,
    distance: str = "jsd",
    progress: bool = False,
    as_frame: bool = True,
    allow_interpolation: bool = False,
):
    """Metrics for standard classification and every (candidate set, α, β) and (candidate set, α, ℓ_t).

    Returns a tidy pandas table (or, with ``as_frame=False``, a dict of equal-length columns that needs numpy
    only), one row per configuration, with columns ``method`` (standard/static/dynamic), ``candidate_layers``
    ('first-last'), ``earliest_candidate``, ``alpha``, ``beta``, ``target_layer``, ``distance``, the metrics in
    :data:`METRIC_COLUMNS`, ``n_changed`` (predictions that differ from standard classification's) and
    ``amateur_histogram`` (how often each hidden-state layer 0..L-1 was chosen as amateur). Target layers must
    lie above the final layer, and betas be >= 0, unless ``allow_interpolation=True``.
    """
    scores = layer_scores_array(layer_scores)
    n_classes = scores.shape[2]
    labels = class_indices(labels, name="labels", n_classes=n_classes)
    if labels.shape != (scores.shape[0],):
        layer_major = labels.ndim == 1 and labels.shape[0] == scores.shape[1] != scores.shape[0]
        raise ValueError(
            f"labels must have shape ({scores.shape[0]},), one per sample of layer_scores, "
            f"got {labels.shape}"
            + (
                "; layer_scores look layer-major (n_layers, n_samples, n_classes): pass scores.transpose(1, 0, 2)"
                if layer_major
                else ""
            )
        )
    if betas is None and target_layers is None:
        raise ValueError("give betas (static contrastive), target_layers (LLE) or both")
    final = resolve_final_layer(final_layer, scores.shape[1])
    alphas = check_alpha(list_of_numbers(alphas, name="alphas", example="[0.1, 0.5, 1.0]"))
    _check_grid_values(betas, target_layers, candidate_sets, final, allow_interpolation)

    log_probs = log_softmax(scores)
    final_logp = log_probs[:, final]
    standard = np.argmax(final_logp, axis=1)
    distances = distances_to_final(log_probs, final, distance)
    rows = [_standard_row(standard, labels, n_classes)]
    for layers in _progress(candidate_sets, progress):
        candidates = candidate_layer_array(layers, final)
        amateur = amateur_from_distances(distances, candidates)
        amateur_logp = log_probs[np.arange(len(labels)), amateur]
        context = {
            "candidate_layers": describe_layers(candidates),
            "earliest_candidate": int(candidates[0]),
            "amateur_histogram": tuple(np.bincount(amateur, minlength=final).tolist()),
        }
        scored = _Scored(labels, standard, n_classes, alphas, context)
        if betas is not None:
            static = np.asarray(betas, dtype=np.float64)[:, None]
            predictions = _argmax_per_alpha(final_logp, amateur_logp, static, alphas)
            rows += scored.rows("static", predictions, static[:, 0], "beta")
        if target_layers is not None:
            targets = np.asarray(target_layers, dtype=np.float64)
            per_sample = dynamic_beta(
                amateur_layer=amateur[None, :],
                final_layer=final,
                target_layer=targets[:, None],
                allow_interpolation=True,
            )  # checked on entry
            predictions = _argmax_per_alpha(final_logp, amateur_logp, per_sample, alphas)
            rows += scored.rows("dynamic", predictions, targets, "target_layer")
    columns = {name: [row.get(name) for row in rows] for name in GRID_COLUMNS}
    columns["distance"] = [distance] * len(rows)
    if not as_frame:
        return columns
    try:
        import pandas as pd
    except ImportError:
        raise ImportError(
            "evaluate_grid returns a pandas table: pip install pandas (or lle[analysis]), "
            "or pass as_frame=False for plain columns"
        ) from None
    return pd.DataFrame(columns, columns=GRID_COLUMNS)


def _check_grid_values(betas, target_layers, candidate_sets, final: int, allow_interpolation: bool) -> None:
    if not hasattr(candidate_sets, "__len__") or isinstance(candidate_sets, (str, bytes)) or not len(candidate_sets):
        raise ValueError(
            f"candidate_sets must be a non-empty list of layer sets, got {candidate_sets!r}; e.g. "
            "candidate_sets=[range(16, 24)] or lle.earliest_candidate_sets(range(8, 24), final_layer=24)"
        )
    if any(np.ndim(layers) == 0 for layers in candidate_sets):
        raise TypeError(
            f"candidate_sets must be a list of layer sets, got a flat list of layers {list(candidate_sets)[:6]}"
            f"; for one set write candidate_sets=[{candidate_sets!r}]"
        )
    if betas is not None:
        values = list_of_numbers(betas, name="betas", example="[0.1, 0.5, 1.0]")
        if values.size == 0 or not np.all(np.isfinite(values)):
            raise ValueError(
                f"betas must be a non-empty list of finite numbers, got {betas}; leave it out (None) to score LLE only"
            )
        check_static_betas(values, allow_interpolation=allow_interpolation, name="betas")
    if target_layers is not None:
        if list_of_numbers(target_layers, name="target_layers", example="[25, 26, 27]").size == 0:
            raise ValueError("target_layers is empty; leave it out (None) to score static beta only")
        check_target_layers(target_layers, final, allow_interpolation=allow_interpolation)


GRID_COLUMNS = [
    "method",
    "candidate_layers",
    "earliest_candidate",
    "alpha",
    "beta",
    "target_layer",
    "distance",
    *METRIC_COLUMNS,
    "n_changed",
    "amateur_histogram",
]


def _progress(items, enabled: bool):
    if not enabled:
        return items
    from lle.progress import tqdm  # only the progress bar needs tqdm

    return tqdm(items, desc="candidate sets")


def _standard_row(standard: np.ndarray, labels: np.ndarray, n_classes: int) -> dict:
    metrics = classification_metrics(standard, labels, n_classes)
    return {"method": "standard", **{name: float(value) for name, value in metrics.items()}, "n_changed": 0}


class _Scored:
    """Turns stacked predictions of one candidate set into table rows."""

    def __init__(self, labels, standard, n_classes, alphas, context):
        self.labels, self.standard, self.n_classes, self.alphas, self.context = (
            labels,
            standard,
            n_classes,
            alphas,
            context,
        )

    def rows(self, method, predictions, values, value_name) -> list[dict]:
        n_samples = predictions.shape[-1]
        flat = predictions.reshape(-1, n_samples)
        metrics = classification_metrics(flat, self.labels, self.n_classes)
        changed = (flat != self.standard).sum(axis=1)
        alpha_grid, value_grid = np.meshgrid(self.alphas, values, indexing="ij")
        return [
            {
                "method": method,
                "alpha": float(alpha),
                value_name: float(value),
                **self.context,
                **{name: float(metrics[name][i]) for name in METRIC_COLUMNS},
                "n_changed": int(changed[i]),
            }
            for i, (alpha, value) in enumerate(zip(alpha_grid.ravel(), value_grid.ravel()))
        ]
