"""A run on your own split files into an output folder: what ``lle run`` does once its flags are parsed.

:func:`prepare_run` checks everything a run needs before anything expensive starts — the output folder, the cache,
the device, the model, the data files (read once) and the token length — and plans the run; a refused run writes
nothing. :func:`run_into_folder` then computes it into the folder under the folder's lock: a second run into the
same folder is refused, never mixed in; a finished run made from the same inputs is not recomputed; scores made
from other inputs are never replaced without ``force``. The messages name the command line's flags, since that is
where a :class:`RunRequest` usually comes from.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from lle import data
from lle.models.device import check_placement
from lle.models.resolve import check_model_argument
from lle.paths import cache_dir
from lle.runs.pipeline import Run, compute_run, plan_run, token_limit
from lle.store.outputs import MARKER, check_output_folder, claim_output_folder
from lle.store.run_folders import completion, output_lock_path, run_lock
from lle.store.scores import score_path
from lle.training.recipe import applied_defaults, family_recipe


@dataclass(frozen=True)
class RunRequest:
    """What ``lle run`` was asked for: one field per flag (None: the model family's default)."""

    model: str
    train: str
    validation: str
    test: str
    out: Path
    mode: str | None = None  # a recipe mode: "finetune", "frozen" or "zeroshot"
    text_column: str = "text"
    label_column: str = "label"
    epochs: int | None = None
    batch_size: int | None = None
    learning_rate: float | None = None
    max_length: int | None = None
    preprocess: str = "none"
    max_train_samples: int | None = None
    device: str = "auto"
    precision: str = "fp32"
    seed: int = 0
    dataset: str | None = None
    name: str | None = None
    force: bool = False


def warn(message: str) -> None:
    """Print a warning about the inputs of ``lle run`` on standard error (the run goes on)."""
    print(f"lle run: warning: {message}", file=sys.stderr)


def dataset_name(request: RunRequest) -> str:
    """--dataset, else the train file's folder name (or a Hub split's dataset), made safe for a file name."""
    train = request.train
    default = train.split(":")[1] if train.startswith("hub:") else Path(train).resolve().parent.name
    return request.dataset or re.sub(r"[^A-Za-z0-9_-]+", "-", default).strip("-") or "data"


def prepare_run(request: RunRequest):
    """Everything a run checks before it computes: (plan, applied defaults). Raises with a message naming the flag
    or file and the fix; writes nothing."""
    check_output_folder(request.out)
    cache_dir(create=False)  # a cache that cannot be one fails now, before any work (created when first written)
    check_placement(request.device, request.precision)
    check_model_argument(request.model)
    _check_zero_shot_trains_nothing(request)
    for split, other in (("train", "test"), ("train", "validation"), ("validation", "test")):
        if getattr(request, split) == getattr(request, other):
            warn(
                f"--{split} and --{other} are the same file ({getattr(request, split)}): scores on {other} then say "
                "nothing about unseen data"
            )
    source = _own_dataset(request)
    changes = dict(
        mode=request.mode,
        epochs=request.epochs,
        batch_size=request.batch_size,
        learning_rate=request.learning_rate,
        max_length=request.max_length,
        seed=request.seed,
        max_train_samples=request.max_train_samples,
        preprocessing=request.preprocess == "authors",
        label_words=tuple(source.label_names) if request.mode == "zeroshot" else None,
    )
    recipe = family_recipe(request.model, source.name, **changes)
    defaults = applied_defaults(request.model, changes)
    name = request.name or f"{Path(str(request.model)).name}-{recipe.mode}"
    plan = plan_run(Run(name, recipe), device=request.device, precision=request.precision, source=source)
    _check_max_length(plan, request.max_length)
    _warn_long_texts(plan)
    return plan, defaults


def _check_zero_shot_trains_nothing(request: RunRequest) -> None:
    if request.mode == "zeroshot" and request.epochs is not None:
        raise ValueError(
            f"--epochs {request.epochs} with --mode zeroshot: a zero-shot run trains nothing; drop --epochs"
        )
    if request.mode == "zeroshot" and request.max_train_samples is not None:
        raise ValueError("--max-train-samples with --mode zeroshot: a zero-shot run trains nothing; drop it")


def _own_dataset(request: RunRequest) -> data.FileDataset:
    """The user's split files as a dataset, checked (read once), under a name that is not one of the paper's."""
    name = dataset_name(request)
    if name in data.DATASETS:
        given = f"--dataset {name}" if request.dataset else f"the train file's folder name {name!r}"
        raise ValueError(
            f"{given} is the name of one of the paper's datasets; name yours with --dataset (e.g. --dataset my-{name})"
        )
    # Absolute paths: the sidecars record them, and lle verify must find the files from any folder.
    files = {}
    for split in data.SPLITS:
        path = getattr(request, split)
        files[split] = path if path.startswith("hub:") else str(Path(path).expanduser().resolve())
    source = data.FileDataset(name, files, text_column=request.text_column, label_column=request.label_column)
    for message in source.validate():
        warn(message)
    if request.mode == "zeroshot" and all(label.isdigit() for label in source.label_names):
        warn(
            "--mode zeroshot prompts the model with the class names, but your labels are indices "
            f"({', '.join(source.label_names[:5])}...); write class names in the label column for a meaningful prompt"
        )
    n_train = len(source.frame("train"))
    if request.max_train_samples is not None and request.max_train_samples >= n_train:
        warn(
            f"--max-train-samples {request.max_train_samples} is not below the {n_train} training rows: all of "
            "them are used"
        )
    return source


def _warn_long_texts(plan) -> None:
    """Say, per split, how many texts the token length cuts (the tokenizer would cut them without a word of ours)."""
    for split, (texts, _) in plan.splits().items():
        lengths = [len(ids) for ids in plan.tokenizer(list(texts))["input_ids"]]
        cut = sum(length > plan.max_length for length in lengths)
        if cut:
            warn(
                f"{cut} of {len(texts)} {split} texts are longer than --max-length {plan.max_length} tokens and are "
                f"cut to their first {plan.max_length} (the longest has {max(lengths)}); pass a larger --max-length "
                "(up to the model's limit) to keep more of them"
            )


def _check_max_length(plan, asked) -> None:
    limit = token_limit(plan.tokenizer, plan.resolved.location)
    if asked is not None and limit is not None and asked > limit:
        raise ValueError(
            f"--max-length {asked} is above the model's limit of {limit} tokens; pass at most {limit}, "
            "or leave it out (auto)"
        )


def run_into_folder(request: RunRequest, plan, defaults: dict, accelerator=None) -> None:
    """Compute ``plan`` into ``request.out`` under the folder's lock (helper processes of a data-parallel launch
    write nothing); a folder this call created is removed again if a failure left nothing of the run in it."""
    out = request.out
    created = not out.exists()
    claim_output_folder(out)
    writes = accelerator is None or accelerator.is_main_process
    lock = (output_lock_path(out, plan.run.slug, plan.recipe.dataset),) if writes else ()
    try:
        # The check and the work under one lock: a second lle run into the same --out is refused, never mixed in.
        with run_lock(*lock, what=f"{plan.run.slug} / {plan.recipe.dataset} in {out}"):
            _run_locked(request, plan, defaults, accelerator)
    except BaseException:
        _remove_if_unused(out, created)
        raise


def _run_locked(request: RunRequest, plan, defaults: dict, accelerator) -> None:
    out, slug, dataset = request.out, plan.run.slug, plan.recipe.dataset
    existing = _existing_scores(plan, out)
    if existing and not request.force:
        done = completion(out, slug, dataset)
        if done is not None and done.get("run_key") == plan.key:
            print(
                f"{out} already holds the scores of {slug} on {dataset} made from these inputs (run key "
                f"{plan.key}); nothing to do (--force recomputes them)"
            )
            return
        if existing.get("run_key") != plan.key:
            raise ValueError(
                f"{out} already holds scores of run {slug!r} on {dataset!r} made from other inputs (run key "
                f"{existing.get('run_key')}, now {plan.key}); pass --name to keep both, or --force to replace them"
            )
        print(
            f"{out}: the scores of {slug} on {dataset} are incomplete (an earlier run was interrupted while writing "
            "them); computing them again, reusing the cached work"
        )
    if request.force:
        shutil.rmtree(plan.run_dir, ignore_errors=True)  # this run key's cache entry, which the package wrote
    seconds = compute_run(
        plan, results_root=out, accelerator=accelerator, progress=True, provenance={"defaults_applied": defaults}
    )
    if "scores_written_by" not in seconds:
        print(
            f"wrote per-layer scores of {slug} on {dataset} to {out / 'layer_scores' / slug} in "
            f"{seconds['total']:.0f} s; compare the methods with: lle evaluate {out}"
        )


def _existing_scores(plan, out: Path):
    """The sidecar of this run's validation scores already in ``out`` (None if there are none)."""
    sidecar = score_path(plan.run.slug, plan.recipe.dataset, "validation", out).with_suffix(".json")
    try:
        return json.loads(sidecar.read_text()) if sidecar.is_file() else None
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None  # damaged: the run is incomplete, and recomputing it replaces only files the package wrote


def _remove_if_unused(out: Path, created: bool) -> None:
    """Remove an --out folder this call created if a failure left nothing in it but the marker and lock files:
    a failed run leaves no folder behind that it made for nothing."""
    if not created or not out.is_dir():
        return
    leftovers = [p for p in out.rglob("*") if p.is_file() and p.name != MARKER and not p.name.endswith(".lock")]
    if not leftovers:
        shutil.rmtree(out)
