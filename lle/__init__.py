"""Linear Layer Extrapolation (LLE): contrastive early-exit classification as linear extrapolation across layers.

The layers of the package, bottom to top:

* low-level helpers at the top level: :mod:`lle.paths`, :mod:`lle.integrity`, :mod:`lle.progress`,
  :mod:`lle.network`;
* :mod:`lle.method`: the method, needing numpy only — the math (:mod:`lle.method.core`), the vectorized grid
  (:mod:`lle.method.grid`), configurations, conventions and metrics; its public names are re-exported here;
* :mod:`lle.data`: the paper's datasets and preprocessing;
* :mod:`lle.models`: architectures, model resolution, per-layer readout (torch);
* :mod:`lle.training`: the paper's recipes, the training loops, checkpoints, data-parallel launches;
* :mod:`lle.store`: storing results — score files and run folders, stored grids, the time ledger, and the writers of
  tables, figures and generated page blocks;
* :mod:`lle.runs`: computing runs — the paper's runs and their pipeline, training seeds, verifying a cached run;
* :mod:`lle.claims`: deciding claims — statistics, validation selection, soundness, the one decision rule, the
  registry;
* :mod:`lle.study`: LLE's own study — the analyses, figures and prose behind each table and figure of the paper;
* :mod:`lle.publish`: the report's inputs and executing the notebooks;
* :mod:`lle.context`: the comparisons that put LLE in context.
"""

from lle.method.config import Config
from lle.method.conventions import (
    beta_from_st_coef,
    beta_from_unified_beta,
    dynamic_beta,
    st_coef_from_beta,
    target_layer,
    unified_beta_from_beta,
)
from lle.method.core import DISTANCES, classify, contrastive_scores, log_softmax, select_amateur
from lle.method.grid import earliest_candidate_sets, evaluate_grid, parse_layers
from lle.method.metrics import classification_metrics

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
