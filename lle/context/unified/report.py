"""The unified view's report: figures over the β_u axis (the named methods marked on it), the hidden-state form's
summary, and what both say in sentences computed from the tables."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import seaborn.objects as so

from lle.claims.decision import NONE, POSITIVE, pool_units
from lle.claims.registry import claim_row, untested_row
from lle.claims.soundness import SoundView
from lle.claims.verdicts import mark_left_out, post_hoc_notes
from lle.context.unified import stage as unified_stage
from lle.context.unified.method import NAMED_METHODS
from lle.runs.verify import load_report
from lle.store.formats import Findings, plural, short_run
from lle.study.analysis import open_study
from lle.study.figures import change_dots, draw, pair_labels

CFG_SPAN = (NAMED_METHODS["CFG (gamma = 3)"], NAMED_METHODS["CFG (gamma = 1.5)"])  # β_u = 1 − γ


@dataclass
class UnifiedView:
    """Notebook 09's one setup: the cached LLE runs, the β_u axis computed on their scores
    (:func:`lle.context.unified.stage.study_unified`), and the hidden-state form's stored tables."""

    study: object  # lle.study.analysis.Study
    tables: dict  # sweeps, selected, matched, rescaling, dola, soundness (pandas; study_unified)
    forms: dict  # rows, selected, provenance, head_seeds (lle.context.unified.stage.load_results)

    @property
    def tables_dir(self) -> Path:
        return self.study.tables_dir

    def save_figure(self, fig, name: str) -> list[str]:
        return self.study.save_figure(fig, name)


def open_unified(
    *,
    runs=None,
    datasets=None,
    temperatures_n: int = 41,
    stage_root=None,
    results_root=None,
    out_dir=None,
    recompute: bool = False,
) -> UnifiedView:
    """Open the cached runs (``runs``, ``datasets``: None for every cached one; ``results_root``: where their layer
    scores live), compute the β_u axis on them with ``temperatures_n`` temperatures on a log grid from 0.05 to 5,
    and load the hidden-state form stored under ``stage_root``/unified (None: the repository's results/). Tables and
    figures go to results/ and figures/ or under ``out_dir``. ``recompute`` first runs (or resumes) the hidden-state
    form's stage: minutes per run on a CPU."""
    if recompute:
        unified_stage.compute_stage(results_root=stage_root)
    study = open_study(runs=runs, datasets=datasets, results_root=results_root, out_dir=out_dir)
    forms = unified_stage.load_results(stage_root)  # first: a missing stage fails before minutes of sweeps
    tables = unified_stage.study_unified(study, temperatures=np.geomspace(0.05, 5, temperatures_n))
    print(f"unified view: {len(study.pairs)} (run, dataset) pairs; hidden-state form of {len(forms['provenance'])}")
    return UnifiedView(study, tables, forms)


def mark_named_methods(axes) -> None:
    """CFG's range shaded, contrastive decoding (β = 1) dotted, the final layer solid, on every β_u axis."""
    for ax in axes:
        ax.axvspan(*CFG_SPAN, color="tab:orange", alpha=0.08)
        ax.axvline(
            NAMED_METHODS["contrastive decoding (beta = 1; the source also puts DoLa here)"],
            color="tab:red",
            lw=0.8,
            ls=":",
        )
        ax.axvline(0, color="grey", lw=0.8)


BETA_U_LABEL = r"$\beta_u$ (< 0 extrapolates, > 0 interpolates; shaded: CFG γ 1.5–3; dotted: CD, β = 1)"


def axis_figure(sweeps):
    """Test macro-F1 (left) and ECE (right) against β_u, plausibility off, one line per layer choice (black: LLE's
    amateur), one row per pair; the named methods marked on the axis."""
    data = sweeps[(sweeps.split == "test") & sweeps.alpha.isna()]
    long = data.assign(pair=pair_labels(data)).melt(
        id_vars=["pair", "layer", "unified_beta"], value_vars=["macro_f1", "ece"], var_name="metric"
    )
    long["metric"] = long.metric.map({"macro_f1": "test macro-F1", "ece": "test ECE (15 bins)"})
    layers = list(dict.fromkeys(long.layer))
    palette = {layer: "k" if layer == "LLE amateur" else f"C{i}" for i, layer in enumerate(layers)}
    plot = (
        so.Plot(long, x="unified_beta", y="value", color="layer")
        .facet(col="metric", row="pair", order={"row": list(dict.fromkeys(long.pair))})
        .share(y=False)
        .add(so.Line(linewidth=1))
        .scale(color=palette)
        .label(x=BETA_U_LABEL, y="", color="layer read", title=str)
    )
    fig = draw(plot, (10.5, 2.2 * long.pair.nunique() + 0.6))
    mark_named_methods(fig.axes)
    return fig


