"""The input checks the method shares (lle.method._validate), on their own: what each accepts and returns, and the
argument each error names. The public functions' bad inputs are tabled in tests/project/bad_inputs/cases_api.py."""

import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from lle.method import _validate as v


def test_tensors_and_nested_lists_become_float64_arrays_with_their_values():
    half = torch.tensor([[0.5, -1.25]], dtype=torch.bfloat16)
    np.testing.assert_array_equal(v.as_numpy(half, name="x"), [[0.5, -1.25]])
    assert v.as_numpy([[1, 2], [3, 4]], name="x").dtype == np.float64


@pytest.mark.parametrize(
    "value, error, message",
    [
        (True, TypeError, "scores must be a number, got True"),
        ("1.0", TypeError, "scores must be a numeric array or tensor, got the text"),
        ([[1.0, 2.0], [3.0]], ValueError, "scores is ragged"),
        (np.array([1 + 2j]), TypeError, "scores must be real-valued"),
        (np.array([True, False]), TypeError, "scores holds booleans"),
    ],
)
def test_a_value_that_is_not_numbers_is_refused_by_its_name(value, error, message):
    with pytest.raises(error, match=message):
        v.as_numpy(value, name="scores")


def test_integral_labels_of_any_numeric_type_are_kept_and_never_rounded():
    np.testing.assert_array_equal(v.class_indices(np.array([0.0, 2.0]), name="labels"), [0, 2])
    assert v.class_indices([1, 0], name="labels").dtype == np.int64
    with pytest.raises(ValueError, match=r"never rounded"):
        v.class_indices([0.0, 1.5], name="labels")
    with pytest.raises(ValueError, match=r"labels contain class 3, but there are 3 classes"):
        v.class_indices([0, 3], name="labels", n_classes=3)
    with pytest.raises(ValueError, match="labels is empty"):
        v.class_indices([], name="labels")
    assert v.class_indices([], name="labels", allow_empty=True).size == 0


@given(st.integers(2, 60).flatmap(lambda n: st.tuples(st.just(n), st.integers(-n + 1, n - 1))))
def test_a_negative_final_layer_counts_from_the_end(case):
    n_layers, final = case
    if final == 0:
        with pytest.raises(ValueError, match="outside"):
            v.resolve_final_layer(final, n_layers)
    else:
        assert v.resolve_final_layer(final, n_layers) == (final % n_layers)


def test_candidate_layers_are_sorted_unique_and_below_the_final_layer():
    np.testing.assert_array_equal(v.candidate_layer_array([3, 1, 3, 2], final_layer=4), [1, 2, 3])
    with pytest.raises(ValueError, match="The amateur can never be the final layer"):
        v.candidate_layer_array([2, 4], final_layer=4)


def test_probabilities_are_warned_about_and_log_probabilities_are_not():
    probabilities = np.array([[0.2, 0.8], [0.5, 0.5]])
    with pytest.warns(v.ProbabilityScoresWarning, match="pass np.log"):
        v.warn_if_probabilities(probabilities, name="scores")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        v.warn_if_probabilities(np.log(probabilities), name="scores")


def test_minus_infinity_is_a_probability_of_zero_but_a_row_of_it_is_no_distribution():
    v.require_scores(np.array([[[0.0, -np.inf]]]), name="scores")
    with pytest.raises(ValueError, match="1 row"):
        v.require_scores(np.array([[[-np.inf, -np.inf]]]), name="scores")
    with pytest.raises(ValueError, match="the first at sample 0, layer 1, class 0"):
        v.require_scores(np.array([[[0.0, 0.0], [np.nan, 0.0]]]), name="scores")


def test_alpha_lies_in_the_half_open_unit_interval_and_one_value_where_one_is_read():
    np.testing.assert_array_equal(v.check_alpha([0.1, 1.0]), [0.1, 1.0])
    for bad in (0.0, 1.5, []):
        with pytest.raises(ValueError, match="alpha"):
            v.check_alpha(bad)
    assert v.scalar_alpha(0.1) == 0.1
    with pytest.raises(ValueError, match="lle.evaluate_grid"):
        v.scalar_alpha([0.1, 0.2])


def test_interpolation_is_refused_unless_asked_for():
    with pytest.raises(ValueError, match="allow_interpolation=True"):
        v.check_target_layers([5, 7], final_layer=6, allow_interpolation=False)
    np.testing.assert_array_equal(v.check_target_layers([5, 7], final_layer=6, allow_interpolation=True), [5, 7])
    with pytest.raises(ValueError, match="beta must be >= 0"):
        v.check_static_betas([-0.25, 1.0], allow_interpolation=False)
    v.check_static_betas([-0.25, 1.0], allow_interpolation=True)
    with pytest.raises(TypeError, match=r"write betas=\[0.5\]"):
        v.list_of_numbers(0.5, name="betas", example="[0.5, 1.0]")


def test_an_object_that_is_not_numbers_is_refused_by_its_type():
    with pytest.raises(
        TypeError,
        match=r"^scores must be a numeric array or tensor, got object; pass numbers, "
        r"e\.g\. a numpy array of logits$",
    ):
        v.as_numpy(object(), name="scores")


def test_the_probability_warning_needs_every_value_in_0_1_and_rows_summing_to_1():
    def warns(array):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            v.warn_if_probabilities(np.array(array), name="scores")
        return len(caught) == 1

    assert warns([[0.0, 1.0]]) and warns([[0.3, 0.70005]])  # the ends count; rows sum to 1 within 1e-4
    assert not warns([[-0.5, 1.5]]) and not warns([[0.2, 0.3]]) and not warns([[0.3, 0.7003]])


def test_the_probability_warning_points_at_the_callers_line():
    import lle

    if "mutants" in Path(lle.__file__).parts:
        pytest.skip("under make mutants every call goes through mutmut's trampolines, which add stack frames")
    with pytest.warns(
        v.ProbabilityScoresWarning,
        match=r"contrastive scores need logits or log-probabilities: pass "
        r"np\.log\(probabilities\)$",
    ) as record:
        lle.classify(np.full((2, 3, 2), 0.5))
    assert record[0].filename == __file__


def test_a_negative_static_beta_is_named_in_the_refusal_the_first_five():
    with pytest.raises(
        ValueError,
        match=r"got \[-0\.5\]: beta < 0 interpolates towards the amateur \(beta = -1 "
        r"ranks by the amateur alone\)\. Pass allow_interpolation=True if you mean that \(the "
        r"released code's grid includes beta = -0\.25\)$",
    ):
        v.check_static_betas([-0.5, 0.0, 0.5, 1.0], allow_interpolation=False)
    with pytest.raises(ValueError, match=r"got \[-1\.0, -2\.0, -3\.0, -4\.0, -5\.0\]:"):
        v.check_static_betas([-1, -2, -3, -4, -5, -6], allow_interpolation=False)
