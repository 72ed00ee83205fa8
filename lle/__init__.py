"""Linear Layer Extrapolation (LLE): contrastive early-exit classification as linear extrapolation
across layers. The math lives in pure numpy (:mod:`lle.core`, :mod:`lle.grid`); model plumbing
(data, models, per-layer readout, training) lives in submodules that import torch lazily."""
from lle.conventions import (
    beta_from_st_coef,
    beta_from_unified_beta,
    dynamic_beta,
    st_coef_from_beta,
    target_layer,
    unified_beta_from_beta,
)
from lle.core import DISTANCES, classify, contrastive_scores, log_softmax, select_amateur
from lle.grid import earliest_candidate_sets, evaluate_grid, parse_layers
from lle.metrics import classification_metrics

__version__ = "0.1.0"

__all__ = [
    "DISTANCES",
    "beta_from_st_coef",
    "beta_from_unified_beta",
    "classification_metrics",
    "classify",
    "contrastive_scores",
    "dynamic_beta",
    "earliest_candidate_sets",
    "evaluate_grid",
    "log_softmax",
    "parse_layers",
    "select_amateur",
    "st_coef_from_beta",
    "target_layer",
    "unified_beta_from_beta",
]
