"""The reproduction report's generated parts (paper/report.tex): a LaTeX macro for every number its prose uses,
and its tables sized for the page. Written by notebook 08 from the same tables and claim records as the README, so
a rerun that changes a number changes the sentence that quotes it."""

from __future__ import annotations

import re

import pandas as pd

from lle.claims.decision import NOT_TESTED
from lle.claims.soundness import SoundView
from lle.claims.verdicts import paper_claims
from lle.runs.inventory import PUBLISHED
from lle.store.formats import latex_escape, short_run
from lle.study.analysis import seed_spread

CLAIM_MACROS = {  # claim key -> macro prefix
    "lle_beats_standard": "LLE",
    "static_beats_standard": "Static",
    "static_any_beta": "StaticAnyBeta",
    "dynamic_beats_static": "DynStatic",
    "recall_rises": "Recall",
    "recall_rises_everywhere": "RecallAll",
    "precision_falls": "Precision",
    "dynamic_more_stable": "Stability",
    "away_from_neutral": "Neutral",
    "keeps_polarity": "Polarity",
    "corrects_more": "Corrects",
    "named_corrections": "Named",
    "heatmaps_rise": "HeatmapsRise",
    "heatmaps_flat": "HeatmapsFlat",
    "distance_static": "DistanceStatic",
    "distance_dynamic": "DistanceDynamic",
    "distance_static_fixed": "DistanceStaticFixed",
    "distance_dynamic_fixed": "DistanceDynamicFixed",
}


RUN_SLUGS = re.compile(r"(SmolLM2-135M-Instruct|all-MiniLM-L6-v2|all-mpnet-base-v2|gemma-3-270m)-[\w-]+")


def _text(value: str) -> str:
    """Text escaped, run slugs shortened ('none' for empty text)."""
    return latex_escape(RUN_SLUGS.sub(lambda m: short_run(m.group()), value)) or "none"


def claim_macros(claims: pd.DataFrame) -> dict[str, str]:
    """Per claim of :func:`lle.claims.verdicts.paper_claims`: its verdict, pooled estimate, CI, margin, MDE,
    adjusted p, number of units, the pairs left out and the verdict with them kept; e.g. LLEVerdict, LLEEstimate."""
    macros = {}
    for row in claims.itertuples():
        prefix = CLAIM_MACROS[row.key]
        if row.verdict == NOT_TESTED:
            macros[prefix + "Verdict"] = latex_escape(row.verdict)
            continue
        macros.update(
            {
                prefix + "Verdict": latex_escape(row.verdict),
                prefix + "VerdictWithLeftOut": latex_escape(row.verdict_with_left_out),
                prefix + "Estimate": f"{row.estimate:+.4f}",
                prefix + "CI": f"[{row.ci_low:+.4f}, {row.ci_high:+.4f}]",
                prefix + "Margin": f"{row.margin:g}",
                prefix + "MDE": f"{row.mde:.4f}",
                prefix + "PAdjusted": f"{row.p_adjusted:.3g}",
                prefix + "Units": str(int(row.units)),
                prefix + "LeftOut": _text(row.left_out),
            }
        )
        if isinstance(getattr(row, "released_mean", None), float) and row.released_mean == row.released_mean:
            macros[prefix + "ReleasedMean"] = f"{row.released_mean:+.4f}"
    return macros


def seeds_note(inputs: dict) -> str:
    """Which pairs were trained with several seeds and how much LLE's difference to standard moved between them."""
    seeds = inputs.get("table1_seeds")
    if seeds is None or not len(seeds):
        return (
            "Every pair was trained with one seed; the pooled intervals therefore hold sampling error and the "
            "spread between pairs, not the spread between training seeds."
        )
    spread = seed_spread(inputs["table1"], seeds)
    return (
        f"{len(spread)} pairs were trained with {int(spread.seeds.min())} to {int(spread.seeds.max())} seeds (the "
        "trained runs whose cost fits a CPU; the seed changes the head's initialization and the order of the "
        "training batches). Across seeds, LLE's difference to standard classification has a standard deviation "
        f"of {spread.lle_delta_sd.min():.4f} to {spread.lle_delta_sd.max():.4f} macro-F1 within a pair. The other "
        "pairs borrow the mean seed variance of these. The claims on Table 1, Figures 2 and 3, the neutral bias and "
        "polarity pool every seed; the named corrections, the layer trajectories (heatmaps) and the distance "
        "ablation read the seed-0 models only, as their evidence says."
    )


