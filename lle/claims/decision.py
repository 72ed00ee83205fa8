"""The one decision rule for every claim of every source: a pooled estimate, its 95% CI and a stated margin.

A claim is decided from its **units** — (model, dataset) pairs, backbones, decoders or curves — each with an effect
oriented so that a positive value is the direction the source claims, and, where the unit has one, the standard
error of that effect (from its paired bootstrap CI, or binomial). Training seeds are nested in their pair
(:func:`nest_seeds`). The units are pooled by :func:`pool`:

* with standard errors: a random-effects meta-analysis (Paule–Mandel τ², inverse-variance weights) whose CI uses
  the Hartung–Knapp–Sidik–Jonkman variance, never smaller than the plain random-effects variance, with a
  t distribution on k − 1 degrees of freedom — the variant that keeps its coverage with few units;
* without them: the mean of the units with a one-sample t interval, whose spread then carries every source of
  variation (between pairs and within them).

The two-sided p-value comes from the same t statistic, so ``p < 0.05`` exactly when the CI excludes 0. Across the
claims of one source the p-values are adjusted by Benjamini–Hochberg (:func:`adjust`). :func:`verdict` then reads:

* **equivalent to no effect** — the CI lies inside ± the margin (this takes precedence; it is noted when the CI
  also excludes 0);
* **supported** — the CI lies above 0 and the adjusted p < 0.05;
* **contradicted** — the CI lies below 0 and the adjusted p < 0.05 (for a claim of *no* effect: the CI lies
  entirely beyond the margin);
* **inconclusive** — otherwise; the minimum detectable effect of the design (:func:`minimum_detectable_effect`,
  80% power) is printed beside it.

The margin — the smallest effect of interest — is stated once per scale in :data:`SCALES` with its reason.

On synthetic heterogeneous units with a known effect (tests/claims/test_decision.py) the 95% CI covers it 94–97% of the time
with 14 units, and about 99% with 4: with few units the interval errs toward caution, so an *inconclusive* verdict
is more likely than a false *supported* or *contradicted* one. The units of one claim are treated as independent;
the (model, dataset) pairs share models across datasets, which the interval does not model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.meta_analysis import combine_effects
from statsmodels.stats.multitest import multipletests

LEVEL = 0.05
POWER = 0.80
SUPPORTED, CONTRADICTED, EQUIVALENT, INCONCLUSIVE = (
    "supported",
    "contradicted",
    "equivalent to no effect",
    "inconclusive",
)
NOT_TESTED = "not tested"
VERDICTS = (SUPPORTED, CONTRADICTED, EQUIVALENT, INCONCLUSIVE, NOT_TESTED)
MEANINGS = {
    SUPPORTED: "the pooled 95% CI lies on the claimed side of 0 and the multiplicity-adjusted p < 0.05",
    CONTRADICTED: "the pooled 95% CI lies on the other side of 0 (for a claim of no effect: beyond the margin)",
    EQUIVALENT: "the pooled 95% CI lies inside ± the margin: any effect is smaller than the smallest of interest",
    INCONCLUSIVE: "the evidence is too weak to decide either way; the minimum detectable effect says how large an "
    "effect the design would find 80% of the time",
    NOT_TESTED: "the claim cannot be tested with the models and data here; the reason is given",
}
POSITIVE, NONE = "a positive effect", "no effect"  # what a claim asserts


@dataclass(frozen=True)
class Scale:
    name: str
    margin: float
    reason: str


SCALES = {
    "score": Scale(
        "score points (macro-F1, recall, precision, ECE, accuracy; 0 to 1)",
        0.01,
        "one point: the LLE paper reports its gains to one decimal of a percentage point and its smallest "
        "gain over the standard classifier is about one point",
    ),
    "share": Scale(
        "share of predictions or units (0 to 1)",
        0.05,
        "five percentage points: a share that moves by less does not change what a reader concludes",
    ),
    "nats": Scale(
        "mean entropy (nats)",
        0.05,
        "a twentieth of a nat, about the entropy change of moving 2% of the probability mass",
    ),
    "depth": Scale("relative depth (0 to 1)", 0.1, "a tenth of the network's depth"),
}


@dataclass(frozen=True)
class Pooled:
    """A claim's pooled effect over its units."""

    estimate: float
    se: float
    ci_low: float
    ci_high: float
    df: int
    p_value: float
    tau: float  # between-unit standard deviation (nan without per-unit SEs)
    i2: float  # share of the variation due to heterogeneity (nan without per-unit SEs)
    n_units: int
    method: str


