"""Where emotion lives in depth, three ways (notebook 11): the separation of emotion vectors, the per-layer STC probe
and the shared head's early exit — and whether LLE's amateur candidates chosen from the localization curve change
its validation-selected result. Everything is read from cached results; nothing here runs a model.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import seaborn.objects as so

from lle.context import emotion
from lle.context.emotion_stage import MODELS
from lle.experiments.analysis import macro_f1, test_predictions
from lle.experiments.figures import draw
from lle.experiments.report import Findings
from lle.experiments.selection import select_best
from lle.paths import results_dir

SEPARATION = "centroid_accuracy"
RUN_OF = {"SmolLM2-135M-Instruct": "SmolLM2-135M-Instruct-frozen-head", "gemma-3-270m": "gemma-3-270m-frozen-head",
          "all-MiniLM-L6-v2": "all-MiniLM-L6-v2-finetuned", "all-mpnet-base-v2": "all-mpnet-base-v2-lower-half-frozen"}


@dataclass
class Localization:
    """Notebook 11's one setup: separation rows and records, steering sweeps, the cached LLE runs on the same
    backbones, the STC results (None when the STC stage has not run), and where tables and figures go."""
    separation: pd.DataFrame
    records: dict
    sweeps: dict
    study: object
    stc: object
    figures_dir: Path
    tables_dir: Path

    def save_figure(self, fig, name: str) -> list[str]:
        from lle.experiments.plotting import save_figure

        return save_figure(fig, name, self.figures_dir)


def open_localization(*, results_root=None, scores_dir=None, out_dir=None, recompute: bool = False) -> Localization:
    """Load the emotion stage's cached results (under ``results_root``/emotion; None: the repository's results/),
    the steering sweeps, the STC results if present, and the cached LLE runs of the same backbones. ``recompute``
    first runs (or resumes) the stage, about an hour on a CPU."""
    if recompute:
        compute_stage(results_root=results_root)
    from lle.context.steering_study import load_sweeps
    from lle.context.stc_stage import load_results
    from lle.experiments.analysis import open_study
    from lle.paths import figures_dir_in, results_dir_in

    separation, records = load_separation(results_root)
    try:
        stc = load_results(results_root)
    except FileNotFoundError:
        stc = None
    study = open_study(runs=sorted(RUN_OF[m] for m in records), scores_dir=scores_dir, out_dir=out_dir)
    tables = Path(results_dir_in(out_dir)) / "tables"
    tables.mkdir(parents=True, exist_ok=True)
    sweeps = load_sweeps(results_root)  # read once: the generations files are large
    print(f"emotion results: {sorted(records)}; steering sweeps: {sorted(sweeps)}; "
          f"STC results: {'yes' if stc is not None else 'none'}")
    return Localization(separation, records, sweeps, study, stc, Path(figures_dir_in(out_dir)), tables)


def load_separation(root=None) -> tuple[pd.DataFrame, dict]:
    """(separation rows of every extracted model, {model: its stored record without the rows})."""
    frames, records = [], {}
    for model in MODELS:
        path = Path(results_dir(root)) / "emotion" / f"{model}.json"
        if path.is_file():
            record = json.loads(path.read_text())
            frames.append(pd.DataFrame(record.pop("separation")).assign(model=model))
            records[model] = record
    if not frames:
        raise FileNotFoundError(f"no emotion results under {Path(results_dir(root)) / 'emotion'}; run "
                                "scripts/compute_emotion.py (or notebook 11 with recompute = True)")
    return pd.concat(frames, ignore_index=True), records


def separation_summary(separation: pd.DataFrame) -> pd.DataFrame:
    """Per (model, method, pooling): the peak of the separation curve, chance, whether the curve is an inverted U
    (:func:`lle.context.emotion.is_inverted_u`), and at the peak the centred within/between cosines and the raw
    within-emotion cosine against the anisotropy baseline."""
    rows = []
    for (model, method, pooling), curve in separation.groupby(["model", "method", "pooling"], sort=True):
        peak = curve.loc[curve[SEPARATION].idxmax()]
        rows.append({"model": model, "method": method, "pooling": pooling, "peak_layer": int(peak.layer),
                     "peak_relative_depth": float(peak.relative_depth), "peak_accuracy": float(peak[SEPARATION]),
                     "chance": 1 / len(emotion.EMOTIONS), "first_layer_accuracy": float(curve[SEPARATION].iloc[0]),
                     "last_layer_accuracy": float(curve[SEPARATION].iloc[-1]),
                     "inverted_u": emotion.is_inverted_u(curve.relative_depth, curve[SEPARATION]),
                     "within_minus_between_at_peak": float(peak.within_cosine - peak.between_cosine),
                     "raw_within_minus_anisotropy_at_peak": float(peak.raw_within_cosine - peak.anisotropy)})
    return pd.DataFrame(rows)


def generation_vs_comprehension(separation: pd.DataFrame) -> pd.DataFrame:
    """Mann–Whitney U (two-sided) of the per-layer separation of generation- against comprehension-based states,
    per (model, pooling) and pooled over the decoders, with the median of each."""
    from scipy.stats import mannwhitneyu

    decoders = separation[separation.model.isin(separation[separation.method == "generation"].model.unique())]
    groups = [((m, p), part) for (m, p), part in decoders.groupby(["model", "pooling"], sort=True)]
    groups += [(("all decoders", p), part) for p, part in decoders.groupby("pooling", sort=True)]
    rows = []
    for (model, pooling), part in groups:
        generated = part[part.method == "generation"][SEPARATION]
        read = part[part.method == "comprehension"][SEPARATION]
        test = mannwhitneyu(generated, read, alternative="two-sided")
        rows.append({"model": model, "pooling": pooling, "n_layers": len(generated),
                     "generation_median": float(generated.median()), "comprehension_median": float(read.median()),
                     "U": float(test.statistic), "p_value": float(test.pvalue)})
    return pd.DataFrame(rows)


def depth_profiles(separation: pd.DataFrame, stc_curves: pd.DataFrame | None, early_exit: pd.DataFrame | None,
                   *, dataset: str = "goemotions", pooling: str = "token") -> pd.DataFrame:
    """Long table against relative depth, per model: separation (comprehension, generation), the STC single-layer
    probe's and the shared head's test macro-F1 on ``dataset``."""
    frames = [separation[separation.pooling == pooling].assign(
        measure=lambda f: "separation (" + f.method + ")", value=lambda f: f[SEPARATION])]
    if stc_curves is not None:
        probes = stc_curves[(stc_curves.dataset == dataset) & (stc_curves.curve == "single layer")]
        frames.append(probes.assign(model=probes.backbone, measure="STC probe macro-F1", value=probes.test_macro_f1))
    if early_exit is not None:
        exits = early_exit[early_exit.dataset == dataset]
        frames.append(exits.assign(model=exits.backbone, measure="shared-head early exit macro-F1",
                                   value=exits.early_exit_test_macro_f1))
    columns = ["model", "measure", "relative_depth", "value"]
    return pd.concat([f[columns] for f in frames], ignore_index=True)


def candidates_from_localization(study, summary: pd.DataFrame, *, method: str = "generation",
                                 pooling: str = "token") -> pd.DataFrame:
    """Dynamic LLE chosen on validation over all candidate sets k..L−1, against only those starting at or after the
    model's separation peak (k ≥ peak layer): validation and test macro-F1 of each choice, per run and dataset."""
    peaks = summary[(summary.method == method) & (summary.pooling == pooling)].set_index("model").peak_layer
    rows = []
    for model, peak in peaks.items():
        for pair in study.pairs:
            if pair.run != RUN_OF[model]:
                continue
            grid = study.grid(pair, "validation")
            dynamic = grid[grid.method == "dynamic"]
            for name, rows_allowed in (("all candidates", dynamic),
                                       (f"k >= separation peak ({peak})", dynamic[dynamic.earliest_candidate >= peak])):
                chosen = select_best(rows_allowed, "dynamic")
                rows.append({"model": model, "run": pair.run, "dataset": pair.dataset, "candidates": name,
                             "peak_layer": int(peak), "chosen_candidate_layers": chosen.config.to_row()["candidate_layers"],
                             "validation_macro_f1": chosen.macro_f1,
                             "test_macro_f1": macro_f1(pair, test_predictions(pair, chosen.config))})
    return pd.DataFrame(rows)


