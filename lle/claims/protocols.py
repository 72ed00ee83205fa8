"""The evaluation protocols: which grid is searched, with which amateur distance, and on which split it is tuned.

* ``validation``: α, β or ℓ_t and the earliest candidate layer chosen on the validation split, scored once on
  test. The headline of every table.
* ``test_tuned_jsd``: the best test score over the same grid (JSD amateur, layer 0 allowed): optimistic, kept
  only to show how much test-tuning inflates a score.
* ``validation_contrast``: ``validation`` with static β > 0 only, the paper's static claim as it states it
  (contrast against the amateur); kept beside Table 1's headline, which searches the released grid's β = −0.25 too.
* ``released``: exactly what the authors' released code computes: test-tuned, its distance ``1 − cos/2``, and
  candidate sets that never include the embeddings (its blocks are hidden-state layers 1..L). Their FLAN-T5
  notebook ranks configurations by macro *recall*, not F1; we rank by macro-F1 throughout and say so.

The grid is the released code's, scaled to a model's depth: α ∈ {0.1, …, 1.0}; β ∈ {−0.25, 0, 0.1, …, 1.0};
ℓ_t ∈ {L+1, …, 2L+2} (the paper's 24..49 for L = 23 blocks); candidate sets k..L−1 for every earliest layer k.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from lle.method.grid import earliest_candidate_sets

ALPHAS = tuple(float(a) for a in np.round(np.arange(1, 11) / 10, 1))
STATIC_BETAS = (-0.25, 0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)  # the released code's grid


def target_layers_for(final_layer: int) -> np.ndarray:
    """ℓ_t from L+1 to 2L+2: the released code's 24..49 for L = 23 (blocks), i.e. 25..50 in hidden-state indices."""
    return np.arange(final_layer + 1, 2 * final_layer + 3)


@dataclass(frozen=True)
class Protocol:
    name: str
    label: str  # how tables and figures name it
    distance: str
    first_candidate: int  # the lowest earliest-candidate layer k searched (0 = the embeddings may be the amateur)
    tuned_on: str  # the split whose macro-F1 picks the configuration
    methods: tuple = ("static", "dynamic")  # the methods a protocol selects
    contrast_only: bool = False  # static beta > 0 only: contrast, never the interpolation beta < 0 or standard (0)

    def searched(self, grid: pd.DataFrame) -> pd.DataFrame:
        """The rows of an evaluated grid this protocol may select (with ``contrast_only``, no static beta <= 0)."""
        if not self.contrast_only:
            return grid
        return grid[(grid["method"] != "static") | (grid["beta"] > 0)]

    def grid(self, n_layers: int) -> dict:
        """Keyword arguments of :func:`lle.evaluate_grid` for a model with ``n_layers`` hidden states."""
        final = n_layers - 1
        if not 0 <= self.first_candidate < final:
            raise ValueError(
                f"protocol {self.name!r} starts candidates at layer {self.first_candidate}, which a "
                f"model with {n_layers} hidden states does not have below its final layer"
            )
        return {
            "alphas": ALPHAS,
            "betas": STATIC_BETAS,
            "target_layers": target_layers_for(final),
            "candidate_sets": earliest_candidate_sets(range(self.first_candidate, final), final),
            "distance": self.distance,
        }


VALIDATION = Protocol("validation", "validation-selected", "jsd", 0, "validation")
TEST_TUNED_JSD = Protocol("test_tuned_jsd", "test-tuned (JSD, layer 0 allowed)", "jsd", 0, "test")
RELEASED = Protocol("released", "released code (test-tuned, 1 - cos/2, no layer 0)", "released_cosine", 1, "test")
PROTOCOLS = {protocol.name: protocol for protocol in (VALIDATION, TEST_TUNED_JSD, RELEASED)}
# The LLE paper's static claim as it states it, contrast beating standard: validation-selected over beta > 0 only
# (the released grid's beta = -0.25 interpolates toward the amateur, and beta = 0 is standard classification).
CONTRAST_ONLY = Protocol(
    "validation_contrast",
    "validation-selected, static beta > 0 only",
    "jsd",
    0,
    "validation",
    methods=("static",),
    contrast_only=True,
)


def with_distance(protocol: Protocol, distance: str) -> Protocol:
    """The same protocol with another amateur distance (for the distance ablation)."""
    return Protocol(
        f"{protocol.name}_{distance}",
        f"{protocol.label}, {distance}",
        distance,
        protocol.first_candidate,
        protocol.tuned_on,
    )