def se_from_ci(ci_low, ci_high, level: float = LEVEL) -> np.ndarray:
    """Standard errors from symmetric-normal (1 − level) CIs (a bootstrap percentile CI read as such)."""
    return (np.asarray(ci_high, float) - np.asarray(ci_low, float)) / (2 * stats.norm.ppf(1 - level / 2))


def binomial_se(share, n) -> np.ndarray:
    """Standard error of an observed share of ``n`` trials (never 0: a share of 0 or 1 counts half a trial)."""
    share, n = np.asarray(share, float), np.asarray(n, float)
    p = np.clip(share, 0.5 / n, 1 - 0.5 / n)
    return np.sqrt(p * (1 - p) / n)


def nest_seeds(
    frame: pd.DataFrame, *, effect: str = "effect", se: str | None = "se", unit=("model", "dataset")
) -> pd.DataFrame:
    """One row per unit from rows per (unit, training seed): the mean effect over the seeds and its variance.

    Seeds of one pair share its test set, so the variance of a pair's mean is taken as the seeds' spread over their
    number plus the mean sampling variance (conservative: the spread also holds some sampling noise). A pair with
    one seed borrows the seed variance measured on the pairs with several (mean within-pair variance across seeds),
    so a single-seed pair is not treated as if seeds did not matter. Columns: the unit's, ``effect``, ``variance``
    (NaN when ``se`` is None), ``n_seeds`` and ``seed_sd`` (NaN for single-seed pairs)."""
    unit = list(unit)
    sampling = frame[se] ** 2 if se is not None else np.nan
    grouped = frame.assign(_v=sampling).groupby(unit, sort=False)
    out = grouped.agg(
        effect=(effect, "mean"), n_seeds=(effect, "size"), seed_var=(effect, "var"), sampling=("_v", "mean")
    ).reset_index()
    seeded = out.n_seeds > 1
    borrowed = float(out.seed_var[seeded].mean()) if seeded.any() else 0.0
    seed_var = out.seed_var.where(seeded, borrowed)
    out["variance"] = seed_var / out.n_seeds + out.sampling if se is not None else np.nan
    out["seed_sd"] = np.sqrt(out.seed_var.where(seeded))
    return out.drop(columns=["seed_var", "sampling"])


def pool(effects, variances=None, *, level: float = LEVEL) -> Pooled:
    """Pool per-unit ``effects`` (module docstring): random effects with HKSJ when ``variances`` are given (any NaN
    among them: treated as not given), else the mean with a one-sample t interval."""
    y = np.asarray(effects, dtype=float)
    k = y.size
    if k == 0:
        return Pooled(*(math.nan,) * 4, 0, math.nan, math.nan, math.nan, 0, "no units")
    if k == 1:
        return Pooled(
            float(y[0]), math.nan, -math.inf, math.inf, 0, 1.0, math.nan, math.nan, 1, "one unit: no interval"
        )
    v = None if variances is None else np.asarray(variances, dtype=float)
    if v is not None and (np.isnan(v).any() or np.any(v <= 0)):
        v = None
    if v is None:
        estimate, se = float(y.mean()), float(y.std(ddof=1) / math.sqrt(k))
        tau = i2 = math.nan
        method = f"mean of {k} units, one-sample t"
        if np.allclose(y, y[0], rtol=0, atol=1e-12):  # identical units (to rounding) leave no spread to estimate
            # the error from: no interval, rather than a certain one
            return Pooled(
                estimate,
                math.inf,
                -math.inf,
                math.inf,
                k - 1,
                1.0,
                tau,
                i2,
                k,
                method + "; the units agree exactly, so no interval can be estimated",
            )
    else:
        with np.errstate(divide="ignore", invalid="ignore"):  # statsmodels' I² divides by Q/(k-1), 0 when all agree
            result = combine_effects(y, v, method_re="pm", use_t=True)
        estimate = float(result.mean_effect_re)
        se = float(math.sqrt(max(result.var_hksj_re, 1 / result.w_total_re)))
        tau, i2 = float(math.sqrt(max(result.tau2, 0.0))), float(max(result.i2, 0.0))
        method = f"random effects over {k} units (Paule-Mandel, HKSJ, t)"
    return _interval(estimate, se, k - 1, tau, i2, k, method, level)


