"""Input conversion and validation shared by the math core.

Everything public in :mod:`lle` accepts numpy arrays or torch tensors and works in
float64 numpy internally, so results do not depend on the caller's framework or dtype.
"""

from __future__ import annotations

import warnings
from typing import Iterable

import numpy as np


def as_numpy(x, *, name: str) -> np.ndarray:
    """Convert a numpy array, torch tensor or nested sequence to a float64 array."""
    if hasattr(x, "detach"):  # torch tensor; duck-typed so the core never imports torch
        x = x.detach().cpu()
        if str(x.dtype) in ("torch.bfloat16", "torch.float16"):  # numpy has no bfloat16; keep float64 as is
            x = x.float()
        x = x.numpy()
    if isinstance(x, (bool, np.bool_)):
        raise TypeError(f"{name} must be a number, got {x!r} (a boolean); pass a number, e.g. 1.0")
    if isinstance(x, (str, bytes)):
        raise TypeError(f"{name} must be a numeric array or tensor, got the text {x!r}; pass numbers")
    try:
        array = np.asarray(x)
    except ValueError as err:
        if "inhomogeneous" in str(err) or "sequence" in str(err):
            raise ValueError(
                f"{name} is ragged: its rows have different lengths ({err}); pass one array with every "
                "sample, layer and class (pad nothing: every sample needs the same layers and "
                "classes)"
            ) from None
        raise TypeError(
            f"{name} must be a numeric array or tensor, got {type(x).__name__}; pass numbers, "
            "e.g. a numpy array of logits"
        ) from err
    if np.iscomplexobj(array):  # numpy would silently drop the imaginary part
        raise TypeError(f"{name} must be real-valued, got complex numbers; pass the real scores")
    if array.dtype == np.bool_:
        raise TypeError(f"{name} holds booleans; pass numbers (scores, layers or strengths)")
    try:
        return array.astype(np.float64)
    except (TypeError, ValueError) as err:
        raise TypeError(
            f"{name} must be a numeric array or tensor, got {type(x).__name__}; pass numbers, "
            "e.g. a numpy array of logits"
        ) from err


def layer_scores_array(layer_scores) -> np.ndarray:
    """Validate scores shaped (n_samples, n_layers, n_classes)."""
    scores = as_numpy(layer_scores, name="layer_scores")
    if scores.ndim != 3:
        raise ValueError(
            "layer_scores must have shape (n_samples, n_layers, n_classes), "
            f"got shape {scores.shape}; add a sample axis with scores[None] for a single example"
        )
    n_samples, n_layers, n_classes = scores.shape
    if n_samples == 0:
        raise ValueError("layer_scores has no samples (shape (0, ...)); pass at least one sample")
    if n_layers < 2:
        raise ValueError(
            f"layer_scores needs at least 2 layers on axis 1 (an amateur and a final layer), got "
            f"{n_layers}; pass every layer's scores, not only the final one"
        )
    if n_classes < 2:
        raise ValueError(f"layer_scores needs at least 2 classes on axis 2, got {n_classes}; pass one score per class")
    require_scores(scores, name="layer_scores")
    warn_if_probabilities(scores, name="layer_scores")
    return scores


def class_scores_array(scores, *, name: str) -> np.ndarray:
    """Validate scores shaped (n_samples, n_classes)."""
    array = as_numpy(scores, name=name)
    if array.ndim != 2:
        raise ValueError(f"{name} must have shape (n_samples, n_classes), got shape {array.shape}")
    if array.shape[0] == 0:
        raise ValueError(f"{name} has no samples; pass at least one row")
    require_scores(array, name=name)
    warn_if_probabilities(array, name=name)
    return array


class ProbabilityScoresWarning(UserWarning):
    """Scores that look like probabilities where logits or log-probabilities are expected."""