def entropy_figure(sweeps):
    """Mean entropy of softmax(guided) on test against β_u, LLE's amateur, plausibility off: one panel per
    dataset, one line per run. Extrapolation sharpens (lower entropy), interpolation flattens."""
    data = sweeps[(sweeps.split == "test") & sweeps.alpha.isna() & (sweeps.layer == "LLE amateur")]
    data = data.assign(model=data.run.map(short_run))
    datasets = sorted(data.dataset.unique())
    plot = (
        so.Plot(data, x="unified_beta", y="entropy", color="model")
        .facet(col="dataset", order=datasets)
        .share(y=False)
        .add(so.Line(marker=".", pointsize=3))
        .label(x=BETA_U_LABEL.split(";")[0] + ")", y="test mean entropy (nats), LLE amateur", color="", title=str)
    )
    fig = draw(plot, (4.2 * len(datasets) + 2.0, 3.2))
    mark_named_methods(fig.axes)
    return fig


def rescaling_figure(rescaling):
    """R² of log p_L explained by a scalar multiple of each layer's log p_ℓ, against relative depth."""
    data = rescaling.assign(model=rescaling.run.map(short_run))
    datasets = sorted(data.dataset.unique())
    plot = (
        so.Plot(data, x="relative_depth", y="r2", color="model")
        .facet(col="dataset", order=datasets)
        .add(so.Line(marker=".", pointsize=3))
        .limit(y=(-0.05, 1.05))
        .label(x=r"relative depth $\ell / L$", y="R² of log p_L on c·log p_ℓ (validation)", color="", title=str)
    )
    return draw(plot, (4.2 * len(datasets) + 2.0, 3.2))


def findings(tables) -> str:
    """What the sweeps say, in sentences, with every number computed here, over the pairs the claims read
    (:class:`lle.claims.soundness.SoundView`)."""
    view = SoundView.of(tables["soundness"])
    full = tables
    tables = {name: view.keep(table) if name in _PER_PAIR else table for name, table in tables.items()}
    selected = tables["selected"]
    f1_pick = selected[(selected.selected_by == "macro-F1") & selected.alpha.isna() & (selected.layer == "LLE amateur")]
    ece_pick = selected[(selected.selected_by == "ECE") & selected.alpha.isna() & (selected.layer == "LLE amateur")]
    sweeps = tables["sweeps"]
    final = sweeps[
        (sweeps.split == "test") & sweeps.alpha.isna() & (sweeps.layer == "LLE amateur") & (sweeps.unified_beta == 0.0)
    ].set_index(["run", "dataset"])
    f1_gain = f1_pick.set_index(["run", "dataset"]).macro_f1 - final.macro_f1
    ece_gain = final.ece - ece_pick.set_index(["run", "dataset"]).ece
    matched = tables["matched"]
    extrapolated = matched[(matched.unified_beta < 0) & matched.alpha.isna()]
    like_temperature = (extrapolated.macro_f1 - extrapolated.temperature_macro_f1).abs() <= 0.005
    r2 = best_earlier_r2(tables["rescaling"])
    at_dola = sweeps[
        (sweeps.split == "test") & sweeps.alpha.isna() & (sweeps.layer == "LLE amateur") & (sweeps.unified_beta == -1.0)
    ].set_index(["run", "dataset"])
    sharper = at_dola.entropy < final.entropy
    return Findings(
        "\n".join(
            [
                f"- With LLE's amateur and no plausibility constraint, validation picks β_u < 0 (extrapolation) in "
                f"{int((f1_pick.unified_beta < 0).sum())} of {len(f1_pick)} pairs and β_u > 0 (interpolation) in "
                f"{int((f1_pick.unified_beta > 0).sum())}; test macro-F1 changes by {f1_gain.mean():+.4f} on average against "
                f"the final layer (range {f1_gain.min():+.4f} to {f1_gain.max():+.4f}).",
                f"- Chosen for calibration instead, β_u is > 0 in {int((ece_pick.unified_beta > 0).sum())} of "
                f"{len(ece_pick)} pairs, and test ECE changes by {-ece_gain.mean():+.4f} on average against the final "
                f"layer (from {-ece_gain.max():+.4f} to {-ece_gain.min():+.4f}).",
                f"- Extrapolation sharpens: at β_u = −1 the mean test entropy of LLE's amateur is below the final layer's in "
                f"{int(sharper.sum())} of {len(sharper)} pairs (by {(final.entropy - at_dola.entropy).median():.3f} nats, "
                "median).",
                f"- At matched mean entropy, extrapolation's test macro-F1 is within 0.005 of a temperature-sharpened final "
                f"layer in {int(like_temperature.sum())} of {len(extrapolated)} (pair, layer, β_u < 0) points.",
                f"- The best R² of a layer below the final one, as a rescaled final layer, ranges from {r2.min():.2f} to "
                f"{r2.max():.2f} across pairs; {int((r2 >= 0.9).sum())} of {len(r2)} pairs have a layer at 0.9 or above "
                "(1 would mean the later layers only rescale it).",
            ]
            + [view.sentence(*(full[name] for name in _PER_PAIR if name in full))]
        ).rstrip()
    )