def _interval(estimate, se, df, tau, i2, k, method, level) -> Pooled:
    t = stats.t.ppf(1 - level / 2, df)
    p = float(2 * stats.t.sf(abs(estimate / se), df))
    return Pooled(estimate, se, estimate - t * se, estimate + t * se, df, p, tau, i2, k, method)


def proportion(successes: int, n: int, null: float, *, level: float = LEVEL) -> Pooled:
    """An observed share of ``n`` trials minus ``null``: exact (Clopper-Pearson) CI and two-sided binomial p, for
    claims counted over trials that are not pooled from per-unit effects (steering scenarios)."""
    if n == 0:
        return pool([])
    test = stats.binomtest(int(successes), int(n), null)
    interval = test.proportion_ci(confidence_level=1 - level, method="exact")
    share = successes / n
    se = math.sqrt(max(share * (1 - share), 0.25 / n) / n)
    return Pooled(
        share - null,
        se,
        interval.low - null,
        interval.high - null,
        n - 1,
        float(test.pvalue),
        math.nan,
        math.nan,
        n,
        f"share of {n} trials against {null:g}, exact binomial",
    )


def minimum_detectable_effect(pooled: Pooled, *, level: float = LEVEL, power: float = POWER) -> float:
    """The smallest true effect the design detects with probability ``power`` (two-sided t test at ``level``,
    on the pooled standard error and degrees of freedom)."""
    if not pooled.df or not math.isfinite(pooled.se):
        return math.inf
    return float((stats.t.ppf(1 - level / 2, pooled.df) + stats.t.ppf(power, pooled.df)) * pooled.se)


