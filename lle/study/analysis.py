"""The analysis behind every table and figure: one :class:`Study` over the cached (run, dataset) pairs, and the
functions that turn its grids and selections into Table 1, the target-layer curves, the stability sweeps and the
distance ablation. Label-change statistics live in :mod:`lle.study.changes`, claim verdicts in
:mod:`lle.claims.verdicts`; notebooks only call these and present what they return.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

import lle
from lle.claims.protocols import CONTRAST_ONLY, PROTOCOLS, VALIDATION, Protocol, with_distance
from lle.claims.selection import Selection, select_best, tied_at_best
from lle.claims.soundness import SoundView, classifier_check, soundness_table
from lle.claims.statistics import holm, pair_decision, paired_comparison
from lle.method.config import Config, describe_layers
from lle.method.metrics import classification_metrics, supertweeteval_hate_score
from lle.paths import figures_dir_in, results_dir_in
from lle.store.figure_files import save_figure
from lle.store.grid_files import grid_path, stored_grid
from lle.store.prediction_files import load_predictions, predictions_path, save_predictions, stored_pairs
from lle.store.scores import EVAL_SPLITS, Pair, cached_runs, load_pairs, recorded_pairs, score_path
from lle.study.changes import changes_of_predictions

CONTRASTIVE = ("static", "dynamic")
# Official scores of a dataset beside macro-F1 (SuperTweetEval's for tweet_hate); keyed by dataset name.
OFFICIAL_SCORES = {"tweet_hate": ("supertweeteval_score", supertweeteval_hate_score)}


@dataclass
class Study:
    """The cached pairs of one analysis, with their grid tables computed once and stored under results/grids."""

    pairs: list[Pair]
    results_dir: Path
    figures_dir: Path
    shared_grids: Path | None = None  # stored grids read (never written) beside the study's own; None: results/grids
    _grids: dict = field(default_factory=dict, repr=False)

    @property
    def tables_dir(self) -> Path:
        path = self.results_dir / "tables"
        path.mkdir(parents=True, exist_ok=True)
        return path

    def grid(self, pair: Pair, split: str, protocol: Protocol = VALIDATION) -> pd.DataFrame:
        spec = protocol.grid(pair.n_layers)
        key = (pair.run, pair.dataset, split, protocol.distance, protocol.first_candidate)
        if key not in self._grids:
            path = grid_path(self.results_dir / "grids", pair.run, pair.dataset, split, spec)
            # A study writing elsewhere (out_dir) may read the repository's stored grids: reuse is by checksum.
            shared_dir = self.shared_grids if self.shared_grids is not None else results_dir_in(None) / "grids"
            shared = grid_path(shared_dir, pair.run, pair.dataset, split, spec)
            self._grids[key] = stored_grid(getattr(pair, split), spec, path, read_only=(shared,))
        return protocol.searched(self._grids[key])

    def selection(self, pair: Pair, method: str, protocol: Protocol = VALIDATION) -> Selection:
        return select_best(self.grid(pair, protocol.tuned_on, protocol), method)

    @property
    def view(self) -> SoundView:
        """The pairs every claim and finding reads (:class:`lle.claims.soundness.SoundView`)."""
        return SoundView.of(soundness_table(self.pairs))

    def save_figure(self, fig, name: str) -> list[str]:
        """Write ``name``.png and .pdf to the study's figures directory (atomically, reproducible bytes)."""
        return save_figure(fig, name, self.figures_dir)

    def pair(self, run: str, dataset: str) -> Pair:
        for pair in self.pairs:
            if (pair.run, pair.dataset) == (run, dataset):
                return pair
        raise KeyError(f"({run}, {dataset}) is not in this study: {[(p.run, p.dataset) for p in self.pairs]}")


def open_study(*, runs=None, datasets=None, results_root=None, out_dir=None) -> Study:
    """The one setup call of every notebook: load the requested cached pairs (all by default). Tables, stored
    grids and figures go to the repository's results/ and figures/, or to ``out_dir``/results and
    ``out_dir``/figures."""
    pairs = load_pairs(runs=runs, datasets=datasets, results_root=results_root)
    results, figures = results_dir_in(out_dir), figures_dir_in(out_dir)
    study = Study(pairs, Path(results), Path(figures))
    print(f"{len(pairs)} (run, dataset) pairs:", ", ".join(f"{p.run} / {p.dataset}" for p in pairs))
    return study


