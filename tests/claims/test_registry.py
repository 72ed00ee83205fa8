"""The claims registry (lle.claims.registry): gathered in order, written with the pooled numbers, read back as
written, and refused when a verdict or claim is off."""

import re

import numpy as np
import pandas as pd
import pytest

from lle.claims import registry
from lle.claims.decision import pool_units


def _claims(claim="a claim", effects=(0.03, 0.031, 0.029, 0.032)):
    pooled, units = pool_units(
        pd.DataFrame({"model": [f"m{i}" for i in range(len(effects))], "dataset": "d", "effect": effects}), "effect"
    )
    row = registry.claim_row(claim, pooled, "score", "pooled mean", "4 of 4", units=units)
    return pd.DataFrame([{**row, "passage": f"the passage of {claim}"}])


def test_the_registry_gathers_every_source_in_order_and_names_the_notebook_of_a_missing_one(tmp_path):
    for source in registry.SOURCES:
        registry.write_claims(source, _claims(), tmp_path)
    table = registry.registry(tmp_path / "results" / "tables")
    assert list(table.columns) == ["source", *registry.COLUMNS] and len(table) == len(registry.SOURCES)
    assert list(table.source) == [who for who, _ in registry.SOURCES.values()]
    assert (tmp_path / "results" / "tables" / "claims_stc.tex").read_text().count("&") == 12  # head twice + a row
    counts = registry.verdict_counts(table)
    assert counts.supported.tolist() == [1, 1, 1, 1] and "not tested" in counts and "inconclusive" in counts
    (tmp_path / "results" / "tables" / "claims_emotion.csv").unlink()
    with pytest.raises(FileNotFoundError, match="11_emotion_localization_vs_lle"):
        registry.registry(tmp_path / "results" / "tables")
    block = registry.registry_block(table)
    assert "<!-- registry:start" in block and re.search(r"\| a claim +\| supported", block) and "+0.0305 [" in block


def test_a_claims_table_carries_the_pooled_numbers_and_reads_back_as_written(tmp_path):
    frame = pd.concat(
        [
            _claims(),
            _claims("b", (0.0, 0.04, -0.03)),
            pd.DataFrame([{**registry.untested_row("c", "needs an affine head", "none here"), "passage": "a passage"}]),
        ]
    )
    written = registry.write_claims("lle", frame, tmp_path)
    assert written.verdict.tolist() == ["supported", "inconclusive", "not tested"]
    units = pd.read_csv(tmp_path / "results" / "tables" / "claims_lle_units.csv")
    assert units.claim.tolist() == ["a claim"] * 4 + ["b"] * 3 and units.se.isna().all()  # t-pooled: no per-unit SE
    back = registry.read_claims(registry.claims_path("lle", tmp_path / "results" / "tables"))
    assert back.estimate.dtype == float and np.isnan(back.estimate[2]) and back.rule[2] == "needs an affine head"
    assert back.drop(columns=registry.NUMERIC).equals(written.drop(columns=registry.NUMERIC))
    assert np.allclose(
        back[registry.NUMERIC].to_numpy(float), written[registry.NUMERIC].to_numpy(float), equal_nan=True
    )


def test_a_claims_table_must_use_the_rules_verdicts_and_state_each_claim_once(tmp_path):
    with pytest.raises(ValueError, match="verdicts must be"):
        registry.check_claims(registry.decide(_claims()).assign(verdict="probably"))
    with pytest.raises(ValueError, match="verdicts must be"):
        registry.write_claims("lle", pd.concat([_claims(), _claims()]), tmp_path)
    with pytest.raises(ValueError, match="missing \\['rule'\\]"):
        registry.write_claims("lle", _claims().drop(columns="rule"), tmp_path)
    with pytest.raises(KeyError, match="no claims source 'jeong'"):
        registry.claims_path("jeong")
    with pytest.raises(KeyError, match="matches 0 passages in lle/claims/passages.py"):
        registry.write_claims("lle", _claims().drop(columns="passage"), tmp_path)
