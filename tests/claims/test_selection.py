"""Selecting a configuration on a grid (lle.claims.selection): the tie rule."""

import pandas as pd
import pytest

from lle.claims.selection import TIE_TOLERANCE, select_best, tied_at_best


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


def test_a_static_tie_goes_to_the_smallest_beta_before_the_largest_alpha():
    table = grid(
        [
            {"beta": 1.0, "alpha": 0.5, "macro_f1": 0.5, "n_changed": 0},
            {"beta": -0.1, "alpha": 0.1, "macro_f1": 0.5, "n_changed": 0},
        ]
    )
    chosen = select_best(table, "static")
    assert (chosen.config.beta, chosen.macro_f1, chosen.n_changed) == (-0.1, 0.5, 0)


def test_selection_reads_the_metric_it_is_given():
    table = grid(
        [
            {"beta": 0.2, "macro_f1": 0.6, "accuracy": 0.7, "n_changed": 4},
            {"beta": 0.4, "macro_f1": 0.5, "accuracy": 0.8, "n_changed": 5},
        ]
    )
    chosen = select_best(table, "static", metric="accuracy")
    assert (chosen.config.beta, chosen.macro_f1, chosen.n_changed) == (0.4, 0.8, 5)


def test_a_score_at_the_edge_of_the_tie_tolerance_is_tied():
    table = grid(
        [
            {"beta": 0.2, "macro_f1": 0.5, "n_changed": 1},
            {"beta": 0.4, "macro_f1": 0.5 - TIE_TOLERANCE, "n_changed": 1},
        ]
    )
    assert len(tied_at_best(table)) == 2 and select_best(table, "static").n_tied == 2


def test_standard_classification_is_the_grids_one_standard_row():
    table = grid(
        [
            {
                "method": "standard",
                "beta": None,
                "alpha": None,
                "candidate_layers": None,
                "earliest_candidate": None,
                "distance": None,
                "macro_f1": 0.45,
                "n_changed": 0,
            },
            {"beta": 0.3, "macro_f1": 0.5, "n_changed": 2},
        ]
    )
    chosen = select_best(table, "standard")
    assert chosen.config.method == "standard" and (chosen.macro_f1, chosen.n_tied, chosen.n_changed) == (0.45, 1, 0)
