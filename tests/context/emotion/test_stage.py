"""The steering sweep's pieces: layers, masks, perplexity statistics and regimes, on tiny models and known rows."""

import numpy as np
import pandas as pd
import pytest
import tiny_models
import torch

from lle.context.emotion import method as study
from lle.context.emotion import report, stage


def test_steering_layers_at_relative_depths():
    assert study.steering_layers(30) == [8, 15, 22]  # round(7.5) = 8 (banker's rounding is Python's)
    assert study.steering_layers(4) == [1, 2, 3]
    assert study.steering_layers(1) == [1]


def test_continuation_mask_keeps_tokens_up_to_the_first_eos():
    sequences = torch.tensor([[1, 2, 7, 3, 9, 3], [1, 2, 7, 8, 8, 8]])
    mask = study.continuation_mask(sequences, 2, eos_id=3)
    assert mask.tolist() == [[0, 0, 1, 1, 0, 0], [0, 0, 1, 1, 1, 1]]


def test_continuation_statistics_on_a_tiny_decoder():
    model, tokenizer = tiny_models.build("llama", causal_lm=True), tiny_models.tiny_tokenizer()
    tokenizer.eos_token = "[SEP]"
    sequences, width = study.generate(model, tokenizer, ["i am so", "the text is very"], n_samples=2, seed=0)
    assert sequences.shape[0] == 4 and width == 6  # [CLS] ... [SEP] around each prompt, left-padded
    again, _ = study.generate(model, tokenizer, ["i am so", "the text is very"], n_samples=2, seed=0)
    assert torch.equal(sequences, again)
    steered, _ = study.generate(
        model, tokenizer, ["i am so", "the text is very"], n_samples=2, seed=0, layer=2, vector=np.zeros(32)
    )
    assert torch.equal(steered, sequences)  # a zero vector changes nothing
    rows = study.continuation_statistics(model, tokenizer, sequences, width)
    assert len(rows) == 4 and all(0 < r["distinct"] <= 1 and np.isfinite(r["nll"]) for r in rows)


def test_regimes_and_success_follow_the_documented_thresholds():
    assert study.regime(0.3, 1.0) == "repetitive collapse"
    assert study.regime(0.9, study.EXPLOSIVE_PPL_RATIO + 1) == "explosive"
    assert study.regime(0.9, 1.5) == "surgical"
    generations = pd.DataFrame(
        {
            "emotion": ["joy"] * 6,
            "layer": [3] * 6,
            "coefficient": [1.0, 1.0, 4.0, 4.0, 8.0, 8.0],
            "judged_target": [True, False, True, True, True, True],
            "nll": [2.0, 2.0, 2.5, 2.5, 9.0, 9.0],
            "distinct": [0.9, 0.9, 0.8, 0.8, 0.9, 0.9],
            "text": list("abcdef"),
        }
    )
    cells = study.summarize_cells(generations, baseline_nll=2.0, baseline_rates={"joy": 0.25})
    assert cells.regime.tolist() == ["surgical", "surgical", "explosive"]
    np.testing.assert_allclose(cells.gain, [0.25, 0.75, 0.75])
    np.testing.assert_allclose(cells.ppl_ratio, [1.0, np.exp(0.5), np.exp(7.0)])
    outcome = study.scenarios(cells).iloc[0]
    assert outcome.success and outcome.best_surgical_gain == pytest.approx(0.75)


def test_scaled_vector_has_the_asked_length():
    vectors = {"generation_token": np.ones((2, 3, 4)), "generation_token_norm": np.array([1.0, 10.0, 20.0])}
    assert np.linalg.norm(study.scaled_vector(vectors, 1, 1, 0.5)) == pytest.approx(5.0)


