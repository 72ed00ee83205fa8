"""Figure output shared by the notebooks: shown inline, written as PNG and PDF, reproducible bytes (no timestamps)."""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib.pyplot as plt

from lle.integrity import atomic_path
from lle.paths import figures_dir, relative_to_repo

SCREEN_DPI = 110  # the inline copy: legible on GitHub and in JupyterLab without zooming


class WrittenFigure(list):
    """The paths :func:`save_figure` wrote. In a notebook the figure itself is shown (inline PNG), not this list."""

    def _ipython_display_(self) -> None:  # the figure was displayed where it was saved
        pass


def save_figure(fig: plt.Figure, name: str, directory=None) -> WrittenFigure:
    """Write ``name.png`` and ``name.pdf`` (for the report; reproducible bytes), show the figure inline when running
    in a notebook, close it, and return the written paths, relative to the repository. The PNG is rendered once:
    the file and the inline copy are the same bytes."""
    out = Path(figures_dir(directory))
    png = figure_png(fig)
    with atomic_path(out / f"{name}.png") as temporary:  # a failed save never replaces a good figure
        Path(temporary).write_bytes(png)
    with atomic_path(out / f"{name}.pdf") as temporary:
        fig.savefig(temporary, dpi=150, bbox_inches="tight", metadata={"CreationDate": None, "Producer": None})
    show_figure(fig, png)
    return WrittenFigure(relative_to_repo(out / f"{name}{suffix}") for suffix in (".png", ".pdf"))


def show_figure(fig: plt.Figure, png: bytes | None = None) -> None:
    """Display the figure inline as a PNG (``png`` if already rendered) when running in a notebook, whatever the
    matplotlib backend, then close it; outside a notebook only close it."""
    if in_notebook():
        from IPython.display import Image, display

        display(Image(data=png if png is not None else figure_png(fig, dpi=SCREEN_DPI)))
    plt.close(fig)


def figure_png(fig: plt.Figure, *, dpi: int = SCREEN_DPI) -> bytes:
    """The figure as PNG bytes without a timestamp or software tag, so reruns give identical bytes."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight", metadata={"Software": None})
    return buffer.getvalue()


def in_notebook() -> bool:
    """True inside a Jupyter kernel (JupyterLab, papermill, Binder, Colab); False in scripts and tests."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and "IPKernelApp" in getattr(shell, "config", {})


def overlapping_tick_labels(fig: plt.Figure) -> list[tuple[str, str]]:
    """Pairs of visible tick labels on one axis whose drawn extents overlap: a figure that prints
    "3×10⁻¹4×10⁻¹" instead of two labels. Draws the figure to measure the labels."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    clashes = []
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            labels = [t for t in axis.get_ticklabels(which="both") if t.get_visible() and t.get_text()]
            boxes = [t.get_window_extent(renderer) for t in labels]
            for i in range(len(labels)):
                for j in range(i + 1, len(labels)):
                    if boxes[i].overlaps(boxes[j]):
                        clashes.append((labels[i].get_text(), labels[j].get_text()))
    return clashes
