"""Every bad call of the API fails clearly (the exception type, and a message that names the offending argument and
the fix); random valid inputs never raise and random invalid ones never pass silently; probabilities where log
scores belong are warned about."""

import re
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import lle
from lle.method.metrics import classification_metrics

sys.path.insert(0, str(Path(__file__).parent))  # the case tables beside this file
from cases_api import BAD_INPUTS, CANDIDATES, PROBABILITY_CASES, SCORES  # noqa: E402
from cases_files import FILE_CASES  # noqa: E402


def test_the_table_is_long_enough():
    assert len(BAD_INPUTS) + len(FILE_CASES) >= 40
    assert len({case[0] for case in BAD_INPUTS + FILE_CASES}) == len(BAD_INPUTS) + len(FILE_CASES)


@pytest.mark.parametrize("case_id, what, call, error, patterns", BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS])
def test_bad_input_fails_clearly(case_id, what, call, error, patterns):
    with pytest.raises(error) as raised:
        call()
    for pattern in patterns:
        assert re.search(pattern, str(raised.value)), f"{case_id}: {pattern!r} not in {raised.value}"


# --- properties -------------------------------------------------------------------------------------------------

finite = st.floats(-30, 30, allow_nan=False, allow_infinity=False, width=64)


@st.composite
def valid_call(draw):
    n, layers, classes = draw(st.integers(1, 6)), draw(st.integers(2, 6)), draw(st.integers(2, 5))
    scores = draw(arrays(np.float64, (n, layers, classes), elements=finite))
    final = layers - 1
    if draw(st.booleans()):  # a probability of exactly 0 somewhere, never a whole row
        scores[draw(st.integers(0, n - 1)), draw(st.integers(0, final)), draw(st.integers(0, classes - 1))] = -np.inf
    candidates = sorted(draw(st.sets(st.integers(0, final - 1), min_size=1)))
    method = draw(st.sampled_from(["standard", "static", "dynamic"]))
    kwargs = (
        {}
        if method == "standard"
        else {
            "candidate_layers": candidates,
            "alpha": draw(st.floats(0.01, 1.0)),
            "distance": draw(st.sampled_from(sorted(lle.DISTANCES))),
        }
    )
    if method == "static":
        kwargs["beta"] = draw(st.floats(-0.5, 5))
        kwargs["allow_interpolation"] = kwargs["beta"] < 0  # asked for exactly when it interpolates
    if method == "dynamic":
        kwargs["target_layer"] = final + draw(st.integers(1, 3 * layers))
    return scores, kwargs


@settings(max_examples=300, deadline=None, derandomize=True)
@given(valid_call())
def test_random_valid_inputs_never_raise_and_give_class_indices(call):
    scores, kwargs = call
    predicted = lle.classify(scores, **kwargs)
    assert predicted.shape == (len(scores),) and np.all((0 <= predicted) & (predicted < scores.shape[2]))


BREAKERS = {
    "nan": lambda s, k: (np.where(np.arange(s.size).reshape(s.shape) == 0, np.nan, s), k),
    "posinf": lambda s, k: (np.where(np.arange(s.size).reshape(s.shape) == 0, np.inf, s), k),
    "target at or below L": lambda s, k: (
        s,
        {
            **k,
            "candidate_layers": [0],
            "alpha": 0.1,
            "beta": None,
            "allow_interpolation": False,
            "target_layer": s.shape[1] - 1 - k.get("_down", 0),
        },
    ),
    "alpha out of range": lambda s, k: (
        s,
        {**k, "candidate_layers": [0], "beta": 0.5, "target_layer": None, "alpha": 1.5},
    ),
    "final layer as candidate": lambda s, k: (
        s,
        {**k, "candidate_layers": [s.shape[1] - 1], "beta": 0.5, "target_layer": None},
    ),
}


@settings(max_examples=200, deadline=None, derandomize=True)
@given(valid_call(), st.sampled_from(sorted(BREAKERS)))
def test_random_invalid_inputs_never_pass_silently(call, breaker):
    scores, kwargs = BREAKERS[breaker](*call)
    kwargs = {k: v for k, v in kwargs.items() if v is not None}
    with pytest.raises((ValueError, TypeError)):
        lle.classify(scores, **kwargs)


@settings(max_examples=100, deadline=None, derandomize=True)
@given(st.lists(st.integers(0, 3), min_size=1, max_size=20), st.integers(4, 9))
def test_labels_out_of_range_never_pass(labels, bad):
    labels = np.array(labels)
    labels[0] = bad
    with pytest.raises(ValueError, match="4 classes"):
        classification_metrics(np.zeros_like(labels), labels, 4)


def test_minus_inf_is_a_probability_of_zero():
    """A class the amateur gives probability 0 scores like one it gives a tiny probability (it wins at β > 0),
    and at β = 0 nothing changes (0·∞ counts as 0)."""
    scores = np.random.default_rng(3).normal(size=(200, 6, 4))
    scores[:, 2, 1] = -np.inf
    tiny = np.where(np.isneginf(scores), -1e4, scores)
    for beta in (0.0, 0.5, 2.0):
        assert np.array_equal(
            lle.classify(scores, candidate_layers=[2], beta=beta, alpha=0.1),
            lle.classify(tiny, candidate_layers=[2], beta=beta, alpha=0.1),
        )
    table = lle.evaluate_grid(scores, np.arange(200) % 4, candidate_sets=[[2]], alphas=[0.1], betas=[0.0, 0.5])
    assert np.isfinite(table.macro_f1).all()


@pytest.mark.parametrize("what, call, message", PROBABILITY_CASES, ids=[c[0] for c in PROBABILITY_CASES])
def test_probabilities_where_log_scores_belong_are_warned_about(what, call, message):
    from lle.method._validate import ProbabilityScoresWarning

    with pytest.warns(ProbabilityScoresWarning, match=f"{message}.*np.log\\(probabilities\\)"):
        call()


def test_logits_never_warn():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lle.classify(SCORES, candidate_layers=CANDIDATES, beta=0.5)
