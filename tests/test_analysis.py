"""The analysis layer on small arrays with known answers: Config, the tie rule, Holm, decisions, verdict rules,
label-change statistics, reports, and the pair loader's errors."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import lle
from lle.claims import summary, verdicts
from lle.claims.selection import select_best
from lle.claims.soundness import SoundView
from lle.claims.statistics import holm, pair_decision
from lle.config import Config, describe_layers, parse_layers
from lle.integrity import atomic_path
from lle.metrics import per_class_metrics
from lle.store import formats, pages
from lle.store.scores import load_pairs
from lle.study import changes

# --- Config ------------------------------------------------------------------------------------------------------


def test_config_round_trips_through_a_table_row_and_drives_classify():
    scores = np.random.default_rng(0).normal(size=(50, 6, 3))
    config = Config("dynamic", (3, 1, 2, 2), 0.2, target_layer=8)
    assert config.candidate_layers == (1, 2, 3)
    row = config.to_row()
    assert row["candidate_layers"] == "1-3" and Config.from_row(pd.Series(row)) == config
    expected = lle.classify(scores, candidate_layers=[1, 2, 3], alpha=0.2, target_layer=8)
    np.testing.assert_array_equal(lle.classify(scores, config), expected)
    np.testing.assert_array_equal(lle.classify(scores, Config("standard")), lle.classify(scores))
    assert Config.from_row({"method": "standard", "alpha": float("nan")}) == Config("standard")


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(method="extrapolate"), "method must be one of"),
        (dict(method="standard", alpha=0.1), "takes no"),
        (dict(method="static", candidate_layers=(1,), alpha=0.1), "needs beta"),
        (dict(method="dynamic", candidate_layers=(1,), alpha=0.1, target_layer=9, beta=1.0), "not beta"),
    ],
)
def test_config_refuses_inconsistent_fields(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Config(**kwargs)


def test_classify_refuses_config_and_keywords_together_and_ignored_options():
    scores = np.zeros((2, 3, 2))
    with pytest.raises(TypeError, match="both config and"):
        lle.classify(scores, Config("standard"), alpha=0.1)
    with pytest.raises(ValueError, match="only apply to contrastive"):
        lle.classify(scores, alpha=0.5)


def test_layers_describe_and_parse():
    assert describe_layers([4, 5, 6]) == "4-6" and describe_layers([2, 5]) == "2,5"
    assert parse_layers("4-6") == [4, 5, 6] and parse_layers("2,5") == [2, 5]
    with pytest.raises(ValueError, match="first-last"):
        parse_layers("a-b")


# --- selection and statistics ------------------------------------------------------------------------------------


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


def test_grid_counts_changed_predictions():
    scores = np.random.default_rng(2).normal(size=(80, 5, 4))
    labels = np.arange(80) % 4
    table = lle.evaluate_grid(scores, labels, candidate_sets=[range(0, 4)], alphas=[0.1, 1.0], betas=[0.0, 2.0])
    standard = lle.classify(scores)
    for row in table[table.method == "static"].itertuples():
        predicted = lle.classify(scores, candidate_layers=range(4), alpha=row.alpha, beta=row.beta)
        assert row.n_changed == int((predicted != standard).sum())
    assert table[(table.beta == 0.0) | (table.alpha == 1.0)].n_changed.eq(0).all()


def test_holm_matches_the_step_down_definition():
    np.testing.assert_allclose(holm([0.01, 0.04, 0.03, 0.5]), [0.04, 0.09, 0.09, 0.5])
    assert holm([]).size == 0


@pytest.mark.parametrize(
    "low, high, p, expected",
    [
        (0.01, 0.05, 0.01, "better"),
        (-0.05, -0.01, 0.01, "worse"),
        (-0.01, 0.02, 0.3, "no significant difference"),
        (0.001, 0.02, 0.059, "unclear (CI and test disagree)"),
        (-0.01, 0.02, 0.01, "unclear (CI and test disagree)"),
    ],
)
def test_pair_decision_never_contradicts_the_ci(low, high, p, expected):
    assert pair_decision(low, high, p) == expected


# --- the paper's claims, decided by the pooled rule -----------------------------------------------------------------


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


# --- changes -------------------------------------------------------------------------------------------------------


def test_reference_bias_counts_and_binomial_test():
    standard = np.array([0, 0, 0, 1, 2, 0, 1, 1])
    new = np.array([1, 2, 0, 1, 2, 1, 1, 2])
    labels = np.array([1, 0, 0, 1, 2, 1, 2, 2])
    result = changes.reference_bias(standard, new, labels, reference=0)
    assert result["n_changed"] == 4 and result["changed_from_reference"] == 3
    assert result["share_reference_in_standard_predictions"] == 0.5
    assert (result["wrong_to_right"], result["right_to_wrong"], result["wrong_to_wrong"]) == (3, 1, 0)
    assert result["p_value"] == pytest.approx(10 / 16)  # two-sided: P(X >= 3) + P(X <= 1), X ~ Bin(4, 1/2)


def test_label_changes_and_polarity():
    names = ["joy", "love", "anger", "neutral"]
    polarity = {"joy": "positive", "love": "positive", "anger": "negative", "neutral": "neutral"}
    standard = np.array([0, 0, 0, 2, 3, 1])
    new = np.array([1, 1, 2, 0, 0, 1])
    labels = np.array([1, 0, 2, 2, 0, 1])
    table = changes.label_changes(standard, new, labels, names, polarity)
    assert table.iloc[0][["standard", "lle", "count"]].tolist() == ["joy", "love", 2]
    assert table.iloc[0].lle_accuracy == 0.5 and bool(table.iloc[0].keeps_polarity)
    assert changes.same_polarity_rate(polarity) == pytest.approx(1 / 3)  # of joy-love, joy-anger, love-anger
    stats = changes.polarity_statistics(standard, new, labels, names, polarity)
    assert (stats["n_emotion_changes"], stats["kept_polarity"], stats["n_all_changes"]) == (4, 2, 5)
    assert (stats["wrong_to_right"], stats["right_to_wrong"]) == (2, 2) and stats["p_corrections"] == 1.0


def test_layer_trajectories_follow_each_corrected_sample_from_its_amateur_to_the_final_layer():
    # 3 layers, 3 classes (2 = the reference class); probabilities written out, then logged
    probs = np.array(
        [
            [[0.2, 0.2, 0.6], [0.3, 0.1, 0.6], [0.4, 0.1, 0.5]],  # corrected to 0; amateur 0: gold +0.2, ref -0.1
            [[0.1, 0.5, 0.4], [0.1, 0.3, 0.6], [0.2, 0.4, 0.4]],  # corrected to 1; amateur 1: gold +0.1, ref -0.2
            [[0.3, 0.3, 0.4], [0.3, 0.3, 0.4], [0.3, 0.3, 0.4]],  # unchanged
            [[0.1, 0.1, 0.8], [0.1, 0.1, 0.8], [0.1, 0.1, 0.8]],  # corrected, but its gold class is the reference
            [[0.5, 0.2, 0.3], [0.5, 0.2, 0.3], [0.5, 0.2, 0.3]],  # changed and wrong: not a correction
        ]
    )
    standard, new, labels = [2, 2, 2, 0, 0], [0, 1, 2, 2, 1], [0, 1, 2, 2, 0]
    result = changes.layer_trajectories(np.log(probs), [0, 1, 0, 0, 0], standard, new, labels, reference=2)
    assert result["n_corrected"] == 2
    assert result["gold_rise_mean"] == pytest.approx(0.15) and result["gold_rise_sd"] == pytest.approx(np.sqrt(0.005))
    assert result["reference_change_mean"] == pytest.approx(-0.15)
    assert result["reference_final_mean"] == pytest.approx(0.45)
    none = changes.layer_trajectories(np.log(probs), [0] * 5, standard, standard, labels, reference=2)
    assert none["n_corrected"] == 0 and np.isnan(none["gold_rise_mean"])


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


def test_per_class_changes_agree_with_per_class_metrics():
    standard, new, labels = np.array([0, 1, 1, 2]), np.array([0, 0, 1, 2]), np.array([0, 0, 1, 1])
    table = changes.per_class_changes(standard, new, labels, ["a", "b", "c"])
    assert table.precision_lle.tolist() == [1.0, 1.0, 0.0] and table.recall_lle.tolist() == [1.0, 0.5, 0.0]
    assert per_class_metrics(standard, labels, 3)["support"].tolist() == [2, 2, 0]
    with pytest.raises(ValueError, match="equal-length"):
        changes.flip_counts([0, 1], [0], [0, 1])
    none_changed = changes.polarity_statistics(
        [0, 1], [0, 1], [0, 1], ["joy", "anger"], {"joy": "positive", "anger": "negative"}
    )
    assert none_changed["n_emotion_changes"] == 0 and none_changed["share_kept"] is None


# --- reports and files ---------------------------------------------------------------------------------------------


def test_latex_escape_covers_the_specials():
    assert formats.latex_escape("a_b & 50% #1 -> {x}") == r"a\_b \& 50\% \#1 $\to$ \{x\}"


def test_update_block_replaces_only_the_block(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("top\n<!-- results:start -->\nold\n<!-- results:end -->\nbottom\n")
    pages.update_block(readme, "<!-- results:start x -->\nnew\n<!-- results:end -->")
    assert readme.read_text() == "top\n<!-- results:start x -->\nnew\n<!-- results:end -->\nbottom\n"
    (tmp_path / "plain.md").write_text("no markers")
    with pytest.raises(ValueError, match="no results block"):
        pages.update_block(tmp_path / "plain.md", "x")


def test_a_failed_write_leaves_the_old_file(tmp_path):
    target = tmp_path / "table.csv"
    target.write_text("good\n")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as temporary:
            temporary.write_text("half")
            raise RuntimeError("killed midway")
    assert target.read_text() == "good\n" and list(tmp_path.iterdir()) == [target]


def test_findings_take_their_numbers_from_the_tables():
    claims = pd.DataFrame(
        {
            "claim": ["x beats y"],
            "verdict": ["inconclusive"],
            "estimate": [0.0123],
            "ci_low": [-0.004],
            "ci_high": [0.0286],
            "margin": [0.01],
            "mde": [0.0231],
            "evidence": ["better in 2 of 5"],
        }
    )
    text = summary.findings_claims(claims)
    assert "1 inconclusive" in text and "better in 2 of 5" in text
    assert "+0.0123 [-0.0040, +0.0286]" in text and "detectable at 80% power: 0.0231" in text


def test_missing_pairs_and_splits_are_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no cached scores for runs") as raised:
        load_pairs(runs=["no-such-run"])
    assert "git checkout" not in str(raised.value)  # a run that was never cached cannot be restored
    with pytest.raises(FileNotFoundError, match=r"no cached scores for datasets \['sst2'\].*the runs .* have "):
        load_pairs(runs=["all-MiniLM-L6-v2-finetuned"], datasets=["sst2"])
    with pytest.raises(FileNotFoundError, match=r"did you mean tweet_hate for tweet_hat\?"):
        load_pairs(runs=["all-MiniLM-L6-v2-finetuned"], datasets=["tweet_hat"])
    with pytest.raises(FileNotFoundError, match=r"did you mean all-MiniLM-L6-v2-finetuned for all-MiniLM-L6-finetuned"):
        load_pairs(runs=["all-MiniLM-L6-finetuned"])


def test_the_math_imports_with_numpy_only():
    blocked = "torch transformers pandas scipy sklearn tqdm datasets matplotlib".split()
    code = (
        f"import sys\nfor name in {blocked!r}:\n    sys.modules[name] = None\n"
        "import numpy as np, lle\n"
        "s = np.random.default_rng(0).normal(size=(20, 4, 3)); y = np.arange(20) % 3\n"
        "lle.classify(s, candidate_layers=range(3), target_layer=5)\n"
        "lle.select_amateur(s, candidate_layers=range(3))\n"
        "cols = lle.evaluate_grid(s, y, candidate_sets=[range(3)], betas=[0.5], as_frame=False)\n"
        "assert len(cols['macro_f1']) == 2\n"
        "try:\n    lle.evaluate_grid(s, y, candidate_sets=[range(3)], betas=[0.5])\n"
        "except ImportError as e:\n    assert 'as_frame=False' in str(e)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_full_tables_render_every_row_with_stable_ids():
    frame = pd.DataFrame({"a": np.arange(200) / 7})
    first, second = (formats.full_table(frame, "t") for _ in range(2))
    assert first._repr_html_() == second._repr_html_() and first._repr_html_().count("<tr>") == 201
    assert repr(first) == repr(second) == "<t: 200 rows, 1 columns>"


def test_findings_become_latex_paragraphs_with_escapes_and_unicode():
    from lle.store.formats import Findings

    latex = Findings("- **STC.** 50% & more_x at β_u ≥ 0.5 × ℓ − 2\n- second, **bold** inside `code`").latex()
    assert latex == (
        "\\paragraph{STC.} 50\\% \\& more\\_x at $\\beta_u$ $\\geq$ 0.5 $\\times$ "
        "$\\ell$ $-$ 2\n\nsecond, \\textbf{bold} inside \\texttt{code}\n"
    )


def test_named_blocks_are_replaced_independently(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(
        "a\n<!-- stc:start -->\nold\n<!-- stc:end -->\nb\n<!-- results:start -->\nkeep\n<!-- results:end -->\n"
    )
    pages.update_block(readme, pages.findings_block("stc", "10_x.ipynb", "- new"), name="stc")
    assert readme.read_text() == (
        "a\n<!-- stc:start (written by notebooks/10_x.ipynb) -->\n- new\n<!-- stc:end -->\nb\n"
        "<!-- results:start -->\nkeep\n<!-- results:end -->\n"
    )
    with pytest.raises(ValueError, match="no emotion block"):
        pages.update_block(readme, "x", name="emotion")


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