def test_predictions(pair: Pair, config: Config) -> np.ndarray:
    """Test predictions of ``pair`` under ``config`` (lle.classify on the cached scores)."""
    return lle.classify(pair.test.log_probs, config, allow_interpolation=True)  # grids include beta < 0


def macro_f1(pair: Pair, predictions: np.ndarray) -> float:
    """Test macro-F1 of ``predictions`` against the pair's labels."""
    return float(classification_metrics(predictions, pair.test.labels, pair.n_classes)["macro_f1"])


# --- Table 1 ------------------------------------------------------------------------------------------------------

TABLE1_PROTOCOLS = (*PROTOCOLS.values(), CONTRAST_ONLY)  # Table 1's protocols, the paper's static claim beside them


@dataclass(frozen=True)
class Selected:
    """One method's configuration selected under one protocol, its test predictions, and its ties: how many
    configurations shared the best tuning-split score, and the lowest and highest test macro-F1 among them (reported
    only; selection never sees it)."""

    method: str
    protocol: str
    config: Config
    predicted: np.ndarray
    n_tied: int
    n_tied_after_rule: int
    test_f1_min_over_ties: float
    test_f1_max_over_ties: float


@dataclass(frozen=True)
class PairPredictions:
    """What Table 1's comparisons read of one pair, and nothing of its per-layer scores: the test labels, the
    standard classifier's test predictions, each selected method's, and the standard classifier's soundness check
    (:func:`lle.claims.soundness.classifier_check`). Small enough to store where the scores are not
    (:mod:`lle.store.prediction_files`)."""

    run: str
    dataset: str
    n_classes: int
    labels: np.ndarray
    standard: np.ndarray
    selected: tuple
    check: dict

    def chosen(self, method: str, protocol: str = VALIDATION.name) -> Selected:
        for selected in self.selected:
            if (selected.method, selected.protocol) == (method, protocol):
                return selected
        raise KeyError(f"{self.run} / {self.dataset} has no {method} selected under {protocol!r}")


def pair_predictions(study: Study, pair: Pair, protocols=TABLE1_PROTOCOLS) -> PairPredictions:
    """Select every method of ``protocols`` on its tuning split and predict the test split with it."""
    selected = []
    for protocol in protocols:
        for method in protocol.methods:
            chosen = study.selection(pair, method, protocol)
            low, high = test_range_over_ties(study, pair, method, protocol)
            predicted = test_predictions(pair, chosen.config)
            selected.append(
                Selected(
                    method, protocol.name, chosen.config, predicted, chosen.n_tied, chosen.n_tied_after_rule, low, high
                )
            )
    return PairPredictions(
        pair.run,
        pair.dataset,
        pair.n_classes,
        pair.test.labels,
        lle.classify(pair.test.log_probs),
        tuple(selected),
        classifier_check(pair),
    )


def table1(study: Study, *, protocols=TABLE1_PROTOCOLS, n_resamples: int = 2000, seed: int = 0) -> pd.DataFrame:
    """Standard, static and dynamic per pair and protocol: test macro-F1, difference to standard with a paired
    bootstrap CI and permutation p-value, Holm-adjusted across the pairs of each (protocol, method), the decision
    (:func:`lle.claims.statistics.pair_decision`), the chosen configuration and its tie counts, and whether the
    pair's standard classifier is sound (:func:`lle.claims.soundness.classifier_check`)."""
    predictions = [pair_predictions(study, pair, protocols) for pair in study.pairs]
    return comparison_table(predictions, n_resamples=n_resamples, seed=seed)


class MainResults(NamedTuple):
    """Table 1 and the dynamic-against-static comparison, from one selection per pair."""

    table1: pd.DataFrame
    dynamic_vs_static: pd.DataFrame


def main_results(study: Study, *, n_resamples: int = 2000, seed: int = 0) -> MainResults:
    """:func:`table1` and :func:`dynamic_vs_static` with each pair's methods selected once (both read the
    validation-selected predictions; selecting twice would only repeat the work)."""
    predictions = [pair_predictions(study, pair, TABLE1_PROTOCOLS) for pair in study.pairs]
    return MainResults(
        comparison_table(predictions, n_resamples=n_resamples, seed=seed),
        versus_table(predictions, n_resamples=n_resamples, seed=seed),
    )