_PER_PAIR = ("sweeps", "selected", "matched", "rescaling", "dola")  # the tables with one block of rows per pair


def forms_summary(tables, layer: str = "LLE amateur"):
    """Per pair, for one layer choice on test: where the forms part (agreement at β_u = −1 and its minimum over
    the grid, the largest macro-F1 gap), and the validation-selected β_u of each form with its test macro-F1."""
    rows = tables["rows"][(tables["rows"].split == "test") & (tables["rows"].layer == layer)]
    chosen = tables["selected"][tables["selected"].layer == layer].pivot_table(
        index=["run", "dataset"], columns="form", values=["unified_beta", "test_macro_f1"]
    )
    summary = []
    for (run, dataset), part in rows.groupby(["run", "dataset"], sort=False):
        gap = (part.hidden_macro_f1 - part.logit_macro_f1).abs()
        at_dola = part[part.unified_beta == -1.0]
        pick = chosen.loc[(run, dataset)]
        summary.append(
            {
                "run": run,
                "dataset": dataset,
                "agreement at beta_u = -1": float(at_dola.agreement.iloc[0]) if len(at_dola) else np.nan,
                "F1 hidden minus logit at beta_u = -1": float(
                    (at_dola.hidden_macro_f1 - at_dola.logit_macro_f1).iloc[0]
                )
                if len(at_dola)
                else np.nan,
                "lowest agreement": float(part.agreement.min()),
                "beta_u of lowest agreement": float(part.unified_beta.iloc[int(np.argmin(part.agreement))]),
                "largest |F1 gap| over beta_u": float(gap.max()),
                "beta_u chosen, logit form": float(pick["unified_beta", "logit"]),
                "beta_u chosen, hidden form": float(pick["unified_beta", "hidden"]),
                "test F1, logit form": float(pick["test_macro_f1", "logit"]),
                "test F1, hidden form": float(pick["test_macro_f1", "hidden"]),
            }
        )
    summary = pd.DataFrame(summary)
    summary["hidden minus logit"] = summary["test F1, hidden form"] - summary["test F1, logit form"]
    return summary


def forms_figure(tables, layer: str = "LLE amateur"):
    """Per pair, against β_u: test prediction agreement between the forms (left) and each form's test macro-F1
    (right)."""
    rows = tables["rows"][(tables["rows"].split == "test") & (tables["rows"].layer == layer)]
    long = rows.assign(pair=pair_labels(rows)).melt(
        id_vars=["pair", "unified_beta"],
        value_vars=["agreement", "logit_macro_f1", "hidden_macro_f1"],
        var_name="series",
    )
    long["panel"] = np.where(long.series == "agreement", "test agreement of predicted classes", "test macro-F1")
    long["series"] = long.series.map(
        {"agreement": "agreement", "logit_macro_f1": "logit form", "hidden_macro_f1": "hidden-state form"}
    )
    plot = (
        so.Plot(long, x="unified_beta", y="value", color="series", linestyle="series")
        .facet(col="panel", row="pair", order={"row": list(dict.fromkeys(long.pair))})
        .share(y=False)
        .add(so.Line(linewidth=1.2))
        .scale(
            color={"agreement": "k", "logit form": "C0", "hidden-state form": "C3"},
            linestyle={"agreement": "-", "logit form": "-", "hidden-state form": "--"},
        )
        .label(x=BETA_U_LABEL, y="", color="", linestyle="", title=str)
    )
    fig = draw(plot, (10.5, 2.2 * long.pair.nunique() + 0.6))
    mark_named_methods(fig.axes)
    return fig


