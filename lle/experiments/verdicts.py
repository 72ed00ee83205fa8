"""Verdicts on the paper's claims, by rules written down before looking at the numbers.

Every claim is decided from one statistic per (model, dataset) pair, by one of three rules:

* **tested** (a test per pair): p-values are Holm-adjusted across the pairs. A pair counts *for* the claim when its
  adjusted p < 0.05 in the claimed direction (and, where a bootstrap CI exists, the CI excludes 0 on that side),
  *against* it likewise in the other direction. The claim **holds** when the pooled effect (mean over pairs) is in
  the claimed direction, more than half of the pairs count for it and none against; it **does not hold** when the
  pooled effect is zero or in the other direction, or no pair counts for it; otherwise it is **mixed**.
* **sign** (a descriptive effect per pair, no per-pair test): an exact one-sided sign test across pairs. The claim
  **holds** when the pooled effect is in the claimed direction and the sign test gives p < 0.05; it **does not
  hold** when the pooled effect is zero or in the other direction; otherwise it is **mixed**.
* **equivalence** (a claim that something "matters little"): it **holds** when every pair's 95% CI lies within
  ±margin, **does not hold** when some pair's CI lies entirely outside it, and is **mixed** otherwise.

A claim with several parts takes the weakest part's verdict. So a claim whose mean effect goes the other way can
never read better than "does not hold".

Pairs whose standard classifier is at chance (:mod:`lle.experiments.soundness`, read from Table 1's ``classifier``
column) are left out of every claim, and the claim's evidence names them: a contrastive method re-ranks its
classifier's scores, so a difference over a classifier at chance is no evidence either way.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from lle.experiments.statistics import BETTER, LEVEL, WORSE, binomial_p, holm, pair_decision

HOLDS, MIXED, FAILS, NOT_TESTED = "holds", "mixed", "does not hold", "not tested"
_ORDER = {HOLDS: 2, MIXED: 1, FAILS: 0}
EQUIVALENCE_MARGIN = 0.01


@dataclass(frozen=True)
class Outcome:
    verdict: str
    n_pairs: int
    pooled_effect: float
    n_for: int
    n_against: int
    statistic: str  # what was counted, in words


def tested_rule(effects, p_values, ci_low=None, ci_high=None, *, level: float = LEVEL) -> Outcome:
    """Verdict from per-pair effects with p-values (Holm-adjusted) and, where given, their CIs."""
    effects, p_values = np.asarray(effects, dtype=float), np.asarray(p_values, dtype=float)
    if effects.size == 0:
        return Outcome(NOT_TESTED, 0, float("nan"), 0, 0, "no pairs")
    adjusted = holm(p_values)
    if ci_low is not None:
        decisions = [pair_decision(lo, hi, p, level=level) for lo, hi, p in zip(ci_low, ci_high, adjusted)]
        n_for, n_against = decisions.count(BETTER), decisions.count(WORSE)
    else:
        n_for = int(np.sum((adjusted < level) & (effects > 0)))
        n_against = int(np.sum((adjusted < level) & (effects < 0)))
    pooled = float(effects.mean())
    if pooled <= 0 or n_for == 0:
        verdict = FAILS
    elif n_for > effects.size / 2 and n_against == 0:
        verdict = HOLDS
    else:
        verdict = MIXED
    return Outcome(verdict, effects.size, pooled, n_for, n_against, "Holm-adjusted p < 0.05 per pair")


def sign_rule(effects, *, level: float = LEVEL) -> Outcome:
    """Verdict from the signs of per-pair effects (two-sided sign test over the nonzero ones)."""
    effects = np.asarray(effects, dtype=float)
    if effects.size == 0:
        return Outcome(NOT_TESTED, 0, float("nan"), 0, 0, "no pairs")
    n_for, n_against = int(np.sum(effects > 0)), int(np.sum(effects < 0))
    pooled = float(effects.mean())
    p = binomial_p(n_for, n_for + n_against, 0.5)
    verdict = FAILS if pooled <= 0 else HOLDS if p < level else MIXED
    return Outcome(verdict, effects.size, pooled, n_for, n_against, f"sign test p = {p:.3g}")


def equivalence_rule(ci_low, ci_high, *, margin: float = EQUIVALENCE_MARGIN) -> Outcome:
    """Verdict of 'no difference': every CI inside ±``margin`` holds; one outside fails."""
    low, high = np.asarray(ci_low, dtype=float), np.asarray(ci_high, dtype=float)
    if low.size == 0:
        return Outcome(NOT_TESTED, 0, float("nan"), 0, 0, "no pairs")
    inside = int(np.sum((low >= -margin) & (high <= margin)))
    outside = int(np.sum((low > margin) | (high < -margin)))
    verdict = HOLDS if inside == low.size else FAILS if outside else MIXED
    return Outcome(verdict, low.size, float(np.max(np.maximum(np.abs(low), np.abs(high)))), inside, outside,
                   f"95% CI within ±{margin}")


def every_rule(passed) -> str:
    """Verdict of a claim checked once per unit (a pair, a curve, a model): it **holds** when it passes in every
    unit, **does not hold** when it passes in none, and is **mixed** otherwise; without units it is not tested."""
    passed = np.asarray(passed, dtype=bool)
    if passed.size == 0:
        return NOT_TESTED
    return HOLDS if passed.all() else FAILS if not passed.any() else MIXED


def weakest(*outcomes: Outcome) -> str:
    """The weakest verdict of ``outcomes`` ('not tested' if any is)."""
    verdicts = [o.verdict for o in outcomes]
    if NOT_TESTED in verdicts:
        return NOT_TESTED
    return min(verdicts, key=_ORDER.__getitem__)


# --- the paper's claims ----------------------------------------------------------------------------------------

def _record(key, claim, verdict, rule, evidence, **numbers) -> dict:
    return {"key": key, "claim": claim, "verdict": verdict, "rule": rule, "evidence": evidence, "numbers": numbers}


def _beats_standard(table1: pd.DataFrame, method: str, key: str, claim: str) -> dict:
    rows = table1[(table1.protocol == "validation") & (table1.method == method)]
    outcome = tested_rule(rows.delta_vs_standard, rows.p_value, rows.ci_low, rows.ci_high)
    tuned = table1[(table1.protocol == "released") & (table1.method == method)].delta_vs_standard.mean()
    better = rows[rows.decision == BETTER]
    return _record(key, claim, outcome.verdict, "tested (permutation test + bootstrap CI)",
                   f"validation-selected: better in {outcome.n_for} of {outcome.n_pairs} pairs, worse in "
                   f"{outcome.n_against}; mean difference {outcome.pooled_effect:+.4f} macro-F1 "
                   f"(released-code protocol, test-tuned: {tuned:+.4f})",
                   n_for=outcome.n_for, n_against=outcome.n_against, n_pairs=outcome.n_pairs,
                   mean=outcome.pooled_effect, released_mean=tuned,
                   better_pairs=", ".join(f"{m} / {d}" for m, d in zip(better.model, better.dataset)))


def _dynamic_vs_static(table: pd.DataFrame) -> dict:
    outcome = tested_rule(table.delta, table.p_value, table.ci_low, table.ci_high)
    return _record("dynamic_beats_static", "dynamic beta beats static beta", outcome.verdict,
                   "tested (permutation test + bootstrap CI)",
                   f"better in {outcome.n_for} of {outcome.n_pairs} pairs, worse in {outcome.n_against}; mean "
                   f"difference {outcome.pooled_effect:+.4f} macro-F1",
                   n_for=outcome.n_for, n_against=outcome.n_against, n_pairs=outcome.n_pairs,
                   mean=outcome.pooled_effect)


def _trends(trends: pd.DataFrame) -> dict:
    recall, precision = sign_rule(trends.recall_change), sign_rule(-trends.precision_change)
    flat = int(trends.flat.sum())
    return _record("recall_up_precision_down", "extrapolating further raises recall and lowers precision",
                   weakest(recall, precision), "sign (two parts)",
                   f"from the nearest to the farthest target layer, recall rose in {recall.n_for} and fell in "
                   f"{recall.n_against} of {recall.n_pairs} pairs (mean {recall.pooled_effect:+.4f}); precision fell "
                   f"in {precision.n_for} and rose in {precision.n_against} (mean change "
                   f"{-precision.pooled_effect:+.4f}); flat (alpha = 1 selected, LLE equals standard) in {flat}",
                   recall_rose=recall.n_for, recall_fell=recall.n_against, precision_fell=precision.n_for,
                   precision_rose=precision.n_against, n_pairs=recall.n_pairs, recall_mean=recall.pooled_effect,
                   precision_mean=-precision.pooled_effect, flat=flat)


def _stability(spreads: pd.DataFrame) -> dict:
    wide = spreads.pivot_table(index=["run", "dataset"], columns="method", values="median_spread_over_k")
    outcome = sign_rule(wide.static - wide.dynamic)
    return _record("dynamic_more_stable", "dynamic beta is less sensitive to the earliest candidate layer",
                   outcome.verdict, "sign",
                   f"median macro-F1 spread over k smaller for dynamic in {outcome.n_for} of {outcome.n_pairs} pairs, "
                   f"larger in {outcome.n_against}; mean spread static {wide.static.mean():.4f}, dynamic "
                   f"{wide.dynamic.mean():.4f}",
                   n_for=outcome.n_for, n_against=outcome.n_against, n_pairs=outcome.n_pairs,
                   static_spread=wide.static.mean(), dynamic_spread=wide.dynamic.mean())


def _neutral(bias: pd.DataFrame) -> dict:
    claim = "LLE's changes mostly move goEmotions predictions away from neutral"
    neutral = bias[(bias.reference_class == "neutral") & (bias.n_changed > 0)] if len(bias) else bias
    if not len(neutral):
        return _record("away_from_neutral", claim, NOT_TESTED, "tested",
                       "no goEmotions pair where LLE changes a prediction")
    outcome = tested_rule(neutral.share_changed_from_reference - neutral.share_reference_in_standard_predictions,
                          neutral.p_value)
    unchanged = bias[(bias.reference_class == "neutral") & (bias.n_changed == 0)].model.tolist()
    fixed, broken = int(neutral.wrong_to_right.sum()), int(neutral.right_to_wrong.sum())
    return _record("away_from_neutral", claim, outcome.verdict, "tested (binomial test per pair)",
                   f"changed predictions start from neutral more often than neutral's share of standard predictions "
                   f"in {outcome.n_for} of {outcome.n_pairs} runs, less often in {outcome.n_against} (two-sided "
                   f"tests, Holm-adjusted; mean excess {outcome.pooled_effect:+.1%}); "
                   f"wrong->right {fixed} vs right->wrong {broken} in total"
                   + (f"; LLE changes nothing for {', '.join(unchanged)}" if unchanged else ""),
                   n_for=outcome.n_for, n_against=outcome.n_against, n_pairs=outcome.n_pairs,
                   excess=outcome.pooled_effect, wrong_to_right=fixed, right_to_wrong=broken,
                   unchanged=", ".join(unchanged))


def _polarity(polarity: pd.DataFrame) -> dict:
    claim = "LLE's corrections are fine-grained and keep polarity"
    changed = polarity[polarity.n_emotion_changes > 0] if len(polarity) else polarity
    if not len(changed):
        return _record("keeps_polarity", claim, NOT_TESTED, "tested", "no emotion-to-emotion change in any pair")
    keeps = tested_rule(changed.share_kept - changed.chance_rate, changed.p_polarity)
    corrects = tested_rule((changed.wrong_to_right - changed.right_to_wrong) / changed.n_emotion_changes,
                           changed.p_corrections)
    fixed, broken = int(changed.wrong_to_right.sum()), int(changed.right_to_wrong.sum())
    return _record("keeps_polarity", claim, weakest(keeps, corrects), "tested (two parts: binomial tests per pair)",
                   f"emotion-to-emotion changes keep polarity above chance in {keeps.n_for} of {keeps.n_pairs} pairs, "
                   f"below it in {keeps.n_against} (two-sided tests, Holm-adjusted; mean excess over chance "
                   f"{keeps.pooled_effect:+.1%}); they correct more than they break in "
                   f"{corrects.n_for}, fewer in {corrects.n_against} (wrong->right {fixed} vs right->wrong {broken})",
                   keeps_for=keeps.n_for, keeps_against=keeps.n_against, n_pairs=keeps.n_pairs,
                   excess=keeps.pooled_effect,
                   corrects_for=corrects.n_for, corrects_against=corrects.n_against, wrong_to_right=fixed,
                   right_to_wrong=broken)


def _distance(ablation: pd.DataFrame) -> dict:
    cosine = ablation[ablation.distance == "cosine"]
    outcome = equivalence_rule(cosine.ci_low, cosine.ci_high)
    largest = cosine.delta_vs_jsd.abs().max()
    return _record("distance_matters_little",
                   "the distance used to pick the amateur (JSD in the paper, cosine in the code) matters little",
                   outcome.verdict, f"equivalence (margin {EQUIVALENCE_MARGIN} macro-F1)",
                   f"test macro-F1, cosine minus JSD: CI within ±{EQUIVALENCE_MARGIN} in {outcome.n_for} of "
                   f"{outcome.n_pairs} (pair, method) rows, entirely outside in {outcome.n_against}; largest "
                   f"difference {largest:.4f}",
                   within=outcome.n_for, rows=outcome.n_pairs, outside=outcome.n_against, largest=largest)


# Each claim and the input table it is decided from, in the order the claims are reported.
_CLAIMS = [
    ("table1", lambda t: _beats_standard(t, "dynamic", "lle_beats_standard",
                                         "LLE (dynamic beta) beats standard classification")),
    ("table1", lambda t: _beats_standard(t, "static", "static_beats_standard",
                                         "static-beta contrastive classification beats standard classification")),
    ("dynamic_vs_static", _dynamic_vs_static), ("trends", _trends), ("spreads", _stability), ("bias", _neutral),
    ("polarity", _polarity), ("ablation", _distance),
]


def at_chance_pairs(checked: pd.DataFrame) -> set[tuple[str, str]]:
    """The (model, dataset) pairs whose standard classifier ``checked`` (Table 1, or
    :func:`lle.experiments.soundness.soundness_table`) marks "at chance"."""
    if "classifier" not in checked:
        raise KeyError("the table has no 'classifier' column (the soundness check): rerun the notebook that wrote it "
                       "(Table 1: notebooks/02_table1_main_results.ipynb)")
    flagged = checked[checked.classifier == "at chance"]
    return set(zip(flagged.model, flagged.dataset))


def sound_only(frame: pd.DataFrame, at_chance: set) -> tuple[pd.DataFrame, list[str]]:
    """``frame`` without the rows of pairs in ``at_chance`` (keyed by its ``model`` or ``run`` column), and the
    "model / dataset" names of the pairs it dropped."""
    if not len(frame) or not at_chance:
        return frame, []
    pairs = list(zip(frame["model" if "model" in frame else "run"], frame.dataset))
    dropped = np.array([pair in at_chance for pair in pairs], dtype=bool)
    return frame[~dropped], sorted({f"{m} / {d}" for (m, d), out in zip(pairs, dropped) if out})


def left_out_note(left_out: list[str]) -> str:
    """The words a claim's evidence ends with when :func:`sound_only` dropped pairs ("" when it dropped none)."""
    return f"; left out, standard classifier at chance: {', '.join(left_out)}" if left_out else ""


