"""The "what we found" prose of LLE's own notebooks (Table 1, target layer, stability, neutral bias,
distance), every number taken from the tables passed in."""

from __future__ import annotations

import pandas as pd

from lle.claims.selection import TIE_RULE
from lle.claims.soundness import SoundView, chance_warning
from lle.store.formats import as_findings, plural


def _count(frame: pd.DataFrame, decision: str) -> int:
    return int((frame.decision == decision).sum())


def _decisions(rows: pd.DataFrame) -> str:
    counts = rows.decision.value_counts()
    parts = [f"{counts.get(d, 0)} {d}" for d in ("better", "worse", "no significant difference")]
    unclear = counts.get("unclear (CI and test disagree)", 0)
    return ", ".join(parts) + f", {unclear} unclear (CI and test disagree)"


@as_findings
def findings_table1(table: pd.DataFrame) -> str:
    """What Table 1 says, in sentences computed from it, over the pairs the claims read (its ``classifier``
    column: :class:`lle.claims.soundness.SoundView`); the warning names the pairs left out."""
    full, table = table, SoundView.of(table).keep(table) if "classifier" in table else table
    validation = table[table.protocol == "validation"]
    lines = []
    for method, name in (("dynamic", "LLE (dynamic β)"), ("static", "Static-β contrastive classification")):
        rows = validation[validation.method == method]
        mean = rows.delta_vs_standard.mean()
        lines.append(
            f"- **{name}** against standard, validation-selected, over {len(rows)} pairs: "
            f"{_decisions(rows)}; mean difference {mean:+.4f} macro-F1."
        )
    reference = validation[validation.method == "dynamic"].macro_f1.to_numpy()
    for protocol, name in (("test_tuned_jsd", "test-tuned (JSD)"), ("released", "released-code")):
        if not (table.protocol == protocol).any():  # e.g. lle evaluate reports the validation protocol only
            continue
        gap = table[(table.protocol == protocol) & (table.method == "dynamic")].macro_f1.to_numpy() - reference
        lines.append(
            f"- The {name} protocol reports LLE {gap.mean():+.4f} macro-F1 higher on average than the "
            f"validation-selected one (largest {gap.max():+.4f}): that is what tuning on test adds."
        )
    warning = chance_warning(full) if "classifier" in full else None
    left_out = " It is left out of these sentences and of the claims (its rows stay in the table)." if warning else ""
    return "\n".join(lines + [_ties(validation)] + ([f"- **Warning.** {warning}{left_out}"] if warning else []))


def _ties(validation: pd.DataFrame) -> str:
    tied = validation[validation.n_tied > 1]
    if tied.empty:
        return "- No validation selection had a tie at the best macro-F1."
    spread = tied.test_f1_max_over_ties - tied.test_f1_min_over_ties
    sentences = [
        f"- Ties: {len(tied)} of {len(validation)} validation selections had several configurations at the best",
        f"validation macro-F1 ({TIE_RULE}); the fewest-changes step left several in",
        f"{int((tied.n_tied_after_rule > 1).sum())}. Over the tied configurations, test macro-F1 varies by up to",
        f"{spread.max():.4f}, and by more than 0 in {int((spread > 0).sum())} selections.",
    ]
    return " ".join(sentences)


EVERY_PAIR = SoundView()  # the view that leaves no pair out


@as_findings
def findings_target_layer(trends: pd.DataFrame, view: SoundView = EVERY_PAIR) -> str:
    """What the target-layer trends say (Figure 2), in sentences computed from them, over the pairs of ``view``."""
    full, trends = trends, view.keep(trends)
    recall_up, precision_down = int((trends.recall_change > 0).sum()), int((trends.precision_change < 0).sum())
    both = int(((trends.recall_change > 0) & (trends.precision_change < 0)).sum())
    means = trends[["recall_change", "precision_change", "f1_change"]].mean()
    flat = plural(int(trends.flat.sum()), "pair is", "pairs are")
    return (
        f"From the nearest to the farthest target layer, recall rose in {recall_up} of {len(trends)} pairs, "
        f"precision fell in {precision_down}, both together in {both}. Mean changes: recall "
        f"{means.recall_change:+.4f}, precision {means.precision_change:+.4f}, macro-F1 {means.f1_change:+.4f}. "
        f"{flat} flat: validation chose α = 1, where only the final layer's top class is plausible."
        + _left_out(view, full)
    )


