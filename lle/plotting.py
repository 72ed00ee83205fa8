"""Figure output shared by the notebooks: PNG and PDF, reproducible bytes (no timestamps)."""
from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt

from lle.paths import figures_dir, relative_to_repo


def save_figure(fig: plt.Figure, name: str, directory=None) -> list[str]:
    """Write ``name.png`` and ``name.pdf``; returns the written paths, relative to the repository."""
    out = figures_dir(directory)
    written = []
    for suffix, metadata in ((".png", {"Software": None}), (".pdf", {"CreationDate": None, "Producer": None})):
        path = Path(out) / f"{name}{suffix}"
        fig.savefig(path, dpi=150, bbox_inches="tight", metadata=metadata)
        written.append(relative_to_repo(path))
    return written
