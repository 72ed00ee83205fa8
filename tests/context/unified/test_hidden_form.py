"""The unified view's hidden-state form against its logit form: identical for an affine head (an oracle), identical
at β_u = 0 and 1 for any head, different in between for the paper's Linear-ReLU-Linear head; selection on
validation only (lle.context.unified.hidden_form)."""

import numpy as np
import pytest
import torch

from lle.context.unified import hidden_form
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