def claim_records(**inputs) -> list[dict]:
    """Every claim as a record: key, claim, verdict, rule, evidence in words, and the numbers behind it (among them
    ``left_out``, the pairs dropped because their standard classifier is at chance)."""
    at_chance = at_chance_pairs(inputs["table1"])
    records = []
    for name, decide in _CLAIMS:
        kept, left_out = sound_only(inputs[name], at_chance)
        record = decide(kept)
        record["evidence"] += left_out_note(left_out)
        record["numbers"]["left_out"] = ", ".join(left_out)
        records.append(record)
    return records


def paper_claims(**inputs) -> pd.DataFrame:
    """One row per claim: the claim, its verdict, the rule, and the evidence in words (numbers computed here)."""
    return pd.DataFrame([{k: v for k, v in record.items() if k not in ("key", "numbers")}
                         for record in claim_records(**inputs)])


# The tables paper_claims reads, as the notebooks write them under results/tables, and the notebook writing each.
CLAIM_INPUTS = {
    "table1": ("table1.csv", "02_table1_main_results"),
    "dynamic_vs_static": ("dynamic_vs_static.csv", "02_table1_main_results"),
    "trends": ("figure2_trends.csv", "03_figure2_target_layer"),
    "spreads": ("figure3_spread.csv", "04_figure3_stability"),
    "bias": ("table2_neutral_bias.csv", "05_neutral_bias"),
    "polarity": ("table3_polarity.csv", "06_corrections_and_heatmaps"),
    "ablation": ("distance_ablation.csv", "07_distance_ablation"),
}


def load_claim_inputs(directory=None) -> dict[str, pd.DataFrame]:
    """The keyword arguments of :func:`paper_claims`, read from ``directory`` (None: results/tables in the
    repository); a missing table names the notebook that writes it."""
    from pathlib import Path

    from lle.paths import results_dir

    directory = Path(results_dir(None)) / "tables" if directory is None else directory
    inputs = {}
    for name, (file, notebook) in CLAIM_INPUTS.items():
        path = Path(directory) / file
        if not path.is_file():
            raise FileNotFoundError(f"{path} is missing: run notebooks/{notebook}.ipynb first (make reproduce runs "
                                    "every notebook in order)")
        inputs[name] = pd.read_csv(path)
    return inputs
