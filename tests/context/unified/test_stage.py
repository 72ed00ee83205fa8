"""The unified view's hidden-form stage (lle.context.unified.stage): a recomputation is measured against the
committed scores, a cache that mixes runs is refused, only frozen-head runs qualify, and the stored results load as
tables."""

import json

import numpy as np
import pytest

from lle.context.unified import stage as hidden_form_stage


def test_reproduction_is_measured_and_a_mixed_cache_is_refused():
    from lle.store.scores import LayerScores

    labels = np.array([0, 1, 1])
    committed = LayerScores(np.log(np.array([[[0.9, 0.1]], [[0.2, 0.8]], [[0.3, 0.7]]])), labels, {})
    same = hidden_form_stage.reproduction(committed, LayerScores(committed.log_probs + 1e-7, labels, {}))
    assert same["reproduces"] and same["final_layer_macro_f1"] == {"committed": 1.0, "recomputed": 1.0}
    flipped = LayerScores(committed.log_probs[:, :, ::-1].copy(), labels, {})
    other = hidden_form_stage.reproduction(committed, flipped)
    assert not other["reproduces"] and other["final_layer_macro_f1"]["recomputed"] == 0.0
    hidden_form_stage._check_consistent(committed.log_probs, committed.log_probs + 1e-6, "test")
    with pytest.raises(ValueError, match="the cache mixes runs"):
        hidden_form_stage._check_consistent(committed.log_probs, flipped.log_probs, "test")


def test_only_frozen_head_runs_qualify():
    with pytest.raises(ValueError, match="needs a frozen-head run"):
        hidden_form_stage.recompute_run("all-MiniLM-L6-v2-finetuned", "tweet_hate")


def test_results_load_as_tables(tmp_path):
    with pytest.raises(FileNotFoundError, match="compute_hidden_form.py"):
        hidden_form_stage.load_results(tmp_path)
    reproduction = {
        "max_abs_difference": 2e-7,
        "reproduces": True,
        "final_layer_macro_f1": {"committed": 0.5, "recomputed": 0.5},
    }
    record = {
        "provenance": {
            "run": "r",
            "dataset": "d",
            "seconds": 3.0,
            "reproduction": {"validation": {**reproduction, "max_abs_difference": 0.0}, "test": reproduction},
        },
        "rows": [{"split": "test", "layer": "L-1", "unified_beta": 0.0}],
        "selected": [{"layer": "L-1", "form": "hidden", "unified_beta": 0.0}],
    }
    path = hidden_form_stage.result_path("r", "d", tmp_path)
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(record))
    tables = hidden_form_stage.load_results(tmp_path)
    assert tables["provenance"].max_abs_difference_to_committed.tolist() == [2e-7]
    assert tables["provenance"].reproduces_committed.tolist() == [True]
    assert tables["rows"].run.tolist() == ["r"] and tables["selected"].form.tolist() == ["hidden"]
