"""The evaluation protocols (lle.claims.protocols): the released grid, its candidate sets, contrast only."""

import numpy as np
import pandas as pd

from lle.claims.protocols import RELEASED, VALIDATION, target_layers_for


def test_target_layers_follow_the_released_grid():
    np.testing.assert_array_equal(target_layers_for(24), np.arange(25, 51))  # the paper's 24..49 in block numbering


def test_released_protocol_never_lets_the_embeddings_be_the_amateur():
    grid = RELEASED.grid(25)
    assert grid["distance"] == "released_cosine"
    assert min(min(layers) for layers in grid["candidate_sets"]) == 1
    assert min(min(layers) for layers in VALIDATION.grid(25)["candidate_sets"]) == 0


def test_the_contrast_only_protocol_searches_static_beta_above_zero_and_every_dynamic_row():
    from lle.claims.protocols import CONTRAST_ONLY

    grid = pd.DataFrame(
        {"method": ["static", "static", "static", "dynamic", "standard"], "beta": [-0.25, 0.0, 0.5, np.nan, np.nan]}
    )
    kept = CONTRAST_ONLY.searched(grid)
    assert kept.method.tolist() == ["static", "dynamic", "standard"] and kept.beta.iloc[0] == 0.5
    assert VALIDATION.searched(grid) is grid and CONTRAST_ONLY.methods == ("static",)
