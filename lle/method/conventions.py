"""How the contrastive strength is written in the papers this package connects.

All layer arguments are Hugging Face ``hidden_states`` indices (0 = embeddings, L = final block).
The LLE paper's code numbers blocks 0..L-1 instead (final = 23 for a 24-layer model): β is the
same in both conventions because a common shift of ℓ_a, ℓ_t and L cancels, but ℓ_t is one larger
here (the paper's ℓ_t = 24..49 is 25..50 here)::

    | convention                         | symbol  | in terms of LLE/O'Brien β  |
    |------------------------------------|---------|----------------------------|
    | LLE / O'Brien & Lewis              | β       | (1+β)·log p_L − β·log p_a  |
    | Li et al. contrastive decoding     | st_coef | β / (1+β)                  |
    | unified interpolation view         | β_u     | −β                         |
    | LLE target layer                   | ℓ_t     | L + β·(L − ℓ_a)            |
"""

from __future__ import annotations

import numpy as np

from lle.method._validate import as_numpy


def _as_float(x):
    return as_numpy(x, name="layer or strength")


def _check_layers(amateur, final, values, name):
    if not (np.all(np.isfinite(amateur)) and np.all(np.isfinite(final)) and np.all(np.isfinite(values))):
        raise ValueError(f"amateur_layer, final_layer and {name} must be finite numbers")
    if np.any(amateur >= final):
        raise ValueError("amateur_layer must be below final_layer (the amateur can never be the final layer)")


def dynamic_beta(*, amateur_layer, final_layer, target_layer, allow_interpolation: bool = False) -> np.ndarray:
    """β = (ℓ_t − L)/(L − ℓ_a): the slope that reads the amateur→final line at ℓ_t. Broadcasts.

    ℓ_t must lie above L (β > 0, extrapolation); ℓ_t ≤ L (β ≤ 0: standard, or interpolation towards the amateur)
    needs ``allow_interpolation=True``."""
    amateur, final, target = (_as_float(v) for v in (amateur_layer, final_layer, target_layer))
    _check_layers(amateur, final, target, "target_layer")
    if not allow_interpolation and np.any(target <= final):
        raise ValueError(
            "target_layer must lie above final_layer for extrapolation (target_layer = final_layer is "
            "standard classification, below it interpolates); pass allow_interpolation=True if you "
            "mean that"
        )
    return (target - final) / (final - amateur)


def target_layer(*, beta, amateur_layer, final_layer, allow_interpolation: bool = False) -> np.ndarray:
    """ℓ_t = L + β·(L − ℓ_a), the inverse of :func:`dynamic_beta`. Broadcasts; β ≤ 0 (ℓ_t ≤ L) needs
    ``allow_interpolation=True``."""
    beta, amateur, final = (_as_float(v) for v in (beta, amateur_layer, final_layer))
    _check_layers(amateur, final, beta, "beta")
    if not allow_interpolation and np.any(beta <= 0):
        raise ValueError(
            "beta must be > 0 for a target layer above the final layer (beta <= 0 means standard "
            "classification or interpolation); pass allow_interpolation=True if you mean that"
        )
    return final + beta * (final - amateur)


def st_coef_from_beta(beta) -> np.ndarray:
    """Li et al.'s coefficient of log p_a after dividing the score by (1+β): β/(1+β)."""
    beta = _as_float(beta)
    if np.any(beta == -1):
        raise ValueError("beta = -1 drops the final layer entirely and has no st_coef")
    return beta / (1.0 + beta)


def beta_from_st_coef(st_coef) -> np.ndarray:
    """β from the released code's ``st_coef`` (β = c / (1 − c)); ``st_coef = 1`` is a ValueError."""
    st_coef = _as_float(st_coef)
    if np.any(st_coef == 1):
        raise ValueError("st_coef = 1 corresponds to an infinite beta")
    return st_coef / (1.0 - st_coef)


def unified_beta_from_beta(beta) -> np.ndarray:
    """β_u of ``guided = (1−β_u)·head(h_L) + β_u·head(h_ℓ)``: β_u < 0 extrapolates (DoLa, CD, CFG),
    0 < β_u < 1 interpolates between the amateur and the final layer."""
    return -_as_float(beta)


def beta_from_unified_beta(unified_beta) -> np.ndarray:
    """β from the unified view's β_u (β = −β_u)."""
    return -_as_float(unified_beta)
