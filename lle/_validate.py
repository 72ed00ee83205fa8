"""Input conversion and validation shared by the math core.

Everything public in :mod:`lle` accepts numpy arrays or torch tensors and works in
float64 numpy internally, so results do not depend on the caller's framework or dtype.
"""
from __future__ import annotations

from typing import Iterable

import numpy as np


def as_numpy(x, *, name: str) -> np.ndarray:
    """Convert a numpy array, torch tensor or nested sequence to a float64 array."""
    if hasattr(x, "detach"):  # torch tensor; duck-typed so the core never imports torch
        x = x.detach().cpu()
        if str(x.dtype) in ("torch.bfloat16", "torch.float16"):  # numpy has no bfloat16; keep float64 as is
            x = x.float()
        x = x.numpy()
    try:
        return np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name} must be a numeric array or tensor, got {type(x).__name__}") from err


def layer_scores_array(layer_scores) -> np.ndarray:
    """Validate scores shaped (n_samples, n_layers, n_classes)."""
    scores = as_numpy(layer_scores, name="layer_scores")
    if scores.ndim != 3:
        raise ValueError(
            "layer_scores must have shape (n_samples, n_layers, n_classes), "
            f"got shape {scores.shape}; add a sample axis with scores[None] for a single example"
        )
    n_samples, n_layers, n_classes = scores.shape
    if n_layers < 2:
        raise ValueError(f"need at least 2 layers (an amateur and a final layer), got {n_layers}")
    if n_classes < 2:
        raise ValueError(f"need at least 2 classes, got {n_classes}")
    require_finite(scores, name="layer_scores")
    return scores


def class_scores_array(scores, *, name: str) -> np.ndarray:
    """Validate scores shaped (n_samples, n_classes)."""
    array = as_numpy(scores, name=name)
    if array.ndim != 2:
        raise ValueError(f"{name} must have shape (n_samples, n_classes), got shape {array.shape}")
    require_finite(array, name=name)
    return array


def require_finite(array: np.ndarray, *, name: str) -> None:
    if not np.all(np.isfinite(array)):
        bad = int(np.size(array) - np.count_nonzero(np.isfinite(array)))
        raise ValueError(
            f"{name} contains {bad} non-finite values (nan/inf); pass logits or log-probabilities "
            "of a model that ran correctly (probabilities of exactly 0 give -inf: pass logits instead)"
        )


def resolve_final_layer(final_layer: int, n_layers: int) -> int:
    """Map final_layer (negative counts from the end, -1 = last) to a hidden-state index."""
    if not isinstance(final_layer, (int, np.integer)):
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
    values = np.asarray(alpha, dtype=np.float64)
    if not np.all((values > 0) & (values <= 1)):
        raise ValueError(f"alpha must lie in (0, 1], got {alpha}; alpha=1 keeps only the final layer's top class")
    return values