def _left_out(view: SoundView, *frames) -> str:
    """The sentence closing a paragraph of findings when ``view`` dropped pairs from ``frames``."""
    sentence = view.sentence(*frames)
    return " " + sentence[2:] if sentence else ""


@as_findings
def findings_sensitivity(spreads: pd.DataFrame, view: SoundView = EVERY_PAIR) -> str:
    """How static and dynamic β compare in sensitivity to the earliest layer (Figure 3), over the pairs of
    ``view``."""
    wide = view.keep(spreads).pivot_table(index=["run", "dataset"], columns="method", values="median_spread_over_k")
    smaller, larger = int((wide.dynamic < wide.static).sum()), int((wide.dynamic > wide.static).sum())
    return (
        f"The median macro-F1 spread over the earliest candidate layer is smaller for dynamic β in {smaller} "
        f"of {len(wide)} pairs and larger in {larger}; on average static {wide.static.mean():.4f}, dynamic "
        f"{wide.dynamic.mean():.4f}." + _left_out(view, spreads)
    )


def _bias_sentence(row) -> str:
    if row.n_changed == 0:
        return f"- {row.model} / {row.dataset}: the validation-selected LLE changes no test prediction."
    share, base = row.share_changed_from_reference, row.share_reference_in_standard_predictions
    return (
        f"- {row.model} / {row.dataset}: LLE changes {row.n_changed} of {row.n_test} test predictions, "
        f"{share:.1%} of them from '{row.reference_class}' (its share of standard predictions: {base:.1%}; "
        f"two-sided binomial p = {row.p_value:.3g}); wrong→right {row.wrong_to_right}, right→wrong "
        f"{row.right_to_wrong}."
    )


def _polarity_sentence(row) -> str:
    if not row.n_emotion_changes:
        return f"- {row.model} / {row.dataset}: no emotion-to-emotion change."
    kept = f"{row.kept_polarity} of {row.n_emotion_changes} emotion-to-emotion changes keep polarity"
    return (
        f"- {row.model} / {row.dataset}: {kept} ({row.share_kept:.1%}; chance {row.chance_rate:.1%}, "
        f"p = {row.p_polarity:.3g}); wrong→right {row.wrong_to_right}, right→wrong {row.right_to_wrong}."
    )


@as_findings
def findings_changes(bias: pd.DataFrame | None = None, polarity: pd.DataFrame | None = None) -> str:
    """The neutral-bias and polarity findings, one sentence per pair."""
    lines = [_bias_sentence(row) for row in (bias if bias is not None else pd.DataFrame()).itertuples()]
    lines += [_polarity_sentence(row) for row in (polarity if polarity is not None else pd.DataFrame()).itertuples()]
    return "\n".join(lines)


@as_findings
def findings_trajectories(trajectories: pd.DataFrame) -> str:
    """How the samples LLE corrects move from their amateur layer to the final layer, one sentence per pair."""
    lines = []
    for row in trajectories.itertuples():
        if row.n_corrected < 2:
            lines.append(f"- {row.model} / {row.dataset}: LLE corrects {row.n_corrected} test predictions; too few.")
            continue
        lines.append(
            f"- {row.model} / {row.dataset}: over the {row.n_corrected} test predictions LLE corrects, from the "
            f"amateur to the final layer the gold class's probability changes by {row.gold_rise_mean:+.3f} "
            f"(SD {row.gold_rise_sd:.3f}) and '{row.reference_class}' by {row.reference_change_mean:+.3f} "
            f"(SD {row.reference_change_sd:.3f}), ending at {row.reference_final_mean:.2f} on average."
        )
    return "\n".join(lines)


@as_findings
def findings_distance(ablation: pd.DataFrame, view: SoundView = EVERY_PAIR) -> str:
    """What the distance ablation says, one sentence per distance against JSD, over the pairs of ``view``."""
    lines = []
    kept = view.keep(ablation)
    for distance, part in kept[kept.distance != "jsd"].groupby("distance", sort=False):
        excludes_zero = int(((part.ci_low > 0) | (part.ci_high < 0)).sum())
        agreement = part.amateur_agreement_with_jsd.mean()
        lines.append(
            f"- {distance} vs JSD: mean difference {part.delta_vs_jsd.mean():+.4f} macro-F1, largest "
            f"absolute {part.delta_vs_jsd.abs().max():.4f}; CI excludes 0 in {excludes_zero} of {len(part)} "
            f"(pair, method) rows; same amateur as JSD for {agreement:.1%} of test samples on average."
        )
    return "\n".join(lines + [view.sentence(ablation)]).rstrip()