def comparison_table(predictions, *, n_resamples: int = 2000, seed: int = 0) -> pd.DataFrame:
    """:func:`table1` from each pair's :class:`PairPredictions`: every selected method against standard."""
    rows = []
    for pair in predictions:
        rows.append({**_result_row(pair, "standard", "none", Config("standard"), pair.standard), **pair.check})
        for selected in pair.selected:
            comparison = paired_comparison(
                pair.labels,
                pair.standard,
                selected.predicted,
                n_classes=pair.n_classes,
                n_resamples=n_resamples,
                seed=seed,
            )
            row = _result_row(pair, selected.method, selected.protocol, selected.config, selected.predicted)
            row.update(
                delta_vs_standard=comparison.delta,
                ci_low=comparison.ci_low,
                ci_high=comparison.ci_high,
                p_value=comparison.p_value,
                n_tied=selected.n_tied,
                n_tied_after_rule=selected.n_tied_after_rule,
                test_f1_min_over_ties=selected.test_f1_min_over_ties,
                test_f1_max_over_ties=selected.test_f1_max_over_ties,
            )
            rows.append({**row, **pair.check})
    return add_decisions(pd.DataFrame(rows), group=["protocol", "method"])


def test_range_over_ties(study: Study, pair: Pair, method: str, protocol: Protocol) -> tuple[float, float]:
    """The lowest and highest test macro-F1 among the configurations tied at the best tuning-split score: how
    much the tie rule's pick could matter. Reported only; selection never sees it."""
    tuning = study.grid(pair, protocol.tuned_on, protocol)
    tied = tied_at_best(tuning[tuning.method == method])
    test = study.grid(pair, "test", protocol)
    keys = ["method", "candidate_layers", "alpha", "beta", "target_layer"]
    scores = tied[keys].merge(test[keys + ["macro_f1"]], on=keys, how="left").macro_f1
    if scores.isna().any():
        raise AssertionError(f"tied configurations of ({pair.run}, {pair.dataset}) missing from the test grid")
    return float(scores.min()), float(scores.max())


def _result_row(pair: PairPredictions, method: str, protocol: str, config: Config, predicted: np.ndarray) -> dict:
    row = {
        "model": pair.run,
        "dataset": pair.dataset,
        "method": method,
        "protocol": protocol,
        "macro_f1": float(classification_metrics(predicted, pair.labels, pair.n_classes)["macro_f1"]),
        **{k: v for k, v in config.to_row().items() if k != "method"},
    }
    if pair.dataset in OFFICIAL_SCORES:
        name, score = OFFICIAL_SCORES[pair.dataset]
        row[name] = score(pair.labels, predicted)
    return row


def add_decisions(table: pd.DataFrame, *, group, p_column: str = "p_value") -> pd.DataFrame:
    """Holm-adjust ``p_column`` within each group of columns ``group`` (None: one family of all rows; rows without
    a p-value are left out) and add the decision."""
    table = table.copy()
    table["p_holm"] = np.nan
    tested = table[p_column].notna()
    families = [table[tested]] if group is None else [part for _, part in table[tested].groupby(group, sort=False)]
    for part in families:
        table.loc[part.index, "p_holm"] = holm(part[p_column].to_numpy())
    table["decision"] = [
        pair_decision(r.ci_low, r.ci_high, r.p_holm) if tested[i] else None
        for i, r in zip(table.index, table.itertuples())
    ]
    return table


def verify_rows(study: Study, table: pd.DataFrame) -> int:
    """Recompute every row's test macro-F1 from the cache with :func:`lle.classify` and its configuration;
    returns the number of rows checked and raises on any difference."""
    for row in table.to_dict("records"):
        pair = study.pair(row["model"], row["dataset"])
        recomputed = macro_f1(pair, test_predictions(pair, Config.from_row(row)))
        if abs(recomputed - row["macro_f1"]) > 1e-12:
            raise AssertionError(f"row {row} recomputes to macro-F1 {recomputed}")
    return len(table)


