"""What the STC stage's cached results say (notebook 10): depth curves, the chosen probes, STC's own claim on SST-2,
and STC beside LLE on the same backbones — every number computed here from :func:`lle.context.stc.stage.load_results`
and the cached layer scores.

Choices read validation only (:func:`lle.context.stc.method.choose`); test is reported. Differences on test carry a paired
bootstrap 95% CI and a permutation p-value (:func:`lle.claims.statistics.paired_comparison`), Holm-adjusted
within each family of comparisons, and one of the package's four decisions.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import seaborn.objects as so

import lle
from lle.claims.decision import NONE, pool_units, se_from_ci
from lle.claims.registry import claim_row, untested_row
from lle.claims.statistics import paired_comparison
from lle.context.stc.feature_cache import FeatureSource
from lle.context.stc.method import ETAS, choose
from lle.context.stc.stage import (
    StcResults,
    compute_stage,
    load_plain,
    load_results,
    n_classes_of,
    reproduction_sources,
)
from lle.method.metrics import classification_metrics, per_layer_metrics
from lle.paths import figures_dir_in, results_dir_in
from lle.store.figure_files import save_figure
from lle.store.formats import Findings
from lle.study.analysis import add_decisions, open_study, test_predictions
from lle.study.figures import change_dots, draw, pair_labels, panel_order

KEYS = ["backbone", "dataset"]
COMBO = ["representation", "pooling"]


def _choose_per(table: pd.DataFrame, by: list, **kwargs) -> pd.DataFrame:
    return pd.DataFrame([choose(group, **kwargs) for _, group in table.groupby(by, sort=True)]).reset_index(drop=True)


def depth_curves(results: StcResults) -> pd.DataFrame:
    """Test macro-F1 against depth, per (backbone, dataset): at each layer the single-layer probe and at each l the
    aggregation of layers 0..l, each with (representation, pooling[, η]) chosen on validation at that depth."""
    single = _choose_per(results.layers, KEYS + ["layer"], size_column="n_parameters", depth_column="layer")
    aggregated = _choose_per(results.aggregation, KEYS + ["upto_layer"])
    single = single.assign(curve="single layer", depth_layer=single["layer"])
    aggregated = aggregated.assign(curve="layers 0..l aggregated", depth_layer=aggregated["upto_layer"])
    columns = KEYS + [
        "curve",
        "depth_layer",
        "relative_depth",
        "representation",
        "pooling",
        "eta",
        "n_features",
        "n_parameters",
        "validation_macro_f1",
        "test_macro_f1",
        "test_accuracy",
    ]
    return pd.concat([single, aggregated], ignore_index=True).reindex(columns=columns)


def chosen_probes(results: StcResults) -> pd.DataFrame:
    """Per (backbone, dataset): the final-layer probe, the best single-layer probe and STC's aggregation, each
    chosen on validation, with test metrics, size, and their test predictions (column ``predictions``)."""
    rows = []
    for (backbone, dataset), layers in results.layers.groupby(KEYS, sort=True):
        final = layers[layers.layer == layers.groupby(COMBO).layer.transform("max")]
        aggregation = results.aggregation[
            (results.aggregation.backbone == backbone) & (results.aggregation.dataset == dataset)
        ]
        picks = {
            "final-layer probe": (choose(final, size_column="n_parameters", depth_column="layer"), "final_layer"),
            "best single-layer probe": (choose(layers, size_column="n_parameters", depth_column="layer"), "best_layer"),
            "STC (aggregated)": (choose(aggregation), "aggregated"),
        }
        for probe, (row, stored) in picks.items():
            predictions = results.predictions[(backbone, dataset, row.representation, row.pooling)][stored]
            rows.append(
                {
                    "backbone": backbone,
                    "dataset": dataset,
                    "probe": probe,
                    "representation": row.representation,
                    "pooling": row.pooling,
                    "layer": row.get("layer", row.get("upto_layer")),
                    "eta": row.get("eta"),
                    "n_features": row.get("n_features", row.get("width")),
                    "n_parameters": int(row.n_parameters),
                    "validation_macro_f1": row.validation_macro_f1,
                    "test_macro_f1": row.test_macro_f1,
                    "test_accuracy": row.test_accuracy,
                    "predictions": predictions,
                }
            )
    return pd.DataFrame(rows)


@dataclass
class StcStudy:
    """The notebook's one setup: the cached STC results, the LLE runs on the same backbones, and test labels."""

    results: StcResults
    plain: pd.DataFrame  # plain logistic-regression probes per layer (lle.context.stc.stage.load_plain; may be empty)
    study: object  # lle.study.analysis.Study of the runs beside STC (None: SST-2 only)
    labels: dict  # dataset -> (test labels in file order, n_classes)
    figures_dir: Path
    tables_dir: Path

    def save_figure(self, fig, name: str) -> list[str]:
        return save_figure(fig, name, self.figures_dir)