def warn_if_probabilities(array: np.ndarray, *, name: str) -> None:
    """Warn when every row lies in [0, 1] and sums to 1: probabilities, most likely, where logits or log-probabilities
    are expected, and contrasting them changes predictions. A warning, not an error: logits can (rarely) look so."""
    if array.size and np.all((array >= 0) & (array <= 1)) and np.allclose(array.sum(axis=-1), 1.0, atol=1e-4):
        warnings.warn(
            f"{name} look like probabilities (every row lies in [0, 1] and sums to 1); contrastive scores "
            "need logits or log-probabilities: pass np.log(probabilities)",
            ProbabilityScoresWarning,
            stacklevel=4,
        )


def require_scores(array: np.ndarray, *, name: str) -> None:
    """Logits or log-probabilities: finite, or -inf for a probability of exactly 0; never NaN or +inf, and never
    -inf for every class of a row (that is no distribution)."""
    nan, positive_inf = int(np.isnan(array).sum()), int(np.isposinf(array).sum())
    if nan or positive_inf:
        first = tuple(int(i) for i in np.argwhere(np.isnan(array) | np.isposinf(array))[0])
        where = (
            f"sample {first[0]}, layer {first[1]}, class {first[2]}"
            if len(first) == 3
            else "index " + ", ".join(map(str, first))
        )
        raise ValueError(
            f"{name} contains {nan} NaN and {positive_inf} +inf values (the first at {where}); pass "
            "logits or log-probabilities of a model that ran correctly (-inf, a probability of 0, is "
            "accepted)"
        )
    empty = np.isneginf(array).all(axis=-1)
    if empty.any():
        raise ValueError(
            f"{name} has {int(empty.sum())} row(s) where every class is -inf (every probability 0); "
            "each sample and layer needs at least one class with a finite score"
        )


def class_indices(values, *, name: str, n_classes: int | None = None, allow_empty: bool = False) -> np.ndarray:
    """Integer class indices (labels or predictions) as int64, checked: numeric, integral (never rounded),
    non-negative, below ``n_classes`` when given, and not empty (unless ``allow_empty``)."""
    array = np.asarray(values)
    if array.dtype == object or not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        raise TypeError(
            f"{name} must be integer class indices, got dtype {array.dtype}; map names to indices "
            "first (e.g. with a datasets ClassLabel)"
        )
    if array.size == 0:
        if allow_empty:
            return array.astype(np.int64)
        raise ValueError(f"{name} is empty; pass one class index per sample")
    if not np.issubdtype(array.dtype, np.integer) and array.dtype != bool:
        if not np.all(np.isfinite(array)):
            raise ValueError(f"{name} contain NaN or inf; pass one integer class index per sample")
        if np.any(array != np.round(array)):
            raise ValueError(
                f"{name} must be integer class indices, got non-integer values such as "
                f"{array[array != np.round(array)][:3].tolist()}; class indices are never rounded: "
                "pass integers"
            )
    array = array.astype(np.int64)
    if array.min() < 0:
        raise ValueError(f"{name} must be class indices >= 0, got {int(array.min())}; pass 0-based indices")
    if n_classes is not None and array.max() >= n_classes:
        raise ValueError(
            f"{name} contain class {int(array.max())}, but there are {n_classes} classes "
            f"(0..{n_classes - 1}); check the label mapping or pass the right n_classes"
        )
    return array


def resolve_final_layer(final_layer: int, n_layers: int) -> int:
    """Map final_layer (negative counts from the end, -1 = last) to a hidden-state index."""
    if isinstance(final_layer, bool) or not isinstance(final_layer, (int, np.integer)):
        raise TypeError(f"final_layer must be an int, got {type(final_layer).__name__}")
    resolved = int(final_layer) + n_layers if final_layer < 0 else int(final_layer)
    if not 0 < resolved < n_layers:
        raise ValueError(
            f"final_layer={final_layer} is outside the {n_layers} layers of layer_scores "
            "(valid: 1..n_layers-1, or -1 for the last)"
        )
    return resolved


