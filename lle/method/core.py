"""The math of Linear Layer Extrapolation: amateur selection, contrastive scores, classification.

Pure numpy, no model dependency. Scores are logits or log-probabilities shaped
``(n_samples, n_layers, n_classes)``; the layer axis uses Hugging Face ``hidden_states``
indices (0 = embeddings, last = final block). Every function first turns scores into
log-probabilities, so results are invariant to any per-(sample, layer) additive shift.
"""

from __future__ import annotations

from typing import Callable, Iterable

import numpy as np

from lle.method._validate import (
    as_numpy,
    candidate_layer_array,
    check_alpha,
    check_static_betas,
    check_target_layers,
    class_scores_array,
    layer_scores_array,
    resolve_final_layer,
    scalar_alpha,
)
from lle.method.config import Config
from lle.method.conventions import dynamic_beta

LN2 = float(np.log(2.0))


def log_softmax(scores: np.ndarray, axis: int = -1) -> np.ndarray:
    """Numerically stable log-softmax of ``scores`` along ``axis``."""
    shifted = scores - scores.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


# --- distances between the final layer's distribution and every layer's ---------------------
# Each takes log-probabilities, final shaped (..., 1, C) and layers (..., n_layers, C),
# and returns (..., n_layers).


def _kl_terms(logp: np.ndarray, logq: np.ndarray) -> np.ndarray:
    """sum_c p (log p - log q), with 0·log 0 = 0 (exp underflow, or a -inf score, gives p = 0 exactly)."""
    p = np.exp(logp)
    with np.errstate(invalid="ignore"):  # -inf - -inf where p = 0: replaced by 0 below
        return np.where(p > 0, p * (logp - logq), 0.0).sum(axis=-1)


def jensen_shannon(final_logp: np.ndarray, layer_logp: np.ndarray) -> np.ndarray:
    """JSD in nats, computed in log space: symmetric and within [0, ln 2]."""
    final_logp, layer_logp = np.broadcast_arrays(final_logp, layer_logp)
    log_mixture = np.logaddexp(final_logp, layer_logp) - LN2
    jsd = 0.5 * _kl_terms(final_logp, log_mixture) + 0.5 * _kl_terms(layer_logp, log_mixture)
    return np.clip(jsd, 0.0, LN2)  # clip only rounding error


def kullback_leibler(final_logp: np.ndarray, layer_logp: np.ndarray) -> np.ndarray:
    """KL(p_final || p_layer) in nats: how badly the layer explains the final prediction."""
    final_logp, layer_logp = np.broadcast_arrays(final_logp, layer_logp)
    return np.maximum(_kl_terms(final_logp, layer_logp), 0.0)


def total_variation(final_logp: np.ndarray, layer_logp: np.ndarray) -> np.ndarray:
    """Total-variation distance ``½·Σ|p_L − p_ℓ|`` between the final layer's and a layer's distributions."""
    return 0.5 * np.abs(np.exp(final_logp) - np.exp(layer_logp)).sum(axis=-1)


def _cosine(final_logp: np.ndarray, layer_logp: np.ndarray) -> np.ndarray:
    p, q = np.exp(final_logp), np.exp(layer_logp)
    return (p * q).sum(-1) / (np.linalg.norm(p, axis=-1) * np.linalg.norm(q, axis=-1))


def cosine_distance(final_logp: np.ndarray, layer_logp: np.ndarray) -> np.ndarray:
    """(1 − cos)/2 between probability vectors, in [0, 1]."""
    return (1.0 - _cosine(final_logp, layer_logp)) / 2.0


def released_cosine_distance(final_logp: np.ndarray, layer_logp: np.ndarray) -> np.ndarray:
    """``1 − cos/2``: what the authors' released code computes (``1 - cos / 2``, operator precedence) in a variable
    it calls ``js``. Both this and :func:`cosine_distance` decrease in cos, so they rank layers alike; this one is
    kept to reproduce the released protocol exactly."""
    return 1.0 - _cosine(final_logp, layer_logp) / 2.0


DISTANCES: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "jsd": jensen_shannon,
    "cosine": cosine_distance,
    "released_cosine": released_cosine_distance,
    "kl": kullback_leibler,
    "tv": total_variation,
}


