"""The command line: ``lle run`` computes per-layer scores of a model on your dataset, ``lle evaluate`` compares
standard, static-β and LLE classification on them. Thin over the library: every step is a public function."""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

MODES = {"finetune": "finetune", "frozen-head": "frozen", "zeroshot": "zeroshot"}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lle", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="train (or prompt) a model on your data and cache per-layer scores")
    run.add_argument("--model", required=True, help="Hub id or local directory of the model")
    for split in ("train", "validation", "test"):
        run.add_argument(f"--{split}", required=True,
                         help=f"the {split} split: a .csv, .tsv or .jsonl file, or hub:<dataset id>[@<config>]:<split>")
    run.add_argument("--text-column", default="text")
    run.add_argument("--label-column", default="label")
    run.add_argument("--mode", choices=sorted(MODES), default=None,
                     help="default by model family: encoders finetune, others frozen-head")
    run.add_argument("--epochs", type=int)
    run.add_argument("--batch-size", type=int)
    run.add_argument("--learning-rate", type=float)
    run.add_argument("--max-length", default="auto", help="tokens, or 'auto' (99th percentile of the training split)")
    run.add_argument("--preprocess", choices=("authors", "none"), default="none",
                     help="'authors': the paper's tweet preprocessing (slang, emoji, ekphrasis)")
    run.add_argument("--max-train-samples", type=int, help="train on a seeded random subset of this size")
    run.add_argument("--device", default="auto", help="auto (CUDA when available), cpu, cuda or cuda:N; under "
                     "`accelerate launch -m lle run ...` every process trains on its own device (data-parallel)")
    run.add_argument("--precision", choices=("fp32", "bf16", "fp16"), default="fp32",
                     help="autocast precision of the forward pass (scores are always stored as float32)")
    run.add_argument("--seed", type=int, default=0)
    run.add_argument("--dataset", help="dataset name for the score files (default: the train file's folder name)")
    run.add_argument("--name", help="run name (default: the model's last path part and the mode)")
    run.add_argument("--out", required=True, type=Path, help="where scores, provenance and tables go")
    evaluate = commands.add_parser("evaluate", help="compare standard, static and LLE on scores from lle run")
    evaluate.add_argument("directory", type=Path, help="the --out directory of lle run")
    evaluate.add_argument("--n-resamples", type=int, default=2000, help="bootstrap and permutation resamples")
    return parser


def run_command(args) -> int:
    from lle import data
    from lle.experiments.pipeline import Run, compute_run
    from lle.models.parallel import accelerator_from_environment
    from lle.models.recipe import family_recipe

    default_name = (args.train.split(":")[1] if args.train.startswith("hub:") else Path(args.train).resolve().parent.name)
    dataset_name = args.dataset or re.sub(r"[^A-Za-z0-9_-]+", "-", default_name).strip("-") or "data"
    source = data.register_dataset(data.FileDataset(
        dataset_name, {"train": args.train, "validation": args.validation, "test": args.test},
        text_column=args.text_column, label_column=args.label_column))
    max_length = None if args.max_length == "auto" else _positive_int(args.max_length, "--max-length")
    mode = MODES[args.mode] if args.mode else None
    recipe = family_recipe(args.model, dataset_name, mode=mode, epochs=args.epochs, batch_size=args.batch_size,
                           learning_rate=args.learning_rate, max_length=max_length, seed=args.seed,
                           max_train_samples=args.max_train_samples,
                           preprocessing=args.preprocess == "authors",
                           label_words=tuple(source.label_names) if mode == "zeroshot" else None)
    name = args.name or f"{Path(str(args.model)).name}-{recipe.mode}"
    accelerator = accelerator_from_environment(args.precision)  # None unless under accelerate launch, N > 1
    seconds = compute_run(Run(name, recipe), results_root=args.out, device=args.device, precision=args.precision,
                          accelerator=accelerator)
    if "scores_written_by" in seconds:
        return 0
    print(f"wrote per-layer scores of {name} on {dataset_name} to {args.out / 'layer_scores' / name} "
          f"in {seconds['total']:.0f} s; compare the methods with: lle evaluate {args.out}")
    return 0


def evaluate_command(args) -> int:
    from lle.experiments import analysis, report, runs
    from lle.experiments.protocols import VALIDATION

    study = analysis.open_study(scores_dir=args.directory, out_dir=args.directory)
    table = analysis.table1(study, protocols=(VALIDATION,), n_resamples=args.n_resamples)
    layer_f1 = runs.layer_f1(runs.load_cached(scores_dir=args.directory), split="test")
    report.write_csv(table, study.tables_dir / "comparison.csv")
    report.write_csv(layer_f1, study.tables_dir / "layer_f1_test.csv")
    columns = ["model", "dataset", "method", "macro_f1", "delta_vs_standard", "ci_low", "ci_high", "p_holm",
               "decision", "n_tied", "candidate_layers", "alpha", "beta", "target_layer"]
    print(table[columns].round(4).to_string(index=False))
    print("\nearly-exit test macro-F1 per layer:")
    print(layer_f1.pivot_table(index=["run", "dataset"], columns="layer", values="macro_f1").round(3).to_string())
    print(f"\n{report.findings_table1(table)}\n\nwritten: {study.tables_dir / 'comparison.csv'}, "
          f"{study.tables_dir / 'layer_f1_test.csv'}")
    return 0


def _positive_int(text: str, name: str) -> int:
    if not str(text).isdigit() or int(text) < 1:
        raise SystemExit(f"{name} must be a positive integer or 'auto', got {text!r}")
    return int(text)


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    try:
        return run_command(args) if args.command == "run" else evaluate_command(args)
    except (ValueError, FileNotFoundError, TypeError) as error:
        print(f"lle {args.command}: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
