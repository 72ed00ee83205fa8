"""Choosing one configuration from a grid table, with a stated rule for ties.

Tie rule: among the configurations whose macro-F1 on the tuning split equals the best (within 1e-12), take the
one that changes the **fewest** tuning-split predictions from standard classification; if several remain, the
weakest intervention among them: the smallest ``|β|`` (static) or the nearest target layer ℓ_t (dynamic), then the
largest α (fewest plausible classes), then the latest earliest candidate layer k (fewest candidates). Every step
prefers the configuration closest to standard classification, so a tie never pushes the pick towards a stronger
change. :class:`Selection` reports how many configurations tied at the top and how many were still tied after
the fewest-changes step; the tables add the range of *test* scores over the tied configurations (reported only,
never used to choose).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from lle.method.config import Config

TIE_TOLERANCE = 1e-12
TIE_RULE = (
    "ties in macro-F1 go to the configuration that changes the fewest tuning-split predictions from "
    "standard classification, then to the weakest intervention: smallest |beta| or nearest target layer, "
    "largest alpha, latest earliest candidate layer"
)


@dataclass(frozen=True)
class Selection:
    config: Config
    macro_f1: float  # on the tuning split
    n_tied: int  # configurations tied at the best macro-F1
    n_tied_after_rule: int  # of those, still tied after the fewest-changes rule (1: the rule decided)
    n_changed: int  # tuning-split predictions that differ from standard classification


def select_best(grid: pd.DataFrame, method: str, *, metric: str = "macro_f1") -> Selection:
    """The best configuration of ``method`` in a table from :func:`lle.evaluate_grid` (tie rule: module doc)."""
    rows = grid[grid["method"] == method]
    if rows.empty:
        raise ValueError(f"the grid has no {method!r} rows; methods present: {sorted(grid['method'].unique())}")
    tied = tied_at_best(rows, metric)
    fewest = tied[tied["n_changed"] == tied["n_changed"].min()]
    strength = fewest["beta"].abs() if method == "static" else fewest["target_layer"]
    order = fewest.assign(_strength=strength, _alpha=-fewest["alpha"], _first=-fewest["earliest_candidate"])
    chosen = (
        order.sort_values(["_strength", "_alpha", "_first"], kind="stable").iloc[0]
        if method != "standard"
        else fewest.iloc[0]
    )
    return Selection(Config.from_row(chosen), float(chosen[metric]), len(tied), len(fewest), int(chosen["n_changed"]))


def tied_at_best(rows: pd.DataFrame, metric: str = "macro_f1") -> pd.DataFrame:
    """The rows whose ``metric`` equals the best within :data:`TIE_TOLERANCE`."""
    return rows[rows[metric] >= rows[metric].max() - TIE_TOLERANCE]