def number_macros(inputs: dict, runs: pd.DataFrame) -> dict[str, str]:
    """{macro name: LaTeX text}; names are letters only, e.g. LLEVerdict, LLENFor, TrendRecallMean."""
    macros = {**claim_macros(paper_claims(**inputs)), "SeedNote": latex_escape(seeds_note(inputs))}
    table1 = SoundView.of(inputs["table1"]).keep(inputs["table1"])  # the pairs the claims read
    validation = table1[table1.protocol == "validation"]
    released = table1[table1.protocol == "released"]
    gain = (
        released[released.method == "dynamic"].macro_f1.to_numpy()
        - validation[validation.method == "dynamic"].macro_f1.to_numpy()
    )
    tied = validation[validation.n_tied > 1]
    best = runs[runs.dataset == "goemotions"].sort_values("test_macro_f1").iloc[-1]
    macros.update(
        {
            "NPairs": str(len(inputs["table1"][inputs["table1"].protocol == "validation"]) // 2),
            "NSoundPairs": str(len(validation) // 2),
            "NRuns": str(runs.run.nunique()),
            "NModels": str(runs.model.nunique()),
            "NDatasets": str(runs.dataset.nunique()),
            "TuningGainMean": f"{gain.mean():+.4f}",
            "TuningGainMax": f"{gain.max():+.4f}",
            "TiedSelections": str(len(tied)),
            "NSelections": str(len(validation)),
            "TieSpreadMax": f"{(tied.test_f1_max_over_ties - tied.test_f1_min_over_ties).max():.4f}",
            "BestGoEmotionsRun": _text(best.run),
            "BestGoEmotionsF": f"{best.test_macro_f1:.3f}",
            "TotalHours": f"{runs.wall_time_minutes.sum() / 60:.1f}",
            "PaperAnchor": f"{PUBLISHED['goemotions'][0][0]:.3f}",
            "MinLayers": str(int(runs.layers.min())),
            "MaxLayers": str(int(runs.layers.max())),
        }
    )
    return macros


def macros_tex(macros: dict[str, str]) -> str:
    """LaTeX ``\\newcommand`` lines for ``macros`` (letters-only names), sorted."""
    for name in macros:
        if not re.fullmatch(r"[A-Za-z]+", name):
            raise ValueError(f"LaTeX macro names are letters only, got {name!r}")
    lines = ["% Generated by notebooks/08_claims.ipynb (lle.publish.paper); do not edit."]
    return "\n".join(lines + [f"\\newcommand{{\\{name}}}{{{value}}}" for name, value in sorted(macros.items())]) + "\n"


def _table(frame: pd.DataFrame, column_format: str) -> str:
    """A booktabs tabular without float wrapper (the report places and captions it)."""
    return frame.to_latex(index=False, escape=True, column_format=column_format, na_rep="--", float_format="%.3f")


def main_table(table1: pd.DataFrame) -> str:
    """Test macro-F1 per pair: standard, and static / LLE validation-selected and as released (test-tuned)."""
    rows = []
    for (model, dataset), part in table1.groupby(["model", "dataset"], sort=False):
        value = {(r.method, r.protocol): r for r in part.itertuples()}
        mark = {"better": "SIGNIFICANTLYBETTER", "worse": "SIGNIFICANTLYWORSE"}  # replaced after escaping
        rows.append(
            {
                "model": short_run(model),
                "dataset": dataset.replace("_", " "),
                "standard": f"{value['standard', 'none'].macro_f1:.3f}",
                **{
                    f"{m} (val.)": f"{value[m, 'validation'].macro_f1:.3f}{mark.get(value[m, 'validation'].decision, '')}"
                    for m in ("static", "dynamic")
                },
                **{f"{m} (released)": f"{value[m, 'released'].macro_f1:.3f}" for m in ("static", "dynamic")},
            }
        )
    latex = _table(pd.DataFrame(rows), "llrrrrr")
    return latex.replace("SIGNIFICANTLYBETTER", "$^{+}$").replace("SIGNIFICANTLYWORSE", "$^{-}$")


def neutral_table(bias: pd.DataFrame) -> str:
    """The report's neutral-bias table (LaTeX tabular) from the bias table of notebook 05."""
    frame = pd.DataFrame(
        {
            "model": bias.model.map(short_run),
            "changed": bias.n_changed,
            "from neutral": [f"{v:.1%}" if pd.notna(v) else "--" for v in bias.share_changed_from_reference],
            "neutral share": [f"{v:.1%}" for v in bias.share_reference_in_standard_predictions],
            "p": [f"{v:.2g}" for v in bias.p_value],
            "fixed": bias.wrong_to_right,
            "broken": bias.right_to_wrong,
        }
    )
    return _table(frame, "lrrrrrr")


def distance_table(ablation: pd.DataFrame) -> str:
    """The report's distance-ablation table (LaTeX tabular), one column per distance."""
    wide = ablation.pivot_table(
        index=["model", "dataset", "method"], columns="distance", values="test_macro_f1", sort=False
    ).reset_index()
    wide["model"] = wide.model.map(short_run)
    wide["dataset"] = wide.dataset.str.replace("_", " ")
    columns = [c for c in ("jsd", "cosine", "kl", "tv") if c in wide]
    return _table(wide[["model", "dataset", "method", *columns]].round(3), "lll" + "r" * len(columns))


def write_report_inputs(inputs: dict, *, tables_in=None, out_dir=None) -> list:
    """numbers.tex and the report's tables (report_*.tex), in results/tables (or ``out_dir``/results/tables);
    the runs table is read from ``tables_in`` (default results/tables, where notebook 01 writes it)."""
    from lle.integrity import atomic_write_text
    from lle.paths import results_dir_in

    source = results_dir_in(None) / "tables" if tables_in is None else tables_in
    runs = pd.read_csv(f"{source}/runs.csv")
    tables_dir = results_dir_in(out_dir) / "tables"
    written = {
        "numbers.tex": macros_tex(number_macros(inputs, runs)),
        "report_main.tex": main_table(inputs["table1"]),
        "report_neutral.tex": neutral_table(inputs["bias"]),
        "report_distance.tex": distance_table(inputs["ablation"]),
    }
    return [atomic_write_text(tables_dir / name, text) for name, text in written.items()]
