"""The one decision rule (lle.claims.decision): pooled estimates against the field's library, CI coverage on
synthetic data with a known effect, each verdict reached when it should be, and seeds nested in their pair."""

import math

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.meta_analysis import combine_effects

from lle.claims import decision
from lle.claims.decision import (
    CONTRADICTED,
    EQUIVALENT,
    INCONCLUSIVE,
    NONE,
    NOT_TESTED,
    SUPPORTED,
    decide_all,
    decision_columns,
    minimum_detectable_effect,
    nest_seeds,
    pool,
    pool_units,
    proportion,
    verdict,
)


def test_the_random_effects_pool_is_statsmodels_paule_mandel_with_the_hksj_interval_never_narrower():
    rng = np.random.default_rng(1)
    for _ in range(20):
        k = int(rng.integers(3, 15))
        y, v = rng.normal(0.01, 0.02, k), rng.uniform(1e-5, 4e-4, k)
        pooled = pool(y, v)
        reference = combine_effects(y, v, method_re="pm", use_t=True)
        assert pooled.estimate == pytest.approx(reference.mean_effect_re, rel=1e-12)
        assert pooled.se == pytest.approx(math.sqrt(max(reference.var_hksj_re, 1 / reference.w_total_re)), rel=1e-12)
        assert pooled.se >= math.sqrt(1 / reference.w_total_re) - 1e-15  # never narrower than plain RE
        assert pooled.tau**2 == pytest.approx(max(reference.tau2, 0), abs=1e-15) and pooled.df == k - 1


def test_without_standard_errors_the_pool_is_the_one_sample_t_interval():
    from scipy import stats

    y = np.array([0.02, -0.01, 0.03, 0.005, 0.012])
    pooled = pool(y)
    test = stats.ttest_1samp(y, 0.0)
    interval = test.confidence_interval(0.95)
    assert pooled.p_value == pytest.approx(test.pvalue) and pooled.estimate == pytest.approx(y.mean())
    assert (pooled.ci_low, pooled.ci_high) == pytest.approx((interval.low, interval.high))
    assert math.isnan(pooled.tau) and "t" in pooled.method


def test_the_p_value_and_the_ci_come_from_one_two_sided_procedure():
    rng = np.random.default_rng(2)
    for _ in range(200):
        k = int(rng.integers(2, 10))
        y = rng.normal(rng.normal(0, 0.01), 0.01, k)
        v = rng.uniform(1e-5, 1e-4, k) if rng.random() < 0.5 else None
        pooled = pool(y, v)
        excludes_zero = pooled.ci_low > 0 or pooled.ci_high < 0
        assert excludes_zero == (pooled.p_value < 0.05)
        assert pool(-y, v).p_value == pytest.approx(pooled.p_value)  # two-sided: the sign does not matter


@pytest.mark.parametrize("k, with_se", [(4, True), (14, True), (5, False), (14, False)])
def test_the_pooled_ci_covers_a_known_effect_about_95_percent_of_the_time(k, with_se):
    # Heterogeneous units (true effects vary between units) measured with unequal sampling error.
    rng = np.random.default_rng(k)
    true_effect, n_replicates, covered = 0.004, 1500, 0
    for _ in range(n_replicates):
        se = rng.uniform(0.005, 0.02, k)
        y = true_effect + rng.normal(0, 0.006, k) + rng.normal(0, se)
        pooled = pool(y, se**2 if with_se else None)
        covered += pooled.ci_low <= true_effect <= pooled.ci_high
    # Near 95%; with few units the HKSJ variance kept no smaller than the plain random-effects one is conservative
    # (about 99% at k = 4): an inconclusive verdict there errs toward caution, never toward a false finding.
    assert 0.935 <= covered / n_replicates <= (0.995 if k < 6 else 0.975)


def test_the_minimum_detectable_effect_is_detected_about_80_percent_of_the_time():
    rng = np.random.default_rng(3)
    k, sd = 10, 0.01
    units = rng.normal(0, 1, k)
    design = pool(sd * (units - units.mean()) / units.std(ddof=1))  # a design whose units' SD is exactly sd
    mde = minimum_detectable_effect(design)
    # A true effect of the MDE, measured by the same design, is found (two-sided, 0.05) about 80% of the time.
    hits = sum(pool(rng.normal(mde, sd, k)).p_value < 0.05 for _ in range(4000))
    assert 0.75 <= hits / 4000 <= 0.85
    assert minimum_detectable_effect(pool([0.1])) == math.inf