def test_the_sweep_is_cached_whole_and_per_cell(monkeypatch, tmp_path):
    """A rerun reads the record; a widened sweep generates only the cells it lacks; empty texts are not judged."""
    from lle.models import resolve
    from lle.models.backbones import Backbone

    monkeypatch.setenv("LLE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setitem(
        stage.BACKBONES, "tiny", Backbone("tiny", "tiny-llama", decoder=True, deep=False, lle_run="tiny-run")
    )
    monkeypatch.setattr(
        resolve, "resolve_model", lambda model_id: resolve.ResolvedModel(model_id, "memory", "test", None, None)
    )
    monkeypatch.setattr(resolve, "load_causal_lm", lambda model_id: tiny_models.build("llama", causal_lm=True))

    def tokenizer(model_id):
        made = tiny_models.tiny_tokenizer()
        made.eos_token = "[SEP]"
        return made

    monkeypatch.setattr(stage, "tokenizer_with_padding", tokenizer)
    path = stage.vectors_path("tiny")
    path.parent.mkdir(parents=True)
    n_emotions = len(study.EMOTIONS)
    np.savez(
        path,
        generation_token=np.random.default_rng(0).normal(size=(n_emotions, 4, 32)),
        generation_token_norm=np.ones(4),
    )
    monkeypatch.setattr(stage, "judge", lambda progress: (None, None, 0.5, {"test_macro_f1": 0.5}))
    judged = []
    monkeypatch.setattr(stage, "judged_labels", lambda m, t, texts: judged.extend(texts) or ["joy"] * len(texts))
    calls = []
    real_generate = stage.generate
    monkeypatch.setattr(stage, "generate", lambda *a, **k: calls.append(k.get("layer")) or real_generate(*a, **k))
    options = dict(emotions=("joy",), prompts=("i am so",), results_root=tmp_path / "results", progress=False)
    first = stage.sweep("tiny", coefficients=(1.0,), **options)
    n_layers = len(study.steering_layers(3))  # the tiny model has 3 blocks
    assert len(calls) == 1 + n_layers  # the unsteered cell and one per steered layer
    assert all(text for text in judged) and len(judged) == sum(bool(r["text"]) for r in first["generations"])
    assert stage.sweep("tiny", coefficients=(1.0,), **options) == first and len(calls) == 1 + n_layers
    widened = stage.sweep("tiny", coefficients=(1.0, 2.0), **options)
    assert len(calls) == 1 + 2 * n_layers  # only the new coefficient's cells
    assert [r for r in widened["generations"] if r["coefficient"] != 2.0] == first["generations"]  # reused as made
    steered, cells, scenarios = report.tables(widened)
    assert len(cells) == 2 * n_layers and steered.layer.dtype.kind == "i" and len(scenarios) == n_layers


def test_missing_results_name_the_script_that_computes_them(tmp_path):
    with pytest.raises(FileNotFoundError, match="compute_emotion.py"):
        stage.load_results(tmp_path)


def test_results_hold_every_extracted_model_and_its_sweep(tmp_path, monkeypatch):
    import json

    from lle.models.backbones import BACKBONES

    decoder = next(name for name, backbone in BACKBONES.items() if backbone.decoder)
    encoder = next(name for name, backbone in BACKBONES.items() if not backbone.decoder)
    for model, rows in ((decoder, [{"layer": 0}, {"layer": 1}]), (encoder, [{"layer": 0}])):
        stage.result_path(model, tmp_path).parent.mkdir(parents=True, exist_ok=True)
        stage.result_path(model, tmp_path).write_text(json.dumps({"separation": rows, "seconds": 1.0}))
    stage.sweep_path(decoder, tmp_path).write_text(json.dumps({"cells": []}))
    results = stage.load_results(tmp_path)
    assert sorted(results.records) == sorted([decoder, encoder])
    assert results.records[decoder] == {"seconds": 1.0}  # the rows moved into the table
    assert results.separation.groupby("model").size().to_dict() == {decoder: 2, encoder: 1}
    assert results.sweeps == {decoder: {"cells": []}}
