"""The theory notebook's numbers (lle.study.theory): the derivation, the round trips, the toy example and the
figures' facts, checked against the definitions rather than against the notebook."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import sympy as sp  # noqa: E402

import lle  # noqa: E402
from lle.study import theory  # noqa: E402


def test_the_derived_beta_is_the_papers_dynamic_beta():
    equation = theory.derive_dynamic_beta()
    ell_a, ell_t, big_l = sp.symbols("ell_a ell_t L", real=True)
    assert sp.simplify(equation.rhs - (ell_t - big_l) / (big_l - ell_a)) == 0


@pytest.mark.parametrize("n_layers", [6, 12, 24])
def test_beta_and_the_target_layer_round_trip(n_layers):
    lines = theory.round_trips(n_layers)
    target = n_layers + n_layers // 4
    assert len(lines) == 3 and all(line.endswith(f"back to l_t = {float(target):.1f}") for line in lines)


def test_the_toy_example_extrapolates_to_a_flip_from_an_amateur_that_is_not_final():
    toy = theory.toy_example(12)
    assert 6 <= toy["amateur"] < 12
    np.testing.assert_allclose(np.exp(toy["log_probs"]).sum(axis=1), 1.0)
    assert toy["prediction"] == theory.TOY_CLASSES[int(np.argmax(toy["log_probs"][-1]))]
    assert toy["flip_at"] in toy["targets"] and toy["flipped_to"] != toy["prediction"]
    logits = toy["log_probs"][None]  # log-probabilities classify like the logits they came from
    before = lle.classify(logits, candidate_layers=range(6, 12), target_layer=toy["flip_at"] - 1, alpha=0.1)
    assert theory.TOY_CLASSES[int(before[0])] == toy["prediction"], "the first flip is the first target that flips"


def test_the_unified_axis_places_lle_among_the_extrapolations():
    rows = dict((label, values) for label, values, _ in theory.unified_axis_rows(12))
    lle_row = next(values for label, values in rows.items() if label.startswith("LLE"))
    assert (lle_row < 0).all(), "LLE extrapolates: beta_u = -beta < 0"
    assert rows["standard ($\\beta$ = 0)"].tolist() == [0.0]


def test_the_plausibility_figure_shows_the_constraint_changing_the_prediction():
    figure = theory.plausibility_figure()
    titles = [ax.get_title() for ax in figure.axes]
    assert titles[0].endswith("predicts D") and titles[1].endswith("predicts A")
    plt.close(figure)


@pytest.mark.parametrize(
    "build",
    [
        lambda: theory.geometry_figure(theory.toy_example(12)),
        lambda: theory.beta_vs_target_figure(12),
        lambda: theory.unified_axis_figure(12),
    ],
)
def test_every_figure_names_its_axes(build):
    figure = build()
    assert figure.axes[0].get_xlabel()
    plt.close(figure)
