"""The hidden-state form of the unified view (notebook 09): recompute the frozen-head runs' pooled states and heads
(checked against the committed scores), then compare head((1-b)h_L + b h_l) with the logit form. Resumable: pooled
states stay in the cache and a pair whose stored result matches its committed scores is skipped. Minutes per
pair on a CPU (pooling the training split dominates; goEmotions takes longest).

    python scripts/compute_hidden_form.py [--pairs SmolLM2-135M-Instruct-frozen-head:tweet_hate ...]
"""
import argparse

import torch

from lle.context import hidden_form_stage
from lle.experiments.analysis import open_study
from lle.progress import tqdm


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", nargs="*", default=[f"{r}:{d}" for r, d in hidden_form_stage.RUNS],
                        help="run:dataset, frozen-head runs only")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    pairs = [tuple(p.split(":", 1)) for p in args.pairs]
    study = open_study(runs=sorted({r for r, _ in pairs}), datasets=sorted({d for _, d in pairs}))
    for run, dataset in tqdm(pairs, desc="hidden-state form"):
        if hidden_form_stage.is_current(run, dataset, study):
            print(f"{run} / {dataset}: stored result is current")
            continue
        print("wrote", hidden_form_stage.compute(run, dataset, study))


if __name__ == "__main__":
    main()
