"""The command line: ``lle run`` computes per-layer scores of a model on your dataset, ``lle evaluate`` compares
standard, static-β and LLE classification on them, ``lle verify`` recomputes cached runs. It parses the flags and
delegates: :mod:`lle.runs.own_runs` checks and computes a run on your files (a refused run writes nothing),
:mod:`lle.study.analysis` compares, :mod:`lle.runs.verify` recomputes.
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
        "--recomputed",
        metavar="DIR",
        type=Path,
        help="compare with the recomputation an earlier --keep DIR holds (e.g. made on another machine) instead of "
        "recomputing",
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


def run_command(args) -> int:
    """``lle run``: train (or read out) a model on the user's files and write per-layer scores to --out."""
    from dataclasses import fields

    from lle.runs.own_runs import RunRequest, prepare_run, run_into_folder
    from lle.training.parallel import accelerator_from_environment

    flags = {field.name: getattr(args, field.name) for field in fields(RunRequest) if field.name != "mode"}
    request = RunRequest(**flags, mode=MODES[args.mode] if args.mode else None)
    plan, defaults = prepare_run(request)
    taken = ", ".join(f"{k} {v}" for k, v in defaults["values"].items()) or "none"
    print(f"recipe: {plan.recipe.mode} ({defaults['family']} family); defaults applied: {taken}; run key {plan.key}")
    run_into_folder(request, plan, defaults, accelerator_from_environment(args.precision))
    return 0


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
    if args.keep is not None and args.recomputed is not None:
        raise ValueError("lle verify --recomputed compares a kept recomputation as it is: drop --keep")
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
            recomputed=args.recomputed,
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
        frame = verify.verify_run(run, dataset, results_root=results_root, keep_dir=keep, recomputed=args.recomputed)
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