def forms_summary_figure(summary: pd.DataFrame):
    """The forms' comparison in one panel: per pair, the hidden-state form's test macro-F1 minus the logit form's, at
    β_u = −1 and with each form's own validation-chosen β_u."""
    columns = {"F1 hidden minus logit at beta_u = -1": "at β_u = −1", "hidden minus logit": "each form's chosen β_u"}
    long = summary.assign(pair=pair_labels(summary)).melt(
        id_vars="pair", value_vars=list(columns), var_name="where", value_name="difference"
    )
    long["where"] = long["where"].map(columns)
    return change_dots(
        long,
        x="difference",
        hue="where",
        palette=dict(zip(columns.values(), ("tab:red", "tab:blue"))),
        xlabel="test macro-F1, hidden-state form − logit form",
        title="Hidden-state against logit form",
    )


def seed_spread(tables):
    """Per pair: the final-layer test macro-F1 of the head retrained with each seed on the same pooled states, its
    spread, and the recomputed run's own (seed 0) beside the committed score."""
    seeds = tables["head_seeds"]
    spread = (
        seeds.groupby(["run", "dataset"], sort=False)
        .test_macro_f1.agg(seeds="count", lowest="min", highest="max", standard_deviation=lambda f1: f1.std(ddof=1))
        .reset_index()
    )
    own = tables["provenance"].set_index(["run", "dataset"])
    spread["committed (seed 0)"] = [
        own.loc[(r, d), "committed_test_macro_f1"] for r, d in zip(spread.run, spread.dataset)
    ]
    spread["recomputed (seed 0)"] = [
        own.loc[(r, d), "recomputed_test_macro_f1"] for r, d in zip(spread.run, spread.dataset)
    ]
    return spread


def forms_findings(summary, provenance, spread=None) -> str:
    """What the two forms' comparison says, in sentences, from the computed summary."""
    gap = summary["hidden minus logit"]
    at_dola = summary["F1 hidden minus logit at beta_u = -1"]
    return Findings(
        "\n".join(
            [
                _reproduction_sentence(provenance),
                f"- With LLE's per-sample amateur, the two forms predict the same class for "
                f"{summary['agreement at beta_u = -1'].min():.1%} to {summary['agreement at beta_u = -1'].max():.1%} of test "
                f"samples at β_u = −1 (contrastive decoding, β = 1); the lowest agreement on the grid is "
                f"{summary['lowest agreement'].min():.1%}, and the largest test macro-F1 gap between the forms at one β_u is "
                f"{summary['largest |F1 gap| over beta_u'].max():.4f}. At β_u = −1 the hidden-state form's test macro-F1 "
                f"minus the logit form's is {at_dola.mean():+.4f} on average (range {at_dola.min():+.4f} to "
                f"{at_dola.max():+.4f}; lower in {int((at_dola < 0).sum())} of {len(at_dola)} pairs; point estimates on test, "
                "no significance test).",
                f"- Each form with its own validation-selected β_u: test macro-F1 of the hidden-state form minus the logit "
                f"form is {gap.mean():+.4f} on average (range {gap.min():+.4f} to {gap.max():+.4f}); the hidden-state form is "
                f"higher in {int((gap > 0).sum())} of {len(gap)} pairs, lower in {int((gap < 0).sum())}, tied in "
                f"{int((gap == 0).sum())}. The head is Linear–ReLU–Linear, so the forms coincide only at β_u = 0 and 1.",
                *(
                    []
                    if spread is None
                    else [
                        f"- The head itself is seed-sensitive: retrained with {int(spread.seeds.min())} seeds on the same pooled "
                        f"states, the final layer's test macro-F1 has a standard deviation of {spread.standard_deviation.min():.3f} "
                        f"to {spread.standard_deviation.max():.3f} across these pairs (widest range "
                        f"{(spread.highest - spread.lowest).max():.3f}). Paired comparisons on one trained model (Table 1) are not "
                        "affected, but a difference between two separately trained heads smaller than that is within seed noise."
                    ]
                ),
            ]
        )
    )


