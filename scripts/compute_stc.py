"""The STC stage (hours on a CPU, resumable): features of the frozen backbones, then the probes.

    python scripts/compute_stc.py --part reproduction   # SST-2, MiniLM and MPNet (STC's own setting)
    python scripts/compute_stc.py --part comparison     # every backbone × the paper's three datasets
    python scripts/compute_stc.py --part plain          # plain logistic regression beside STC's single-layer probes

Features go to the git-ignored cache, results to results/stc/ and results/stc_plain/ (committed); both are reused
when they match.
"""

import argparse

import torch

from lle.context.stc import stage as stc_stage


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--part", choices=stc_stage.PARTS + ("all",), default="all")
    parser.add_argument("--backbones", nargs="*", help="only these backbones (default: all of the part)")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    parts = stc_stage.PARTS if args.part == "all" else (args.part,)
    print(stc_stage.compute_stage(parts, backbones=args.backbones or None))


if __name__ == "__main__":
    main()