def headline_comparison(table: pd.DataFrame) -> pd.DataFrame:
    """Test macro-F1 per (model, dataset): validation-selected standard / static / dynamic beside the two
    test-tuned protocols' static and dynamic."""
    parts = {PROTOCOLS[name].label: headline(table, name) for name in PROTOCOLS}
    parts = {
        label: (frame if label == VALIDATION.label else frame[list(CONTRASTIVE)]) for label, frame in parts.items()
    }
    return pd.concat(parts, axis=1)


def headline(table: pd.DataFrame, protocol: str = "validation") -> pd.DataFrame:
    """Test macro-F1 per (model, dataset) and method under one protocol, standard beside it."""
    rows = table[(table.protocol == protocol) | (table.method == "standard")]
    wide = rows.pivot_table(index=["model", "dataset"], columns="method", values="macro_f1")
    return wide.reindex(columns=["standard", *CONTRASTIVE])


# --- Figure 2: how far to extrapolate ---------------------------------------------------------------------------


def target_layer_curves(study: Study) -> pd.DataFrame:
    """Test metrics against ℓ_t at the validation-selected α and candidate layers of LLE, per pair."""
    curves = []
    for pair in study.pairs:
        chosen = study.selection(pair, "dynamic").config
        test = study.grid(pair, "test")
        part = test[
            (test.method == "dynamic")
            & (test.alpha == chosen.alpha)
            & (test.candidate_layers == describe_layers(chosen.candidate_layers))
        ]
        standard = test[test.method == "standard"].iloc[0]
        curves.append(
            part.assign(
                run=pair.run,
                dataset=pair.dataset,
                final_layer=pair.n_layers - 1,
                standard_macro_f1=standard.macro_f1,
                standard_macro_recall=standard.macro_recall,
                standard_macro_precision=standard.macro_precision,
            )
        )
    return pd.concat(curves, ignore_index=True)


def extrapolation_trends(curves: pd.DataFrame) -> pd.DataFrame:
    """Per pair, the change of macro recall and precision from the nearest to the farthest target layer."""
    rows = []
    for (run, dataset), part in curves.groupby(["run", "dataset"], sort=False):
        part = part.sort_values("target_layer")
        first, last = part.iloc[0], part.iloc[-1]
        rows.append(
            {
                "run": run,
                "dataset": dataset,
                "alpha": first.alpha,
                "recall_change": last.macro_recall - first.macro_recall,
                "precision_change": last.macro_precision - first.macro_precision,
                "f1_change": last.macro_f1 - first.macro_f1,
                "flat": bool(part.macro_f1.nunique() == 1 and part.macro_recall.nunique() == 1),
            }
        )
    return pd.DataFrame(rows)


# --- Figure 3: stability in the earliest candidate layer -------------------------------------------------------


def earliest_layer_sweeps(study: Study) -> pd.DataFrame:
    """Test macro-F1 against the earliest candidate layer k, one curve per β (static) or ℓ_t (dynamic), at each
    method's validation-selected α."""
    sweeps = []
    for pair in study.pairs:
        test = study.grid(pair, "test")
        for method in CONTRASTIVE:
            alpha = study.selection(pair, method).config.alpha
            part = test[(test.method == method) & (test.alpha == alpha)]
            sweeps.append(part.assign(run=pair.run, dataset=pair.dataset))
    return pd.concat(sweeps, ignore_index=True)


def sensitivity_spreads(sweeps: pd.DataFrame) -> pd.DataFrame:
    """Per pair and method: the spread (max − min over k) of each curve, summarized by its median and maximum."""
    rows = []
    for (run, dataset, method), part in sweeps.groupby(["run", "dataset", "method"], sort=False):
        value = "beta" if method == "static" else "target_layer"
        spread = part.groupby(value).macro_f1.agg(lambda f1: f1.max() - f1.min())
        rows.append(
            {
                "run": run,
                "dataset": dataset,
                "method": method,
                "alpha": part.alpha.iloc[0],
                "median_spread_over_k": spread.median(),
                "max_spread_over_k": spread.max(),
            }
        )
    return pd.DataFrame(rows)


