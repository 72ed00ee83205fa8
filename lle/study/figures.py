"""The figures of the notebooks, built from the analysis tables with seaborn. Every axis names its metric and
split; where the point is a difference, the difference is plotted (with its 95% CI), not two bars on a 0-based
axis. Figures meant for the report have one panel; the per-(run, dataset) panel figures are for the notebooks."""

from __future__ import annotations

import html
import warnings

import emoji
import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
import seaborn.objects as so

from lle.store.formats import short_run

TITLE_SIZE = 10
THEME = {
    **sns.axes_style("whitegrid"),
    "axes.titlesize": TITLE_SIZE - 1,
    "axes.labelsize": 9,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "legend.fontsize": 8,
    "legend.title_fontsize": 8,
}
_METRICS = {
    "macro_recall": ("recall", "tab:green"),
    "macro_precision": ("precision", "tab:red"),
    "macro_f1": ("F1", "tab:blue"),
}


def _layers(text: str) -> str:
    """'11-11' reads 'layer 11'; '0-29' reads 'layers 0-29'."""
    first, _, last = str(text).partition("-")
    return f"layer {first}" if first == last else f"layers {text}"


def pair_labels(frame: pd.DataFrame, run: str = "run") -> pd.Series:
    """'SmolLM2 (frozen head) · goemotions' per row: the label of a (run, dataset) pair."""
    return frame[run].map(short_run) + " · " + frame.dataset


def draw(plot: so.Plot, size, target=None) -> plt.Figure:
    """Render a seaborn.objects plot in the package's theme onto ``target`` (a new constrained figure of ``size``
    inches by default) and return the figure it was drawn on."""
    target = target if target is not None else plt.figure(figsize=size, layout="constrained")
    with warnings.catch_warnings():  # seaborn 0.13.2 passes pandas 3's deprecated copy= to concat; harmless
        warnings.filterwarnings("ignore", message="The copy keyword is deprecated")
        plot.theme(THEME).on(target).plot()
    return getattr(target, "figure", None) or target  # a subfigure's figure, or the figure itself


def panel_order(frame: pd.DataFrame) -> tuple[list[str], int]:
    """The ``panel`` values in order of appearance (run by run) and the number of columns, one per dataset (so a
    dataset keeps its column when every run has it)."""
    return list(dict.fromkeys(frame.panel)), frame.dataset.nunique()


def difference_dots(
    table: pd.DataFrame,
    *,
    value: str,
    facet: str,
    series: str,
    xlabel: str,
    title: str,
    legend_labels: dict | None = None,
):
    """One panel per ``facet`` value, one row per (model, dataset), a dot with its 95% CI per ``series`` value
    (named in the legend by ``legend_labels`` where given)."""
    data = table.assign(
        pair=pair_labels(table, "model"), series=table[series].map(lambda s: (legend_labels or {}).get(s, str(s)))
    )
    facets = list(dict.fromkeys(data[facet]))
    plot = (
        so.Plot(data, x=value, y="pair", color="series", xmin="ci_low", xmax="ci_high")
        .facet(col=facet, order=facets)
        .add(so.Range(), so.Dodge())
        .add(so.Dot(pointsize=4), so.Dodge())
        .label(x=xlabel, y="", color="", title=str)
    )
    fig = draw(plot, (3.6 * len(facets) + 2.4, 0.9 + 0.32 * data.pair.nunique()))
    for ax in fig.axes:
        ax.axvline(0, color="k", lw=0.8)
    fig.suptitle(title, fontsize=TITLE_SIZE + 1)
    return fig