def _decided(y, v=None, margin=0.01, claimed=decision.POSITIVE, p_adjusted=None):
    pooled = pool(y, v)
    return verdict(pooled.ci_low, pooled.ci_high, pooled.p_value if p_adjusted is None else p_adjusted, margin, claimed)


def test_each_of_the_four_verdicts_is_reached_when_it_should_be():
    rng = np.random.default_rng(4)
    noise = rng.normal(0, 1, 40)
    noise = (noise - noise.mean()) / noise.std(ddof=1)
    assert _decided(0.03 + 0.005 * noise) == SUPPORTED  # clearly positive, beyond the margin
    assert _decided(-0.03 + 0.005 * noise) == CONTRADICTED
    assert _decided(0.001 + 0.002 * noise) == EQUIVALENT  # tight around 0, well inside ±0.01
    assert _decided(0.003 + 0.02 * noise[:6]) == INCONCLUSIVE  # few, noisy units
    # Equivalence takes precedence: a real but negligible effect (CI excludes 0, inside the margin).
    small = 0.004 + 0.001 * noise
    assert pool(small).ci_low > 0 and _decided(small) == EQUIVALENT
    # A CI beyond 0 whose multiplicity-adjusted p is not below 0.05 is not yet support.
    assert _decided(0.03 + 0.005 * noise, p_adjusted=0.2) == INCONCLUSIVE


def test_a_claim_of_no_effect_is_never_supported_only_equivalent_contradicted_or_inconclusive():
    rng = np.random.default_rng(5)
    noise = rng.normal(0, 1, 30)
    assert _decided(0.001 + 0.002 * noise, claimed=NONE) == EQUIVALENT
    assert _decided(0.05 + 0.005 * noise, claimed=NONE) == CONTRADICTED  # beyond the margin
    assert _decided(0.012 + 0.01 * noise, claimed=NONE) == INCONCLUSIVE  # CI straddles the margin
    with pytest.raises(ValueError, match="claimed must be"):
        verdict(0.0, 0.1, 0.01, 0.01, "positive")


def test_the_verdicts_of_a_source_are_adjusted_together_and_their_margin_sensitivity_stated():
    rows = []
    for y in ([0.03, 0.031, 0.029, 0.032], [0.011, 0.013, 0.009, 0.012], [0.0, 0.05, -0.04, 0.01]):
        rows.append({"claim": str(y), **decision_columns(pool(y), "score")})
    frame = decide_all(pd.DataFrame(rows))
    from statsmodels.stats.multitest import multipletests

    assert frame.p_adjusted.tolist() == pytest.approx(multipletests(frame.p_value, method="fdr_bh")[1].tolist())
    assert frame.verdict.tolist() == [SUPPORTED, SUPPORTED, INCONCLUSIVE]
    # The second claim's CI sits inside ±0.02 but beyond ±0.01: the verdict depends on the margin, and says so.
    assert frame.verdict_double_margin[1] == EQUIVALENT and frame.verdict_half_margin[1] == SUPPORTED
    untested = decide_all(pd.DataFrame([{**rows[0], "verdict": NOT_TESTED}, {**rows[1], "verdict": "pending"}]))
    assert untested.verdict.tolist() == [NOT_TESTED, SUPPORTED] and math.isnan(untested.p_adjusted[0])


def test_training_seeds_are_nested_in_their_pair_and_a_single_seed_pair_borrows_the_seed_variance():
    frame = pd.DataFrame(
        {
            "model": ["m"] * 3 + ["n"],
            "dataset": ["d"] * 4,
            "seed": [0, 1, 2, 0],
            "effect": [0.01, 0.03, 0.02, 0.0],
            "se": [0.01] * 4,
        }
    )
    units = nest_seeds(frame).set_index("model")
    assert units.loc["m", "effect"] == pytest.approx(0.02) and units.loc["m", "n_seeds"] == 3
    seed_var = np.var([0.01, 0.03, 0.02], ddof=1)
    assert units.loc["m", "variance"] == pytest.approx(seed_var / 3 + 1e-4)
    assert units.loc["n", "variance"] == pytest.approx(seed_var + 1e-4)  # one seed: the others' seed variance
    assert units.loc["m", "seed_sd"] == pytest.approx(math.sqrt(seed_var)) and math.isnan(units.loc["n", "seed_sd"])
    pooled, table = pool_units(frame, "effect", "se")
    assert pooled.n_units == 2 and len(table) == 2
    # Ignoring the seeds (each seed its own unit) would claim more units and a narrower interval.
    naive = pool(frame.effect, frame.se**2)
    assert naive.n_units == 4 and naive.ci_high - naive.ci_low < pooled.ci_high - pooled.ci_low