def _reproduction_sentence(provenance) -> str:
    """Which recomputed pairs give back the committed scores, and what the others give instead."""
    same = provenance[provenance.reproduces_committed]
    other = provenance[~provenance.reproduces_committed]
    sentence = (
        f"- Computed on {len(provenance)} frozen-head pairs, each recomputed from the model and the data (pooled "
        f"states, then the seeded head); both forms are read from the recomputed head. {len(same)} of "
        f"{len(provenance)} give back the committed scores to within 1e-4 in log-probability"
        + (f" (largest difference {same.max_abs_difference_to_committed.max():.1e})" if len(same) else "")
    )
    if len(other):
        moved = other.recomputed_test_macro_f1 - other.committed_test_macro_f1
        sentence += (
            "; the others do not ("
            + "; ".join(
                f"{r.run} / {r.dataset}: largest difference {r.max_abs_difference_to_committed:.2f}, final-layer test "
                f"macro-F1 {r.committed_test_macro_f1:.3f} committed, {r.recomputed_test_macro_f1:.3f} recomputed"
                for r in other.itertuples()
            )
            + f"). Their final-layer test macro-F1 moves by {moved.min():+.3f} to "
            f"{moved.max():+.3f}, the size of the head's seed spread below"
            + _verified_sentence(other)
            + ". Every table still reads the committed scores"
        )
    return sentence + "."


def _verified_sentence(other: pd.DataFrame) -> str:
    """What ``lle verify`` found for the runs this stage does not recompute exactly (results/verification.csv)."""
    try:
        report = load_report()
    except FileNotFoundError:
        return ""
    exact = report[(report.seed == 0) & (report.bit_identical.astype(str) == "True")]
    exact = set(zip(exact.run, exact.dataset))
    same = [f"{r.run} / {r.dataset}" for r in other.itertuples() if (r.run, r.dataset) in exact]
    if not same:
        return ""
    return (
        f". `lle verify`, which recomputes a run from an empty cache, gives back the committed scores bit for bit "
        f"for {plural(len(same), 'of them', 'of them')} ({'; '.join(same)}; results/verification.csv): the "
        "difference lies in this stage's own recomputation, and its cause is not established"
    )


# --- claims -------------------------------------------------------------------------------------------------------


def claims(tables, forms_summary: pd.DataFrame) -> pd.DataFrame:
    """The unified view's claims, decided by the pooled rule (:mod:`lle.claims.decision`) from the sweeps
    (LLE's per-sample amateur, plausibility off) and the hidden-state form's summary; pairs whose standard
    classifier is at chance are left out (:class:`lle.claims.soundness.SoundView`), named in the evidence,
    with the estimate and verdict they would give if kept (a post-hoc exclusion:
    :func:`lle.claims.verdicts.post_hoc_notes`)."""
    view = SoundView.of(tables["soundness"])
    full = [tables.get(name) for name in ("sweeps", "selected", "matched", "dola")]
    rescaled = _rescaled_pairs(tables["rescaling"]) if "rescaling" in tables else None
    rows = _pair_claims(*map(view.keep, full), rescaled=rescaled)
    if view.left_out(*full):
        mark_left_out(rows, _pair_claims(*full, rescaled=rescaled), view, full)
    return post_hoc_notes(
        rows + [_hidden_form_claim(forms_summary), *(untested_row(text, reason) for text, reason in UNTESTED)]
    )


RESCALED_R2 = 0.9  # the source's condition for "≈ temperature": an earlier layer's logits ≈ a multiple of the final's


def best_earlier_r2(rescaling: pd.DataFrame) -> pd.Series:
    """Per pair, the highest R² of a layer below the final one against a rescaled final layer (validation)."""
    return rescaling.groupby(["run", "dataset"]).r2.apply(lambda r: r.iloc[:-1].max())


def _rescaled_pairs(rescaling: pd.DataFrame) -> set:
    """The pairs where some layer below the final one is nearly a rescaled final layer (R² ≥ 0.9 on validation)."""
    best = best_earlier_r2(rescaling)
    return set(best[best >= RESCALED_R2].index)


UNTESTED = (
    (
        "DoLa is weak in small models",
        "not testable here: every model here is small (135M to 270M parameters, or 22M and 110M encoders); the claim "
        "needs the same method on larger models of one family",
    ),
)


