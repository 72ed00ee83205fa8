"""Compute the trained runs again with training seeds 1 and 2 (lle.runs.seeds), cheapest first.

    python scripts/compute_seeds.py                      # every pending seed of lle.runs.seeds.SEEDED_RUNS
    python scripts/compute_seeds.py --run gemma-3-270m-frozen-head --dataset tweet_hate

Resumable: cached seeds are skipped, an interrupted run resumes from its checkpoint. Needs the models (make models).
"""

import argparse
import json
import sys

from lle.runs.seeds import SEEDED_RUNS, compute_seeds, pending


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", help="one run slug of SEEDED_RUNS (default: all)")
    parser.add_argument("--dataset", help="with --run: one dataset (default: all it is seeded on)")
    args = parser.parse_args()
    only = None
    if args.run:
        only = [(r, d) for r, d in SEEDED_RUNS if r == args.run and (args.dataset is None or d == args.dataset)]
        if not only:
            parser.error(f"--run {args.run} --dataset {args.dataset} is not seeded; seeded runs: {list(SEEDED_RUNS)}")
    print(f"pending: {pending()}", flush=True)
    for record in compute_seeds(only=only):
        print(json.dumps(record), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
