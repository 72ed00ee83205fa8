"""The LLE paper's claims (lle.claims.verdicts): each reduced to its units, oriented, pooled, seeds nested, pairs at chance left out."""

import numpy as np
import pandas as pd
import pytest

from lle.claims import verdicts
from lle.claims.soundness import SoundView


def _table1(deltas, half_width=0.004, seeds=(0,)):
    rows = []
    for i, delta in enumerate(deltas):
        for seed in seeds:
            shift = 0.001 * seed
            rows.append(
                {
                    "model": f"m{i}",
                    "dataset": "d",
                    "method": "dynamic",
                    "protocol": "validation",
                    "delta_vs_standard": delta + shift,
                    "ci_low": delta + shift - half_width,
                    "ci_high": delta + shift + half_width,
                    "seed": seed,
                    "classifier": "sound",
                }
            )
            rows.append({**rows[-1], "protocol": "released"})
    return pd.DataFrame(rows)


def test_a_paper_claim_pools_its_pairs_and_is_oriented_so_that_positive_is_claimed():
    from lle.claims.registry import decide

    gains = verdicts._beats_standard(_table1([0.03, 0.025, 0.035, 0.028]), "dynamic", "LLE beats standard")
    losses = verdicts._beats_standard(_table1([-0.03, -0.025, -0.035, -0.028]), "dynamic", "LLE loses")
    nulls = verdicts._beats_standard(
        _table1([0.001, -0.001, 0.0005, 0.0, 0.0012, -0.0008] * 3, 0.002), "dynamic", "no change"
    )
    decided = decide(pd.DataFrame([gains, losses, nulls])).set_index("claim").verdict
    assert decided.tolist() == ["supported", "contradicted", "equivalent to no effect"]
    assert gains["units"] == 4 and gains["estimate"] == pytest.approx(0.0295)


def test_seeds_of_a_pair_are_one_unit_not_several():
    one_seed = verdicts._beats_standard(_table1([0.03, 0.025, 0.035]), "dynamic", "c")
    rows = _table1([0.03, 0.025, 0.035], seeds=(0, 1, 2))
    three = verdicts._beats_standard(rows[rows.seed == 0], "dynamic", "c", seeds=rows[rows.seed > 0])
    assert three["units"] == one_seed["units"] == 3 and "3 of 3 units with 3-3 training seeds" in three["evidence"]


def test_the_trend_stability_bias_and_polarity_claims_nest_the_other_seeds_in_their_pair():
    trends = pd.DataFrame(
        {
            "run": ["a", "b"],
            "dataset": ["goemotions"] * 2,
            "recall_change": [0.01, 0.03],
            "precision_change": [-0.01, 0.0],
            "flat": [False, False],
        }
    )
    seeds = trends.assign(seed=1, recall_change=[0.03, 0.05])
    alone, nested = verdicts._recall_rises(trends), verdicts._recall_rises(trends, seeds)
    assert alone["units"] == nested["units"] == 2 and nested["estimate"] == pytest.approx(0.03)
    assert "seed 0" in alone["evidence"] and "2 of 2 units with 2-2 training seeds" in nested["evidence"]
    spreads = pd.DataFrame(
        {
            "run": ["a", "a"],
            "dataset": ["goemotions"] * 2,
            "method": ["static", "dynamic"],
            "median_spread_over_k": [0.02, 0.01],
        }
    )
    stable = verdicts._stability(spreads, spreads.assign(seed=2, median_spread_over_k=[0.04, 0.01]))
    assert stable["units"] == 1 and stable["estimate"] == pytest.approx(0.02)  # (0.01 + 0.03) / 2
    bias = pd.DataFrame(
        {
            "model": ["a"],
            "dataset": ["goemotions"],
            "reference_class": ["neutral"],
            "n_changed": [0],
            "share_changed_from_reference": [np.nan],
            "share_reference_in_standard_predictions": [0.3],
            "wrong_to_right": [0],
            "right_to_wrong": [0],
        }
    )
    changed = bias.assign(seed=1, n_changed=40, share_changed_from_reference=0.5, wrong_to_right=5, right_to_wrong=2)
    neutral = verdicts._neutral(bias, changed)
    assert neutral["units"] == 1 and neutral["estimate"] == pytest.approx(0.2)
    assert neutral["evidence"].endswith("LLE changes nothing for a")  # seed 0; seed 1 changed 40 predictions