def _pair_claims(
    sweeps: pd.DataFrame, selected: pd.DataFrame, matched: pd.DataFrame, dola=None, *, rescaled=None
) -> list[dict]:
    """The claims decided over (run, dataset) pairs, from the tables of the pairs given: each as its source states
    it, and where we test a broader variant too, that one labelled as ours."""
    plain = sweeps[sweeps.alpha.isna() & (sweeps.layer == "LLE amateur")]
    test = plain[plain.split == "test"].set_index(["run", "dataset", "unified_beta"])
    final, at_minus_one = test.xs(0.0, level="unified_beta"), test.xs(-1.0, level="unified_beta")
    placed = dola_claims(dola) if dola is not None and len(dola) else []
    return [
        _sharpens(final, at_minus_one),
        _extrapolation_helps(plain, final),
        _helps_accuracy(selected, final),
        _interpolation_calibrates(plain, final),
        *_acts_like_temperature(matched, at_minus_one, rescaled),
        *placed,
        *_amateur_depth(sweeps),
        _final_layers_sharpen(sweeps),
    ]


def _mean_claim(
    claim: str, effect: pd.Series, scale: str, rule: str, words: tuple[str, str], tail: str, claimed: str = POSITIVE
) -> dict:
    """A claim on one descriptive effect per pair (no per-pair SE): the mean over pairs with a t interval;
    ``words`` say what a positive and a negative effect mean."""
    frame = effect.rename("effect").reset_index()
    pooled, units = pool_units(frame, "effect", unit=["run", "dataset"])
    return claim_row(
        claim,
        pooled,
        scale,
        f"pooled {rule} (mean over pairs, t interval)",
        f"{words[0]} in {int((units.effect > 0).sum())} of {len(units)} pairs, {words[1]} in "
        f"{int((units.effect < 0).sum())}; {tail}",
        claimed=claimed,
        units=units,
    )


def _sharpens(final: pd.DataFrame, dola: pd.DataFrame) -> dict:
    drop = final.entropy - dola.entropy
    return _mean_claim(
        "extrapolating away from an earlier layer sharpens the prediction",
        drop,
        "nats",
        "test mean entropy of the final layer minus that at beta_u = -1, LLE's amateur",
        ("lower", "higher"),
        f"median drop {drop.median():.3f} nats",
    )


def _best_extrapolation(rows: pd.DataFrame) -> pd.Series:
    """Per pair, the test macro-F1 at the validation-best β_u < 0 of ``rows`` (one layer choice, plausibility off);
    ties go to the weaker extrapolation (nearer 0)."""
    chosen = {}
    for (run, dataset), part in rows[rows.unified_beta < 0].groupby(["run", "dataset"], sort=False):
        validation = part[part.split == "validation"].sort_values(
            ["macro_f1", "unified_beta"], ascending=[False, False], kind="stable"
        )
        beta_u = validation.unified_beta.iloc[0]
        chosen[run, dataset] = part[(part.split == "test") & (part.unified_beta == beta_u)].macro_f1.iloc[0]
    return pd.Series(chosen, dtype=float).rename_axis(["run", "dataset"])


def _extrapolation_helps(plain: pd.DataFrame, final: pd.DataFrame) -> dict:
    """The source's claim: extrapolation (β_u < 0), its strength chosen on validation, beats the final layer."""
    gain = _best_extrapolation(plain) - final.macro_f1
    return _mean_claim(
        "extrapolation helps accuracy",
        gain,
        "score",
        "test macro-F1 at the validation-best beta_u < 0 (extrapolation only) minus the final layer's",
        ("higher", "lower"),
        "the strength of extrapolation chosen on validation among beta_u < 0",
    )


def _layer_rows(sweeps: pd.DataFrame, layer: str) -> pd.DataFrame:
    return sweeps[sweeps.alpha.isna() & (sweeps.layer == layer)]


EARLY_AMATEUR = "too early an amateur adds noise: a 25%-depth amateur extrapolates worse than a 50%-depth one"
LATE_AMATEUR = (
    "too late an amateur makes the contrast vanish: an L-1 amateur changes fewer predictions than a 50%-depth one"
)
SHARPEN = "the final layers sharpen the prediction"


