"""Properties of the LLE math core on random inputs."""

import numpy as np
import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.spatial.distance import jensenshannon

import lle
from lle.method.core import LN2, distances_to_final

finite = st.floats(-20, 20, allow_nan=False, allow_infinity=False, width=64)

# Arbitrary logits can look like probabilities (a row [0.5, 0.5]); the warning lle gives then is tested in
# tests/method/test_validate.py, and is noise for the properties here.
pytestmark = pytest.mark.filterwarnings("ignore::lle.method._validate.ProbabilityScoresWarning")


@st.composite
def layer_scores(draw, min_layers=3, max_layers=8):
    n = draw(st.integers(1, 12))
    n_layers = draw(st.integers(min_layers, max_layers))
    n_classes = draw(st.integers(2, 6))
    return draw(arrays(np.float64, (n, n_layers, n_classes), elements=finite))


def random_scores(seed=0, shape=(64, 7, 5), scale=3.0):
    return np.random.default_rng(seed).normal(size=shape) * scale


# --- geometry: contrastive decoding is linear extrapolation -------------------------------------


@settings(max_examples=200, deadline=None)
@given(layer_scores(), st.integers(0, 30), st.floats(0.05, 1.0))
def test_line_through_amateur_and_final_read_at_target_equals_dynamic_beta_score(scores, offset, alpha):
    n_layers = scores.shape[1]
    final = n_layers - 1
    target = final + offset
    amateur = lle.select_amateur(scores, candidate_layers=range(final))
    logp = lle.log_softmax(scores)
    rows = np.arange(len(scores))
    final_logp, amateur_logp = logp[:, final], logp[rows, amateur]
    slope = (final_logp - amateur_logp) / (final - amateur)[:, None]
    line_at_target = final_logp + slope * (target - final)
    beta = lle.dynamic_beta(
        amateur_layer=amateur, final_layer=final, target_layer=target, allow_interpolation=offset == 0
    )  # offset 0: the final layer itself, beta = 0
    scores_cd = lle.contrastive_scores(final_logp, amateur_logp, beta=beta, alpha=alpha)
    plausible = np.isfinite(scores_cd)
    np.testing.assert_allclose(scores_cd[plausible], line_at_target[plausible], rtol=1e-9, atol=1e-9)


def test_unified_view_is_the_same_score():
    """guided = (1-β_u)·logits_L + β_u·logits_ℓ equals (1+β)·log p_L − β·log p_ℓ up to a per-sample shift."""
    rng = np.random.default_rng(1)
    final, layer = rng.normal(size=(2, 10, 6))
    beta = 0.7
    beta_u = lle.unified_beta_from_beta(beta)
    guided = (1 - beta_u) * final + beta_u * layer
    ours = lle.contrastive_scores(final, layer, beta=beta, alpha=1e-300)  # alpha tiny: nothing masked
    shift = guided - ours
    np.testing.assert_allclose(shift, shift[:, :1].repeat(6, axis=1), atol=1e-9)
    # Li et al.: divide by (1+β) to get log p_L − st_coef·log p_ℓ, same ranking
    li = lle.log_softmax(final) - lle.st_coef_from_beta(beta) * lle.log_softmax(layer)
    np.testing.assert_array_equal(np.argmax(li, 1), np.argmax(ours, 1))


# --- reductions to standard classification ------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(layer_scores(), st.floats(0.01, 1.0))
def test_beta_zero_is_standard_classification(scores, alpha):
    final = scores.shape[1] - 1
    standard = lle.classify(scores)
    static = lle.classify(scores, candidate_layers=range(final), beta=0.0, alpha=alpha)
    np.testing.assert_array_equal(static, standard)
    dynamic = lle.classify(
        scores, candidate_layers=range(final), target_layer=final, alpha=alpha, allow_interpolation=True
    )  # l_t = L is standard classification, only when asked for
    np.testing.assert_array_equal(dynamic, standard)


@settings(max_examples=150, deadline=None)
@given(layer_scores(), st.floats(-0.5, 5))
def test_alpha_one_keeps_only_the_top_class(scores, beta):
    final = scores.shape[1] - 1
    logp = lle.log_softmax(scores)[:, final]
    predicted = lle.classify(scores, candidate_layers=range(final), beta=beta, alpha=1.0, allow_interpolation=True)
    top = logp.max(axis=1)
    assert np.all(logp[np.arange(len(scores)), predicted] == top)
    untied = (logp == top[:, None]).sum(axis=1) == 1
    np.testing.assert_array_equal(predicted[untied], lle.classify(scores)[untied])


def test_standard_is_argmax_of_final_layer_and_final_layer_can_be_chosen():
    scores = random_scores()
    np.testing.assert_array_equal(lle.classify(scores), scores[:, -1].argmax(1))
    np.testing.assert_array_equal(lle.classify(scores, final_layer=4), scores[:, 4].argmax(1))


# --- invariances ---------------------------------------------------------------------------------


