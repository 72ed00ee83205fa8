"""Linear Layer Extrapolation (LLE): contrastive early-exit classification as linear extrapolation across layers.

The layers of the package, bottom to top:

* the math, here at the top level and needing numpy only: :mod:`lle.core`, :mod:`lle.grid`, :mod:`lle.config`,
  :mod:`lle.conventions`, :mod:`lle.metrics` (input checks in :mod:`lle._validate`); low-level helpers
  :mod:`lle.paths` and :mod:`lle.integrity`;
* :mod:`lle.data`: the paper's datasets and preprocessing;
* :mod:`lle.models`: architectures, model resolution, per-layer readout, training (torch);
* :mod:`lle.store`: storing results — score files and run folders, stored grids, the time ledger, and the writers of
  tables, figures and generated page blocks;
* :mod:`lle.runs`: computing runs — the paper's runs and their pipeline, training seeds, verifying a cached run;
* :mod:`lle.claims`: deciding claims — statistics, validation selection, soundness, the one decision rule, the
  registry;
* :mod:`lle.study`: LLE's own study — the analyses, figures and prose behind each table and figure of the paper;
* :mod:`lle.publish`: the report's inputs and executing the notebooks;
* :mod:`lle.context`: the comparisons that put LLE in context.
"""

from lle.config import Config
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
    "Config",
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