def test_the_heatmap_claims_read_goemotions_pairs_with_corrections_and_orient_their_effects():
    trajectories = pd.DataFrame(
        {
            "model": ["a", "b", "c", "a"],
            "dataset": ["goemotions", "goemotions", "goemotions", "tweet_hate"],
            "reference_class": ["neutral", "neutral", "neutral", "not_hate"],
            "n_corrected": [40, 60, 1, 30],
            "gold_rise_mean": [0.2, 0.3, 0.9, 0.5],
            "gold_rise_sd": [0.1, 0.1, np.nan, 0.1],
            "reference_change_mean": [0.01, -0.01, 0.9, 0.5],
            "reference_change_sd": [0.05, 0.05, np.nan, 0.1],
            "reference_final_mean": [0.3, 0.4, 0.5, 0.6],
            "mid_depth_gold_rise_mean": [0.1, 0.2, 0.3, 0.4],
            "mid_depth_reference_change_mean": [0.0, 0.1, 0.2, 0.3],
        }
    )
    rise, flat = verdicts._heatmap_claims(trajectories)
    assert rise["units"] == flat["units"] == 2  # pair c corrects one prediction; tweet_hate has no neutral
    assert 0.2 < rise["estimate"] < 0.3 and rise["claimed"] == "a positive effect"  # inverse-variance weights
    assert abs(flat["estimate"]) < 0.01 and flat["claimed"] == "no effect"
    assert all(r["verdict"] == "not tested" for r in verdicts._heatmap_claims(trajectories.iloc[2:]))


def test_pairs_at_chance_are_left_out_of_every_paper_claim_and_named():
    """Marking one sound pair of the committed tables as at chance removes it from each claim whose table holds it,
    names it in the evidence, states the estimate with it kept (a post-hoc exclusion), and leaves the other claims
    as they were."""
    inputs = verdicts.load_claim_inputs()
    before = {r["key"]: r for r in verdicts.claim_records(**inputs)}
    table1 = inputs["table1"].copy()
    pair = ("all-MiniLM-L6-v2-finetuned", "goemotions")
    table1.loc[(table1.model == pair[0]) & (table1.dataset == pair[1]), "classifier"] = "at chance"
    after = {r["key"]: r for r in verdicts.claim_records(**{**inputs, "table1": table1})}
    name = " / ".join(pair)
    for key in ("lle_beats_standard", "static_beats_standard", "dynamic_beats_static", "dynamic_more_stable"):
        assert after[key]["units"] == before[key]["units"] - 1, key
        assert name in after[key]["evidence"], key
        assert "with_left_out" in after[key], key
    assert after["away_from_neutral"]["units"] == before["away_from_neutral"]["units"] - 1
    decided = verdicts.paper_claims(**{**inputs, "table1": table1}).set_index("key")
    touched = decided.loc["lle_beats_standard"]
    assert "(post hoc: this exclusion was added after the results existed; with them kept: " in touched.evidence
    assert touched.evidence.endswith(f"{touched.verdict_with_left_out})")
    view = SoundView(frozenset({pair}))
    kept, dropped = view.keep(inputs["trends"]), view.left_out(inputs["trends"])
    assert (
        dropped == [name]
        and len(kept)
        == len(inputs["trends"]) - (inputs["trends"].run == pair[0]).mul(inputs["trends"].dataset == pair[1]).sum()
    )
    with pytest.raises(KeyError, match="soundness check"):
        SoundView.of(table1.drop(columns="classifier"))


def test_a_claim_the_exclusion_does_not_touch_says_nothing_of_it():
    """The committed tables leave out one tweet_hate pair: the goEmotions-only claims pool the same units either
    way, so their evidence neither names the pair nor carries a post-hoc note."""
    inputs = verdicts.load_claim_inputs()
    left_out = SoundView.of(inputs["table1"]).left_out(inputs["table1"])
    assert left_out and all("goemotions" not in name for name in left_out)
    records = {r["key"]: r for r in verdicts.claim_records(**inputs)}
    for key in ("recall_rises", "away_from_neutral"):
        assert "with_left_out" not in records[key] and "left out" not in records[key]["evidence"], key
    assert "with_left_out" in records["lle_beats_standard"]
