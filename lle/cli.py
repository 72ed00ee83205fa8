"""The command line: ``lle run`` computes per-layer scores of a model on your dataset, ``lle evaluate`` compares
standard, static-β and LLE classification on them. Thin over the library: every step is a public function.

Everything a run needs is checked before anything expensive starts: the flags, the output folder, the data files
(read once) and the model; a refused run writes nothing.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from pathlib import Path

MODES = {"finetune": "finetune", "frozen-head": "frozen", "zeroshot": "zeroshot"}
NAME_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_.-]*"
DEVICE_PATTERN = r"auto|cpu|mps|cuda(:\d+)?"


def _whole(minimum: int):
    def parse(text: str) -> int:
        if not re.fullmatch(r"\s*[+-]?\d+\s*", str(text)) or int(text) < minimum:
            raise argparse.ArgumentTypeError(f"must be a whole number >= {minimum}, got {text!r}")
        return int(text)

    return parse


def _rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(
            f"must be a finite number > 0, got {text!r} (e.g. 1e-3 for a head on frozen states, 2e-5 for fine-tuning)"
        )
    return value


def _number(minimum_text: str, example: str, *, zero_ok: bool = False):
    """An argparse type for a finite number > 0 (>= 0 with ``zero_ok``), whose message gives ``example``."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or value < 0 or (value == 0 and not zero_ok):
            raise argparse.ArgumentTypeError(f"must be a finite number {minimum_text}, got {text!r} ({example})")
        return value

    return parse


def _max_length(text: str):
    if str(text) == "auto":
        return None
    return _whole(1)(text)


def _name(text: str) -> str:
    if not re.fullmatch(NAME_PATTERN, text):
        raise argparse.ArgumentTypeError(
            f"{text!r} must be letters, digits, '_', '-' or '.', starting with a letter "
            "or digit (it names files and folders)"
        )
    return text


