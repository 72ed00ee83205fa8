"""Notebook 11's analysis on constructed separation rows and on the committed cached scores."""

import numpy as np
import pandas as pd
import pytest

from lle.claims.registry import decide
from lle.context.emotion import report as localization


def separation_rows():
    rows = []
    for model, generation_shift in (("SmolLM2-135M-Instruct", 0.1), ("all-MiniLM-L6-v2", None)):
        for method in ("comprehension", "generation"):
            if method == "generation" and generation_shift is None:
                continue
            for pooling in ("token", "mean"):
                for layer, value in enumerate([0.1, 0.3, 0.5, 0.35, 0.2]):
                    shift = generation_shift if method == "generation" else 0.0
                    rows.append(
                        {
                            "model": model,
                            "method": method,
                            "pooling": pooling,
                            "layer": layer,
                            "relative_depth": layer / 4,
                            "centroid_accuracy": value + shift,
                            "within_cosine": 0.3,
                            "between_cosine": -0.01,
                            "raw_within_cosine": 0.9,
                            "anisotropy": 0.85,
                        }
                    )
    return pd.DataFrame(rows)


def test_summary_finds_the_peak_and_the_shape():
    summary = localization.separation_summary(separation_rows())
    row = summary[
        (summary.model == "SmolLM2-135M-Instruct") & (summary.method == "generation") & (summary.pooling == "token")
    ].iloc[0]
    assert row.peak_layer == 2 and row.peak_relative_depth == 0.5 and row.inverted_u
    assert row.peak_accuracy == pytest.approx(0.6) and row.raw_within_minus_anisotropy_at_peak == pytest.approx(0.05)


def test_generation_is_compared_with_comprehension_per_decoder_never_pooling_models():
    tests = localization.generation_vs_comprehension(separation_rows())
    assert set(tests.model) == {"SmolLM2-135M-Instruct"}  # the encoder has no generation; no pooled row
    row = tests[tests.pooling == "token"].iloc[0]
    assert row.generation_median == pytest.approx(0.4) and row.comprehension_median == pytest.approx(0.3)
    assert row.generation_minus_comprehension == pytest.approx(0.1) and row.p_value <= row.p_holm <= 1


def test_claims_take_the_model_as_the_unit_and_state_every_rule():
    separation = separation_rows()
    summary, tests = localization.separation_summary(separation), localization.generation_vs_comprehension(separation)
    cells = pd.DataFrame({"regime": ["surgical", "explosive", "repetitive collapse"]})
    scenarios = pd.DataFrame({"success": [True] * 9 + [False]})
    claims = decide(localization.claims(summary, tests, {"SmolLM2-135M-Instruct": (cells, scenarios, 0.4)}))
    by_word = claims.set_index(claims.claim.str.split(" ").str[0])
    # One decoder: the decoder is the unit, so no interval can be drawn over decoders and nothing is decided.
    assert (
        by_word.loc["generation-based", "units"] == 1 and by_word.loc["generation-based", "verdict"] == "inconclusive"
    )
    assert by_word.loc["generation-based", "estimate"] == pytest.approx(0.1, abs=0.05)
    steering = by_word.loc["steering"]
    assert steering.estimate == pytest.approx(0.4) and steering.ci_low > 0  # 9 of 10 against one half
    assert claims.rule.str.len().min() > 20
    steering = claims[claims.claim.str.startswith("steering with")].iloc[0]
    assert "9 of 10 scenarios" in steering.evidence and "interval" in steering.rule


def test_candidates_from_the_peak_and_the_unrestricted_choice_matches_table1():
    from lle.study import analysis

    study = analysis.open_study(runs=["gemma-3-270m-frozen-head"], datasets=["tweet_hate"])
    summary = pd.DataFrame(
        [
            {"model": "gemma-3-270m", "method": "comprehension", "pooling": pooling, "peak_layer": peak}
            for pooling, peak in (("token", 3), ("mean", 9))
        ]
    )  # the run's head reads mean pooling
    table = localization.candidates_from_localization(study, summary)
    unrestricted = table[table.candidates == "all candidates"].iloc[0]
    restricted = table[table.candidates != "all candidates"].iloc[0]
    assert int(restricted.chosen_candidate_layers.split("-")[0]) >= 9 and restricted.pooling == "mean"
    assert restricted.validation_macro_f1 <= unrestricted.validation_macro_f1 + 1e-12  # a subset can't do better
    table1 = pd.read_csv(study.tables_dir / "table1.csv")
    reference = table1[
        (table1.model == "gemma-3-270m-frozen-head")
        & (table1.dataset == "tweet_hate")
        & (table1.method == "dynamic")
        & (table1.protocol == "validation")
    ].iloc[0]
    assert unrestricted.test_macro_f1 == pytest.approx(
        reference.macro_f1, abs=1e-9
    )  # table1.csv holds 10 significant digits