def spread_comparison(spreads: pd.DataFrame, summary: str = "median_spread_over_k") -> pd.DataFrame:
    """A pair's spread over k (``summary``: its curves' median or max), static and dynamic side by side, with
    static − dynamic (> 0: dynamic is the less sensitive)."""
    if summary not in ("median_spread_over_k", "max_spread_over_k"):
        raise ValueError(f"summary must be 'median_spread_over_k' or 'max_spread_over_k', got {summary!r}")
    wide = spreads.pivot_table(index=["run", "dataset"], columns="method", values=summary)
    wide = wide.reindex(columns=list(CONTRASTIVE))
    return wide.assign(static_minus_dynamic=wide.static - wide.dynamic)


# --- dynamic against static, and the amateur distance ------------------------------------------------------------


def dynamic_vs_static(study: Study, *, n_resamples: int = 2000, seed: int = 0) -> pd.DataFrame:
    """Test macro-F1(dynamic) − macro-F1(static), both validation-selected, with CI, p and Holm decision."""
    predictions = [pair_predictions(study, pair, (VALIDATION,)) for pair in study.pairs]
    return versus_table(predictions, n_resamples=n_resamples, seed=seed)


def versus_table(predictions, *, n_resamples: int = 2000, seed: int = 0) -> pd.DataFrame:
    """:func:`dynamic_vs_static` from each pair's :class:`PairPredictions`."""
    rows = []
    for pair in predictions:
        static, dynamic = (pair.chosen(method).predicted for method in CONTRASTIVE)
        comparison = paired_comparison(
            pair.labels, static, dynamic, n_classes=pair.n_classes, n_resamples=n_resamples, seed=seed
        )
        rows.append(
            {
                "model": pair.run,
                "dataset": pair.dataset,
                "delta": comparison.delta,
                "ci_low": comparison.ci_low,
                "ci_high": comparison.ci_high,
                "p_value": comparison.p_value,
            }
        )
    return add_decisions(pd.DataFrame(rows), group=None)


def distance_ablation(
    study: Study, distances=("jsd", "cosine", "kl", "tv"), *, n_resamples: int = 2000, seed: int = 0
) -> pd.DataFrame:
    """Per pair, method and distance: validation-selected test macro-F1, its difference to JSD's with a paired
    bootstrap CI, and how often the distance picks the same amateur as JSD (candidates 0..L−1, test). Two
    questions: ``delta_vs_jsd`` re-selects every hyperparameter with the distance (does the protocol's result
    depend on it?); ``fixed_delta_vs_jsd`` (with ``fixed_ci_low``/``fixed_ci_high``) keeps JSD's selected
    configuration and swaps only the distance (does the amateur the distance picks matter?)."""
    if "jsd" not in distances:
        raise ValueError(f"distances must include 'jsd', the reference the others are compared with; got {distances}")
    rows = []
    for pair in study.pairs:
        all_layers = range(pair.n_layers - 1)
        reference_amateur = lle.select_amateur(pair.test.log_probs, candidate_layers=all_layers, distance="jsd")
        for method in CONTRASTIVE:
            selected = study.selection(pair, method).config
            reference = test_predictions(pair, selected)
            for distance in distances:
                protocol = with_distance(VALIDATION, distance)
                chosen = study.selection(pair, method, protocol)
                predicted = test_predictions(pair, chosen.config)
                comparison = paired_comparison(
                    pair.test.labels, reference, predicted, n_classes=pair.n_classes, n_resamples=n_resamples, seed=seed
                )
                fixed = paired_comparison(
                    pair.test.labels,
                    reference,
                    test_predictions(pair, replace(selected, distance=distance)),
                    n_classes=pair.n_classes,
                    n_resamples=n_resamples,
                    seed=seed,
                )
                amateur = lle.select_amateur(pair.test.log_probs, candidate_layers=all_layers, distance=distance)
                rows.append(
                    {
                        "model": pair.run,
                        "dataset": pair.dataset,
                        "method": method,
                        "distance": distance,
                        "test_macro_f1": macro_f1(pair, predicted),
                        "delta_vs_jsd": comparison.delta,
                        "ci_low": comparison.ci_low,
                        "ci_high": comparison.ci_high,
                        "fixed_delta_vs_jsd": fixed.delta,
                        "fixed_ci_low": fixed.ci_low,
                        "fixed_ci_high": fixed.ci_high,
                        "amateur_agreement_with_jsd": float(np.mean(amateur == reference_amateur)),
                        **{k: v for k, v in chosen.config.to_row().items() if k not in ("method", "distance")},
                    }
                )
    return pd.DataFrame(rows)


