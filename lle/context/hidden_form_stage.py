"""The hidden-state form's stage: recompute a frozen-head run's pooled states and head, check that they reproduce
the committed layer scores, and compare the two forms of the unified view on them.

Only frozen-head runs qualify: their head was trained on pooled states of an unchanged backbone, so recomputing
those states and retraining the head (seeded) gives back the very scores in ``results/layer_scores``. A fine-tuned
run's backbone lives only in its (uncommitted, 260 MB) checkpoint. ``results/unified/hidden_form_<run>_<dataset>.json``
holds the rows and the provenance: the committed score files' checksums, how far the recomputed scores are from
them, the head's checksum and the time spent.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import torch

from lle.context.hidden_form import compare_forms, layer_log_probs, selected_forms
from lle.context.unified import UNIFIED_BETAS, amateur_layers, fixed_layers
from lle.experiments.cache import EVAL_SPLITS, git_commit, load_layer_scores, score_path
from lle.integrity import atomic_write_text, sha256_file
from lle.models.readout import ClassifierHead
from lle.paths import cache_dir, results_dir_in

RUNS = tuple((run, dataset) for dataset in ("tweet_hate", "tweet_emotion", "goemotions")
             for run in ("SmolLM2-135M-Instruct-frozen-head", "gemma-3-270m-frozen-head"))
REPRODUCTION_TOLERANCE = 1e-4  # float32 pooling and head recomputed on a CPU: observed up to 1.3e-5 (summation order)


def result_path(run: str, dataset: str, results_root=None) -> Path:
    return Path(results_dir_in(results_root)) / "unified" / f"hidden_form_{run}_{dataset}.json"


def recompute_run(run: str, dataset: str, *, progress: bool = True):
    """The run's pooled states and trained head, recomputed into the cache (resumable: pooled states are reused).
    Returns (head, pooled states per split, recomputed scores per split)."""
    from lle.experiments.pipeline import compute_run, find_run

    spec = find_run(run, dataset)
    if spec.recipe.mode != "frozen":
        raise ValueError(f"{run} is a {spec.recipe.mode!r} run; the hidden-state form needs a frozen-head run, whose "
                         f"pooled states and head can be recomputed: one of {sorted({r for r, _ in RUNS})}")
    scratch = cache_dir() / "hidden_form_scores"
    compute_run(spec, results_root=scratch, progress=progress)
    pooled = {split: torch.load(spec.run_dir / f"pooled_{split}_layers.pt") for split in EVAL_SPLITS}
    head_file = spec.run_dir / f"head_epoch_{spec.recipe.epochs}.pt"
    head_state = torch.load(head_file)
    head = ClassifierHead(pooled["test"].shape[-1], head_state["2.weight"].shape[0])
    head.load_state_dict(head_state)
    recomputed = {split: load_layer_scores(score_path(run, dataset, split, scratch)) for split in EVAL_SPLITS}
    return head.eval(), pooled, recomputed, sha256_file(head_file)


def compute(run: str, dataset: str, study, *, unified_betas=UNIFIED_BETAS, results_root=None,
            progress: bool = True) -> Path:
    """Compare the two forms on one frozen-head pair of ``study`` (its committed scores select LLE's amateur) and
    write the result; a recomputation that does not reproduce the committed scores is an error."""
    start = time.perf_counter()
    pair = study.pair(run, dataset)
    head, pooled, recomputed, head_sha = recompute_run(run, dataset, progress=progress)
    differences = {split: _reproduction_gap(getattr(pair, split).log_probs, recomputed[split].log_probs,
                                            layer_log_probs(head, pooled[split])) for split in EVAL_SPLITS}
    config = study.selection(pair, "dynamic").config
    rows = {}
    for split in EVAL_SPLITS:
        scores = getattr(pair, split)
        layers = {"LLE amateur": amateur_layers(scores.log_probs, config), **fixed_layers(pair.n_layers)}
        rows[split] = compare_forms(head, pooled[split], scores.labels, layers=layers, unified_betas=unified_betas)
    record = {"provenance": {"run": run, "dataset": dataset, "head_sha256": head_sha,
                             "committed_scores_sha256": {s: getattr(pair, s).provenance["file_sha256"]
                                                         for s in EVAL_SPLITS},
                             "max_abs_difference_to_committed": differences, "lle_config": config.describe(),
                             "unified_betas": [float(b) for b in unified_betas], "git_commit": git_commit(),
                             "seconds": round(time.perf_counter() - start, 1)},
              "rows": [{"split": split, **row} for split in EVAL_SPLITS for row in rows[split]],
              "selected": selected_forms(rows["validation"], rows["test"])}
    path = result_path(run, dataset, results_root)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, json.dumps(record, indent=1) + "\n")
    return path


def is_current(run: str, dataset: str, study, *, unified_betas=UNIFIED_BETAS, results_root=None) -> bool:
    """A stored comparison is reused only when it was made from the same committed scores and β_u grid."""
    path = result_path(run, dataset, results_root)
    if not path.is_file():
        return False
    stored = json.loads(path.read_text())["provenance"]
    pair = study.pair(run, dataset)
    return (stored["committed_scores_sha256"] == {s: getattr(pair, s).provenance["file_sha256"] for s in EVAL_SPLITS}
            and stored["unified_betas"] == [float(b) for b in unified_betas])


def _reproduction_gap(committed: np.ndarray, recomputed: np.ndarray, from_head: np.ndarray) -> dict:
    gaps = {"recomputed_scores": float(np.abs(committed - recomputed).max()),
            "head_on_pooled_states": float(np.abs(committed - from_head).max())}
    if max(gaps.values()) > REPRODUCTION_TOLERANCE:
        raise ValueError(f"the recomputed run does not reproduce the committed scores (max |difference| {gaps}); "
                         "the hidden-state form would describe another model. Check the model copy (make models) "
                         "and the data checksums before comparing")
    return gaps


def load_results(results_root=None) -> dict:
    """Every stored comparison as pandas tables: rows (per split, layer choice, β_u), selected (β_u chosen on
    validation per form, with test numbers) and provenance (one row per pair)."""
    import pandas as pd

    paths = sorted((Path(results_dir_in(results_root)) / "unified").glob("hidden_form_*.json"))
    if not paths:
        raise FileNotFoundError("no results/unified/hidden_form_*.json; run scripts/compute_hidden_form.py "
                                "(recomputes frozen-head runs' pooled states: minutes per run)")
    tables = {"rows": [], "selected": [], "provenance": []}
    for path in paths:
        record = json.loads(path.read_text())
        key = {"run": record["provenance"]["run"], "dataset": record["provenance"]["dataset"]}
        tables["rows"] += [{**key, **row} for row in record["rows"]]
        tables["selected"] += [{**key, **row} for row in record["selected"]]
        gaps = record["provenance"]["max_abs_difference_to_committed"]
        tables["provenance"].append({**key, "max_abs_difference_to_committed":
                                     max(v for split in gaps.values() for v in split.values()),
                                     "seconds": record["provenance"]["seconds"]})
    return {name: pd.DataFrame(rows) for name, rows in tables.items()}