def adjust(p_values) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values (false discovery rate across one source's claims), NaN kept."""
    p = np.asarray(p_values, dtype=float)
    out = np.full_like(p, np.nan)
    known = ~np.isnan(p)
    if known.any():
        out[known] = multipletests(p[known], alpha=LEVEL, method="fdr_bh")[1]
    return out


def verdict(ci_low: float, ci_high: float, p_adjusted: float, margin: float, claimed: str = POSITIVE) -> str:
    """The verdict of a claim (module docstring); ``claimed``: :data:`POSITIVE` or :data:`NONE`."""
    if claimed not in (POSITIVE, NONE):
        raise ValueError(f"claimed must be {POSITIVE!r} or {NONE!r}, got {claimed!r}")
    if any(map(math.isnan, (ci_low, ci_high))):
        return NOT_TESTED
    if -margin <= ci_low and ci_high <= margin:
        return EQUIVALENT
    if claimed == NONE:
        return CONTRADICTED if ci_low > margin or ci_high < -margin else INCONCLUSIVE
    significant = p_adjusted < LEVEL
    if significant and ci_low > 0:
        return SUPPORTED
    if significant and ci_high < 0:
        return CONTRADICTED
    return INCONCLUSIVE


def decision_columns(pooled: Pooled, scale: str, claimed: str = POSITIVE) -> dict:
    """The registry's numeric columns for one claim, before the multiplicity adjustment (:func:`decide_all`)."""
    return {
        "estimate": pooled.estimate,
        "ci_low": pooled.ci_low,
        "ci_high": pooled.ci_high,
        "margin": SCALES[scale].margin,
        "scale": scale,
        "claimed": claimed,
        "mde": minimum_detectable_effect(pooled),
        "p_value": pooled.p_value,
        "units": pooled.n_units,
        "tau": pooled.tau,
        "i2": pooled.i2,
        "pooling": pooled.method,
    }


def decide_all(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` (one row per claim with :func:`decision_columns`) with ``p_adjusted``, ``verdict`` and the
    sensitivity of the verdict to the margin (at half and at double it). Rows already 'not tested' stay so."""
    frame = frame.copy()
    tested = frame.verdict != NOT_TESTED if "verdict" in frame else pd.Series(True, index=frame.index)
    frame["p_adjusted"] = np.nan
    frame.loc[tested, "p_adjusted"] = adjust(frame.loc[tested, "p_value"])
    for column, factor in (("verdict", 1.0), ("verdict_half_margin", 0.5), ("verdict_double_margin", 2.0)):
        frame[column] = [
            verdict(r.ci_low, r.ci_high, r.p_adjusted, r.margin * factor, r.claimed) if ok else NOT_TESTED
            for r, ok in zip(frame.itertuples(), tested)
        ]
    return frame


def describe(row) -> str:
    """The verdict with its numbers, in words: estimate, CI, margin, and the MDE beside an inconclusive one."""
    if row["verdict"] == NOT_TESTED:
        return NOT_TESTED
    text = (
        f"{row['verdict']}: {row['estimate']:+.4f} [{row['ci_low']:+.4f}, {row['ci_high']:+.4f}], margin "
        f"±{row['margin']:g}"
    )
    if row["verdict"] == EQUIVALENT and (row["ci_low"] > 0 or row["ci_high"] < 0):
        text += " (the CI also excludes 0: a real but negligible effect)"
    if row["verdict"] == INCONCLUSIVE:
        text += f"; detectable at 80% power: {row['mde']:.4f}"
    return text


def pool_units(
    frame: pd.DataFrame,
    effect: str,
    se: str | None = None,
    *,
    unit=("model", "dataset"),
    within: str = "seed",
    level: float = LEVEL,
) -> tuple[Pooled, pd.DataFrame]:
    """Pool the rows of ``frame`` — one per unit, or per (unit, ``within``) when it has that column: training seeds,
    or the poolings of one decoder — on the column ``effect`` (with standard errors from ``se``, if given):
    :func:`nest_seeds`, then :func:`pool`. Returns the pooled effect and the per-unit table it was computed from."""
    if se is not None:
        frame = frame.assign(_se=frame[se])
    units = nest_seeds(frame, effect=effect, se="_se" if se is not None else None, unit=unit)
    pooled = pool(units.effect, units.variance if se is not None else None, level=level)
    return pooled, units.assign(unit=unit_rows(units, unit).unit, within=within)


def seed_note(units: pd.DataFrame) -> str:
    """The training-seed spread behind a pooled effect, in words ('' when no unit has several training seeds)."""
    seeded = units[units.n_seeds > 1]
    if not len(seeded) or ("within" in units and (units.within != "seed").any()):
        return ""
    return (
        f"{len(seeded)} of {len(units)} units with {int(seeded.n_seeds.min())}-{int(seeded.n_seeds.max())} "
        f"training seeds (seed SD of the effect {seeded.seed_sd.min():.4f} to {seeded.seed_sd.max():.4f}; the "
        "others borrow their mean seed variance)"
    )


def unit_rows(units: pd.DataFrame, unit_columns) -> pd.DataFrame:
    """The names of the units behind a pooled effect ("model / dataset"), one row per unit."""
    names = [" / ".join(map(str, values)) for values in units[list(unit_columns)].itertuples(index=False)]
    return pd.DataFrame({"unit": pd.Series(names, dtype=object)})