@settings(max_examples=100, deadline=None)
@given(layer_scores(), st.sampled_from(sorted(lle.DISTANCES)), st.floats(0.05, 1), st.floats(-0.5, 3))
def test_invariant_to_per_sample_per_layer_shift(scores, distance, alpha, beta):
    shift = np.random.default_rng(0).normal(size=scores.shape[:2] + (1,)) * 50
    final = scores.shape[1] - 1
    kwargs = dict(candidate_layers=range(final), distance=distance, alpha=alpha)
    a = lle.classify(scores, beta=beta, allow_interpolation=True, **kwargs)
    b = lle.classify(scores + shift, beta=beta, allow_interpolation=True, **kwargs)
    # a shift may move ties by one ulp; compare where the winner is clear
    logp = lle.log_softmax(scores)
    margin = np.sort(logp[:, final], axis=1)
    clear = (margin[:, -1] - margin[:, -2]) > 1e-6
    assume(clear.any())
    amateur_a = lle.select_amateur(scores, candidate_layers=range(final), distance=distance)
    amateur_b = lle.select_amateur(scores + shift, candidate_layers=range(final), distance=distance)
    same = amateur_a == amateur_b
    np.testing.assert_array_equal(a[clear & same], b[clear & same])


@settings(max_examples=100, deadline=None)
@given(layer_scores(), st.sampled_from(sorted(lle.DISTANCES)), st.integers(1, 30))
def test_each_sample_is_decided_on_its_own(scores, distance, offset):
    final = scores.shape[1] - 1
    kwargs = dict(candidate_layers=range(final), distance=distance, alpha=0.1, target_layer=final + offset)
    batch = lle.classify(scores, **kwargs)
    alone = np.concatenate([lle.classify(scores[i : i + 1], **kwargs) for i in range(len(scores))])
    np.testing.assert_array_equal(batch, alone)
    reversed_batch = lle.classify(scores[::-1], **kwargs)[::-1]
    np.testing.assert_array_equal(batch, reversed_batch)


def test_torch_and_float32_inputs_give_numpy_results():
    scores = random_scores(seed=3)
    expected = lle.classify(scores, candidate_layers=range(2, 6), target_layer=9)
    got = lle.classify(torch.tensor(scores), candidate_layers=range(2, 6), target_layer=9)
    assert isinstance(got, np.ndarray)
    np.testing.assert_array_equal(got, expected)
    assert isinstance(
        lle.select_amateur(torch.tensor(scores, dtype=torch.float32), candidate_layers=[1, 2]), np.ndarray
    )
    assert isinstance(lle.classify(torch.tensor(scores, dtype=torch.bfloat16)), np.ndarray)
    tiny_gap = np.array([[[0.0, 1e-12], [0.0, 1e-12]]])  # survives only in float64
    assert lle.classify(torch.tensor(tiny_gap, dtype=torch.float64))[0] == 1


# --- distances -------------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(arrays(np.float64, (2, 7), elements=finite))
def test_jsd_matches_scipy_is_symmetric_and_bounded(pair):
    logp = lle.log_softmax(pair)
    p_to_q = lle.DISTANCES["jsd"](logp[None, :1], logp[None, 1:])[0, 0]
    q_to_p = lle.DISTANCES["jsd"](logp[None, 1:], logp[None, :1])[0, 0]
    expected = jensenshannon(np.exp(logp[0]), np.exp(logp[1])) ** 2
    if np.isnan(expected):  # scipy takes sqrt of a -1e-17 rounding residue for (nearly) identical inputs
        expected = 0.0
    assert p_to_q == pytest.approx(expected, abs=1e-9)
    assert p_to_q == pytest.approx(q_to_p, abs=1e-15)
    assert 0.0 <= p_to_q <= LN2


def test_jsd_of_disjoint_distributions_is_ln2_and_of_identical_is_zero():
    logp = lle.log_softmax(np.array([[[800.0, 0.0]], [[0.0, 800.0]]]))
    assert lle.DISTANCES["jsd"](logp[0][None], logp[1][None])[0, 0] == pytest.approx(LN2)
    assert lle.DISTANCES["jsd"](logp[0][None], logp[0][None])[0, 0] == 0.0


def test_other_distances_against_direct_formulas():
    rng = np.random.default_rng(4)
    logp = lle.log_softmax(rng.normal(size=(5, 4, 6)))
    p, q = np.exp(logp[:, -1:]), np.exp(logp)
    np.testing.assert_allclose(distances_to_final(logp, 3, "kl"), (p * (np.log(p) - np.log(q))).sum(-1), atol=1e-12)
    np.testing.assert_allclose(distances_to_final(logp, 3, "tv"), 0.5 * np.abs(p - q).sum(-1), atol=1e-12)
    cos = (p * q).sum(-1) / np.linalg.norm(p, axis=-1) / np.linalg.norm(q, axis=-1)
    np.testing.assert_allclose(distances_to_final(logp, 3, "cosine"), (1 - cos) / 2, atol=1e-12)
    np.testing.assert_allclose(distances_to_final(logp, 3, "released_cosine"), 1 - cos / 2, atol=1e-12)
    for name in set(lle.DISTANCES) - {"released_cosine"}:  # 1 - cos/2 is 1/2, not 0, for identical distributions
        np.testing.assert_allclose(distances_to_final(logp, 3, name)[:, 3], 0.0, atol=1e-12)


