"""Figure output shared by the notebooks: PNG and PDF, reproducible bytes (no timestamps)."""
from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt

from lle.integrity import atomic_path
from lle.paths import figures_dir, relative_to_repo


def save_figure(fig: plt.Figure, name: str, directory=None) -> list[str]:
    """Write ``name.png`` and ``name.pdf``; returns the written paths, relative to the repository."""
    out = figures_dir(directory)
    written = []
    for suffix, metadata in ((".png", {"Software": None}), (".pdf", {"CreationDate": None, "Producer": None})):
        path = Path(out) / f"{name}{suffix}"
        with atomic_path(path) as temporary:  # a failed save never replaces a good figure
            fig.savefig(temporary, dpi=150, bbox_inches="tight", metadata=metadata)
        written.append(relative_to_repo(path))
    return written


def panel_grid(keys, *, rows_per_key: int = 1, panel_size=(4.2, 3.0)):
    """A grid with one column per dataset and ``rows_per_key`` rows per run, for per-(run, dataset) panels.

    ``keys`` are (run, dataset) pairs; returns the figure and {(run, dataset): [axes, ...]}. Panels for pairs
    that are absent are hidden, so every dataset stays in its own column however many runs are cached.
    """
    keys = list(dict.fromkeys(keys))
    runs = list(dict.fromkeys(run for run, _ in keys))
    datasets = sorted({dataset for _, dataset in keys})
    width, height = panel_size
    fig, axes = plt.subplots(len(runs) * rows_per_key, len(datasets), squeeze=False, layout="constrained",
                             figsize=(width * len(datasets), height * len(runs) * rows_per_key))
    panels = {}
    for r, run in enumerate(runs):
        for c, dataset in enumerate(datasets):
            block = [axes[r * rows_per_key + i][c] for i in range(rows_per_key)]
            if (run, dataset) in keys:
                panels[run, dataset] = block
            else:
                for ax in block:
                    ax.set_axis_off()
    return fig, panels