def test_profiles_put_every_measure_on_relative_depth():
    curves = pd.DataFrame(
        {
            "backbone": ["all-MiniLM-L6-v2"] * 2,
            "dataset": ["goemotions"] * 2,
            "curve": ["single layer"] * 2,
            "relative_depth": [0.0, 1.0],
            "test_macro_f1": [0.1, 0.3],
        }
    )
    early = pd.DataFrame(
        {
            "backbone": ["all-MiniLM-L6-v2"] * 2,
            "dataset": ["goemotions"] * 2,
            "relative_depth": [0.0, 1.0],
            "early_exit_test_macro_f1": [0.02, 0.4],
        }
    )
    profiles = localization.depth_profiles(separation_rows(), curves, early)
    assert set(profiles.measure) == {
        "separation (comprehension)",
        "separation (generation)",
        "STC probe macro-F1",
        "shared-head early exit macro-F1",
    }
    assert np.allclose(profiles[profiles.measure == "STC probe macro-F1"].value, [0.1, 0.3])


@pytest.fixture
def tiny_stage(tmp_path, monkeypatch, data_dir):
    """The emotion stage computed on tiny random models into a temporary results folder: a tiny decoder in
    SmolLM2's place and a tiny encoder in MiniLM's, judged by a tiny random classifier."""
    import tiny_models
    import torch

    from lle import data
    from lle.context.emotion import stage as emotion_stage
    from lle.models.backbones import Backbone
    from lle.models.readout import EarlyExitClassifier

    monkeypatch.setenv("LLE_CACHE_DIR", str(tmp_path / "cache"))
    tokenizer = tiny_models.tiny_tokenizer()
    tokenizer.eos_token = "[SEP]"
    for name, (builder, causal) in {"tiny-decoder": ("llama", True), "tiny-encoder": ("bert", False)}.items():
        tiny_models.build(builder, causal_lm=causal).save_pretrained(tmp_path / name)
        tokenizer.save_pretrained(tmp_path / name)
    tiny = {
        "SmolLM2-135M-Instruct": Backbone(
            "SmolLM2-135M-Instruct",
            str(tmp_path / "tiny-decoder"),
            decoder=True,
            deep=True,
            lle_run="SmolLM2-135M-Instruct-frozen-head",
        ),
        "all-MiniLM-L6-v2": Backbone(
            "all-MiniLM-L6-v2",
            str(tmp_path / "tiny-encoder"),
            decoder=False,
            deep=False,
            lle_run="all-MiniLM-L6-v2-finetuned",
        ),
    }
    monkeypatch.setattr(emotion_stage, "BACKBONES", tiny)
    monkeypatch.setattr(localization, "BACKBONES", tiny)
    torch.manual_seed(0)
    judge = EarlyExitClassifier(tiny_models.build("bert"), len(data.GOEMOTIONS_LABELS)).eval()
    monkeypatch.setattr(
        emotion_stage,
        "judge",
        lambda progress: (
            judge,
            tokenizer,
            float("nan"),
            {"run": "tiny random judge (tests)", "test_macro_f1": float("nan")},
        ),
    )
    monkeypatch.setattr(emotion_stage, "GENERATION", {**emotion_stage.GENERATION, "max_new_tokens": 6})
    written = emotion_stage.compute_stage(n_per_emotion=3, results_root=tmp_path / "tiny", progress=False)
    folder = tmp_path / "tiny" / "emotion"
    assert written == {
        "SmolLM2-135M-Instruct": {
            "extraction": folder / "SmolLM2-135M-Instruct.json",
            "steering": folder / "SmolLM2-135M-Instruct_steering.json",
        },
        "all-MiniLM-L6-v2": {"extraction": folder / "all-MiniLM-L6-v2.json", "steering": None},
    }
    return tmp_path / "tiny"


@pytest.mark.slow
def test_notebook_11_presents_a_stage_computed_on_tiny_models(tiny_stage, tmp_path):
    from lle.paths import REPO_ROOT
    from lle.publish.notebooks import execute

    records = sorted(p.name for p in (tiny_stage / "emotion").glob("*.json"))
    assert records == ["SmolLM2-135M-Instruct.json", "SmolLM2-135M-Instruct_steering.json", "all-MiniLM-L6-v2.json"]
    notebook = REPO_ROOT / "notebooks" / "11_emotion_localization_vs_lle.ipynb"
    output = execute(
        notebook,
        tmp_path / notebook.name,
        {"stage_root": str(tiny_stage), "update_docs": False, "out_dir": str(tmp_path / "out")},
    )
    assert '"output_type": "error"' not in output.read_text()  # (execute also raises on a failing cell)
    tables = tmp_path / "out" / "results" / "tables"
    separation = pd.read_csv(tables / "separation_layers.csv")
    assert set(separation.model) == {"SmolLM2-135M-Instruct", "all-MiniLM-L6-v2"}
    assert set(separation.layer) == {0, 1, 2, 3}  # the tiny models' embeddings and three blocks, not the real ones
    from lle.context.emotion import method

    scenarios = pd.read_csv(tables / "steering_scenarios.csv")  # emotions x steered layers of three blocks
    assert len(scenarios) == len(method.STEERED_EMOTIONS) * len(method.steering_layers(3))
    assert list((tmp_path / "out" / "figures").glob("localization_*.png"))
