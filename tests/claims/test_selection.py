"""Selecting a configuration on a grid (lle.claims.selection): the tie rule."""

import pandas as pd
import pytest

from lle.claims.selection import select_best


def grid(rows):
    base = {
        "method": "static",
        "candidate_layers": "0-1",
        "earliest_candidate": 0,
        "alpha": 0.1,
        "beta": 0.0,
        "target_layer": None,
        "distance": "jsd",
    }
    return pd.DataFrame([{**base, **row} for row in rows])


def test_ties_go_to_fewest_changes_then_the_weakest_intervention():
    table = grid(
        [
            {"beta": -0.25, "macro_f1": 0.5, "n_changed": 7},
            {"beta": 1.0, "macro_f1": 0.5, "n_changed": 0},
            {"beta": 0.5, "macro_f1": 0.4, "n_changed": 3},
            {"beta": -0.1, "macro_f1": 0.5, "n_changed": 0},
            {"beta": 0.1, "macro_f1": 0.5, "n_changed": 0, "alpha": 0.5},
        ]
    )
    chosen = select_best(table, "static")
    assert chosen.config.beta == 0.1 and chosen.config.alpha == 0.5  # |beta| 0.1 twice: the larger alpha wins
    assert chosen.n_tied == 4 and chosen.n_tied_after_rule == 3
    dynamic = grid(
        [
            {
                "method": "dynamic",
                "beta": None,
                "target_layer": t,
                "earliest_candidate": k,
                "candidate_layers": f"{k}-3",
                "macro_f1": 0.5,
                "n_changed": 1,
            }
            for t in (9, 7)
            for k in (0, 2)
        ]
    )
    picked = select_best(dynamic, "dynamic").config
    assert picked.target_layer == 7 and picked.candidate_layers == (2, 3)
    unique = select_best(
        grid([{"beta": 0.3, "macro_f1": 0.6, "n_changed": 9}, {"beta": 0.1, "macro_f1": 0.5, "n_changed": 0}]), "static"
    )
    assert unique.config.beta == 0.3 and unique.n_tied == 1
    with pytest.raises(ValueError, match="no 'dynamic' rows"):
        select_best(table, "dynamic")
