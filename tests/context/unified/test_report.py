"""The unified view's report (lle.context.unified.report): its claims decided by the pooled rule, pairs at chance
left out and named."""

import numpy as np
import pandas as pd
import pytest

from lle.claims import registry
from lle.context.unified import report as unified_report


def _unified_tables(at_chance=()):
    rows, selected, matched = [], [], []
    pairs = (("r", "a"), ("r", "b")) + tuple(at_chance)
    for p, (run, dataset) in enumerate(pairs):
        for split in ("validation", "test"):
            for beta_u in (-1.0, 0.0, 0.5):
                rows.append(
                    {
                        "run": run,
                        "dataset": dataset,
                        "split": split,
                        "layer": "LLE amateur",
                        "alpha": np.nan,
                        "unified_beta": beta_u,
                        "macro_f1": 0.5 - 0.1 * beta_u,
                        "ece": 0.1 - 0.02 * beta_u,
                        "entropy": 1.0 + beta_u,
                        "changed_vs_final": 0.0 if beta_u == 0 else 0.005 * (p + 1),
                    }
                )
        selected.append(
            {
                "run": run,
                "dataset": dataset,
                "selected_by": "macro-F1",
                "alpha": np.nan,
                "layer": "LLE amateur",
                "unified_beta": -1.0,
                "macro_f1": 0.6,
            }
        )
        matched.append(
            {
                "run": run,
                "dataset": dataset,
                "layer": "LLE amateur",
                "alpha": np.nan,
                "unified_beta": -1.0,
                "ece": 0.12,
                "temperature_ece": 0.115 if p == 0 else 0.3,
            }
        )
    soundness = pd.DataFrame(
        {
            "model": [r for r, _ in pairs],
            "dataset": [d for _, d in pairs],
            "classifier": ["at chance" if pair in at_chance else "sound" for pair in pairs],
        }
    )
    return {
        "sweeps": pd.DataFrame(rows),
        "selected": pd.DataFrame(selected),
        "matched": pd.DataFrame(matched),
        "soundness": soundness,
    }


def test_the_unified_views_claims_are_decided_by_the_pooled_rule():
    from lle.context.unified.report import claims as unified_claims

    forms = pd.DataFrame({"agreement at beta_u = -1": [0.9, 0.95]})
    table = registry.decide(unified_claims(_unified_tables(), forms)).set_index("claim")
    sharpens = table.loc["extrapolating away from an earlier layer sharpens the prediction"]
    assert sharpens.estimate == pytest.approx(1.0) and sharpens.units == 2  # entropy 1.0 at beta_u = 0, 0 at -1
    unchanged = table.loc["logit extrapolation acts like temperature sharpening: it changes no prediction"]
    assert unchanged.claimed == "no effect" and unchanged.estimate == pytest.approx(0.0075)  # 0.5% and 1.0% changed
    # Two pairs (one degree of freedom): the CI sits inside ±0.05 but not inside half that margin.
    assert unchanged.verdict == "equivalent to no effect" and unchanged.verdict_half_margin == "inconclusive"
    # The source's claim is about extrapolation alone (beta_u < 0); the whole axis is our extension, labelled so.
    assert table.loc["extrapolation helps accuracy", "estimate"] == pytest.approx(0.1)  # beta_u = -1 vs 0
    assert table.index.str.startswith("our extension: the validation-selected point").sum() == 1
    calibration = table.loc["interpolating toward an earlier layer improves calibration"]
    assert calibration.evidence.startswith("ECE lower in 2 of 2 pairs") and calibration.units == 2
    assert table.loc["mixing hidden states equals mixing logits for a linear head", "verdict"] == "not tested"


def test_the_unified_views_claims_leave_out_and_name_pairs_whose_classifier_is_at_chance():
    from lle.context.unified.report import claims as unified_claims

    forms = pd.DataFrame({"agreement at beta_u = -1": [0.9, 0.95]})
    with_chance = unified_claims(_unified_tables(at_chance=[("z", "c")]), forms).set_index("claim")
    decided = ["verdict", "estimate", "ci_low", "ci_high", "units"]
    assert with_chance[decided].equals(unified_claims(_unified_tables(), forms).set_index("claim")[decided])
    for claim, row in with_chance.iloc[:6].iterrows():
        assert "of 2 pairs" in row.evidence and "standard classifier at chance: z / c (post hoc" in row.evidence, claim
        assert row.evidence.endswith(f"{row.verdict_with_left_out})"), claim
    assert "z / c" not in with_chance.loc["mixing hidden states equals mixing logits for a linear head"].evidence


def test_the_summary_reads_test_rows_of_the_chosen_layer():
    import pandas as pd

    rows = [
        {
            "run": "r",
            "dataset": "d",
            "split": split,
            "layer": layer,
            "unified_beta": beta,
            "logit_macro_f1": 0.5,
            "hidden_macro_f1": 0.5 + beta / 10 + (split == "validation"),
            "agreement": 1 - abs(beta) / 4,
        }
        for split in ("validation", "test")
        for layer in ("LLE amateur", "L-1")
        for beta in (-2.0, -1.0, 0.0, 0.5)
    ]
    selected = [
        {"run": "r", "dataset": "d", "layer": "LLE amateur", "form": form, "unified_beta": beta, "test_macro_f1": f1}
        for form, beta, f1 in (("logit", -1.0, 0.5), ("hidden", 0.5, 0.55))
    ]
    summary = unified_report.forms_summary({"rows": pd.DataFrame(rows), "selected": pd.DataFrame(selected)}).iloc[0]
    assert summary["agreement at beta_u = -1"] == 0.75 and summary["lowest agreement"] == 0.5
    assert summary["beta_u of lowest agreement"] == -2.0 and summary["largest |F1 gap| over beta_u"] == pytest.approx(
        0.2
    )
    assert summary["F1 hidden minus logit at beta_u = -1"] == pytest.approx(-0.1)
    assert summary["hidden minus logit"] == pytest.approx(0.05)


def test_seed_spread_and_findings_read_the_stored_tables():
    import pandas as pd

    seeds = pd.DataFrame({"run": "r", "dataset": "d", "seed": range(3), "test_macro_f1": [0.40, 0.44, 0.42]})
    provenance = pd.DataFrame(
        [
            {
                "run": "r",
                "dataset": "d",
                "reproduces_committed": False,
                "max_abs_difference_to_committed": 3.0,
                "committed_test_macro_f1": 0.47,
                "recomputed_test_macro_f1": 0.40,
            }
        ]
    )
    spread = unified_report.seed_spread({"head_seeds": seeds, "provenance": provenance}).iloc[0]
    assert (spread.seeds, spread.lowest, spread.highest) == (3, 0.40, 0.44)
    assert spread.standard_deviation == pytest.approx(0.02) and spread["committed (seed 0)"] == 0.47
    summary = pd.DataFrame(
        [
            {
                "run": "r",
                "dataset": "d",
                "agreement at beta_u = -1": 0.9,
                "lowest agreement": 0.5,
                "largest |F1 gap| over beta_u": 0.1,
                "F1 hidden minus logit at beta_u = -1": -0.05,
                "hidden minus logit": 0.01,
            }
        ]
    )
    text = unified_report.forms_findings(
        summary, provenance, unified_report.seed_spread({"head_seeds": seeds, "provenance": provenance})
    )
    assert "0 of 1 give back the committed scores" in text and "0.470 committed, 0.400 recomputed" in text
    assert "standard deviation of 0.020" in text and "lower in 1 of 1 pairs" in text
