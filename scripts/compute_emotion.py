"""The emotion-vector stage (about an hour on a CPU; resumable per model): extraction and separation for every
model, then the steering sweep of the two decoders (the judge classifier is trained once, minutes).

    python scripts/compute_emotion.py [--models SmolLM2-135M-Instruct ...] [--no-steering]
"""

import argparse

import torch

from lle.context.emotion import stage
from lle.models.backbones import BACKBONES


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="*", default=list(BACKBONES))
    parser.add_argument("--no-steering", action="store_true")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    stage.compute_stage(args.models, steer=not args.no_steering)


if __name__ == "__main__":
    main()