def distance_function(distance: str) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """The distance called ``distance`` (a key of :data:`DISTANCES`); an unknown name is a ValueError."""
    try:
        return DISTANCES[distance]
    except (KeyError, TypeError):
        raise ValueError(f"unknown distance {distance!r}; choose one of {sorted(DISTANCES)}") from None


def distances_to_final(log_probs: np.ndarray, final_layer: int, distance: str = "jsd") -> np.ndarray:
    """Distance of every layer's distribution from the final layer's, shaped (n_samples, n_layers)."""
    measure = distance_function(distance)
    return measure(log_probs[:, final_layer : final_layer + 1], log_probs)


def amateur_from_distances(distances: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """Per-sample argmax over the candidate layers (lowest layer wins ties)."""
    return candidates[np.argmax(distances[:, candidates], axis=1)]


# --- public API --------------------------------------------------------------------------------


def select_amateur(
    layer_scores,
    *,
    candidate_layers: Iterable[int],
    final_layer: int = -1,
    distance: str = "jsd",
) -> np.ndarray:
    """Per sample, the candidate layer whose class distribution is farthest from the final layer's.

    Each sample is decided on its own: its choice never depends on the rest of the batch.
    Ties go to the lowest layer. Returns hidden-state layer indices (int64).
    """
    scores = layer_scores_array(layer_scores)
    final = resolve_final_layer(final_layer, scores.shape[1])
    candidates = candidate_layer_array(candidate_layers, final)
    return _select_amateur(log_softmax(scores), candidates, final, distance)


def _select_amateur(log_probs: np.ndarray, candidates: np.ndarray, final: int, distance: str) -> np.ndarray:
    measure = distance_function(distance)
    distances = measure(log_probs[:, final : final + 1], log_probs[:, candidates])  # only the candidates
    return candidates[np.argmax(distances, axis=1)].astype(np.int64)


def plausibility_gap(final_logp: np.ndarray) -> np.ndarray:
    """log p_L(c) − max log p_L: class c is plausible at α when this is ≥ log α."""
    return final_logp - final_logp.max(axis=-1, keepdims=True)


def plausible_mask(final_logp: np.ndarray, alpha) -> np.ndarray:
    """Classes with p_L(c) >= alpha * max p_L, tested in log space; alpha broadcasts on the left."""
    return plausibility_gap(final_logp) >= np.log(check_alpha(alpha))[..., None, None]


def contrastive_scores(final_scores, amateur_scores, *, beta, alpha) -> np.ndarray:
    """``(1+β)·log p_L − β·log p_a`` on the plausible set, ``-inf`` elsewhere.

    ``final_scores`` and ``amateur_scores`` are (n_samples, n_classes) logits or log-probabilities;
    ``beta`` is a scalar or one value per sample.
    """
    final = class_scores_array(final_scores, name="final_scores")
    amateur = class_scores_array(amateur_scores, name="amateur_scores")
    if final.shape != amateur.shape:
        raise ValueError(f"final_scores {final.shape} and amateur_scores {amateur.shape} must have the same shape")
    beta = _per_sample_beta(beta, final.shape[0])
    return _contrastive(log_softmax(final), log_softmax(amateur), beta[:, None], scalar_alpha(alpha))


def contrast(final_logp: np.ndarray, amateur_logp: np.ndarray, beta) -> np.ndarray:
    """``log p_L + β·(log p_L − log p_a)`` with 0·∞ = 0, so β = 0 is the final layer even where the amateur gives a
    class probability 0; a plausible class the amateur rules out scores +∞ for β > 0. :mod:`lle.method.grid` uses this
    same function, so its predictions match :func:`classify` bit for bit."""
    with np.errstate(invalid="ignore"):  # NaN only where log p_L = -inf: never plausible, masked by the caller
        shift = np.nan_to_num(beta * (final_logp - amateur_logp), nan=0.0, posinf=np.inf, neginf=-np.inf)
        return final_logp + shift


def _contrastive(final_logp: np.ndarray, amateur_logp: np.ndarray, beta, alpha) -> np.ndarray:
    """The score on log-probabilities; beta and alpha broadcast, alpha on the leftmost axes."""
    return np.where(plausible_mask(final_logp, alpha), contrast(final_logp, amateur_logp, beta), -np.inf)


def _per_sample_beta(beta, n_samples: int) -> np.ndarray:
    values = as_numpy(beta, name="beta")
    if values.ndim > 1 or (values.ndim == 1 and values.shape[0] != n_samples):
        raise ValueError(f"beta must be a scalar or have shape ({n_samples},), got shape {values.shape}")
    if not np.all(np.isfinite(values)):
        raise ValueError("beta must be finite; a dynamic beta is infinite only if the amateur is the final layer")
    return np.broadcast_to(values, (n_samples,))


def classify(
    layer_scores,
    config: Config | None = None,
    *,
    candidate_layers: Iterable[int] | None = None,
    alpha: float | None = None,
    beta=None,
    target_layer=None,
    final_layer: int = -1,
    distance: str | None = None,
    allow_interpolation: bool = False,
) -> np.ndarray:
    """Predicted class per sample.

    - neither ``beta`` nor ``target_layer``: standard classification (argmax of the final layer);
    - ``beta``: static contrastive classification with a per-sample amateur layer;
    - ``target_layer``: Linear Layer Extrapolation, the dynamic β that reads the line through
      (ℓ_a, log p_a) and (L, log p_L) at ℓ_t.

    ``config`` (a :class:`lle.Config`) gives all hyperparameters at once instead of the keywords; ``alpha``
    defaults to 0.1 and ``distance`` to ``"jsd"`` for the contrastive methods. ``target_layer`` must lie above the
    final layer unless ``allow_interpolation=True`` (ℓ_t = L is standard classification, below it interpolates).
    """
    if config is not None and not isinstance(config, Config):
        raise TypeError(
            f"config must be an lle.Config, got {type(config).__name__} {config!r}; build one, e.g. "
            "lle.Config('static', candidate_layers=range(16, 24), alpha=0.1, beta=0.5), or pass the "
            "hyperparameters as keywords (beta=..., target_layer=...)"
        )
    if config is not None:
        given = [
            name
            for name, value in (
                ("candidate_layers", candidate_layers),
                ("alpha", alpha),
                ("beta", beta),
                ("target_layer", target_layer),
                ("distance", distance),
            )
            if value is not None
        ]
        if given:
            raise TypeError(
                f"classify got both config and {', '.join(given)}; put every hyperparameter in the Config "
                "(dataclasses.replace(config, ...)) or pass keywords only"
            )
        return classify(
            layer_scores, final_layer=final_layer, allow_interpolation=allow_interpolation, **config.classify_kwargs()
        )
    if beta is not None and target_layer is not None:
        raise ValueError("give either beta (static contrastive) or target_layer (LLE, dynamic beta), not both")
    scores = layer_scores_array(layer_scores)
    final = resolve_final_layer(final_layer, scores.shape[1])
    log_probs = log_softmax(scores)
    if beta is None and target_layer is None:
        ignored = [
            name
            for name, value in (("candidate_layers", candidate_layers), ("alpha", alpha), ("distance", distance))
            if value is not None
        ]
        if ignored:
            raise ValueError(
                f"{', '.join(ignored)} only apply to contrastive classification; add beta=... (static) "
                "or target_layer=... (LLE), or drop them for standard classification"
            )
        return np.argmax(log_probs[:, final], axis=1)
    alpha = scalar_alpha(0.1 if alpha is None else alpha)
    candidates = candidate_layer_array(candidate_layers, final)
    if target_layer is not None:
        target_layer = check_target_layers(target_layer, final, allow_interpolation=allow_interpolation)
    amateur = _select_amateur(log_probs, candidates, final, distance or "jsd")
    if target_layer is not None:
        beta = dynamic_beta(
            amateur_layer=amateur, final_layer=final, target_layer=target_layer, allow_interpolation=True
        )  # checked above
    beta = _per_sample_beta(beta, scores.shape[0])
    if target_layer is None:
        check_static_betas(beta, allow_interpolation=allow_interpolation)
    rows = np.arange(scores.shape[0])
    contrastive = _contrastive(log_probs[:, final], log_probs[rows, amateur], beta[:, None], alpha)
    return np.argmax(contrastive, axis=1)