def open_stc(*, stage_root=None, results_root=None, out_dir=None, data_dir=None, recompute: bool = False) -> StcStudy:
    """Load the STC stage's results (``stage_root``: the results directory holding stc/; None: the repository's) and
    the cached LLE runs beside them; tables and figures go to results/ and figures/ or under ``out_dir``.
    ``recompute`` first runs (or resumes) the whole stage, hours on a CPU."""
    if recompute:
        compute_stage(results_root=stage_root)
    results = load_results(stage_root)
    runs = sorted(set(results.sources.beside_run.dropna()))
    datasets = sorted(set(results.sources.dataset) - {"sst2"})
    study = open_study(runs=runs, datasets=datasets, results_root=results_root, out_dir=out_dir) if runs else None
    labels = {dataset: _test_labels(dataset, data_dir) for dataset in sorted(set(results.sources.dataset))}
    tables = Path(results_dir_in(out_dir)) / "tables"
    tables.mkdir(parents=True, exist_ok=True)
    print(
        f"STC results: {len(results.sources)} (backbone, dataset, representation, pooling) cells; "
        f"datasets {sorted(labels)}"
    )
    return StcStudy(results, load_plain(stage_root), study, labels, Path(figures_dir_in(out_dir)), tables)


def _test_labels(dataset: str, data_dir) -> tuple[np.ndarray, int]:
    """Test labels in the order the features were extracted (the split's file order)."""
    source = FeatureSource("all-MiniLM-L6-v2", dataset)
    return source.labels("test", data_dir=data_dir), n_classes_of(source)


def check_predictions(predictions, test_macro_f1: float, labels: np.ndarray, n_classes: int, what: str) -> None:
    """The kept predictions must reproduce the probe's test macro-F1: they belong to that probe and that split."""
    if len(predictions) != len(labels):
        raise ValueError(
            f"{what}: {len(predictions)} predictions for {len(labels)} test labels; the features were "
            "made from another test split"
        )
    f1 = float(classification_metrics(predictions, labels, n_classes)["macro_f1"])
    if abs(f1 - test_macro_f1) > 1e-9:
        raise ValueError(
            f"{what}: the kept predictions give test macro-F1 {f1:.6f}, the table says "
            f"{test_macro_f1:.6f}; rerun the STC stage"
        )


def aggregation_claim(chosen: pd.DataFrame, labels: dict, *, n_resamples: int = 2000, seed: int = 0) -> pd.DataFrame:
    """STC's claim on its own setting: the aggregated probe against the best single-layer probe and against the
    final layer's probe, per (backbone, dataset) — differences in test macro-F1 and accuracy with CIs."""
    rows = []
    for (backbone, dataset), group in chosen.groupby(KEYS, sort=True):
        truth, n_classes = labels[dataset]
        for row in group.itertuples():
            check_predictions(row.predictions, row.test_macro_f1, truth, n_classes, f"{backbone}/{dataset} {row.probe}")
        by_probe = group.set_index("probe")
        stc = by_probe.loc["STC (aggregated)"]
        for baseline in ("best single-layer probe", "final-layer probe"):
            base = by_probe.loc[baseline]
            comparison = paired_comparison(
                truth, base.predictions, stc.predictions, n_classes=n_classes, n_resamples=n_resamples, seed=seed
            )
            rows.append(
                {
                    "backbone": backbone,
                    "dataset": dataset,
                    "baseline": baseline,
                    "baseline_test_macro_f1": base.test_macro_f1,
                    "stc_test_macro_f1": stc.test_macro_f1,
                    "delta_macro_f1": comparison.delta,
                    "ci_low": comparison.ci_low,
                    "ci_high": comparison.ci_high,
                    "p_value": comparison.p_value,
                    "delta_accuracy": stc.test_accuracy - base.test_accuracy,
                }
            )
    return add_decisions(pd.DataFrame(rows), group=["baseline"])