# --- training seeds ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SeedTables:
    """Table 1's validation-selected rows and dynamic against static for the other training seeds
    (:mod:`lle.runs.seeds`), and per pair the spread across all its seeds."""

    table1: pd.DataFrame
    dynamic_vs_static: pd.DataFrame
    spread: pd.DataFrame
    trends: pd.DataFrame  # Figure 2's recall and precision trends (extrapolation_trends)
    spreads: pd.DataFrame  # Figure 3's spreads over the earliest candidate layer (sensitivity_spreads)
    bias: pd.DataFrame  # Table 2's neutral bias (lle.study.changes)
    polarity: pd.DataFrame  # Table 3's polarity and corrections (lle.study.changes)


SEED_PROTOCOLS = (VALIDATION, CONTRAST_ONLY)  # the other seeds' comparisons: validation-selected only


def seed_tables(
    study: Study, committed: pd.DataFrame, *, results_root=None, out_dir=None, n_resamples: int = 2000, seed: int = 0
) -> SeedTables:
    """For each pair of ``study`` computed with other training seeds (under ``seed_root(k)`` of ``results_root``),
    the same validation-selected comparisons as :func:`table1` and :func:`dynamic_vs_static`, a ``seed`` column
    added. They read each seed's stored predictions (:func:`seed_predictions`), so a seed whose score files are
    not committed still counts. ``committed`` is seed 0's Table 1."""
    from lle.runs.seeds import SEEDS, seed_root

    wanted = {(pair.run, pair.dataset) for pair in study.pairs}
    parts = {name: [] for name in ("table1", "versus", "trends", "spreads", "bias", "polarity")}
    for training_seed in SEEDS:
        scores_root = seed_root(training_seed, results_root)
        where = scores_root if out_dir is None else seed_root(training_seed, results_dir_in(out_dir))
        found = sorted(seeded_pairs(scores_root) & wanted)
        if not found:
            continue
        predictions = [seed_predictions(run, dataset, scores_root, where, study.figures_dir) for run, dataset in found]
        # The grid-based analyses read the seed's stored grids through its sidecars (its scores may not be kept).
        recorded = [pair for pair in recorded_pairs(scores_root) if (pair.run, pair.dataset) in found]
        seeded = Study(recorded, Path(where), study.figures_dir, shared_grids=scores_root / "grids")
        changed = changes_of_predictions(
            [
                (p.run, p.dataset, p.chosen("dynamic").config, p.standard, p.chosen("dynamic").predicted, p.labels)
                for p in predictions
            ]
        )
        for name, table in (
            ("table1", comparison_table(predictions, n_resamples=n_resamples, seed=seed)),
            ("versus", versus_table(predictions, n_resamples=n_resamples, seed=seed)),
            ("trends", extrapolation_trends(target_layer_curves(seeded))),
            ("spreads", sensitivity_spreads(earliest_layer_sweeps(seeded))),
            ("bias", changed["bias"]),
            ("polarity", changed["polarity"]),
        ):
            parts[name].append(table.assign(seed=training_seed))
    tables = {
        name: pd.concat(frames, ignore_index=True) if frames else pd.DataFrame() for name, frames in parts.items()
    }
    extra = tables["table1"] if len(tables["table1"]) else pd.DataFrame(columns=[*committed.columns, "seed"])
    versus = (
        tables["versus"]
        if len(tables["versus"])
        else pd.DataFrame(columns=["model", "dataset", "delta", "ci_low", "ci_high", "p_value", "seed"])
    )
    return SeedTables(
        extra,
        versus,
        seed_spread(committed, extra),
        tables["trends"],
        tables["spreads"],
        tables["bias"],
        tables["polarity"],
    )


def seeded_pairs(scores_root) -> set:
    """(run, dataset) with score files or stored predictions under one seed's results folder."""
    return {(run, dataset) for run, dataset, _ in cached_runs(scores_root)} | set(stored_pairs(scores_root))


