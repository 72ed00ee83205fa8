"""Classification metrics for many prediction vectors at once, identical to scikit-learn's.

scikit-learn's macro averages run over the classes present in ``y_true`` or ``y_pred``; a class
without predictions scores precision 0 (and likewise recall), as with ``zero_division=0``.
"""

from __future__ import annotations

import numpy as np

from lle.method._validate import class_indices


def _counts(predictions: np.ndarray, labels: np.ndarray, n_classes: int):
    """True positives, predicted counts and true counts per (row, class), by one bincount each.

    ``labels`` is (n_samples,) shared by all rows, or (n_rows, n_samples) (bootstrap resamples)."""
    n_rows = predictions.shape[0]
    offsets = (np.arange(n_rows) * n_classes)[:, None]
    size = n_rows * n_classes
    labels = np.broadcast_to(labels, predictions.shape)
    predicted = np.bincount((predictions + offsets).ravel(), minlength=size).reshape(n_rows, n_classes)
    hits = np.where(predictions == labels, predictions + offsets, size)
    true_positive = np.bincount(hits.ravel(), minlength=size + 1)[:size].reshape(n_rows, n_classes)
    actual = np.bincount((labels + offsets).ravel(), minlength=size).reshape(n_rows, n_classes)
    return true_positive, predicted, actual


def _safe_ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    return np.divide(numerator, denominator, out=np.zeros(numerator.shape), where=denominator > 0)


def classification_metrics(predictions, labels, n_classes: int | None = None) -> dict[str, np.ndarray]:
    """Macro-F1, accuracy, macro-precision and macro-recall for each row of ``predictions``.

    ``predictions`` is (n_rows, n_samples) or (n_samples,); ``labels`` is (n_samples,) or one row of labels
    per prediction row. Returns arrays of shape (n_rows,) or scalars.
    """
    if n_classes is not None and (
        isinstance(n_classes, bool) or not isinstance(n_classes, (int, np.integer)) or n_classes < 1
    ):
        raise ValueError(f"n_classes must be a positive int, got {n_classes!r}")
    predictions = class_indices(predictions, name="predictions", n_classes=n_classes)
    labels = class_indices(labels, name="labels", n_classes=n_classes)
    single = predictions.ndim == 1
    if predictions.ndim > 2 or labels.ndim > 2:
        raise ValueError(
            f"predictions must be (n_samples,) or (n_rows, n_samples), got {predictions.shape}; "
            f"labels (n_samples,) or one row per prediction row, got {labels.shape}"
        )
    predictions = np.atleast_2d(predictions)
    if predictions.shape[1] != labels.shape[-1]:
        raise ValueError(
            f"predictions cover {predictions.shape[1]} samples but labels {labels.shape[-1]}; pass one label per sample"
        )
    if n_classes is None:
        n_classes = int(max(predictions.max(initial=0), labels.max(initial=0))) + 1
    return metrics_from_counts(*_counts(predictions, labels, n_classes), n_samples=labels.shape[-1], single=single)


def metrics_from_counts(
    true_positive, predicted, actual, *, n_samples: int, single: bool = False
) -> dict[str, np.ndarray]:
    """The metrics of :func:`classification_metrics` from per-(row, class) counts (n_rows, n_classes): true
    positives, predicted and true counts. Callers that get the counts faster (weighted bootstrap resamples) share
    the arithmetic, so the floats are identical."""
    present = (predicted + actual) > 0
    n_present = present.sum(axis=1)
    per_class = {
        "macro_precision": _safe_ratio(true_positive, predicted),
        "macro_recall": _safe_ratio(true_positive, actual),
        "macro_f1": _safe_ratio(2 * true_positive, predicted + actual),
    }
    result = {name: (values * present).sum(axis=1) / n_present for name, values in per_class.items()}
    result["accuracy"] = true_positive.sum(axis=1) / n_samples
    return {name: (values[0] if single else values) for name, values in result.items()}


def per_layer_metrics(log_probs, labels) -> dict[str, np.ndarray]:
    """Metrics of the early-exit prediction (argmax) at every layer of (n_samples, n_layers, n_classes) scores."""
    log_probs = np.asarray(log_probs)
    predictions = np.argmax(log_probs, axis=2).T  # (n_layers, n_samples)
    return classification_metrics(predictions, labels, log_probs.shape[2])


def per_class_metrics(predictions, labels, n_classes: int) -> dict[str, np.ndarray]:
    """Precision, recall and F1 of each class (0 where undefined, as with scikit-learn's ``zero_division=0``),
    with ``support`` (true count) and ``predicted`` (predicted count); one value per class."""
    predictions = np.atleast_2d(class_indices(predictions, name="predictions", n_classes=n_classes))
    if predictions.shape[0] != 1:
        raise ValueError("per_class_metrics takes one prediction vector (n_samples,)")
    labels = class_indices(labels, name="labels", n_classes=n_classes)
    if labels.shape != predictions.shape[1:]:
        raise ValueError(f"predictions cover {predictions.shape[1]} samples but labels {labels.shape}")
    true_positive, predicted, actual = _counts(predictions, labels, n_classes)
    return {
        "precision": _safe_ratio(true_positive, predicted)[0],
        "recall": _safe_ratio(true_positive, actual)[0],
        "f1": _safe_ratio(2 * true_positive, predicted + actual)[0],
        "support": actual[0],
        "predicted": predicted[0],
    }


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
