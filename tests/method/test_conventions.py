"""How the contrastive strength is written (lle.method.conventions): β against ℓ_t derived symbolically, inverted, broadcast,
shift-invariant, and the other papers' conventions round-tripped."""

import numpy as np
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

import lle


def test_sympy_derivation_of_dynamic_beta():
    la, lt, L, ya, yL = sp.symbols("ell_a ell_t L y_a y_L", real=True)
    line_at_target = yL + (lt - L) * (yL - ya) / (L - la)
    beta = sp.Symbol("beta")
    contrastive = (1 + beta) * yL - beta * ya
    solved = sp.solve(sp.Eq(line_at_target, contrastive), beta)
    assert len(solved) == 1
    assert sp.simplify(solved[0] - (lt - L) / (L - la)) == 0
    # and numerically against the package, for a grid of layers
    expr = sp.lambdify((la, lt, L), solved[0])
    for amateur, target, final in [(3, 30, 24), (16, 25, 24), (0, 7, 6), (5, 13, 12)]:
        assert lle.dynamic_beta(amateur_layer=amateur, final_layer=final, target_layer=target) == pytest.approx(
            expr(amateur, target, final)
        )


@given(st.integers(0, 23), st.floats(-3, 10))
def test_target_layer_inverts_dynamic_beta(amateur, beta):
    final = 24
    target = lle.target_layer(beta=beta, amateur_layer=amateur, final_layer=final, allow_interpolation=True)
    assert lle.dynamic_beta(
        amateur_layer=amateur, final_layer=final, target_layer=target, allow_interpolation=True
    ) == pytest.approx(beta)


def test_dynamic_beta_broadcasts_and_is_shift_invariant():
    amateur = np.array([0, 10, 20])
    beta = lle.dynamic_beta(amateur_layer=amateur, final_layer=24, target_layer=np.array([[25], [48]]))
    assert beta.shape == (2, 3)
    np.testing.assert_allclose(beta[1], (48 - 24) / (24 - amateur))
    # the paper's block numbering (final = 23, targets 24..49) gives the same β as hidden-state indices
    paper = lle.dynamic_beta(amateur_layer=amateur - 1 + 1, final_layer=23 + 1, target_layer=47 + 1)
    ours = lle.dynamic_beta(amateur_layer=amateur, final_layer=24, target_layer=48)
    np.testing.assert_allclose(paper, ours)


@given(st.floats(-0.9, 50))
def test_convention_round_trips(beta):
    assert lle.beta_from_st_coef(lle.st_coef_from_beta(beta)) == pytest.approx(beta, rel=1e-9, abs=1e-9)
    assert lle.beta_from_unified_beta(lle.unified_beta_from_beta(beta)) == beta
    assert lle.unified_beta_from_beta(beta) == -beta


def test_each_refusal_of_the_conventions_names_its_argument_and_the_fix():
    import lle

    with pytest.raises(ValueError, match=r"^amateur_layer, final_layer and beta must be finite numbers$"):
        lle.target_layer(beta=float("nan"), amateur_layer=2, final_layer=6)
    with pytest.raises(
        ValueError,
        match=r"^beta must be > 0 for a target layer above the final layer \(beta <= 0 "
        r"means standard classification or interpolation\); pass allow_interpolation=True if you "
        r"mean that$",
    ):
        lle.target_layer(beta=0.0, amateur_layer=2, final_layer=6)
    with pytest.raises(ValueError, match=r"^beta = -1 drops the final layer entirely and has no st_coef$"):
        lle.st_coef_from_beta(-1.0)
    with pytest.raises(ValueError, match=r"^st_coef = 1 corresponds to an infinite beta$"):
        lle.beta_from_st_coef(1.0)