def test_a_share_against_a_reference_uses_the_exact_binomial_interval():
    from scipy import stats

    pooled = proportion(5, 30, 0.5)
    interval = stats.binomtest(5, 30, 0.5).proportion_ci(method="exact")
    assert pooled.estimate == pytest.approx(5 / 30 - 0.5)
    assert (pooled.ci_low, pooled.ci_high) == pytest.approx((interval.low - 0.5, interval.high - 0.5))
    assert pooled.p_value == pytest.approx(stats.binomtest(5, 30, 0.5).pvalue)
    assert pool([]).n_units == 0 and proportion(0, 0, 0.5).n_units == 0


def test_a_share_carries_its_standard_error_units_and_method_and_reads_its_level():
    from scipy import stats

    pooled = proportion(5, 30, 0.5)
    assert pooled.se == pytest.approx(math.sqrt((5 / 30) * (25 / 30) / 30))
    assert (pooled.df, pooled.n_units) == (29, 30) and math.isnan(pooled.tau) and math.isnan(pooled.i2)
    assert pooled.method == "share of 30 trials against 0.5, exact binomial"
    wider = proportion(5, 30, 0.5, level=0.01)
    exact = stats.binomtest(5, 30, 0.5).proportion_ci(confidence_level=0.99, method="exact")
    assert (wider.ci_low, wider.ci_high) == pytest.approx((exact.low - 0.5, exact.high - 0.5))
    assert wider.ci_low < pooled.ci_low and wider.ci_high > pooled.ci_high
    # every trial a success: the SE is floored at the widest share's, never 0
    assert proportion(12, 12, 0.25).se == pytest.approx(math.sqrt(0.25 / 12 / 12))


def test_describe_prints_the_mde_beside_an_inconclusive_verdict_only():
    frame = decide_all(
        pd.DataFrame(
            [
                {"claim": "a", **decision_columns(pool([0.0, 0.04, -0.03]), "score")},
                {"claim": "b", **decision_columns(pool([0.001, 0.0012, 0.0009]), "score")},
            ]
        )
    )
    first, second = (decision.describe(row) for _, row in frame.iterrows())
    assert first.startswith("inconclusive") and "detectable at 80% power" in first
    assert second.startswith(EQUIVALENT) and "detectable" not in second and "excludes 0" in second


def test_describe_writes_each_verdict_with_its_numbers():
    row = {"estimate": 0.0123, "ci_low": 0.0045, "ci_high": 0.02, "margin": 0.01, "mde": 0.0311}
    assert decision.describe({**row, "verdict": SUPPORTED}) == "supported: +0.0123 [+0.0045, +0.0200], margin ±0.01"
    assert decision.describe({**row, "verdict": NOT_TESTED}) == NOT_TESTED
    assert decision.describe({**row, "verdict": INCONCLUSIVE}).endswith("margin ±0.01; detectable at 80% power: 0.0311")
    inside = {**row, "ci_low": -0.004, "ci_high": 0.003, "verdict": EQUIVALENT}
    assert decision.describe(inside) == "equivalent to no effect: +0.0123 [-0.0040, +0.0030], margin ±0.01"
    for low, high in ((0.001, 0.004), (-0.004, -0.001)):
        assert decision.describe({**inside, "ci_low": low, "ci_high": high}).endswith(
            "(the CI also excludes 0: a real but negligible effect)"
        )


def test_identical_units_without_standard_errors_give_no_interval_rather_than_a_certain_one():
    pooled = pool([-0.01032110092, -0.01032110092 + 1e-17])  # equal but for float rounding
    assert (
        pooled.estimate == pytest.approx(-0.01032110092) and pooled.ci_low == -math.inf and pooled.ci_high == math.inf
    )
    assert verdict(pooled.ci_low, pooled.ci_high, pooled.p_value, 0.01, NONE) == INCONCLUSIVE
    assert minimum_detectable_effect(pooled) == math.inf