def beside_lle(
    chosen: pd.DataFrame, results: StcResults, study, *, n_resamples: int = 2000, seed: int = 0
) -> pd.DataFrame:
    """STC (frozen) beside standard / static / dynamic LLE of the run on the same backbone: test macro-F1,
    trainable parameters, fit time, and STC − LLE(dynamic) with a CI (same test texts, checked)."""
    rows = []
    costs = results.sources.groupby(KEYS).agg(
        probe_seconds=("probe_seconds", "sum"),
        feature_seconds=("feature_seconds", "first"),
        run=("beside_run", "first"),
        run_parameters=("beside_trainable_parameters", "first"),
    )
    for (backbone, dataset), cost in costs.iterrows():
        if cost.run is None or pd.isna(cost.run):
            continue
        pair = study.pair(cost.run, dataset)
        stc = chosen[(chosen.backbone == backbone) & (chosen.dataset == dataset)].set_index("probe")
        rows += _method_rows(pair, stc.loc["STC (aggregated)"], cost, backbone, study, n_resamples, seed)
    return add_decisions(pd.DataFrame(rows), group=["method"], p_column="p_value")


def _method_rows(pair, stc, cost, backbone: str, study, n_resamples: int, seed: int) -> list[dict]:

    labels = pair.test.labels
    check_predictions(stc.predictions, stc.test_macro_f1, labels, pair.n_classes, f"{backbone}/{pair.dataset} STC")
    training = pair.test.provenance["wall_time_seconds"]["training"]
    frozen = pair.test.provenance["recipe"]["mode"] == "frozen"  # the run trained only a head, like STC
    predictions = {"standard": lle.classify(pair.test.log_probs)}
    for method in ("static", "dynamic"):
        predictions[f"LLE {method}"] = test_predictions(pair, study.selection(pair, method).config)
    predictions["STC (frozen)"] = stc.predictions
    rows = []
    for method, predicted in predictions.items():
        f1 = float(classification_metrics(predicted, labels, pair.n_classes)["macro_f1"])
        row = {
            "backbone": backbone,
            "run": pair.run,
            "dataset": pair.dataset,
            "method": method,
            "run_backbone": "frozen" if frozen else "trained",
            "test_macro_f1": f1,
            "trainable_parameters": int(stc.n_parameters) if method == "STC (frozen)" else int(cost.run_parameters),
            "fit_minutes": round(
                (cost.probe_seconds + cost.feature_seconds if method == "STC (frozen)" else training) / 60, 1
            ),
        }
        if method == "STC (frozen)":
            comparison = paired_comparison(
                labels,
                predictions["LLE dynamic"],
                predicted,
                n_classes=pair.n_classes,
                n_resamples=n_resamples,
                seed=seed,
            )
            row.update(
                delta_vs_lle_dynamic=comparison.delta,
                ci_low=comparison.ci_low,
                ci_high=comparison.ci_high,
                p_value=comparison.p_value,
            )
        rows.append(row)
    return rows


def probe_vs_early_exit(results: StcResults, study) -> pd.DataFrame:
    """At each layer: the single-layer probe (chosen on validation at that layer) against the shared head's early
    exit of the LLE run on the same backbone (test macro-F1), both in hidden-state numbering."""
    curves = depth_curves(results)
    single = curves[curves.curve == "single layer"]
    runs = results.sources.drop_duplicates(KEYS).set_index(KEYS).beside_run
    rows = []
    for (backbone, dataset), part in single.groupby(KEYS, sort=True):
        run = runs.get((backbone, dataset))
        if run is None or pd.isna(run):
            continue
        pair = study.pair(run, dataset)
        early = per_layer_metrics(pair.test.log_probs, pair.test.labels)["macro_f1"]
        for row in part.itertuples():
            rows.append(
                {
                    "backbone": backbone,
                    "run": run,
                    "dataset": dataset,
                    "layer": int(row.depth_layer),
                    "relative_depth": row.relative_depth,
                    "probe_test_macro_f1": row.test_macro_f1,
                    "early_exit_test_macro_f1": float(early[int(row.depth_layer)]),
                }
            )
    return pd.DataFrame(rows)


