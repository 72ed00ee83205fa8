"""Figure files (lle.store.figure_files): byte-reproducible PNG and PDF, figures shown rather than their paths,
and overlapping tick labels found."""

import matplotlib.pyplot as plt  # noqa: E402

from lle.store.figure_files import overlapping_tick_labels, save_figure  # noqa: E402


def _line_figure():
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot([0, 1], [1, 0])
    return fig


def test_save_figure_is_byte_reproducible(tmp_path):
    fig = _line_figure()
    first = save_figure(fig, "probe", tmp_path)
    blobs = [(tmp_path / name).read_bytes() for name in ("probe.png", "probe.pdf")]
    save_figure(fig, "probe", tmp_path)
    assert [(tmp_path / name).read_bytes() for name in ("probe.png", "probe.pdf")] == blobs
    assert [p.rsplit("/", 1)[-1] for p in first] == ["probe.png", "probe.pdf"]


def test_saved_figures_show_themselves_not_their_paths_and_are_closed(tmp_path):
    from lle.store.figure_files import WrittenFigure, figure_png, in_notebook

    fig = _line_figure()
    png = figure_png(fig)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png == figure_png(fig)  # byte-identical reruns
    written = save_figure(fig, "probe", tmp_path)
    assert isinstance(written, WrittenFigure) and written._ipython_display_() is None
    assert not plt.fignum_exists(fig.number) and not in_notebook()


def test_overlapping_tick_labels_are_found_and_the_steering_axis_has_none():
    import pandas as pd

    from lle.context.emotion.report import steering_figure

    fig, ax = plt.subplots(figsize=(2, 2))
    ax.set_xticks([0, 0.01, 0.02], ["a long label", "another long label", "a third"])
    assert len(overlapping_tick_labels(fig)) >= 1
    plt.close(fig)
    cells = pd.DataFrame(
        [
            {"layer": layer, "coefficient": c, "gain": 0.1 * c, "ppl_ratio": 1 + c}
            for layer in (3, 6)
            for c in (0.25, 0.5, 1.0, 4.0)
        ]
    )
    fig = steering_figure({"SmolLM2": cells, "MiniLM": cells})
    assert overlapping_tick_labels(fig) == [] and fig.axes[-1].get_xticklabels()[0].get_text() == "0.25"
    plt.close(fig)