def seed_predictions(run: str, dataset: str, scores_root, where, figures_dir) -> PairPredictions:
    """One seed's :class:`PairPredictions` of (run, dataset): computed from its score files under ``scores_root``
    when they are there (grids and predictions stored under ``where``), else read from the predictions stored with
    the seed. Stored predictions are reused only when made from the same score files (their checksums)."""
    path = predictions_path(where, run, dataset)
    present = {split: score_path(run, dataset, split, scores_root) for split in EVAL_SPLITS}
    if not all(score.is_file() for score in present.values()):
        stored = path if path.is_file() else predictions_path(scores_root, run, dataset)
        return _read_pair_predictions(*load_predictions(stored))
    sources = {
        split: json.loads(score.with_suffix(".json").read_text())["file_sha256"] for split, score in present.items()
    }
    if path.is_file():
        arrays, record = load_predictions(path)
        if record.get("scores_sha256") == sources:
            return _read_pair_predictions(arrays, record)
    (pair,) = [p for p in load_pairs(runs=[run], results_root=scores_root) if p.dataset == dataset]
    predictions = pair_predictions(Study([pair], Path(where), Path(figures_dir)), pair, SEED_PROTOCOLS)
    save_predictions(path, *_stored_pair_predictions(predictions, sources))
    return predictions


def _stored_pair_predictions(pair: PairPredictions, sources: dict) -> tuple[dict, dict]:
    arrays = {"labels": pair.labels, "standard": pair.standard}
    methods = []
    for selected in pair.selected:
        name = f"{selected.protocol}.{selected.method}"
        arrays[name] = selected.predicted
        methods.append(
            {
                "array": name,
                "method": selected.method,
                "protocol": selected.protocol,
                "config": {
                    k: v.item() if isinstance(v, np.generic) else v for k, v in selected.config.to_row().items()
                },
                "n_tied": int(selected.n_tied),
                "n_tied_after_rule": int(selected.n_tied_after_rule),
                "test_f1_min_over_ties": selected.test_f1_min_over_ties,
                "test_f1_max_over_ties": selected.test_f1_max_over_ties,
            }
        )
    record = {
        "run": pair.run,
        "dataset": pair.dataset,
        "n_classes": pair.n_classes,
        "check": [[name, value] for name, value in pair.check.items()],  # in order: the sidecar's keys are sorted
        "selected": methods,
        "scores_sha256": sources,
    }
    return arrays, record


def _read_pair_predictions(arrays: dict, record: dict) -> PairPredictions:
    selected = tuple(
        Selected(
            entry["method"],
            entry["protocol"],
            Config.from_row(entry["config"]),
            arrays[entry["array"]],
            entry["n_tied"],
            entry["n_tied_after_rule"],
            entry["test_f1_min_over_ties"],
            entry["test_f1_max_over_ties"],
        )
        for entry in record["selected"]
    )
    return PairPredictions(
        record["run"],
        record["dataset"],
        record["n_classes"],
        arrays["labels"],
        arrays["standard"],
        selected,
        dict(record["check"]),
    )


def seed_spread(table1: pd.DataFrame, seeds: pd.DataFrame) -> pd.DataFrame:
    """Per pair with more than one training seed: the number of seeds and the standard deviation across them of
    the standard classifier's test macro-F1 and of static and LLE's difference to it (validation-selected)."""
    every = pd.concat([table1.assign(seed=0), seeds], ignore_index=True) if len(seeds) else table1.assign(seed=0)
    every = every[(every.protocol == "validation") | (every.method == "standard")]
    wide = every.pivot_table(
        index=["model", "dataset", "seed"], columns="method", values=["macro_f1", "delta_vs_standard"]
    ).reset_index()
    wide.columns = ["_".join(c for c in column if c) for column in wide.columns]
    grouped = wide.groupby(["model", "dataset"])
    table = grouped.agg(
        seeds=("seed", "nunique"),
        standard_sd=("macro_f1_standard", "std"),
        static_delta_sd=("delta_vs_standard_static", "std"),
        lle_delta_sd=("delta_vs_standard_dynamic", "std"),
        lle_delta_mean=("delta_vs_standard_dynamic", "mean"),
    ).reset_index()
    return table[table.seeds > 1].reset_index(drop=True)
