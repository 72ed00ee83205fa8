"""The LLE paper's claims, each decided by the one rule of :mod:`lle.claims.decision`.

Each claim is reduced to one effect per (model, dataset) pair — and per training seed where several were trained
(:mod:`lle.runs.seeds`) — oriented so that a positive value is what the paper claims, with its standard error
where the pair has one (the paired bootstrap CI of a macro-F1 difference, or a binomial share). The pairs are
pooled and the claim decided as every other source's claims are: supported, contradicted, equivalent to no effect
or inconclusive.

Pairs whose standard classifier is at chance (:mod:`lle.claims.soundness`, read from Table 1's ``classifier``
column) are left out of every claim, and the claim's evidence names them: a contrastive method re-ranks its
classifier's scores, so a difference over a classifier at chance is no evidence either way. This exclusion was
added after the results existed (a post-hoc choice): each claim it touches also states the estimate, CI and verdict
it would have had with those pairs kept.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from lle.claims.decision import NONE, POSITIVE, binomial_se, pool_units, se_from_ci
from lle.claims.registry import claim_row, decide, untested_row
from lle.claims.soundness import SoundView

PAIR = ["model", "dataset"]
SEED_ZERO = "the committed (seed 0) models only"  # claims whose tables are not computed for the other seeds


def _seed_scope(rows: pd.DataFrame) -> str:
    """What the evidence says of training seeds: nothing when other seeds are pooled (the units' seed note says it),
    else that the committed models alone were read."""
    return "" if "seed" in rows and (rows.seed > 0).any() else f"; {SEED_ZERO}"


def _with_seeds(table: pd.DataFrame, seeds: pd.DataFrame | None) -> pd.DataFrame:
    """Seed 0's rows (the committed run) and, where given, the other seeds' rows of the same table."""
    first = table.assign(seed=0) if "seed" not in table else table
    return first if seeds is None or not len(seeds) else pd.concat([first, seeds], ignore_index=True)


def _macro_f1_claim(
    rows: pd.DataFrame, claim: str, what: str, *, effect: str = "delta_vs_standard", claimed: str = POSITIVE
) -> dict:
    """A claim on a paired macro-F1 difference with a bootstrap CI per (pair, seed)."""
    rows = rows.assign(_se=se_from_ci(rows.ci_low, rows.ci_high))
    pooled, units = pool_units(rows, effect, "_se", unit=PAIR)
    up, down = int((units.effect > 0).sum()), int((units.effect < 0).sum())
    return claim_row(
        claim,
        pooled,
        "score",
        f"pooled {what} (test macro-F1; paired bootstrap SE per pair)",
        f"point estimates up in {up} of {len(units)} pairs, down in {down}{_seed_scope(rows)}",
        units=units,
        claimed=claimed,
    )


def _beats_standard(
    table1: pd.DataFrame, method: str, claim: str, seeds=None, *, protocol: str = "validation", searched: str = ""
) -> dict:
    rows = _with_seeds(table1, seeds)
    rows = rows[(rows.protocol == protocol) & (rows.method == method)]
    row = _macro_f1_claim(rows, claim, f"{method} minus standard, hyperparameters selected on validation{searched}")
    tuned = table1[(table1.protocol == "released") & (table1.method == method)].delta_vs_standard.mean()
    row["evidence"] += f"; the released code's test-tuned protocol (not a valid estimate): mean {tuned:+.4f}"
    return {**row, "released_mean": tuned}


def _dynamic_vs_static(table: pd.DataFrame, seeds=None) -> dict:
    return _macro_f1_claim(
        _with_seeds(table, seeds),
        "dynamic beta beats static beta",
        "dynamic minus static, each selected on validation",
        effect="delta",
    )


def _sign_free(frame: pd.DataFrame, effect: pd.Series, claim: str, what: str, words: str) -> dict:
    """A claim on a per-pair effect without a per-pair SE: the mean over pairs (each the mean of its training
    seeds) with a one-sample t interval."""
    pooled, units = pool_units(frame.assign(_effect=effect.to_numpy()), "_effect", unit=["run", "dataset"])
    return claim_row(
        claim,
        pooled,
        "score",
        f"pooled {what} (mean over pairs, t interval)",
        f"{words} in {int((units.effect > 0).sum())} of {len(units)} pairs, the other way in "
        f"{int((units.effect < 0).sum())}{_seed_scope(frame)}",
        units=units,
    )


def _recall_rises(
    trends: pd.DataFrame,
    seeds=None,
    datasets=("goemotions",),
    claim="on goEmotions, extrapolating further raises recall",
) -> dict:
    """The paper's claim (Figure 2, goEmotions); with every dataset, our extension."""
    rows = _with_seeds(trends, seeds)
    rows = rows[rows.dataset.isin(datasets)]
    row = _sign_free(
        rows, rows.recall_change, claim, "macro recall at the farthest minus the nearest target layer", "recall rose"
    )
    row["evidence"] += f"; flat (alpha = 1 selected, LLE equals standard) in {int(rows.flat.sum())}"
    return row


def _recall_rises_everywhere(trends: pd.DataFrame, seeds=None) -> dict:
    return _recall_rises(
        trends,
        seeds,
        tuple(trends.dataset.unique()),
        "our extension: extrapolating further raises recall on all three datasets",
    )


def _precision_falls(trends: pd.DataFrame, seeds=None) -> dict:
    rows = _with_seeds(trends, seeds)
    return _sign_free(
        rows,
        -rows.precision_change,
        "our extension: extrapolating further lowers precision (not a claim of the paper)",
        "macro precision at the nearest minus the farthest target layer",
        "precision fell",
    )


def _stability(spreads: pd.DataFrame, seeds=None) -> dict:
    rows = _with_seeds(spreads, seeds)
    wide = rows.pivot_table(index=["run", "dataset", "seed"], columns="method", values="median_spread_over_k")
    wide = wide.reset_index()
    row = _sign_free(
        wide,
        wide.static - wide.dynamic,
        "dynamic beta is less sensitive to the earliest candidate layer",
        "median macro-F1 spread over k, static minus dynamic",
        "the spread was smaller for dynamic",
    )
    first = wide[wide.seed == 0]  # what notebook 04 reports; then over every seed, as pooled
    row["evidence"] += f"; mean spread static {first.static.mean():.4f}, dynamic {first.dynamic.mean():.4f} (seed 0)"
    if (wide.seed > 0).any():
        row["evidence"] += f", {wide.static.mean():.4f} and {wide.dynamic.mean():.4f} over every seed"
    return row


def _share_claim(frame: pd.DataFrame, share, null, n, claim: str, what: str, extra: str) -> dict:
    """A claim on an observed share of ``n`` predictions above a reference share, binomial SE per pair."""
    rows = frame.assign(_effect=np.asarray(share) - np.asarray(null), _se=binomial_se(share, n))
    pooled, units = pool_units(rows, "_effect", "_se", unit=PAIR)
    return claim_row(
        claim,
        pooled,
        "share",
        f"pooled {what} (binomial SE per pair)",
        f"above in {int((units.effect > 0).sum())} of {len(units)} pairs, below in "
        f"{int((units.effect < 0).sum())}; {extra}{_seed_scope(frame)}",
        units=units,
    )


def _neutral(bias: pd.DataFrame, seeds=None) -> dict:
    claim = "LLE's changes mostly move goEmotions predictions away from neutral"
    bias = _with_seeds(bias, seeds) if len(bias) else bias
    neutral = bias[(bias.reference_class == "neutral") & (bias.n_changed > 0)] if len(bias) else bias
    if not len(neutral):
        return untested_row(claim, "no goEmotions pair where LLE changes a prediction")
    still = bias[(bias.reference_class == "neutral") & (bias.n_changed == 0)]
    unchanged = [f"{m}" + (f" (training seed {s})" if s else "") for m, s in zip(still.model, still.seed)]
    extra = (
        f"wrong->right {int(neutral.wrong_to_right.sum())} vs right->wrong {int(neutral.right_to_wrong.sum())} "
        "in total" + (f"; LLE changes nothing for {', '.join(unchanged)}" if unchanged else "")
    )
    return _share_claim(
        neutral,
        neutral.share_changed_from_reference,
        neutral.share_reference_in_standard_predictions,
        neutral.n_changed,
        claim,
        "share of changed predictions that start from neutral, minus neutral's share of the standard predictions",
        extra,
    )


def _polarity(polarity: pd.DataFrame, seeds=None) -> list[dict]:
    polarity = _with_seeds(polarity, seeds) if len(polarity) else polarity
    keeps, corrects = (
        "LLE's emotion-to-emotion changes keep polarity",
        "LLE's emotion-to-emotion changes correct more predictions than they break",
    )
    changed = polarity[polarity.n_emotion_changes > 0] if len(polarity) else polarity
    if not len(changed):
        return [untested_row(c, "no emotion-to-emotion change in any pair") for c in (keeps, corrects)]
    n = changed.n_emotion_changes
    fixed, broken = changed.wrong_to_right / n, changed.right_to_wrong / n
    net = fixed - broken
    rows = changed.assign(_effect=net, _se=np.sqrt(np.maximum(fixed + broken - net**2, 0.25 / n**2) / n))
    pooled, units = pool_units(rows, "_effect", "_se", unit=PAIR)
    return [
        _share_claim(
            changed,
            changed.share_kept,
            changed.chance_rate,
            n,
            keeps,
            "share of changes that keep polarity, minus its rate by chance",
            "chance: the share of other emotions of the same polarity",
        ),
        claim_row(
            corrects,
            pooled,
            "share",
            "pooled (wrong->right minus right->wrong) per emotion-to-emotion change (multinomial SE per pair)",
            f"more corrected than broken in {int((units.effect > 0).sum())} of {len(units)} pairs; "
            f"wrong->right {int(changed.wrong_to_right.sum())} vs right->wrong "
            f"{int(changed.right_to_wrong.sum())} in total{_seed_scope(changed)}",
            units=units,
        ),
    ]


NAMED_CORRECTIONS = (("sadness", "pessimism"), ("joy", "optimism"))  # the paper's examples (tweet_emotion)


def _named_corrections(corrections: pd.DataFrame) -> dict:
    """The paper's named corrections: where LLE changes sadness to pessimism or joy to optimism, its label is right
    more often than the standard one. Units: (pair, correction) rows of Table 3, which lists each run's ten most
    frequent changes, so a correction that is rarer than those is not counted."""
    claim = "LLE's named corrections (sadness -> pessimism, joy -> optimism) fix more than they break"
    named = corrections[
        (corrections.dataset == "tweet_emotion")
        & pd.Series(
            [(a, b) in NAMED_CORRECTIONS for a, b in zip(corrections.standard, corrections.lle)],
            index=corrections.index,
        )
    ]
    if not len(named):
        return untested_row(claim, "neither correction is among any run's ten most frequent changes (Table 3)")
    gain = named.lle_accuracy - named.standard_accuracy
    spread = named.lle_accuracy * (1 - named.lle_accuracy) + named.standard_accuracy * (1 - named.standard_accuracy)
    rows = named.assign(
        _effect=gain,
        _se=np.sqrt(np.maximum(spread, 0.25 / named["count"]) / named["count"]),
        correction=named.standard + " -> " + named.lle,
    )
    pooled, units = pool_units(rows, "_effect", "_se", unit=["model", "correction"])
    return claim_row(
        claim,
        pooled,
        "share",
        "pooled share of the changed predictions that LLE's label gets right "
        "minus the share the standard label got right, per (pair, named correction) of Table 3 "
        "(binomial SE); Table 3 lists each run's ten most frequent changes only",
        "; ".join(
            f"{short} {r.correction}: {r.count} changes, right {r.lle_accuracy:.0%} after vs "
            f"{r.standard_accuracy:.0%} before"
            for short, r in zip(rows.model, rows.itertuples())
        )
        + _seed_scope(rows),
        units=units,
    )


HEATMAP_CLAIMS = (
    "across layers the correct class rises (the paper's heatmaps)",
    "across layers neutral stays flat while the correct class rises (the paper's heatmaps)",
)


def _heatmap_claims(trajectories: pd.DataFrame) -> list[dict]:
    """The paper's heatmaps, read over every goEmotions test sample LLE corrects (gold class not neutral) instead
    of chosen examples: from each sample's amateur layer to the final layer (the two points LLE's line runs
    through), the gold class's probability rises, and neutral's stays within the margin of no change."""
    rows = trajectories[(trajectories.reference_class == "neutral") & (trajectories.n_corrected > 1)]
    if not len(rows):
        return [
            untested_row(claim, "no goEmotions pair where LLE corrects two or more predictions")
            for claim in HEATMAP_CLAIMS
        ]
    where = (
        "over the goEmotions test samples LLE corrects whose gold class is not neutral, probability at the final "
        "layer minus at the sample's amateur layer, mean per pair (SE: SD / sqrt(n))"
    )
    sizes = f"{int(rows.n_corrected.sum())} corrected samples in {len(rows)} pairs"
    built = []
    for claim, column, claimed, note in (
        (
            HEATMAP_CLAIMS[0],
            "gold_rise",
            POSITIVE,
            "; a rise is favoured by construction: LLE ranks classes by how "
            "their log-probability grows from the amateur to the final layer",
        ),
        (
            HEATMAP_CLAIMS[1],
            "reference_change",
            NONE,
            f"; neutral's mean final-layer probability on these samples "
            f"{rows.reference_final_mean.min():.2f} to {rows.reference_final_mean.max():.2f}",
        ),
    ):
        # A reading that does not start where LLE's line does: from mid depth, whatever the amateur.
        note += "; read from mid depth instead, per pair " + ", ".join(
            f"{e:+.3f}" for e in rows[f"mid_depth_{column}_mean"]
        )
        units_in = rows.assign(_effect=rows[f"{column}_mean"], _se=rows[f"{column}_sd"] / np.sqrt(rows.n_corrected))
        pooled, units = pool_units(units_in, "_effect", "_se", unit=PAIR)
        built.append(
            claim_row(
                claim,
                pooled,
                "share",
                f"pooled {'gold' if column == 'gold_rise' else 'neutral'} class {where}",
                f"{sizes}; per pair {', '.join(f'{e:+.3f}' for e in units.effect)}{note}; {SEED_ZERO}",
                units=units,
                claimed=claimed,
            )
        )
    return built


def _distance(ablation: pd.DataFrame) -> list[dict]:
    """Our question (the paper uses JSD, its code cosine), asked twice: at JSD's selected hyperparameters with only
    the distance swapped (does the amateur matter?), and with every hyperparameter re-selected (does the protocol's
    result depend on the distance?)."""
    rows = []
    for method in ("static", "dynamic"):
        cosine = ablation[(ablation.distance == "cosine") & (ablation.method == method)]
        fixed = cosine.drop(columns=["ci_low", "ci_high"]).rename(
            columns={"fixed_ci_low": "ci_low", "fixed_ci_high": "ci_high"}
        )
        rows.append(
            _macro_f1_claim(
                fixed,
                f"our question, not a claim of the paper: at fixed hyperparameters, the "
                f"distance that picks the amateur (JSD in the paper, cosine in the code) matters "
                f"little ({method} beta)",
                f"cosine minus JSD ({method}, JSD's validation-selected configuration with only the distance swapped)",
                effect="fixed_delta_vs_jsd",
                claimed=NONE,
            )
        )
        rows.append(
            _macro_f1_claim(
                cosine,
                f"our question, not a claim of the paper: re-selected on validation, the "
                f"distance that picks the amateur matters little ({method} beta)",
                f"cosine minus JSD ({method}, each selected on validation, so a difference "
                "includes the effect of re-selecting the other hyperparameters)",
                effect="delta_vs_jsd",
                claimed=NONE,
            )
        )
    return rows


# Each claim: the input tables it is decided from, the keys of the rows it gives (the report's macro names) and its
# builder, in the order the claims are reported.
_CLAIMS = [
    (
        ("table1", "table1_seeds"),
        ("lle_beats_standard",),
        lambda t, s: [_beats_standard(t, "dynamic", "LLE (dynamic beta) beats standard classification", s)],
    ),
    (
        ("table1", "table1_seeds"),
        ("static_beats_standard", "static_any_beta"),
        lambda t, s: [
            _beats_standard(
                t,
                "static",
                "static-beta contrastive classification beats standard classification",
                s,
                protocol="validation_contrast",
                searched=" among beta > 0 only (contrast, as the paper states it)",
            ),
            _beats_standard(
                t,
                "static",
                "our extension: static beta over the released grid (beta = -0.25, "
                "an interpolation, allowed) beats standard classification",
                s,
                searched=" over the released grid, beta from -0.25",
            ),
        ],
    ),
    (
        ("dynamic_vs_static", "dynamic_vs_static_seeds"),
        ("dynamic_beats_static",),
        lambda t, s: [_dynamic_vs_static(t, s)],
    ),
    (
        ("trends", "trends_seeds"),
        ("recall_rises", "recall_rises_everywhere", "precision_falls"),
        lambda t, s: [_recall_rises(t, s), _recall_rises_everywhere(t, s), _precision_falls(t, s)],
    ),
    (("spreads", "spreads_seeds"), ("dynamic_more_stable",), lambda t, s: [_stability(t, s)]),
    (("bias", "bias_seeds"), ("away_from_neutral",), lambda t, s: [_neutral(t, s)]),
    (("polarity", "polarity_seeds"), ("keeps_polarity", "corrects_more"), _polarity),
    (("corrections",), ("named_corrections",), lambda t: [_named_corrections(t)]),
    (("trajectories",), ("heatmaps_rise", "heatmaps_flat"), _heatmap_claims),
    (
        ("ablation",),
        ("distance_static_fixed", "distance_static", "distance_dynamic_fixed", "distance_dynamic"),
        _distance,
    ),
]


def _lost_units(row: dict, full: dict) -> bool:
    """Whether the exclusion changed what ``row`` pools (``full``: the same claim with every pair kept)."""
    mine, theirs = row.get("unit_table"), full.get("unit_table")
    if mine is None or theirs is None:  # untested rows have no estimate on either side
        return not (pd.isna(row.get("estimate")) and pd.isna(full.get("estimate"))) and row.get("estimate") != full.get(
            "estimate"
        )
    return len(mine) != len(theirs) or not mine.effect.equals(theirs.effect)


def mark_left_out(rows: list[dict], full_rows: list[dict], view: SoundView, frames) -> None:
    """Mark each of ``rows`` whose units the at-chance exclusion of ``view`` changed: its evidence ends with the
    view's note, ``left_out`` names the pairs, and it keeps, under ``with_left_out``, the row with every pair
    (``full_rows``, in the same order); rows the exclusion did not touch (e.g. a claim on other datasets) get an
    empty ``left_out``."""
    for row, full in zip(rows, full_rows, strict=True):
        touched = _lost_units(row, full)
        row["left_out"] = ", ".join(view.left_out(*frames)) if touched else ""
        if touched:
            row["evidence"] += view.note(*frames)
            row["with_left_out"] = full


def claim_records(**inputs) -> list[dict]:
    """Every claim as a row of the registry (before its verdict), pairs at chance left out
    (:class:`lle.claims.soundness.SoundView`); a claim that lost pairs names them in its evidence and holds,
    under ``with_left_out``, its row with them kept (:func:`mark_left_out`)."""
    view = SoundView.of(inputs["table1"])
    records = []
    for names, keys, build in _CLAIMS:
        frames = [inputs.get(name) for name in names]
        rows = [{"key": key, **row} for key, row in zip(keys, build(*map(view.keep, frames)), strict=True)]
        mark_left_out(rows, build(*frames) if view.left_out(*frames) else rows, view, frames)
        records += rows
    return records


def post_hoc_notes(rows: list[dict]) -> pd.DataFrame:
    """``rows`` decided (:func:`lle.claims.registry.decide`); each that lost pairs to the at-chance exclusion
    (its ``with_left_out`` row) says that the exclusion is post hoc and what the claim's estimate, CI and verdict
    are with those pairs kept (decided likewise, over the same claims); ``verdict_with_left_out`` holds that
    verdict for every row."""
    table = decide(pd.DataFrame([{k: v for k, v in r.items() if k != "with_left_out"} for r in rows]))
    full = decide(
        pd.DataFrame([r.get("with_left_out", r) for r in rows]).drop(columns="with_left_out", errors="ignore")
    )
    touched = np.array(["with_left_out" in r for r in rows], dtype=bool)
    table.loc[touched, "evidence"] = [
        f"{e} (post hoc: this exclusion was added after the results existed; with them kept: {r.estimate:+.4f} "
        f"[{r.ci_low:+.4f}, {r.ci_high:+.4f}], {r.verdict})"
        for e, r in zip(table.evidence[touched], full[touched].itertuples())
    ]
    return table.assign(verdict_with_left_out=full.verdict.to_numpy())


def paper_claims(**inputs) -> pd.DataFrame:
    """One row per claim with its verdict (:func:`lle.claims.registry.decide`), the pooled numbers, the rule and
    the evidence in words, marked where the post-hoc at-chance exclusion touched it (:func:`post_hoc_notes`)."""
    return post_hoc_notes(claim_records(**inputs))


# The tables paper_claims reads, as the notebooks write them under results/tables, and the notebook writing each.
CLAIM_INPUTS = {
    "table1": ("table1.csv", "02_table1_main_results"),
    "dynamic_vs_static": ("dynamic_vs_static.csv", "02_table1_main_results"),
    "trends": ("figure2_trends.csv", "03_figure2_target_layer"),
    "spreads": ("figure3_spread.csv", "04_figure3_stability"),
    "bias": ("table2_neutral_bias.csv", "05_neutral_bias"),
    "polarity": ("table3_polarity.csv", "06_corrections_and_heatmaps"),
    "corrections": ("table3_corrections.csv", "06_corrections_and_heatmaps"),
    "trajectories": ("table3_trajectories.csv", "06_corrections_and_heatmaps"),
    "ablation": ("distance_ablation.csv", "07_distance_ablation"),
}
# Tables of the other training seeds (lle.runs.seeds), read where they exist.
SEED_INPUTS = {
    "table1_seeds": "table1_seeds.csv",
    "dynamic_vs_static_seeds": "dynamic_vs_static_seeds.csv",
    "trends_seeds": "figure2_trends_seeds.csv",
    "spreads_seeds": "figure3_spread_seeds.csv",
    "bias_seeds": "table2_neutral_bias_seeds.csv",
    "polarity_seeds": "table3_polarity_seeds.csv",
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
            raise FileNotFoundError(
                f"{path} is missing: run notebooks/{notebook}.ipynb first (make reproduce runs every notebook in order)"
            )
        inputs[name] = pd.read_csv(path)
    for name, file in SEED_INPUTS.items():
        if (Path(directory) / file).is_file():
            inputs[name] = pd.read_csv(Path(directory) / file)
    return inputs
