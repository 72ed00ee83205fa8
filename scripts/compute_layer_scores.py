"""Run the expensive stage for the paper's runs: train, read out every layer, cache with provenance.

    python scripts/compute_layer_scores.py --run all-MiniLM-L6-v2-finetuned --dataset goemotions
    python scripts/compute_layer_scores.py --all            # every run in lle.runs.pipeline.PAPER_RUNS
    python scripts/compute_layer_scores.py --run deberta-v3-large-paper --dataset goemotions --device cuda
        # the paper's own models (lle.runs.gpu.GPU_RUNS): a GPU and the Hub
Runs whose cache already exists are skipped unless --force. Interrupted training resumes from its checkpoint;
--force also deletes the run's checkpoints and pooled states (in the cache directory) and starts afresh.
"""

import argparse
import json
import shutil
import sys

from lle.runs.gpu import find_any_run
from lle.runs.pipeline import EVAL_SPLITS, PAPER_RUNS, compute_run
from lle.store.scores import score_path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", help="run slug, e.g. all-MiniLM-L6-v2-finetuned")
    parser.add_argument("--dataset", nargs="*", help="datasets (default: all three)")
    parser.add_argument("--all", action="store_true", help="every run in PAPER_RUNS")
    parser.add_argument("--force", action="store_true", help="recompute even if cached")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--device", default="cpu", help="cpu, auto (CUDA when available), cuda or cuda:N")
    parser.add_argument(
        "--precision",
        choices=("fp32", "bf16", "fp16"),
        default="fp32",
        help="autocast precision (scores are stored as float32 whatever it is)",
    )
    args = parser.parse_args()
    if args.all:
        runs = PAPER_RUNS
    elif args.run:
        datasets = args.dataset or sorted({r.recipe.dataset for r in PAPER_RUNS})
        runs = [find_any_run(args.run, d) for d in datasets]
    else:
        parser.error("give --run (and optionally --dataset) or --all")
    for run in runs:
        cached = all(score_path(run.slug, run.recipe.dataset, s).is_file() for s in EVAL_SPLITS)
        if cached and not args.force:
            print(f"cached, skipping: {run.slug} / {run.recipe.dataset}", flush=True)
            continue
        if args.force and run.run_dir.exists():
            print(f"--force: deleting {run.run_dir}", flush=True)
            shutil.rmtree(run.run_dir)
        print(f"computing {run.slug} / {run.recipe.dataset}", flush=True)
        seconds = compute_run(run, threads=args.threads, device=args.device, precision=args.precision)
        print(json.dumps({"run": run.slug, "dataset": run.recipe.dataset, "seconds": seconds}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
