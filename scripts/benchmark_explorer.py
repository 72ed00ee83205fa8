"""How long one change of a setting takes in the explorer (notebook 12): ``explore`` on a cached run, goEmotions
by default (validation and test, 4,548 + 4,590 samples), timed with timeit over a sweep of settings.

    .venv/bin/python scripts/benchmark_explorer.py [--run RUN] [--dataset DATASET]

Prints the median and the slowest of the settings' median times; the figure is drawn separately and timed too.
"""

import argparse
import platform
import sys
import timeit

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from lle.study import explorer as ex  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", default="all-MiniLM-L6-v2-finetuned")
    parser.add_argument("--dataset", default="goemotions")
    args = parser.parse_args()
    explorer = ex.open_explorer(args.run, args.dataset)
    final = explorer.final_layer
    settings = [
        ex.settings_config("standard"),
        *[
            ex.settings_config("static", alpha=a, beta=b, candidate_layers=range(1, final), distance=d)
            for a in (0.1, 0.5)
            for b in (0.5, 2.0)
            for d in ("jsd", "cosine")
        ],
        *[
            ex.settings_config("dynamic", alpha=a, target_layer=t, candidate_layers=range(c, final))
            for a in (0.1, 0.5)
            for t in (final + 1, 2 * final)
            for c in (1, final // 2)
        ],
    ]
    times = [
        np.median(timeit.repeat(lambda config=config: ex.explore(explorer, config), number=1, repeat=5))
        for config in settings
    ]
    result = ex.explore(explorer, settings[-1])
    figure = np.median(timeit.repeat(lambda: plt.close(ex.exploration_figure(result)), number=1, repeat=5))
    print(
        f"{args.run} / {args.dataset}: {explorer.pair.validation.log_probs.shape[0]} validation + "
        f"{explorer.pair.test.log_probs.shape[0]} test samples, {len(settings)} settings "
        f"({platform.machine()}, {platform.python_version()})"
    )
    print(
        f"explore(): median {np.median(times) * 1000:.1f} ms, slowest setting {max(times) * 1000:.1f} ms; "
        f"figure: {figure * 1000:.0f} ms"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
