"""The unified view's stages: the β_u sweeps over the cached scores (:func:`study_unified`, computed in seconds,
not cached), and the hidden-state form's stage, cached with provenance: recompute a frozen-head run's pooled states
and head, measure how far they are from the committed layer scores, and compare the two forms of the unified view
on the recomputed run.

Only frozen-head runs qualify: their head was trained on pooled states of an unchanged backbone, so the pooled
states and the head can be recomputed (seeded) from the model and the data; a fine-tuned run's backbone lives
only in its (uncommitted, 260 MB) checkpoint. Both forms are computed from the recomputed head and states, so they
describe one model whether or not it matches the committed scores bit for bit; the match is measured and stored.
``results/unified/hidden_form_<run>_<dataset>.json`` holds the rows and the provenance: the committed score files'
checksums, the reproduction (largest ``|difference|`` of log-probabilities and the final layer's macro-F1 of each),
the head's checksum and the time spent.
"""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from lle import data
from lle.claims.soundness import soundness_table
from lle.context.cache import StageRecord
from lle.context.unified.hidden_form import compare_forms, layer_log_probs, selected_forms
from lle.context.unified.method import (
    UNIFIED_BETAS,
    amateur_layers,
    at_matched_entropy,
    dola_placement,
    fixed_layers,
    rescaling_r2,
    select_on_validation,
    temperature_sweep,
    unified_sweep,
)
from lle.integrity import sha256_file
from lle.method.metrics import classification_metrics, per_layer_metrics
from lle.models.readout import ClassifierHead
from lle.paths import cache_dir, results_dir_in
from lle.progress import tqdm
from lle.runs.pipeline import compute_run, find_run, plan_run
from lle.store.scores import EVAL_SPLITS, git_commit, load_layer_scores, score_path
from lle.study.analysis import open_study
from lle.training.loops import set_seed, train_head

RUNS = tuple(
    (run, dataset)
    for dataset in ("tweet_hate", "tweet_emotion", "goemotions")
    for run in ("SmolLM2-135M-Instruct-frozen-head", "gemma-3-270m-frozen-head")
)
REPRODUCTION_TOLERANCE = (
    1e-4  # float32 pooling and head recomputed on a CPU: observed up to 7.6e-5 where a run reproduces
)


def result_path(run: str, dataset: str, results_root=None) -> Path:
    """The JSON of the hidden-state form's recomputation of (run, dataset)."""
    return Path(results_dir_in(results_root)) / "unified" / f"hidden_form_{run}_{dataset}.json"


def recompute_run(run: str, dataset: str, *, progress: bool = True):
    """The run's pooled states and trained head, recomputed into the cache (resumable: pooled states are reused).
    Returns (head, pooled states per split, recomputed scores per split, the head file's SHA-256)."""
    spec = find_run(run, dataset)
    if spec.recipe.mode != "frozen":
        raise ValueError(
            f"{run} is a {spec.recipe.mode!r} run; the hidden-state form needs a frozen-head run, whose "
            f"pooled states and head can be recomputed: one of {sorted({r for r, _ in RUNS})}"
        )
    scratch = cache_dir() / "hidden_form_scores"
    plan = plan_run(spec, progress=progress)
    compute_run(plan, results_root=scratch, progress=progress)
    pooled = {split: torch.load(plan.pooled_dir / f"pooled_{split}_layers.pt") for split in EVAL_SPLITS}
    head_file = plan.run_dir / f"head_epoch_{spec.recipe.epochs}.pt"
    head_state = torch.load(head_file)
    head = ClassifierHead(pooled["test"].shape[-1], head_state["2.weight"].shape[0])
    head.load_state_dict(head_state)
    recomputed = {split: load_layer_scores(score_path(run, dataset, split, scratch)) for split in EVAL_SPLITS}
    return head.eval(), pooled, recomputed, sha256_file(head_file)


HEAD_SEEDS = tuple(range(5))


class _HeadOnly(torch.nn.Module):
    """The part of an early-exit classifier that :func:`lle.training.loops.train_head` trains."""

    def __init__(self, head: torch.nn.Module):
        super().__init__()
        self.head = head


def head_seed_spread(run: str, dataset: str, pooled: dict, *, seeds=HEAD_SEEDS, progress: bool = True) -> list[dict]:
    """The run's head retrained on the same pooled states with other seeds: final-layer validation and test
    macro-F1 per seed. Seed 0 is the run's own recipe, so its numbers are the recomputed run's."""
    spec = find_run(run, dataset)
    train_states = torch.load(plan_run(spec, progress=False).pooled_dir / "pooled_train_final.pt")
    source = data.dataset_source(dataset)
    labels = {split: np.asarray(source.load(split)["label"]) for split in ("train",) + EVAL_SPLITS}
    n_classes = len(source.label_names)
    rows = []
    for seed in tqdm(seeds, desc=f"head seeds {run} / {dataset}", disable=not progress):
        recipe = replace(spec.recipe, seed=seed)
        set_seed(seed)
        model = _HeadOnly(ClassifierHead(train_states.shape[-1], n_classes))
        set_seed(seed)  # as the pipeline: the head's initialization, then its training, each from the seed
        train_head(
            model,
            train_states,
            labels["train"],
            pooled["validation"][:, -1],
            labels["validation"],
            recipe,
            cache_dir() / "hidden_form_seeds" / run / dataset / str(seed),
            progress=False,
        )
        with torch.inference_mode():
            predicted = {split: model.head(pooled[split][:, -1]).argmax(-1).numpy() for split in EVAL_SPLITS}
        rows.append(
            {
                "seed": seed,
                **{
                    f"{split}_macro_f1": float(
                        classification_metrics(predicted[split], labels[split], n_classes)["macro_f1"]
                    )
                    for split in EVAL_SPLITS
                },
            }
        )
    return rows


