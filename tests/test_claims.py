"""The claims registry (lle.experiments.claims) and the claims of the comparisons (each report's claims())."""
import numpy as np
import pandas as pd
import pytest

from lle.experiments import claims


def _claims(verdict="holds"):
    return pd.DataFrame([{"claim": "a claim", "verdict": verdict, "rule": "sign", "evidence": "3 of 3"}])


def test_the_registry_gathers_every_source_in_order_and_names_the_notebook_of_a_missing_one(tmp_path):
    for source in claims.SOURCES:
        claims.write_claims(source, _claims(), tmp_path)
    table = claims.registry(tmp_path / "results" / "tables")
    assert list(table.columns) == ["source", *claims.COLUMNS] and len(table) == len(claims.SOURCES)
    assert list(table.source) == [who for who, _ in claims.SOURCES.values()]
    assert (tmp_path / "results" / "tables" / "claims_stc.tex").read_text().count("&") == 6  # header + one row
    counts = claims.verdict_counts(table)
    assert counts.holds.tolist() == [1, 1, 1, 1] and "not tested" in counts
    (tmp_path / "results" / "tables" / "claims_emotion.csv").unlink()
    with pytest.raises(FileNotFoundError, match="11_emotion_localization_vs_lle"):
        claims.registry(tmp_path / "results" / "tables")
    assert "<!-- registry:start" in claims.registry_block(table) and "| a claim |" in claims.registry_block(table)


def test_the_every_unit_rule_and_a_claim_row_from_an_outcome():
    from lle.experiments.verdicts import every_rule, sign_rule

    assert [every_rule(p) for p in ([True, True], [True, False], [False], [])] == [
        "holds", "mixed", "does not hold", "not tested"]
    row = claims.claim_row("c", sign_rule([0.1, 0.2, 0.3, 0.4, 0.5, 0.6]), "sign", "6 of 6")
    assert row == {"claim": "c", "verdict": "holds", "rule": "sign", "evidence": "6 of 6"}


def test_a_claims_table_must_use_the_rules_verdicts_and_state_each_claim_once(tmp_path):
    with pytest.raises(ValueError, match="verdicts must be"):
        claims.write_claims("lle", _claims("probably"), tmp_path)
    with pytest.raises(ValueError, match="verdicts must be"):
        claims.write_claims("lle", pd.concat([_claims(), _claims()]), tmp_path)
    with pytest.raises(ValueError, match="missing \\['rule'\\]"):
        claims.write_claims("lle", _claims().drop(columns="rule"), tmp_path)
    with pytest.raises(KeyError, match="no claims source 'jeong'"):
        claims.claims_path("jeong")


def _unified_tables(at_chance=()):
    rows, selected, matched = [], [], []
    pairs = (("r", "a"), ("r", "b")) + tuple(at_chance)
    for p, (run, dataset) in enumerate(pairs):
        for split in ("validation", "test"):
            for beta_u in (-1.0, 0.0, 0.5):
                rows.append({"run": run, "dataset": dataset, "split": split, "layer": "LLE amateur", "alpha": np.nan,
                             "unified_beta": beta_u, "macro_f1": 0.5 - 0.1 * beta_u, "ece": 0.1 - 0.02 * beta_u,
                             "entropy": 1.0 + beta_u, "changed_vs_final": 0.0 if beta_u == 0 else 0.005 * (p + 1)})
        selected.append({"run": run, "dataset": dataset, "selected_by": "macro-F1", "alpha": np.nan,
                         "layer": "LLE amateur", "unified_beta": -1.0, "macro_f1": 0.6})
        matched.append({"run": run, "dataset": dataset, "layer": "LLE amateur", "alpha": np.nan, "unified_beta": -1.0,
                        "ece": 0.12, "temperature_ece": 0.115 if p == 0 else 0.3})
    soundness = pd.DataFrame({"model": [r for r, _ in pairs], "dataset": [d for _, d in pairs],
                              "classifier": ["at chance" if pair in at_chance else "sound" for pair in pairs]})
    return {"sweeps": pd.DataFrame(rows), "selected": pd.DataFrame(selected), "matched": pd.DataFrame(matched),
            "soundness": soundness}


def test_the_unified_views_claims_are_decided_by_their_stated_rules():
    from lle.context.unified.report import claims as unified_claims

    forms = pd.DataFrame({"agreement at beta_u = -1": [0.9, 0.95]})
    table = unified_claims(_unified_tables(), forms).set_index("claim")
    assert table.loc["extrapolating away from an earlier layer sharpens the prediction", "verdict"] == "mixed"  # n = 2
    temperature = table.loc["logit extrapolation acts like temperature sharpening"]
    assert temperature.verdict == "mixed" and "alike in 1 of 2 pairs" in temperature.evidence  # ECE gap 0.18 in one
    calibration = table.loc["interpolating toward an earlier layer improves calibration"]
    assert calibration.evidence.startswith("ECE lower in 2 of 2 pairs") and calibration.verdict == "mixed"  # n = 2
    assert table.loc["mixing hidden states equals mixing logits for a linear head", "verdict"] == "not tested"


def test_the_unified_views_claims_leave_out_and_name_pairs_whose_classifier_is_at_chance():
    from lle.context.unified.report import claims as unified_claims

    forms = pd.DataFrame({"agreement at beta_u = -1": [0.9, 0.95]})
    with_chance = unified_claims(_unified_tables(at_chance=[("z", "c")]), forms).set_index("claim")
    assert with_chance.drop(columns="evidence").equals(unified_claims(_unified_tables(), forms).set_index("claim")
                                                       .drop(columns="evidence"))
    for claim, row in with_chance.iloc[:4].iterrows():
        assert "of 2 pairs" in row.evidence and row.evidence.endswith("standard classifier at chance: z / c"), claim
    assert "z / c" not in with_chance.iloc[4].evidence  # the hidden-state claim reads no pair


def test_stcs_claims_compare_each_gain_with_its_own_baseline():
    from lle.context.stc.report import claims as stc_claims

    claim = pd.DataFrame([{"backbone": b, "baseline": base, "delta_macro_f1": d, "ci_low": d - 0.01,
                           "ci_high": d + 0.01, "p_value": 0.001}
                          for b in ("m1", "m2") for base, d in (("best single-layer probe", -0.02),
                                                                ("final-layer probe", 0.03))])
    table = stc_claims(claim).set_index("claim")
    assert table.verdict.tolist() == ["does not hold", "holds"]
    assert "Deviation" in table.loc["STC beats the sentence-embedding baseline", "rule"]