def candidate_layer_array(candidate_layers: Iterable[int], final_layer: int) -> np.ndarray:
    """Sorted unique candidate layers, each a valid hidden-state index strictly below the final layer."""
    if candidate_layers is None:
        raise ValueError("candidate_layers is required for contrastive classification, e.g. range(16, 24)")
    layers = np.asarray(list(candidate_layers))
    if layers.size == 0:
        raise ValueError("candidate_layers is empty; give at least one layer below the final layer")
    if not np.issubdtype(layers.dtype, np.integer):
        raise TypeError(f"candidate_layers must be integers, got dtype {layers.dtype}")
    if layers.min() < 0 or layers.max() >= final_layer:
        raise ValueError(
            f"candidate layers must lie in 0..{final_layer - 1} (below the final layer {final_layer}); "
            f"got {layers.min()}..{layers.max()}. The amateur can never be the final layer."
        )
    return np.unique(layers)


def check_alpha(alpha) -> np.ndarray:
    """``alpha`` as an array, every value in (0, 1]; an empty or out-of-range value is a ValueError."""
    values = as_numpy(alpha, name="alpha")
    if values.size == 0:
        raise ValueError("alpha is empty; give at least one value in (0, 1], e.g. 0.1")
    if not np.all((values > 0) & (values <= 1)):
        raise ValueError(f"alpha must lie in (0, 1], got {alpha}; alpha=1 keeps only the final layer's top class")
    return values


def scalar_alpha(alpha) -> float:
    """``alpha`` as one float in (0, 1]; several values are a ValueError pointing to lle.evaluate_grid."""
    values = check_alpha(alpha)
    if values.ndim != 0:
        raise ValueError(
            f"alpha must be one number here, got shape {values.shape}; to score several alphas use "
            "lle.evaluate_grid(..., alphas=[...])"
        )
    return float(values)


def check_static_betas(beta, *, allow_interpolation: bool, name: str = "beta") -> None:
    """A static β below 0 interpolates towards the amateur (β = −1 ranks by the amateur alone): like a target layer
    at or below the final one, it is legitimate only when asked for."""
    values = np.asarray(beta, dtype=float)
    if not allow_interpolation and np.any(values < 0):
        raise ValueError(
            f"{name} must be >= 0 to contrast the final layer with the amateur, got "
            f"{values[values < 0].tolist()[:5]}: beta < 0 interpolates towards the amateur (beta = -1 "
            "ranks by the amateur alone). Pass allow_interpolation=True if you mean that (the released "
            "code's grid includes beta = -0.25)"
        )


def list_of_numbers(values, *, name: str, example: str) -> np.ndarray:
    """``values`` as a 1-D array of numbers; a lone number is refused with the list to write instead."""
    if np.ndim(values) == 0 and not isinstance(values, (str, bytes)):
        raise TypeError(f"{name} must be a list of numbers, got the single value {values!r}; write {name}=[{values!r}]")
    array = as_numpy(values, name=name)
    if array.ndim != 1:
        raise ValueError(f"{name} must be a flat list of numbers, got shape {array.shape}; e.g. {name}={example}")
    return array


def check_target_layers(target, final_layer: int, *, allow_interpolation: bool) -> np.ndarray:
    """Target layers for LLE: finite and above the final layer, unless interpolation is asked for explicitly."""
    values = as_numpy(target, name="target_layer")
    if not np.all(np.isfinite(values)):
        raise ValueError(f"target_layer must be finite, got {target}")
    if not allow_interpolation and np.any(values <= final_layer):
        raise ValueError(
            f"target_layer must lie above the final layer {final_layer} to extrapolate, got "
            f"{np.unique(values[values <= final_layer])[:5].tolist()}: target_layer = {final_layer} is standard "
            "classification and a lower one interpolates towards the amateur. Pass allow_interpolation=True if "
            "you mean that (see the unified view in notebook 00)"
        )
    return values