def test_released_cosine_ranks_layers_like_cosine():
    logp = lle.log_softmax(np.random.default_rng(5).normal(size=(200, 8, 5)))
    for distance in ("cosine", "released_cosine"):
        assert np.array_equal(
            lle.select_amateur(logp, candidate_layers=range(7), distance=distance),
            lle.select_amateur(logp, candidate_layers=range(7), distance="cosine"),
        )


def test_select_amateur_picks_farthest_candidate_lowest_on_ties():
    # layers 0 and 1 equally far from the final layer, layer 2 identical to it
    scores = np.array([[[5.0, 0.0], [5.0, 0.0], [0.0, 5.0], [0.0, 5.0]]])
    assert lle.select_amateur(scores, candidate_layers=[0, 1, 2])[0] == 0
    assert lle.select_amateur(scores, candidate_layers=[2, 1])[0] == 1
    assert lle.select_amateur(scores, candidate_layers=[2])[0] == 2


# --- the plausibility constraint --------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(layer_scores(), st.floats(0.05, 1), st.floats(-0.9, 20))
def test_masked_classes_are_minus_inf_and_never_predicted(scores, alpha, beta):
    final = scores.shape[1] - 1
    logp = lle.log_softmax(scores)
    amateur = lle.select_amateur(scores, candidate_layers=range(final))
    cd = lle.contrastive_scores(logp[:, final], logp[np.arange(len(scores)), amateur], beta=beta, alpha=alpha)
    probs = np.exp(logp[:, final])
    plausible = probs >= alpha * probs.max(axis=1, keepdims=True) * (1 - 1e-12)
    implausible = probs < alpha * probs.max(axis=1, keepdims=True) * (1 - 1e-12)
    assert np.all(np.isneginf(cd[implausible]))
    assert np.all(np.isfinite(cd[~np.isneginf(cd)]))
    predicted = lle.classify(scores, candidate_layers=range(final), beta=beta, alpha=alpha, allow_interpolation=True)
    assert np.all(plausible[np.arange(len(scores)), predicted])


def test_plausible_class_with_score_zero_stays_plausible():
    """The released code turns exact zeros into -1e9 after masking; a plausible 0 must survive."""
    # β = 1: class 1 scores 2·log .5 − log .25 = 0, class 0 scores 2·log .5 − log .75 = log(1/3) < 0
    final = np.log(np.array([[0.5, 0.5]]))
    amateur = np.log(np.array([[0.75, 0.25]]))
    scores = lle.contrastive_scores(final, amateur, beta=1.0, alpha=0.1)
    assert scores[0, 1] == pytest.approx(0.0, abs=1e-12)
    assert scores[0, 0] == pytest.approx(np.log(1 / 3))
    assert np.argmax(scores[0]) == 1


# --- grid evaluator ----------------------------------------------------------------------------------


# --- errors name the fix -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (dict(candidate_layers=[6], beta=0.5), ValueError, "never be the final layer"),
        (dict(candidate_layers=[2, 9], beta=0.5), ValueError, "below the final layer"),
        (dict(candidate_layers=[], beta=0.5), ValueError, "empty"),
        (dict(candidate_layers=None, beta=0.5), ValueError, "candidate_layers is required"),
        (dict(candidate_layers=[1.5], beta=0.5), TypeError, "integers"),
        (dict(candidate_layers=[1], beta=0.5, alpha=0.0), ValueError, "alpha"),
        (dict(candidate_layers=[1], beta=0.5, alpha=1.5), ValueError, "alpha"),
        (dict(candidate_layers=[1], beta=0.5, target_layer=9), ValueError, "not both"),
        (dict(candidate_layers=[1], beta=0.5, distance="euclid"), ValueError, "unknown distance"),
        (dict(candidate_layers=[1], beta=np.ones(3)), ValueError, "beta must be a scalar"),
        (dict(final_layer=7), ValueError, "final_layer"),
    ],
)
def test_bad_arguments_raise_clear_errors(kwargs, error, message):
    with pytest.raises(error, match=message):
        lle.classify(random_scores(shape=(10, 7, 4)), **kwargs)


def test_bad_scores_raise_clear_errors():
    scores = random_scores(shape=(4, 5, 3))
    scores[1, 2, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        lle.classify(scores)
    with pytest.raises(ValueError, match=r"\(n_samples, n_layers, n_classes\)"):
        lle.classify(np.zeros((5, 3)))
    with pytest.raises(ValueError, match="same shape"):
        lle.contrastive_scores(np.zeros((2, 3)), np.zeros((2, 4)), beta=1, alpha=0.1)
    with pytest.raises(ValueError, match="labels must have shape"):
        lle.evaluate_grid(random_scores(), np.zeros(3), candidate_sets=[[1]], betas=[1])
    with pytest.raises(ValueError, match="amateur_layer must be below"):
        lle.dynamic_beta(amateur_layer=24, final_layer=24, target_layer=30)