N_PER_EMOTION = 30  # texts per emotion, read and generated


def compute_stage(models=None, *, steer: bool = True, n_per_emotion: int = N_PER_EMOTION, results_root=None,
                  progress: bool = True) -> None:
    """The whole stage (about an hour on a CPU; each model is reused once done): extraction and separation of
    every model (``n_per_emotion`` texts read and generated per emotion), then the steering sweep of the decoders."""
    from lle.context import steering_study
    from lle.context.emotion_stage import extract

    models = list(MODELS) if models is None else list(models)
    for model in models:
        record = extract(model, n_per_emotion=n_per_emotion, results_root=results_root, progress=progress)
        print(f"{model}: extraction and separation done ({record['seconds']} s)", flush=True)
    for model in models if steer else []:
        if MODELS[model][1]:
            steering_study.sweep(model, results_root=results_root, progress=progress)
            print(f"{model}: steering sweep done", flush=True)


# --- figures and findings ------------------------------------------------------------------------------------------

def separation_figure(separation: pd.DataFrame):
    """Leave-one-out centroid accuracy against relative depth per model: comprehension and generation (colour),
    last-token and mean pooling (line style); dotted: chance. The anisotropy control is in the summary table."""
    models = list(dict.fromkeys(separation.model))
    chance = 1 / len(emotion.EMOTIONS)
    plot = (so.Plot(separation, x="relative_depth", y=SEPARATION, color="method", linestyle="pooling")
            .facet(col="model", wrap=2, order=models).add(so.Line(marker=".", pointsize=3))
            .label(x=r"relative depth $\ell / L$", y=f"LOO centroid accuracy ({len(emotion.EMOTIONS)} emotions)",
                   color="", linestyle="", title=str))
    fig = draw(plot, (8.8, 2.8 * -(-len(models) // 2) + 0.4))
    for ax in fig.axes:
        ax.axhline(chance, color="grey", lw=0.8, ls=":")
    return fig


def profiles_figure(profiles: pd.DataFrame):
    """Every depth profile of a model on one axis, each min–max scaled to [0, 1] so their peaks line up."""
    models = list(dict.fromkeys(profiles.model))
    grouped = profiles.groupby(["model", "measure"], sort=False).value
    span = (grouped.transform("max") - grouped.transform("min")).replace(0, 1)
    scaled = profiles.assign(scaled=(profiles.value - grouped.transform("min")) / span)
    plot = (so.Plot(scaled, x="relative_depth", y="scaled", color="measure")
            .facet(col="model", wrap=2, order=models).add(so.Line(marker=".", pointsize=3))
            .label(x=r"relative depth $\ell / L$", y="scaled to [0, 1] per measure", color="", title=str))
    return draw(plot, (9.6, 2.8 * -(-len(models) // 2) + 0.4))


def findings(summary: pd.DataFrame, tests: pd.DataFrame, candidates: pd.DataFrame, steering: dict) -> Findings:
    """Which of the reference's findings hold here, in sentences, with every number computed here."""
    decoders = tests[tests.model == "all decoders"]
    token = summary[summary.pooling == "token"]
    lines = [
        "- **Generation vs comprehension.** Pooled over the decoders' layers, the median separation is "
        + "; ".join(f"{r.generation_median:.3f} vs {r.comprehension_median:.3f} ({r.pooling} pooling, Mann–Whitney "
                    f"p = {r.p_value:.2g})" for r in decoders.itertuples()) + ".",
        "- **Peak depth and shape (last-token states).** "
        + "; ".join(f"{r.model} {r.method}: peak at {r.peak_relative_depth:.2f} depth ({r.peak_accuracy:.2f} vs "
                    f"chance {r.chance:.2f}), {'an inverted U' if r.inverted_u else 'not an inverted U'}"
                    for r in token.itertuples()) + ".",
        "- **Against anisotropy.** At the peak, the raw within-emotion cosine exceeds the random-pair baseline by "
        f"{token.raw_within_minus_anisotropy_at_peak.min():+.3f} to {token.raw_within_minus_anisotropy_at_peak.max():+.3f}.",
    ]
    if not candidates.empty:
        wide = candidates.pivot_table(index=["run", "dataset"], columns="candidates", values="test_macro_f1",
                                      aggfunc="first")
        restricted = [c for c in wide.columns if c != "all candidates"][0]
        delta = wide[restricted] - wide["all candidates"]
        lines.append(f"- **LLE's candidates from the localization curve.** Allowing only amateur candidates at or "
                     f"after the separation peak changes the validation-selected dynamic LLE's test macro-F1 by "
                     f"{delta.min():+.4f} to {delta.max():+.4f} across {len(delta)} (run, dataset) pairs "
                     f"({int((delta.abs() < 1e-12).sum())} unchanged).")
    for model, (cells, scenarios, judge_f1) in steering.items():
        counts = cells.regime.value_counts()
        lines.append(f"- **Steering {model}.** {int(scenarios.success.sum())}/{len(scenarios)} scenarios succeed "
                     f"(judge test macro-F1 {judge_f1:.3f}); regimes over cells: "
                     + ", ".join(f"{n} {r}" for r, n in counts.items()) + ".")
    return Findings("\n".join(lines))
