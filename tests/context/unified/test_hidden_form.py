"""The unified view's hidden-state form against its logit form: identical for an affine head (an oracle), identical
at β_u = 0 and 1 for any head, different in between for the paper's Linear-ReLU-Linear head; selection on
validation only; the stage refuses a recomputation that does not reproduce the committed scores."""

import json

import numpy as np
import pytest
import torch

from lle.context.unified import hidden_form
from lle.context.unified import report as unified_report
from lle.context.unified import stage as hidden_form_stage
from lle.context.unified.method import guided_log_probs
from lle.models.readout import ClassifierHead

N, LAYERS, HIDDEN, CLASSES = 40, 5, 8, 4


@pytest.fixture
def pooled():
    torch.manual_seed(0)
    return torch.randn(N, LAYERS, HIDDEN) * 2


def paper_head(seed=1):
    torch.manual_seed(seed)
    return ClassifierHead(HIDDEN, CLASSES, width=16).eval()


@pytest.mark.parametrize("beta_u", [-3.0, -1.0, -0.25, 0.3, 0.5, 1.0])
def test_an_affine_head_makes_both_forms_identical(pooled, beta_u):
    torch.manual_seed(2)
    head = torch.nn.Linear(HIDDEN, CLASSES)
    per_sample = np.random.default_rng(0).integers(0, LAYERS - 1, N)
    for layer in (1, per_sample):
        logit = guided_log_probs(hidden_form.layer_log_probs(head, pooled), layer, beta_u)
        hidden = hidden_form.hidden_form_log_probs(head, pooled, layer, beta_u)
        np.testing.assert_allclose(hidden, logit, atol=1e-5)


def test_the_mlp_head_agrees_only_at_the_ends(pooled):
    head = paper_head()
    log_probs = hidden_form.layer_log_probs(head, pooled)
    for beta_u in (0.0, 1.0):
        np.testing.assert_allclose(
            hidden_form.hidden_form_log_probs(head, pooled, 1, beta_u),
            guided_log_probs(log_probs, 1, beta_u),
            atol=1e-6,
        )
    gap = np.abs(hidden_form.hidden_form_log_probs(head, pooled, 1, -1.0) - guided_log_probs(log_probs, 1, -1.0))
    assert gap.max() > 1e-2  # the ReLU makes the head non-affine: the forms part


def test_compare_forms_reports_both_forms_and_their_agreement(pooled):
    labels = np.arange(N) % CLASSES
    rows = hidden_form.compare_forms(
        torch.nn.Linear(HIDDEN, CLASSES), pooled, labels, layers={"layer 1": 1}, unified_betas=[-1.0, 0.0, 0.5]
    )
    assert [r["unified_beta"] for r in rows] == [-1.0, 0.0, 0.5]
    for row in rows:
        assert row["agreement"] == 1.0 and row["hidden_macro_f1"] == pytest.approx(row["logit_macro_f1"])
    mlp = hidden_form.compare_forms(paper_head(), pooled, labels, layers={"layer 1": 1}, unified_betas=[-3.0, 0.0])
    assert mlp[1]["agreement"] == 1.0 and mlp[0]["agreement"] < 1.0


def test_selection_reads_validation_only():
    def row(beta, logit, hidden):
        return {
            "layer": "L-1",
            "unified_beta": beta,
            "logit_macro_f1": logit,
            "hidden_macro_f1": hidden,
            "logit_ece": 0.1,
            "hidden_ece": 0.2,
            "agreement": 0.9,
        }

    validation = [row(-1.0, 0.6, 0.4), row(0.0, 0.5, 0.5), row(0.5, 0.4, 0.5)]
    test = [row(-1.0, 0.1, 0.1), row(0.0, 0.9, 0.9), row(0.5, 0.2, 0.3)]  # test would pick 0.0 for both
    chosen = {r["form"]: r for r in hidden_form.selected_forms(validation, test)}
    assert chosen["logit"]["unified_beta"] == -1.0 and chosen["logit"]["test_macro_f1"] == 0.1
    assert chosen["hidden"]["unified_beta"] == 0.0  # a tie at 0.5 goes to the smaller |beta_u|


@pytest.mark.parametrize(
    "layer, shape, message", [(7, (N, LAYERS, HIDDEN), "layer must lie in 0..4"), (1, (N, HIDDEN), "pooled must be")]
)
def test_bad_layers_and_shapes_are_refused(layer, shape, message):
    with pytest.raises(ValueError, match=message):
        hidden_form.hidden_form_log_probs(paper_head(), torch.zeros(shape), layer, -1.0)


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
