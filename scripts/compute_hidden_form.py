"""The hidden-state form of the unified view (notebook 09): recompute the frozen-head runs' pooled states and heads
(checked against the committed scores), then compare head((1-b)h_L + b h_l) with the logit form. Resumable: pooled
states stay in the cache and a pair whose stored result matches its committed scores is skipped. Minutes per
pair on a CPU (pooling the training split dominates; goEmotions takes longest).

    python scripts/compute_hidden_form.py [--pairs SmolLM2-135M-Instruct-frozen-head:tweet_hate ...]
"""

import argparse

import torch

from lle.context.unified import stage


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--pairs", nargs="*", default=[f"{r}:{d}" for r, d in stage.RUNS], help="run:dataset, frozen-head runs only"
    )
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    for pair, path in stage.compute_stage([tuple(p.split(":", 1)) for p in args.pairs]).items():
        print(" / ".join(pair) + ": " + (f"wrote {path}" if path else "stored result is current"))


if __name__ == "__main__":
    main()