def _amateur_depth(sweeps: pd.DataFrame) -> list[dict]:
    """The source's sensitivity to the amateur's depth, in its two halves: too early a layer adds noise (a fixed
    25%-depth amateur does worse than a 50%-depth one, each at its validation-best β_u < 0), too late a layer makes
    the contrast vanish (a fixed L−1 amateur changes fewer test predictions at β_u = −1 than a 50%-depth one)."""
    missing = sorted({"25% depth", "50% depth", "L-1"} - set(sweeps.layer))
    if missing:
        return [
            untested_row(claim, f"not tested: the sweep has no fixed {', '.join(missing)} amateur")
            for claim in (EARLY_AMATEUR, LATE_AMATEUR)
        ]
    early = _best_extrapolation(_layer_rows(sweeps, "50% depth")) - _best_extrapolation(
        _layer_rows(sweeps, "25% depth")
    )
    at = sweeps[sweeps.alpha.isna() & (sweeps.split == "test") & (sweeps.unified_beta == -1.0)]
    changed = at.pivot_table(index=["run", "dataset"], columns="layer", values="changed_vs_final")
    late = changed["50% depth"] - changed["L-1"]
    return [
        _mean_claim(
            EARLY_AMATEUR,
            early,
            "score",
            "test macro-F1 at the validation-best beta_u < 0 of a fixed 50%-depth amateur "
            "minus that of a fixed 25%-depth amateur",
            ("50% depth better", "worse"),
            "the depths are ours (the source names no layers for this)",
        ),
        _mean_claim(
            LATE_AMATEUR,
            late,
            "share",
            "share of test predictions changed from the final layer's at "
            "beta_u = -1: a fixed 50%-depth amateur minus a fixed L-1 amateur",
            ("L-1 changes fewer", "more"),
            f"L-1 changes {changed['L-1'].min():.1%} to {changed['L-1'].max():.1%} of predictions",
        ),
    ]


def _final_layers_sharpen(sweeps: pd.DataFrame) -> dict:
    """The source: the final layers sharpen the prediction. The final layer's test entropy against the layer below
    it read alone (β_u = 1 of the L−1 choice is log p_{L−1})."""
    if "L-1" not in set(sweeps.layer):
        return untested_row(SHARPEN, "not tested: the sweep has no L-1 layer")
    test = (
        sweeps[sweeps.alpha.isna() & (sweeps.split == "test") & (sweeps.layer == "L-1")]
        .set_index(["run", "dataset", "unified_beta"])
        .entropy
    )
    drop = test.xs(1.0, level="unified_beta") - test.xs(0.0, level="unified_beta")
    return _mean_claim(
        SHARPEN,
        drop,
        "nats",
        "test mean entropy of layer L-1 read alone minus the final layer's",
        ("sharper at L", "flatter"),
        f"median {drop.median():+.3f} nats",
    )


def _helps_accuracy(selected: pd.DataFrame, final: pd.DataFrame) -> dict:
    picked = selected[
        (selected.selected_by == "macro-F1") & selected.alpha.isna() & (selected.layer == "LLE amateur")
    ].set_index(["run", "dataset"])
    gain = picked.macro_f1 - final.macro_f1
    return _mean_claim(
        "our extension: the validation-selected point of the whole axis helps accuracy",
        gain,
        "score",
        "test macro-F1 at the validation-selected beta_u (either side of the axis) minus the final "
        "layer's; not the source's claim, which is about extrapolation alone",
        ("higher", "lower"),
        f"validation picks beta_u < 0 in {int((picked.unified_beta < 0).sum())} "
        f"pairs and beta_u > 0 in {int((picked.unified_beta > 0).sum())}",
    )


def _interpolation_calibrates(plain: pd.DataFrame, final: pd.DataFrame) -> dict:
    inside = plain[(plain.unified_beta > 0) & (plain.unified_beta < 1)]
    gains = {}
    for (run, dataset), part in inside.groupby(["run", "dataset"], sort=False):
        validation = part[part.split == "validation"].sort_values(["ece", "unified_beta"], kind="stable")
        beta_u = validation.unified_beta.iloc[0]  # ties go to the smaller beta_u, the nearer the final layer
        chosen = part[(part.split == "test") & (part.unified_beta == beta_u)].ece.iloc[0]
        gains[run, dataset] = final.loc[(run, dataset), "ece"] - chosen
    gain = pd.Series(gains).rename_axis(["run", "dataset"])
    return _mean_claim(
        "interpolating toward an earlier layer improves calibration",
        gain,
        "score",
        "test ECE of the final layer minus the test ECE at the validation-best 0 < beta_u < 1",
        ("ECE lower", "higher"),
        f"mean ECE change {-gain.mean():+.4f}",
    )


