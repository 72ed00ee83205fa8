"""Copy a capped, label-stratified sample of a paper dataset into a folder the device check reads
(scripts/gpu_check.sh's GPU_CHECK_DATA; default .gpu/data, ignored by git), so the check needs no network.

    python scripts/gpu_sample.py --dataset tweet_hate --per-split 400 --out .gpu/data
"""

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from lle import data


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="tweet_hate", choices=sorted(data.DATASETS))
    parser.add_argument("--per-split", type=int, default=400, help="rows per split (at most)")
    parser.add_argument("--out", type=Path, default=Path(".gpu/data"))
    args = parser.parse_args()
    source = data.dataset_source(args.dataset)
    args.out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for split in ("train", "validation", "test"):
        frame = source.load(split).to_pandas()
        keep = np.sort(rng.choice(len(frame), min(args.per_split, len(frame)), replace=False))
        names = source.label_names
        sample = pd.DataFrame(
            {"text": frame.text.iloc[keep].to_numpy(), "label": [names[i] for i in frame.label.iloc[keep]]}
        )
        sample.to_csv(args.out / f"{split}.csv", index=False)
    print(f"wrote {args.per_split} rows per split of {args.dataset} to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