def test_standard_errors_from_an_interval_and_from_a_share_keep_missing_values_missing():
    from scipy import stats

    assert decision.se_from_ci(0.1, 0.5) == pytest.approx(0.4 / (2 * stats.norm.ppf(0.975)))
    assert decision.se_from_ci(0.1, 0.5, level=0.1) == pytest.approx(0.4 / (2 * stats.norm.ppf(0.95)))
    missing = decision.se_from_ci([0.1, None], [0.5, None])
    assert missing[0] == pytest.approx(0.4 / (2 * stats.norm.ppf(0.975))) and math.isnan(missing[1])
    assert decision.binomial_se(0.3, 100) == pytest.approx(math.sqrt(0.3 * 0.7 / 100))
    # a share of 0 or 1 counts half a trial, from either side
    np.testing.assert_allclose(decision.binomial_se([0.0, 1.0], [10, 10]), math.sqrt(0.05 * 0.95 / 10))
    assert math.isnan(decision.binomial_se([None], [10])[0])


@pytest.mark.parametrize(
    "ci_low, ci_high, p_adjusted, claimed, expected",
    [
        (-0.01, 0.005, 0.5, "positive", EQUIVALENT),  # a CI ending exactly at -margin is inside
        (-0.005, 0.01, 0.5, "positive", EQUIVALENT),  # and exactly at +margin
        (0.01, 0.02, 0.5, NONE, INCONCLUSIVE),  # a claim of no effect: starting exactly at the margin is not beyond
        (-0.02, -0.01, 0.5, NONE, INCONCLUSIVE),
        (-0.03, 0.005, 0.5, NONE, INCONCLUSIVE),  # beyond on one end only, inside 0 on the other
        (0.02, 0.05, 0.05, "positive", INCONCLUSIVE),  # p exactly at the level is not significant
        (0.0, 0.05, 0.01, "positive", INCONCLUSIVE),  # a CI touching 0 is not on the claimed side
        (-0.05, 0.0, 0.01, "positive", INCONCLUSIVE),
        (-0.02, 0.05, 0.01, "positive", INCONCLUSIVE),  # a significant p with a CI across 0: the two disagree
    ],
)
def test_verdicts_at_their_boundaries(ci_low, ci_high, p_adjusted, claimed, expected):
    claimed = decision.POSITIVE if claimed == "positive" else claimed
    assert verdict(ci_low, ci_high, p_adjusted, 0.01, claimed) == expected


def test_decide_all_adds_exactly_its_columns_and_reads_each_claims_side_and_margins():
    base = {"estimate": 0.0, "margin": 0.01, "p_value": 0.001}
    frame = pd.DataFrame(
        [
            {**base, "ci_low": 0.02, "ci_high": 0.05, "claimed": NONE},  # no effect claimed: contradicted
            {**base, "ci_low": -0.025, "ci_high": 0.025, "claimed": decision.POSITIVE, "p_value": 0.5},
        ]
    )
    decided = decide_all(frame)
    assert list(decided.columns) == [
        *frame.columns,
        "p_adjusted",
        "verdict",
        "verdict_half_margin",
        "verdict_double_margin",
    ]
    assert decided.verdict.tolist() == [CONTRADICTED, INCONCLUSIVE]
    assert decided.verdict_double_margin.tolist()[1] == INCONCLUSIVE  # ±0.02 does not hold ±0.025


def test_adjusted_p_values_keep_missing_ones_missing():
    adjusted = decision.adjust([0.01, None, 0.04])
    assert math.isnan(adjusted[1]) and adjusted[0] == pytest.approx(0.02) and adjusted[2] == pytest.approx(0.04)


def test_units_keep_the_order_they_appear_in_and_the_seed_note_describes_their_seeds():
    frame = pd.DataFrame(
        {
            "model": ["z", "z", "a", "a", "m"],
            "dataset": ["d"] * 5,
            "effect": [0.01, 0.03, 0.02, 0.05, 0.0],
        }
    )
    units = nest_seeds(frame, se=None)
    assert units.model.tolist() == ["z", "a", "m"] and units.variance.isna().all()
    assert decision.seed_note(units) == (
        "2 of 3 units with 2-2 training seeds (seed SD of the effect 0.0141 to 0.0212; the others borrow their "
        "mean seed variance)"
    )
    assert decision.seed_note(units.assign(within="pooling")) == ""  # not training seeds: no seed note
    assert decision.seed_note(units.assign(within="seed")) != ""
    assert decision.seed_note(nest_seeds(frame.iloc[[0, 2, 4]], se=None)) == ""  # one seed each