def target_layer_figure(curves: pd.DataFrame):
    """Figure 2: test macro recall, precision and F1 against ℓ_t (dashed: standard), one panel per pair."""
    curves = curves.assign(
        panel=[
            f"{short_run(r.run)} · {r.dataset}\nα = {r.alpha:g}, candidate {_layers(r.candidate_layers)}"
            + (" (flat: α = 1)" if r.alpha == 1 else "")
            for r in curves.itertuples()
        ]
    )
    long = curves.melt(id_vars=["panel", "dataset", "target_layer"], value_vars=list(_METRICS), var_name="metric")
    standard = curves.melt(
        id_vars=["panel", "dataset", "target_layer"], value_vars=[f"standard_{m}" for m in _METRICS], var_name="metric"
    )
    standard["metric"] = standard.metric.str.removeprefix("standard_")
    for frame in (long, standard):
        frame["metric"] = frame.metric.map(lambda m: _METRICS[m][0])
    order, columns = panel_order(curves)
    palette = {label: colour for label, colour in _METRICS.values()}
    plot = (
        so.Plot(long, x="target_layer", y="value", color="metric")
        .facet(col="panel", wrap=columns, order=order)
        .share(y=False)
        .add(so.Line(linewidth=1, marker=".", pointsize=3))
        .add(so.Line(linewidth=0.8, linestyle="--"), data=standard, legend=False)
        .scale(color=palette)
        .label(x="target layer $\\ell_t$", y="test macro score (dashed: standard)", color="", title=str)
    )
    return draw(plot, (4.0 * columns + 1.2, 2.9 * -(-len(order) // columns)))


def stability_figure(sweeps: pd.DataFrame):
    """Figure 3: test macro-F1 against the earliest candidate layer k, one curve per β (static, left) or ℓ_t
    (dynamic, right) coloured by its value; β = 0 (= standard) drawn black. A pair's two panels share a scale."""
    sweeps = sweeps.assign(panel=pair_labels(sweeps))
    order = list(dict.fromkeys(sweeps.panel))
    fig = plt.figure(figsize=(10.5, 2.6 * len(order) + 0.4), layout="constrained")
    halves = fig.subfigures(1, 2)
    for half, (method, value, palette, symbol) in zip(
        halves, [("static", "beta", "viridis", "β"), ("dynamic", "target_layer", "plasma", "$\\ell_t$")]
    ):
        part = sweeps[sweeps.method == method]
        titles = {
            p: f"{method}: {p} (α = {a:g}" + ("; flat: at α = 1 LLE = standard)" if a == 1 else ")")
            for p, a in zip(part.panel, part.alpha)
        }
        plot = (
            so.Plot(part, x="earliest_candidate", y="macro_f1", color=value, group=value)
            .facet(row="panel", order=order)
            .share(y=False)
            .add(so.Line(linewidth=1))
            .scale(color=palette)
            .label(x="earliest candidate layer k", y="test macro-F1", color=symbol, title=titles.get)
        )
        if method == "static":
            plot = plot.add(so.Line(color="k", linewidth=1.8), data=part[part.beta == 0], legend=False)
        draw(plot, None, half)
        legend = fig.legends.pop()  # seaborn puts each half's legend on the parent figure: give it to its half
        half.axes[0].legend(
            legend.legend_handles,
            [t.get_text() for t in legend.texts],
            title=symbol,
            loc="upper left",
            bbox_to_anchor=(1.01, 1.0),
            frameon=False,
            fontsize=7,
        )
    for left, right in zip(halves[0].axes, halves[1].axes):  # static and dynamic of a pair compare by eye
        low, high = min(left.get_ylim()[0], right.get_ylim()[0]), max(left.get_ylim()[1], right.get_ylim()[1])
        left.set_ylim(low, high)
        right.set_ylim(low, high)
    fig.suptitle(
        "Test macro-F1 against the earliest candidate layer (black: β = 0, the standard classifier)",
        fontsize=TITLE_SIZE,
    )
    return fig


def per_class_figure(per_class: pd.DataFrame, *, label_top: int = 6):
    """Per-class change of test precision against recall (LLE − standard), one panel per run; dot size: support."""
    data = per_class.assign(panel=pair_labels(per_class, "model"))
    order = list(dict.fromkeys(data.panel))
    moved = data[(data.recall_change != 0) | (data.precision_change != 0)]  # unmoved classes would pile up at 0
    labelled = (
        moved.sort_values("test_support", ascending=False, kind="stable").groupby("panel", sort=False).head(label_top)
    )
    plot = (
        so.Plot(data, x="recall_change", y="precision_change")
        .facet(col="panel", order=order)
        .share(x=False, y=False)
        .add(so.Dot(alpha=0.6), pointsize="test_support", legend=False)
        .add(so.Text(fontsize=7, halign="left", valign="bottom"), data=labelled, text="class")
        .scale(pointsize=(2, 14))
        .label(x="test recall change (LLE − standard)", y="test precision change", title=str)
    )
    fig = draw(plot, (3.8 * len(order), 3.6))
    for ax in fig.axes:
        ax.axhline(0, color="k", lw=0.6)
        ax.axvline(0, color="k", lw=0.6)
    return fig


def display_text(text: str, width: int = 60) -> str:
    """A text as a figure title can show it: HTML entities decoded, emoji named, shortened to ``width``."""
    text = emoji.demojize(html.unescape(text))
    return text if len(text) <= width else text[: width - 3] + "..."


def heatmap_figure(probabilities, titles, class_names, amateurs, *, suptitle: str, columns: int = 3):
    """Per example, every shown class's probability across layers (x: hidden-state layer; cyan: amateur).
    ``probabilities`` is a list of (n_layers, n_shown) arrays with ``class_names`` a list of the shown names."""
    n = len(probabilities)
    rows = -(-n // columns)
    fig, axes = plt.subplots(
        rows, min(n, columns), squeeze=False, layout="constrained", figsize=(4.2 * min(n, columns), 3.4 * rows)
    )
    top = max(float(p.max()) for p in probabilities)
    for ax, probs, title, names, amateur in zip(axes.flat, probabilities, titles, class_names, amateurs):
        sns.heatmap(
            pd.DataFrame(probs.T, index=names),
            ax=ax,
            cmap="magma",
            vmin=0,
            vmax=top,
            cbar=False,
            xticklabels=max(1, len(probs) // 8),
            yticklabels=True,
        )  # at most ~8 layer labels: legible
        ax.axvline(amateur + 0.5, color="cyan", lw=1)  # heatmap cells are centred on i + 0.5
        ax.set(xlabel="layer (hidden-state index)")
        ax.tick_params(axis="y", rotation=0)  # class names read horizontally
        ax.set_title(title, fontsize=8)
    for ax in list(axes.flat)[n:]:
        ax.set_axis_off()
    fig.colorbar(axes.flat[0].collections[0], ax=axes.ravel().tolist(), shrink=0.8, label="class probability")
    fig.suptitle(suptitle, fontsize=TITLE_SIZE)
    return fig


def layer_f1_figure(layer_f1: pd.DataFrame, published: dict, *, split: str = "validation"):
    """Early-exit macro-F1 against relative depth, one panel per dataset, one colour per run (the same in every
    panel), with published reference lines labelled where they are drawn."""
    datasets = sorted(layer_f1.dataset.unique())
    plot = (
        so.Plot(layer_f1, x="relative_depth", y="macro_f1", color="run")
        .facet(col="dataset", order=datasets)
        .add(so.Line(marker=".", pointsize=3))
        .limit(y=(0, None))
        .label(x="relative depth $\\ell / L$", y=f"macro-F1 ({split})", color="", title=str)
    )
    fig = draw(plot, (4.6 * len(datasets) + 3.0, 3.6))
    for ax, dataset in zip(fig.axes, datasets):
        for value, label, style in published.get(dataset, []):
            ax.set_ylim(0, max(ax.get_ylim()[1], 1.1 * value))  # the reference is drawn after seaborn's limits
            ax.axhline(value, ls=style, color="k", lw=1)
            ax.annotate(label, (0.01, value), xycoords=("axes fraction", "data"), fontsize=6.5, va="bottom")
    return fig


def change_dots(long: pd.DataFrame, *, x: str, hue: str, xlabel: str, title: str, palette):
    """One row per (run, dataset), one dot per ``hue`` level, a zero line: the summary shape of a per-pair claim."""
    pairs = long.pair.nunique()
    fig, ax = plt.subplots(figsize=(6.4, 0.9 + 0.3 * pairs), layout="constrained")
    sns.pointplot(
        long, x=x, y="pair", hue=hue, palette=palette, dodge=0.4, linestyle="none", markers="o", markersize=4, ax=ax
    )
    ax.axvline(0, color="k", lw=0.8)
    ax.xaxis.set_major_locator(plt.MaxNLocator(6))  # signed labels such as "−0.025" need room
    ax.set(xlabel=xlabel, ylabel="", title=title)
    ax.title.set_fontsize(TITLE_SIZE)
    ax.legend(frameon=False, fontsize=8, title=None, loc="best")
    return fig


def target_layer_summary_figure(trends: pd.DataFrame):
    """Figure 2's claim in one panel: per pair, the change of test macro recall and precision from the nearest to the
    farthest target layer (the claim: recall rises, precision falls)."""
    long = trends.assign(pair=pair_labels(trends)).melt(
        id_vars="pair", value_vars=["recall_change", "precision_change"], var_name="metric", value_name="change"
    )
    long["metric"] = long.metric.map({"recall_change": "macro recall", "precision_change": "macro precision"})
    return change_dots(
        long,
        x="change",
        hue="metric",
        palette={"macro recall": "tab:green", "macro precision": "tab:red"},
        xlabel="test change, farthest − nearest target layer",
        title="Extrapolating further",
    )


def stability_summary_figure(spreads: pd.DataFrame, summary: str = "median_spread_over_k"):
    """Figure 3's claim in one panel: per pair, how much test macro-F1 moves as the earliest candidate layer k varies
    (``summary``: the median or the maximum over each method's curves; the claim: dynamic moves less than static)."""
    long = spreads.assign(pair=pair_labels(spreads))
    over = "median" if summary == "median_spread_over_k" else "maximum"
    return change_dots(
        long,
        x=summary,
        hue="method",
        palette={"static": "tab:orange", "dynamic": "tab:blue"},
        xlabel=f"test macro-F1 spread over k (max − min, {over} over curves)",
        title="Sensitivity to the earliest candidate layer",
    )