def compute(
    run: str, dataset: str, study, *, unified_betas=UNIFIED_BETAS, results_root=None, progress: bool = True
) -> Path:
    """Compare the two forms on one frozen-head pair, recomputed; LLE's amateur comes from the recomputed scores
    with the configuration ``study`` selected on the committed validation scores. Whether the recomputation gives
    back the committed scores is measured and stored, not assumed."""
    start = time.perf_counter()
    pair = study.pair(run, dataset)
    head, pooled, recomputed, head_sha = recompute_run(run, dataset, progress=progress)
    for split in EVAL_SPLITS:
        _check_consistent(recomputed[split].log_probs, layer_log_probs(head, pooled[split]), split)
    config = study.selection(pair, "dynamic").config
    rows = {}
    for split in EVAL_SPLITS:
        scores = recomputed[split]
        layers = {"LLE amateur": amateur_layers(scores.log_probs, config), **fixed_layers(pair.n_layers)}
        rows[split] = compare_forms(head, pooled[split], scores.labels, layers=layers, unified_betas=unified_betas)
    record = {
        "provenance": {
            "run": run,
            "dataset": dataset,
            "head_sha256": head_sha,
            "committed_scores_sha256": _committed_checksums(pair),
            "reproduction": {s: reproduction(getattr(pair, s), recomputed[s]) for s in EVAL_SPLITS},
            "lle_config": config.describe(),
            "unified_betas": [float(b) for b in unified_betas],
            "git_commit": git_commit(),
            "seconds": round(time.perf_counter() - start, 1),
        },
        "rows": [{"split": split, **row} for split in EVAL_SPLITS for row in rows[split]],
        "selected": selected_forms(rows["validation"], rows["test"]),
        "head_seeds": head_seed_spread(run, dataset, pooled, progress=progress),
    }
    return _stage(run, dataset, study, unified_betas, results_root).write(record, sort_keys=False)


def _stage(run: str, dataset: str, study, unified_betas, results_root) -> StageRecord:
    """A pair's record: current when made from the same committed scores and β_u grid."""
    return StageRecord(
        result_path(run, dataset, results_root),
        {
            "committed_scores_sha256": _committed_checksums(study.pair(run, dataset)),
            "unified_betas": [float(b) for b in unified_betas],
        },
        refresh="python scripts/compute_hidden_form.py",
    )


def is_current(run: str, dataset: str, study, *, unified_betas=UNIFIED_BETAS, results_root=None) -> bool:
    """A stored comparison is reused only when it was made from the same committed scores and β_u grid."""
    return _stage(run, dataset, study, unified_betas, results_root).current() is not None


def _committed_checksums(pair) -> dict:
    """The committed score files a comparison was made from, per split: what decides whether it is current."""
    return {split: getattr(pair, split).provenance["file_sha256"] for split in EVAL_SPLITS}


def reproduction(committed, recomputed) -> dict:
    """How far a recomputed split is from the committed one: the largest ``|difference|`` of log-probabilities, and
    the final layer's macro-F1 of each; ``reproduces`` when within :data:`REPRODUCTION_TOLERANCE`."""
    gap = float(np.abs(committed.log_probs - recomputed.log_probs).max())
    f1 = {
        name: float(per_layer_metrics(scores.log_probs, scores.labels)["macro_f1"][-1])
        for name, scores in (("committed", committed), ("recomputed", recomputed))
    }
    return {"max_abs_difference": gap, "reproduces": gap <= REPRODUCTION_TOLERANCE, "final_layer_macro_f1": f1}


def _check_consistent(recomputed: np.ndarray, from_head: np.ndarray, split: str) -> None:
    """The stored head on the stored pooled states must give the scores the same run wrote: else the cache holds
    pieces of different runs."""
    gap = float(np.abs(recomputed - from_head).max())
    if gap > REPRODUCTION_TOLERANCE:
        raise ValueError(
            f"the head and pooled states in the cache give {split} scores {gap:.2e} away from the scores "
            "their run wrote: the cache mixes runs; delete the run directory and recompute"
        )