def stage_costs(results: StcResults) -> pd.DataFrame:
    """Measured minutes per (backbone, dataset): feature extraction (all three splits, one pass for every
    representation and pooling) and probe fitting (every layer probe and aggregation refit of the grid)."""
    grouped = results.sources.groupby(KEYS, sort=True).agg(
        feature_minutes=("feature_seconds", "first"),
        probe_minutes=("probe_seconds", "sum"),
        cells=("pooling", "size"),
        layer_stride=("layer_stride", "first"),
    )
    grouped[["feature_minutes", "probe_minutes"]] = grouped[["feature_minutes", "probe_minutes"]] / 60
    return grouped.reset_index()


# --- figures -------------------------------------------------------------------------------------------------------


def depth_figure(curves: pd.DataFrame, early_exit: pd.DataFrame | None = None, *, metric: str = "test_macro_f1"):
    """Per (backbone, dataset): the single-layer probe and the aggregated curve against relative depth, and the
    LLE run's shared-head early exit where given."""
    label = metric.replace("test_", "test ").replace("macro_f1", "macro-F1")
    long = curves.assign(series="STC probe, " + curves.curve)[
        ["backbone", "dataset", "relative_depth", "series", metric]
    ]
    if early_exit is not None and metric == "test_macro_f1":
        exits = early_exit.assign(series="LLE run's shared head, early exit").rename(
            columns={"early_exit_test_macro_f1": metric}
        )
        long = pd.concat([long, exits[long.columns]], ignore_index=True)
    long["panel"] = long.backbone + " · " + long.dataset
    order, columns = panel_order(long)
    series = list(dict.fromkeys(long.series))
    plot = (
        so.Plot(long, x="relative_depth", y=metric, color="series", linestyle="series")
        .facet(col="panel", wrap=columns, order=order)
        .share(y=False)
        .add(so.Line(linewidth=1.4, marker=".", pointsize=3))
        .scale(color=dict(zip(series, ("C0", "C1", "grey"))), linestyle=dict(zip(series, ("-", "-", "--"))))
        .label(x=r"relative depth $\ell / L$", y=label, color="", linestyle="", title=str)
    )
    return draw(plot, (3.6 * columns + 2.6, 2.6 * -(-len(order) // columns)))


def beside_figure(table: pd.DataFrame):
    """Per (run, dataset): test macro-F1 of LLE static, LLE dynamic and STC as differences from the run's standard
    classifier (final layer), one row per pair."""
    standard = table[table.method == "standard"].set_index(["run", "dataset"]).test_macro_f1
    methods = [m for m in ("LLE static", "LLE dynamic", "STC (frozen)") if m in set(table.method)]
    long = table[table.method.isin(methods)].copy()
    long["change"] = (
        long.test_macro_f1.to_numpy() - standard.reindex(pd.MultiIndex.from_frame(long[["run", "dataset"]])).to_numpy()
    )
    long["pair"] = pair_labels(long)
    return change_dots(
        long,
        x="change",
        hue="method",
        palette=dict(zip(methods, ("tab:orange", "tab:blue", "tab:green"))),
        xlabel="test macro-F1 − standard (final layer)",
        title="STC beside LLE",
    )


# --- findings -------------------------------------------------------------------------------------------------------


def findings(
    claim: pd.DataFrame,
    beside: pd.DataFrame,
    early: pd.DataFrame,
    sources: pd.DataFrame,
    costs: pd.DataFrame,
    single: pd.DataFrame | None = None,
) -> Findings:
    """What the STC results say, in sentences, every number computed here; ``single``: the single-layer probes
    against plain logistic regression (:func:`single_layer_against_plain`), where computed."""
    own = claim[claim.baseline == "best single-layer probe"]
    base = claim[claim.baseline == "final-layer probe"]
    stc = beside[beside.method == "STC (frozen)"]
    wins = early.probe_test_macro_f1 > early.early_exit_test_macro_f1
    below_final = early[early.relative_depth < 1]
    lines = [
        f"- **STC's own setting (SST-2, frozen encoders).** Against the best single-layer probe, aggregation changes "
        f"test macro-F1 by {_spans(own)}; decisions: {_decisions(own)}. Against the final layer's probe (the frozen "
        f"sentence-embedding baseline, chosen on validation among representations and poolings), by {_spans(base)}; "
        f"decisions: {_decisions(base)}.",
        f"- **STC beside LLE** (STC on the frozen backbone with {int(sources.max_train_samples.min()):,} training "
        "texts; the runs used the whole training split). "
        + _beside_sentence(
            stc, beside, "frozen", "on the runs whose backbone stayed frozen too (a head on frozen states, like STC)"
        )
        + " "
        + _beside_sentence(stc, beside, "trained", "on the runs that fine-tuned their backbone"),
        f"- **A probe per layer against the shared head's early exit.** The layer's own linear probe beats the early "
        f"exit at {int(wins[below_final.index].sum())} of {len(below_final)} layers below the final one, and at "
        f"{int(wins[early.relative_depth == 1].sum())} of {int((early.relative_depth == 1).sum())} final layers "
        "(where the head was trained).",
        *(
            [
                f"- **A sparse probe against plain logistic regression on the same layer** (SST-2, hidden states, "
                f"mean pooling): test accuracy, L1 minus plain, from {single.difference.min():+.4f} to "
                f"{single.difference.max():+.4f} over {len(single)} layers of {single.backbone.nunique()} backbones "
                f"(mean {single.difference.mean():+.4f}); L1 is below plain at {int((single.difference < 0).sum())} "
                f"and above it at {int((single.difference > 0).sum())}."
            ]
            if single is not None and len(single)
            else []
        ),
        f"- **Cost.** The stage took {costs.feature_minutes.sum() / 60:.1f} h of feature extraction and "
        f"{costs.probe_minutes.sum() / 60:.1f} h of probe fitting (wall time recorded in the stage's provenance, "
        "`python scripts/compute_stc.py` on a 2-core x86-64 CPU shared with other jobs).",
    ]
    return Findings("\n".join(lines))


def _beside_sentence(stc: pd.DataFrame, beside: pd.DataFrame, kind: str, which: str) -> str:
    rows = stc[stc.run_backbone == kind]
    if rows.empty:
        return ""
    params = beside[(beside.method == "standard") & (beside.run_backbone == kind)].trainable_parameters
    return (
        f"{which[:1].upper()}{which[1:]}, STC − dynamic LLE ranges from {rows.delta_vs_lle_dynamic.min():+.3f} to "
        f"{rows.delta_vs_lle_dynamic.max():+.3f} test macro-F1 over {len(rows)} (run, dataset) pairs (decisions: "
        f"{_decisions(rows)}), with {int(rows.trainable_parameters.median()):,} nonzero probe weights at the "
        f"median against {int(params.median()):,} trained parameters."
    )


def _spans(rows: pd.DataFrame) -> str:
    parts = [f"{r.backbone} {r.delta_macro_f1:+.4f} [{r.ci_low:+.4f}, {r.ci_high:+.4f}]" for r in rows.itertuples()]
    return "; ".join(parts)


def _decisions(rows: pd.DataFrame) -> str:
    counts = rows.decision.value_counts()
    return ", ".join(f"{n} {decision}" for decision, n in counts.items())


# --- claims -------------------------------------------------------------------------------------------------------

SOURCE_SIXTY = (0.9311, 0.9472)  # the source's accuracy with the first 60% of the layers and with all of them


def _sixty_percent(curves: pd.DataFrame, common: str) -> dict:
    """ "60% of the layers suffice": test accuracy of the aggregated probe over layers 0..l at the first depth >= 0.6,
    minus with every layer, per backbone; a claim of (almost) no loss."""
    aggregated = curves[curves.curve == "layers 0..l aggregated"]
    rows = []
    for backbone, part in aggregated.groupby("backbone", sort=True):
        part = part.sort_values("relative_depth")
        at = part[part.relative_depth >= 0.6].iloc[0]
        rows.append(
            {"backbone": backbone, "effect": at.test_accuracy - part.test_accuracy.iloc[-1], "depth": at.relative_depth}
        )
    frame = pd.DataFrame(rows)
    pooled, units = pool_units(frame, "effect", unit=["backbone"])
    source_gap = SOURCE_SIXTY[0] - SOURCE_SIXTY[1]
    return claim_row(
        "aggregating the first 60% of the layers does about as well as all of them (the source: 93.11 "
        "against 94.72 accuracy)",
        pooled,
        "score",
        "test accuracy of STC over layers 0..l at the first depth >= 0.6 minus over every layer, per "
        "backbone; mean over backbones, t interval. The source's own gap "
        f"({source_gap:+.4f}) lies beyond our one-point margin, so equivalence is a stricter reading than "
        "the source's." + common,
        "; ".join(f"{r.backbone} at depth {r.depth:.2f}: {r.effect:+.4f}" for r in frame.itertuples()),
        claimed=NONE,
        units=units,
    )


def single_layer_against_plain(plain: pd.DataFrame, labels: dict) -> pd.DataFrame:
    """Per (backbone, dataset, layer) of the stage's plain part (SST-2, hidden states, mean pooling): test accuracy
    of STC's single-layer L1 probe and of plain (L2) logistic regression on the same layer and features, each with C
    chosen on validation, their difference (L1 minus plain) and its paired SE (over the test samples). ``labels``:
    dataset -> (test labels, n_classes), as :class:`StcStudy` holds them."""
    columns = ["backbone", "dataset", "layer", "l1_accuracy", "plain_accuracy", "difference", "se", "n_test"]
    rows = []
    for (backbone, dataset, layer), part in (plain if len(plain) else pd.DataFrame(columns=KEYS + ["layer"])).groupby(
        KEYS + ["layer"], sort=True
    ):
        correct = _correct(part, labels[dataset][0])
        gap = correct["l1"] - correct["l2"]
        rows.append(
            {
                "backbone": backbone,
                "dataset": dataset,
                "layer": layer,
                "l1_accuracy": correct["l1"].mean(),
                "plain_accuracy": correct["l2"].mean(),
                "difference": gap.mean(),
                "se": gap.std(ddof=1) / np.sqrt(len(gap)),
                "n_test": len(gap),
            }
        )
    return pd.DataFrame(rows, columns=columns)


def _correct(rows: pd.DataFrame, labels: np.ndarray) -> dict:
    """{penalty: 0/1 array of test samples the probe got right}, checked against the stored accuracy."""
    correct = {}
    for row in rows.itertuples():
        right = (np.asarray(row.test_predictions) == labels).astype(float)
        if abs(right.mean() - row.test_accuracy) > 1e-9:
            raise ValueError(f"stored predictions of {row.backbone} layer {row.layer} do not give its accuracy")
        correct[row.penalty] = right
    return correct


SINGLE_LAYER_CLAIM = "a single-layer L1 probe is about as good as plain logistic regression on that layer"


def _single_layer_claim(plain: pd.DataFrame, labels: dict) -> dict:
    """The source's "about as good": a claim of no effect on test accuracy, L1 minus plain; per backbone the mean
    over its layers, with the paired SE of that mean over the test samples (layers share them)."""
    if not len(plain):
        return untested_row(
            SINGLE_LAYER_CLAIM,
            "not tested: the plain probes are not computed (python scripts/compute_stc.py --part plain)",
        )
    units, words = [], []
    for (backbone, dataset), part in plain.groupby(KEYS, sort=True):
        by_layer = [_correct(rows, labels[dataset][0]) for _, rows in part.groupby("layer", sort=True)]
        gap = np.mean([c["l1"] - c["l2"] for c in by_layer], axis=0)  # per test sample, over the layers
        units.append({"backbone": backbone, "effect": gap.mean(), "se": gap.std(ddof=1) / np.sqrt(len(gap))})
        below = sum(c["l1"].mean() < c["l2"].mean() for c in by_layer)
        words.append(f"{backbone}: {gap.mean():+.4f} over {len(by_layer)} layers, L1 below plain at {below}")
    pooled, unit_table = pool_units(pd.DataFrame(units), "effect", "se", unit=["backbone"])
    rule = (
        "pooled test accuracy, L1 probe minus plain (L2, scikit-learn's default) logistic regression on the same "
        "layer, otherwise identical (C on validation); per backbone the mean over its layers, paired SE. Same "
        "setting and deviations as above (SST-2, hidden states, mean pooling)."
    )
    return claim_row(SINGLE_LAYER_CLAIM, pooled, "score", rule, "; ".join(words), claimed=NONE, units=unit_table)


UNTESTED = (
    (
        "STC on fine-tuned backbones gains as it does on frozen ones",
        "not testable here: STC's features are read from frozen backbones, and our fine-tuned MiniLM and MPNet keep "
        "their weights only in an uncommitted 260 MB checkpoint per run",
    ),
    (
        "STC's cost is small beside fine-tuning (the source's cost figures)",
        "not testable here: the source's figures are its own models' timings on its hardware; ours are CPU wall times "
        "of other backbones, reported in the findings (Cost) and in stc_costs.csv without a pooled test",
    ),
)


def claims(
    claim: pd.DataFrame,
    chosen: pd.DataFrame | None = None,
    curves: pd.DataFrame | None = None,
    plain: pd.DataFrame | None = None,
    labels: dict | None = None,
) -> pd.DataFrame:
    """STC's claims in its own setting (SST-2, frozen encoders), decided by the tested rule on the paired comparisons
    (bootstrap CI and permutation test per backbone, Holm-adjusted across backbones). With the ``chosen`` probes,
    the evidence says how often validation chose the largest η of the grid (where a larger one might do better);
    with the stage's ``plain`` part (:func:`lle.context.stc.stage.load_plain`) and the test ``labels``, the
    single-layer probe is compared with plain logistic regression."""
    stc = chosen[chosen.probe == "STC (aggregated)"] if chosen is not None else pd.DataFrame({"eta": []})
    at_end = (
        f"; eta chosen at the grid's end ({max(ETAS):g}) in {int((stc.eta == max(ETAS)).sum())} of {len(stc)} "
        "STC probes: the grid is ours, and a larger eta might do better"
        if len(stc)
        else ""
    )
    n_train = min(source.max_train_samples for source in reproduction_sources())
    common = (
        f" Deviations: SST-2 training capped at {n_train:,} sentences (the source: the whole split); backbones "
        "all-MiniLM-L6-v2 and all-mpnet-base-v2 in place of the source's DistilBERT, RoBERTa and GPT-2."
    )
    rows = []
    for baseline, text, deviation in (
        ("best single-layer probe", "aggregating the kept neurons of layers 0..l beats the best single layer", common),
        (
            "final-layer probe",
            "STC beats the sentence-embedding baseline",
            common + " Our baseline is the best final-layer probe over representations and poolings (chosen on "
            "validation), stronger than the source's single embedding",
        ),
    ):
        part = claim[claim.baseline == baseline]
        pooled, units = pool_units(
            part.assign(_se=se_from_ci(part.ci_low, part.ci_high)), "delta_macro_f1", "_se", unit=["backbone"]
        )
        rule = "pooled test macro-F1 difference over the backbones (paired bootstrap SE per backbone)." + deviation
        evidence = (
            f"higher in {int((units.effect > 0).sum())} of {len(units)} backbones, lower in "
            f"{int((units.effect < 0).sum())}; test macro-F1 change {_spans(part)}{at_end}"
        )
        rows.append(claim_row(text, pooled, "score", rule, evidence, units=units))
    if curves is not None:
        rows.append(_sixty_percent(curves, common))
    rows.append(_single_layer_claim(plain if plain is not None else pd.DataFrame(), labels or {}))
    rows += [untested_row(text, reason) for text, reason in UNTESTED]
    return pd.DataFrame(rows)