def _acts_like_temperature(matched: pd.DataFrame, dola: pd.DataFrame, rescaled=None) -> list[dict]:
    """The source's claim holds "when an earlier layer's logits are nearly a multiple of the final layer's": tested on
    the pairs that meet that condition (:data:`RESCALED_R2`), and on every pair as our extension."""
    at = matched[matched.alpha.isna() & (matched.layer == "LLE amateur") & (matched.unified_beta == -1.0)].set_index(
        ["run", "dataset"]
    )
    scopes = [("", None)] if rescaled is None else [("", rescaled), ("our extension, every pair: ", None)]
    return [row for scope, pairs in scopes for row in _temperature_rows(scope, pairs, at, dola)]


def _temperature_rows(scope: str, pairs, at: pd.DataFrame, dola: pd.DataFrame) -> list[dict]:
    """The two parts of "acts like a temperature", over ``pairs`` (None: every pair)."""
    changed = dola.changed_vs_final if pairs is None else dola.changed_vs_final[[p in pairs for p in dola.index]]
    ece_gap = (at.ece - at.temperature_ece).reindex(changed.index)
    unmatched = int(ece_gap.isna().sum())
    condition = (
        ""
        if pairs is None
        else f"; only the {len(changed)} pairs where a layer below the final one has "
        f"R² >= {RESCALED_R2} against a rescaled final layer (validation), the source's condition, read from "
        "the best such layer (LLE's amateur varies per sample)"
    )
    return [
        _mean_claim(
            f"{scope}logit extrapolation acts like temperature sharpening: it changes no prediction",
            changed,
            "share",
            "share of test predictions at beta_u = -1 that differ from the final layer's (a temperature changes none)",
            ("changed", "unchanged"),
            f"predictions changed: {changed.min():.1%} to {changed.max():.1%}{condition}",
            claimed=NONE,
        ),
        _mean_claim(
            f"{scope}logit extrapolation acts like temperature sharpening: it calibrates as a temperature does",
            ece_gap.dropna(),
            "score",
            "test ECE at beta_u = -1 minus the ECE of the final layer "
            "sharpened by a temperature to the same mean entropy",
            ("higher", "lower"),
            f"ECE gap {ece_gap.min():+.3f} to {ece_gap.max():+.3f}"
            + (f"; {unmatched} pairs without a matching temperature" if unmatched else "")
            + condition,
            claimed=NONE,
        ),
    ]


def dola_claims(dola: pd.DataFrame) -> list[dict]:
    """DoLa's place on the axis, both ways: the source's (β_u = −1), and the limit β_u → −∞ that DoLa's score
    log p_L − log p_ℓ is (notebook 00); each as the share of test predictions by DoLa's score that a point of the
    axis does not reproduce, LLE's per-sample amateur, plausibility off."""
    frame = dola.set_index(["run", "dataset"])
    farthest = frame.farthest_beta_u.min()
    return [
        _mean_claim(
            "DoLa sits at beta_u = -1 on the axis (the source's placement)",
            frame.dola_differs_from_minus_one,
            "share",
            "share of test predictions by DoLa's score (log p_L - log p_l) that differ from those at beta_u = -1",
            ("differ", "agree"),
            "DoLa's score is the beta_u -> -infinity limit of the axis (divide by -beta_u), not its point "
            "-1, which is contrastive decoding with beta = 1 (2 log p_L - log p_l): the source slipped here",
            claimed=NONE,
        ),
        _mean_claim(
            f"our derivation: DoLa is the far end of the axis (here beta_u = {farthest:g}, the grid's end)",
            frame.dola_differs_from_farthest,
            "share",
            "share of test predictions by DoLa's score that "
            f"differ from those at beta_u = {farthest:g}; the limit is reached only as beta_u -> -infinity",
            ("differ", "agree"),
            "notebook 00 derives the limit exactly; this measures how near the grid's end comes",
            claimed=NONE,
        ),
    ]


def _hidden_form_claim(summary: pd.DataFrame) -> dict:
    agreement = summary["agreement at beta_u = -1"]
    return untested_row(
        "mixing hidden states equals mixing logits for a linear head",
        "not testable here: it needs an affine head",
        "no cached run reads an affine head (the fine-tuned and frozen-head runs an MLP head, the "
        "zero-shot runs the LM head behind the final RMSNorm); on the MLP head the two forms predict the "
        f"same class for {agreement.min():.1%} to {agreement.max():.1%} of test samples at beta_u = -1",
    )