def test_no_units_and_one_unit_pool_to_no_interval_with_their_reasons():
    empty = pool([])
    assert (empty.df, empty.n_units, empty.method) == (0, 0, "no units")
    assert all(math.isnan(x) for x in (empty.estimate, empty.se, empty.ci_low, empty.ci_high, empty.p_value))
    assert math.isnan(empty.tau) and math.isnan(empty.i2)
    one = pool([0.3], [0.01])
    assert (one.estimate, one.ci_low, one.ci_high, one.df, one.p_value, one.n_units, one.method) == (
        0.3,
        -math.inf,
        math.inf,
        0,
        1.0,
        1,
        "one unit: no interval",
    )
    assert math.isnan(one.se) and math.isnan(one.tau) and math.isnan(one.i2)
    assert minimum_detectable_effect(one) == math.inf
    finite_se_no_df = decision.Pooled(0.1, 0.01, 0.0, 0.2, 0, 0.5, math.nan, math.nan, 1, "x")
    assert minimum_detectable_effect(finite_se_no_df) == math.inf


def test_the_random_effects_pool_reports_statsmodels_heterogeneity_share():
    y, v = [0.01, 0.05, -0.02, 0.03], [1e-4, 2e-4, 1e-4, 3e-4]
    reference = combine_effects(np.array(y), np.array(v), method_re="pm", use_t=True)
    assert pool(y, v).i2 == pytest.approx(max(reference.i2, 0.0))


def test_pool_units_pools_the_units_with_their_variances_names_them_and_reads_its_level():
    frame = pd.DataFrame(
        {
            "model": ["m", "m", "n", "o"],
            "dataset": ["d", "d", "d", "e"],
            "effect": [0.01, 0.03, 0.0, 0.02],
            "se": [0.01, 0.02, 0.01, 0.03],
        }
    )
    pooled, table = pool_units(frame, "effect", "se")
    units = nest_seeds(frame, se="se")
    expected = pool(units.effect, units.variance)
    assert (pooled.estimate, pooled.ci_low, pooled.ci_high) == pytest.approx(
        (expected.estimate, expected.ci_low, expected.ci_high)
    )
    assert pooled.method.startswith("random effects") and table.unit.tolist() == ["m / d", "n / d", "o / e"]
    assert table.within.tolist() == ["seed"] * 3
    plain, _ = pool_units(frame, "effect")
    assert plain.method.startswith("mean of 3 units") and plain.estimate == pytest.approx(np.mean([0.02, 0.0, 0.02]))
    narrow, _ = pool_units(frame, "effect", "se", level=0.2)
    assert narrow.ci_high - narrow.ci_low < pooled.ci_high - pooled.ci_low
    assert decision.unit_rows(frame.iloc[:0], ("model", "dataset")).unit.dtype == object


def test_units_that_agree_exactly_give_no_interval_and_only_then():
    same = pool([0.2, 0.2])
    assert (same.estimate, same.se, same.ci_low, same.ci_high, same.df, same.p_value, same.n_units) == (
        0.2,
        math.inf,
        -math.inf,
        math.inf,
        1,
        1.0,
        2,
    )
    assert math.isnan(same.tau) and math.isnan(same.i2)
    assert same.method == "mean of 2 units, one-sample t; the units agree exactly, so no interval can be estimated"
    for close in ([1.0, 1.000001], [0.1, 0.1 + 1e-10]):  # close, but not equal to rounding: an interval
        assert math.isfinite(pool(close).ci_high)


def test_unusable_variances_fall_back_to_the_plain_mean():
    y = [0.1, 0.2, 0.35]
    for variances in ([1e-4, math.nan, 1e-4], [1e-4, 0.0, 1e-4], [1e-4, -1e-4, 1e-4]):
        assert pool(y, variances).method == "mean of 3 units, one-sample t"
    assert pool(y, [1e-4, 2e-4, 1e-4]).method.startswith("random effects over 3 units")
