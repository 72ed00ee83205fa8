"""The STC stage (hours on a CPU, resumable): features of the frozen backbones, then the probes.

    python scripts/compute_stc.py --part reproduction   # SST-2, MiniLM and MPNet (STC's own setting)
    python scripts/compute_stc.py --part comparison     # every backbone × the paper's three datasets

Features go to the git-ignored cache, results to results/stc/ (committed); both are reused when they match.
"""
import argparse

import torch

from lle.context import stc_features, stc_stage


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--part", choices=("reproduction", "comparison", "all"), default="all")
    parser.add_argument("--backbones", nargs="*", help="only these backbones (default: all of the part)")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.part in ("reproduction", "all"):
        run(stc_stage.reproduction_sources(), lambda backbone: stc_stage.REPRODUCTION_GRID, args.backbones)
    if args.part in ("comparison", "all"):
        run(stc_stage.comparison_sources(), stc_stage.comparison_grid, args.backbones)


def run(sources, grid_of, backbones) -> None:
    sources = [s for s in sources if not backbones or s.backbone in backbones]
    stc_features.compute_all(sources)
    for source in sources:
        print(source, stc_stage.run_source(source, grid_of(source.backbone)))


if __name__ == "__main__":
    main()