def _device(text: str) -> str:
    if not re.fullmatch(DEVICE_PATTERN, text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a device; use auto, cpu, cuda, cuda:N or mps")
    return text


def _parser() -> argparse.ArgumentParser:
    from lle.training.recipe import defaults_table

    parser = argparse.ArgumentParser(prog="lle", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser(
        "run",
        help="train (or prompt) a model on your data and cache per-layer scores",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="defaults by model family (matched on --model) and mode; a flag you pass overrides its default, and "
        "the score files' sidecar records which defaults were applied:\n" + defaults_table(),
    )
    run.add_argument("--model", required=True, help="Hub id or local directory of the model")
    for split in ("train", "validation", "test"):
        run.add_argument(
            f"--{split}",
            required=True,
            help=f"the {split} split: a .csv, .tsv or .jsonl file (UTF-8), or hub:<dataset id>[@<config>]:<split>",
        )
    run.add_argument("--text-column", default="text")
    run.add_argument("--label-column", default="label", help="class names, or class indices 0..K-1 (one label per row)")
    run.add_argument(
        "--mode",
        choices=sorted(MODES),
        default=None,
        help="default by model family: encoders finetune, others frozen-head (see below)",
    )
    run.add_argument("--epochs", type=_whole(1), help="default: see below")
    run.add_argument("--batch-size", type=_whole(1), help="default 16")
    run.add_argument("--learning-rate", type=_rate, help="default: see below")
    run.add_argument(
        "--max-length",
        type=_max_length,
        default=None,
        help="tokens, or 'auto' (the default: 99th percentile of the training split, at most the model's limit)",
    )
    run.add_argument(
        "--preprocess",
        choices=("authors", "none"),
        default="none",
        help="'authors': the paper's tweet preprocessing (slang, emoji, ekphrasis)",
    )
    run.add_argument("--max-train-samples", type=_whole(1), help="train on a seeded random subset of this size")
    run.add_argument(
        "--device",
        type=_device,
        default="auto",
        help="auto (CUDA when available), cpu, cuda or cuda:N; under `accelerate launch -m lle run ...` "
        "every process trains on its own device (data-parallel)",
    )
    run.add_argument(
        "--precision",
        choices=("fp32", "bf16", "fp16"),
        default="fp32",
        help="autocast precision of the forward pass (scores are always stored as float32)",
    )
    run.add_argument("--seed", type=_whole(0), default=0)
    run.add_argument(
        "--dataset", type=_name, help="dataset name for the score files (default: the train file's folder name)"
    )
    run.add_argument("--name", type=_name, help="run name (default: the model's last path part and the mode)")
    run.add_argument(
        "--out",
        required=True,
        type=Path,
        help="a new or empty folder (or one lle made) for scores, provenance and tables",
    )
    run.add_argument(
        "--force",
        action="store_true",
        help="recompute from scratch and replace this run's scores in --out, even if they are current "
        "or were made from other inputs",
    )
    verify = commands.add_parser(
        "verify",
        help="recompute cached runs from scratch and compare them with the cached scores",
        description="lle verify RUN DATASET (a run of the repository's results/), lle verify DIR (every run in the "
        "--out folder of lle run), or lle verify --all (every cached run, cheapest first, resumable; "
        "writes results/verification.csv)",
    )
    verify.add_argument("target", nargs="*", help="RUN DATASET, or DIR")
    verify.add_argument("--all", action="store_true", help="every cached run of results/, cheapest first")
    verify.add_argument(
        "--limit-seconds",
        type=_number("> 0", "e.g. 3600 for an hour of estimated cost"),
        help="with --all: stop starting runs once their estimated cost would pass this; the rest are listed as pending",
    )
    verify.add_argument(
        "--only",
        nargs=2,
        action="append",
        metavar=("RUN", "DATASET"),
        help="with --all: verify only this run (repeatable); the others keep their report rows",
    )
    verify.add_argument(
        "--seed",
        type=_whole(0),
        action="append",
        metavar="K",
        help="with --all: verify only training seed K of each run (repeatable; 0: the committed runs)",
    )
    verify.add_argument(
        "--keep",
        metavar="DIR",
        help="keep the recomputed score files under DIR (laid out like results/) to inspect or adopt them",
    )
    verify.add_argument(
        "--tolerance",
        type=_number(">= 0", "e.g. 1e-4, the default; 0 asks for identical values", zero_ok=True),
        default=None,
        help="largest |difference| of log-probability that counts as reproduced (default 1e-4; 0: bit-identical)",
    )
    evaluate = commands.add_parser("evaluate", help="compare standard, static and LLE on scores from lle run")
    evaluate.add_argument("directory", type=Path, help="the --out directory of lle run")
    evaluate.add_argument(
        "--n-resamples",
        type=_whole(1),
        default=2000,
        help="bootstrap and permutation resamples (below 1000 the p-values are coarse)",
    )
    return parser


def _dataset_name(args) -> str:
    default = args.train.split(":")[1] if args.train.startswith("hub:") else Path(args.train).resolve().parent.name
    return args.dataset or re.sub(r"[^A-Za-z0-9_-]+", "-", default).strip("-") or "data"


def _warn(message: str) -> None:
    print(f"lle run: warning: {message}", file=sys.stderr)


def prepare_run(args):
    """Everything ``lle run`` checks before it computes: (plan, recipe changes, applied defaults). Raises with a
    message naming the flag or file and the fix; writes nothing."""
    from lle import data
    from lle.models.device import check_placement
    from lle.models.resolve import check_model_argument
    from lle.paths import cache_dir
    from lle.runs.pipeline import Run, plan_run
    from lle.store.outputs import check_output_folder
    from lle.training.recipe import applied_defaults, family_recipe

    check_output_folder(args.out)
    cache_dir(create=False)  # a cache that cannot be one fails now, before any work (created when first written)
    check_placement(args.device, args.precision)
    check_model_argument(args.model)
    mode = MODES[args.mode] if args.mode else None
    if mode == "zeroshot" and args.epochs is not None:
        raise ValueError(f"--epochs {args.epochs} with --mode zeroshot: a zero-shot run trains nothing; drop --epochs")
    if mode == "zeroshot" and args.max_train_samples is not None:
        raise ValueError("--max-train-samples with --mode zeroshot: a zero-shot run trains nothing; drop it")
    for split, other in (("train", "test"), ("train", "validation"), ("validation", "test")):
        if getattr(args, split) == getattr(args, other):
            _warn(
                f"--{split} and --{other} are the same file ({getattr(args, split)}): scores on {other} then say "
                "nothing about unseen data"
            )
    dataset_name = _dataset_name(args)
    if dataset_name in data.DATASETS:
        given = f"--dataset {dataset_name}" if args.dataset else f"the train file's folder name {dataset_name!r}"
        raise ValueError(
            f"{given} is the name of one of the paper's datasets; name yours with --dataset (e.g. "
            f"--dataset my-{dataset_name})"
        )
    # Absolute paths: the sidecars record them, and lle verify must find the files from any folder.
    files = {
        split: getattr(args, split)
        if getattr(args, split).startswith("hub:")
        else str(Path(getattr(args, split)).expanduser().resolve())
        for split in ("train", "validation", "test")
    }
    source = data.FileDataset(dataset_name, files, text_column=args.text_column, label_column=args.label_column)
    for warning in source.validate():
        _warn(warning)
    if mode == "zeroshot" and all(name.isdigit() for name in source.label_names):
        _warn(
            "--mode zeroshot prompts the model with the class names, but your labels are indices "
            f"({', '.join(source.label_names[:5])}...); write class names in the label column for a meaningful prompt"
        )
    n_train = len(source.frame("train"))
    if args.max_train_samples is not None and args.max_train_samples >= n_train:
        _warn(
            f"--max-train-samples {args.max_train_samples} is not below the {n_train} training rows: all of them "
            "are used"
        )
    changes = dict(
        mode=mode,
        epochs=args.epochs,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        max_length=args.max_length,
        seed=args.seed,
        max_train_samples=args.max_train_samples,
        preprocessing=args.preprocess == "authors",
        label_words=tuple(source.label_names) if mode == "zeroshot" else None,
    )
    recipe = family_recipe(args.model, dataset_name, **changes)
    defaults = applied_defaults(args.model, changes)
    name = args.name or f"{Path(str(args.model)).name}-{recipe.mode}"
    plan = plan_run(Run(name, recipe), device=args.device, precision=args.precision, source=source)
    _check_max_length(plan, args.max_length)
    _warn_long_texts(plan)
    return plan, defaults


def _warn_long_texts(plan) -> None:
    """Say, per split, how many texts the token length cuts (the tokenizer would cut them without a word of ours)."""
    for split, (texts, _) in plan.splits().items():
        lengths = [len(ids) for ids in plan.tokenizer(list(texts))["input_ids"]]
        cut = sum(length > plan.max_length for length in lengths)
        if cut:
            _warn(
                f"{cut} of {len(texts)} {split} texts are longer than --max-length {plan.max_length} tokens and are "
                f"cut to their first {plan.max_length} (the longest has {max(lengths)}); pass a larger --max-length "
                "(up to the model's limit) to keep more of them"
            )


def _check_max_length(plan, asked) -> None:
    from lle.runs.pipeline import token_limit

    limit = token_limit(plan.tokenizer, plan.resolved.location)
    if asked is not None and limit is not None and asked > limit:
        raise ValueError(
            f"--max-length {asked} is above the model's limit of {limit} tokens; pass at most {limit}, "
            "or leave it out (auto)"
        )


def _existing_scores(plan, out: Path):
    """The sidecar of this run's validation scores already in ``out`` (None if there are none)."""
    import json

    from lle.store.scores import score_path

    sidecar = score_path(plan.run.slug, plan.recipe.dataset, "validation", out).with_suffix(".json")
    try:
        return json.loads(sidecar.read_text()) if sidecar.is_file() else None
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None  # damaged: the run is incomplete, and recomputing it replaces only files the package wrote


def run_command(args) -> int:
    """``lle run``: train (or read out) a model on the user's files and write per-layer scores to --out."""
    from lle.store.outputs import claim_output_folder
    from lle.store.run_folders import output_lock_path, run_lock
    from lle.training.parallel import accelerator_from_environment

    plan, defaults = prepare_run(args)
    taken = ", ".join(f"{k} {v}" for k, v in defaults["values"].items()) or "none"
    print(f"recipe: {plan.recipe.mode} ({defaults['family']} family); defaults applied: {taken}; run key {plan.key}")
    accelerator = accelerator_from_environment(args.precision)  # None unless under accelerate launch, N > 1
    created = not args.out.exists()
    claim_output_folder(args.out)
    writes = accelerator is None or accelerator.is_main_process  # helper processes of a launch write no outputs
    lock = (output_lock_path(args.out, plan.run.slug, plan.recipe.dataset),) if writes else ()
    try:
        # The check and the work under one lock: a second lle run into the same --out is refused, never mixed in.
        with run_lock(*lock, what=f"{plan.run.slug} / {plan.recipe.dataset} in {args.out}"):
            return _run_locked(args, plan, defaults, accelerator)
    except BaseException:
        _remove_if_unused(args.out, created)
        raise


def _run_locked(args, plan, defaults, accelerator) -> int:
    import shutil

    from lle.runs.pipeline import compute_run
    from lle.store.run_folders import completion

    existing = _existing_scores(plan, args.out)
    if existing and not args.force:
        done = completion(args.out, plan.run.slug, plan.recipe.dataset)
        if done is not None and done.get("run_key") == plan.key:
            print(
                f"{args.out} already holds the scores of {plan.run.slug} on {plan.recipe.dataset} made from these "
                f"inputs (run key {plan.key}); nothing to do (--force recomputes them)"
            )
            return 0
        if existing.get("run_key") != plan.key:
            raise ValueError(
                f"{args.out} already holds scores of run {plan.run.slug!r} on {plan.recipe.dataset!r} "
                f"made from other inputs (run key {existing.get('run_key')}, now {plan.key}); pass --name "
                "to keep both, or --force to replace them"
            )
        print(
            f"{args.out}: the scores of {plan.run.slug} on {plan.recipe.dataset} are incomplete (an earlier run was "
            "interrupted while writing them); computing them again, reusing the cached work"
        )
    if args.force:
        shutil.rmtree(plan.run_dir, ignore_errors=True)  # this run key's cache entry, which the package wrote
    seconds = compute_run(
        plan, results_root=args.out, accelerator=accelerator, progress=True, provenance={"defaults_applied": defaults}
    )
    if "scores_written_by" in seconds:
        return 0
    print(
        f"wrote per-layer scores of {plan.run.slug} on {plan.recipe.dataset} to "
        f"{args.out / 'layer_scores' / plan.run.slug} in {seconds['total']:.0f} s; compare the methods with: "
        f"lle evaluate {args.out}"
    )
    return 0


def _remove_if_unused(out: Path, created: bool) -> None:
    """Remove an --out folder this command created if a failure left nothing in it but the marker and lock files:
    a failed run leaves no folder behind that it made for nothing."""
    import shutil

    from lle.store.outputs import MARKER

    if not created or not out.is_dir():
        return
    leftovers = [p for p in out.rglob("*") if p.is_file() and p.name != MARKER and not p.name.endswith(".lock")]
    if not leftovers:
        shutil.rmtree(out)


def evaluate_command(args) -> int:
    """``lle evaluate``: Table 1 and the verdicts for the runs of an ``lle run`` output folder."""
    from lle.claims.protocols import VALIDATION
    from lle.claims.soundness import chance_warning
    from lle.runs import inventory
    from lle.store import formats
    from lle.store.outputs import require_output_folder
    from lle.study import analysis, findings

    directory = require_output_folder(args.directory, command="lle evaluate")
    if not any((directory / "layer_scores").glob("*/*.npz")):
        raise FileNotFoundError(
            f"{directory} holds no per-layer scores yet; compute them with lle run ... --out {directory}"
        )
    study = analysis.open_study(results_root=directory, out_dir=directory)
    table = analysis.table1(study, protocols=(VALIDATION,), n_resamples=args.n_resamples)
    layer_f1 = inventory.layer_f1(inventory.load_cached(results_root=directory), split="test")
    formats.write_csv(table, study.tables_dir / "comparison.csv")
    formats.write_csv(layer_f1, study.tables_dir / "layer_f1_test.csv")
    columns = [
        "model",
        "dataset",
        "method",
        "macro_f1",
        "delta_vs_standard",
        "ci_low",
        "ci_high",
        "p_holm",
        "decision",
        "classifier",
        "n_tied",
        "candidate_layers",
        "alpha",
        "beta",
        "target_layer",
    ]
    print(table[columns].round(4).to_string(index=False))
    print("\nearly-exit test macro-F1 per layer:")
    print(layer_f1.pivot_table(index=["run", "dataset"], columns="layer", values="macro_f1").round(3).to_string())
    warning = chance_warning(table)
    if warning:
        print(f"\nWARNING: {warning}", file=sys.stderr)
    print(
        f"\n{findings.findings_table1(table)}\n\nwritten: {study.tables_dir / 'comparison.csv'}, "
        f"{study.tables_dir / 'layer_f1_test.csv'}"
    )
    return 0


def verify_command(args) -> int:
    """``lle verify``: recompute cached runs from scratch and compare them with the cached scores."""
    from lle.paths import REPO_ROOT
    from lle.runs import verify
    from lle.store.outputs import claim_output_folder, require_output_folder
    from lle.store.scores import cached_runs

    tolerance = verify.TOLERANCE if args.tolerance is None else args.tolerance
    if (args.only or args.seed or args.limit_seconds is not None) and not args.all:
        flag = "--only RUN DATASET" if args.only else "--seed K" if args.seed else "--limit-seconds"
        raise ValueError(
            f"lle verify {flag} goes with --all; for one run pass RUN DATASET alone, for an lle run folder pass DIR"
        )
    keep = None
    if args.keep is not None:
        keep = claim_output_folder(args.keep, option="--keep")  # the rules of --out: never another's files
    if args.all:
        if args.target:
            raise ValueError("lle verify --all takes no RUN DATASET or DIR; drop one of them")
        only = None if args.only is None else {tuple(pair) for pair in args.only}
        report = verify.verify_all(
            REPO_ROOT / "results" / "verification.csv",
            limit_seconds=args.limit_seconds,
            only=only,
            seeds=None if args.seed is None else set(args.seed),
            keep_dir=keep,
            tolerance=tolerance,
        )
        print(
            report[
                ["run", "dataset", "seed", "split", "status", "max_difference", "seconds", "estimated_seconds"]
            ].to_string(index=False)
        )
        return 0 if (report.status != "differs").all() else 1
    if len(args.target) == 1:
        directory = require_output_folder(args.target[0], command="lle verify")
        pairs, results_root = sorted({(r, d) for r, d, _ in cached_runs(directory)}), directory
        if not pairs:
            raise FileNotFoundError(f"{directory} holds no per-layer scores; pass the --out folder of an lle run")
    elif len(args.target) == 2:
        pairs, results_root = [tuple(args.target)], None
        cached = sorted({(r, d) for r, d, _ in cached_runs()})
        if pairs[0] not in cached:
            raise FileNotFoundError(verify.unknown_run_message(*args.target, cached))
    else:
        raise ValueError("lle verify takes RUN DATASET, or DIR (the --out folder of lle run), or --all")
    ok = True
    for run, dataset in pairs:
        frame = verify.verify_run(run, dataset, results_root=results_root, keep_dir=keep)
        print(verify.describe(frame, tolerance))
        ok &= verify.verified(frame, tolerance)
    return 0 if ok else 1


def main(argv=None) -> int:
    """The ``lle`` command: parse ``argv`` and run the sub-command; a user error prints one line and returns 2."""
    from lle.models.resolve import ModelNotAvailableError
    from lle.store.run_folders import DiskFullError, RunInProgressError

    args = _parser().parse_args(argv)
    try:
        return {"run": run_command, "evaluate": evaluate_command, "verify": verify_command}[args.command](args)
    except (
        ValueError,
        FileNotFoundError,
        TypeError,
        KeyError,
        ModelNotAvailableError,
        PermissionError,
        RunInProgressError,
        DiskFullError,
    ) as error:
        print(f"lle {args.command}: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