def compute_stage(pairs=RUNS, *, unified_betas=UNIFIED_BETAS, results_root=None, progress: bool = True) -> dict:
    """The hidden-state form of every (run, dataset) pair whose stored result is not current (minutes per pair on a
    CPU; resumable): {(run, dataset): the written path, or None where the stored result was current}."""
    study = open_study(runs=sorted({run for run, _ in pairs}), datasets=sorted({dataset for _, dataset in pairs}))
    written = {}
    for run, dataset in tqdm(pairs, desc="hidden-state form", disable=not progress):
        current = is_current(run, dataset, study, unified_betas=unified_betas, results_root=results_root)
        written[run, dataset] = (
            None
            if current
            else compute(run, dataset, study, unified_betas=unified_betas, results_root=results_root, progress=progress)
        )
    return written


def load_results(results_root=None) -> dict:
    """Every stored comparison as pandas tables: rows (per split, layer choice, β_u), selected (β_u chosen on
    validation per form, with test numbers) and provenance (one row per pair)."""
    paths = sorted((Path(results_dir_in(results_root)) / "unified").glob("hidden_form_*.json"))
    if not paths:
        raise FileNotFoundError(
            "no results/unified/hidden_form_*.json; run scripts/compute_hidden_form.py "
            "(recomputes frozen-head runs' pooled states: minutes per run)"
        )
    tables = {"rows": [], "selected": [], "provenance": [], "head_seeds": []}
    for path in paths:
        record = json.loads(path.read_text())
        key = {"run": record["provenance"]["run"], "dataset": record["provenance"]["dataset"]}
        tables["rows"] += [{**key, **row} for row in record["rows"]]
        tables["selected"] += [{**key, **row} for row in record["selected"]]
        tables["head_seeds"] += [{**key, **row} for row in record.get("head_seeds", [])]
        test = record["provenance"]["reproduction"]["test"]
        tables["provenance"].append(
            {
                **key,
                "reproduces_committed": all(
                    split["reproduces"] for split in record["provenance"]["reproduction"].values()
                ),
                "max_abs_difference_to_committed": max(
                    split["max_abs_difference"] for split in record["provenance"]["reproduction"].values()
                ),
                "committed_test_macro_f1": test["final_layer_macro_f1"]["committed"],
                "recomputed_test_macro_f1": test["final_layer_macro_f1"]["recomputed"],
                "seconds": record["provenance"]["seconds"],
            }
        )
    return {name: pd.DataFrame(rows) for name, rows in tables.items()}


def study_unified(study, *, unified_betas=UNIFIED_BETAS, temperatures=None) -> dict:
    """For every pair of the study: β_u sweeps on validation and test for LLE's per-sample amateur (its
    validation-selected candidate layers) and fixed layers, with plausibility off and at LLE's α; the β_u chosen on
    validation (by macro-F1 and by ECE) with its test metrics; a temperature sweep of the final layer and the
    matched-entropy comparison; the rescaling R² of every layer; whether each pair's standard classifier is sound
    (the claims leave out pairs at chance). Returns pandas tables."""
    temperatures = np.geomspace(0.05, 5, 41) if temperatures is None else temperatures
    sweeps, chosen, matched, rescaling, dola = [], [], [], [], []
    for pair in study.pairs:
        config = study.selection(pair, "dynamic").config
        key = {"run": pair.run, "dataset": pair.dataset}
        per_split = {}
        for split in ("validation", "test"):
            scores = getattr(pair, split)
            layers = {"LLE amateur": amateur_layers(scores.log_probs, config), **fixed_layers(pair.n_layers)}
            per_split[split] = unified_sweep(
                scores.log_probs, scores.labels, layers=layers, unified_betas=unified_betas, alphas=(None, config.alpha)
            )
            sweeps += [{**key, "split": split, **row} for row in per_split[split]]
        test_rows = {(r["layer"], r["alpha"], r["unified_beta"]): r for r in per_split["test"]}
        for criterion, metric, higher in (("macro-F1", "macro_f1", True), ("ECE", "ece", False)):
            for (layer, alpha), beta_u in select_on_validation(per_split["validation"], metric, higher).items():
                chosen.append({**key, "selected_by": criterion, **test_rows[layer, alpha, beta_u]})
        temperature_rows = temperature_sweep(pair.test.log_probs, pair.test.labels, temperatures)
        matched += [{**key, **row} for row in at_matched_entropy(per_split["test"], temperature_rows)]
        rescaling += [
            {**key, "layer": layer, "relative_depth": layer / (pair.n_layers - 1), "r2": float(r2)}
            for layer, r2 in enumerate(rescaling_r2(pair.validation.log_probs))
        ]
        dola.append(
            {
                **key,
                "split": "test",
                **dola_placement(pair.test.log_probs, amateur_layers(pair.test.log_probs, config), unified_betas),
            }
        )
    return {
        "sweeps": pd.DataFrame(sweeps),
        "selected": pd.DataFrame(chosen),
        "matched": pd.DataFrame(matched),
        "rescaling": pd.DataFrame(rescaling),
        "dola": pd.DataFrame(dola),
        "soundness": soundness_table(study.pairs),
    }
