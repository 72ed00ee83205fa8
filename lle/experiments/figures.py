"""The figures of the notebooks, built from the analysis tables. Every axis names its metric and split; where the
point is a difference, the difference is plotted (with its 95% CI), not two bars on a 0-based axis."""
from __future__ import annotations

import html

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib import cm, colors

from lle.experiments.plotting import panel_grid
from lle.experiments.report import short_run

TITLE_SIZE = 10
_METRICS = (("macro_recall", "recall", "tab:green"), ("macro_precision", "precision", "tab:red"),
            ("macro_f1", "F1", "tab:blue"))


def _layers(text: str) -> str:
    """'11-11' reads 'layer 11'; '0-29' reads 'layers 0-29'."""
    first, _, last = str(text).partition("-")
    return f"layer {first}" if first == last else f"layers {text}"


def difference_dots(table: pd.DataFrame, *, value: str, facet: str, series: str, xlabel: str, title: str,
                    legend_labels: dict | None = None):
    """One panel per ``facet`` value, one row per (model, dataset), a dot with its 95% CI per ``series`` value
    (named in the legend by ``legend_labels`` where given)."""
    facets = list(dict.fromkeys(table[facet]))
    keys = list(dict.fromkeys(zip(table.model, table.dataset)))
    fig, axes = plt.subplots(1, len(facets), sharey=True, squeeze=False, layout="constrained",
                             figsize=(3.6 * len(facets) + 2.4, 0.9 + 0.32 * len(keys)))
    styles = dict(zip(dict.fromkeys(table[series]), ["tab:blue", "tab:orange", "tab:grey", "tab:purple"]))
    offsets = dict(zip(styles, np.linspace(-0.2, 0.2, len(styles)) if len(styles) > 1 else [0.0]))
    for ax, name in zip(axes[0], facets):
        for label, part in table[table[facet] == name].groupby(series, sort=False):
            y = np.array([keys.index(k) for k in zip(part.model, part.dataset)]) + offsets[label]
            ax.errorbar(part[value], y, xerr=[part[value] - part.ci_low, part.ci_high - part[value]], fmt="o",
                        ms=4, capsize=2, color=styles[label], label=(legend_labels or {}).get(label, str(label)))
        ax.axvline(0, color="k", lw=0.8)
        ax.set(title=str(name), xlabel=xlabel)
        ax.title.set_fontsize(TITLE_SIZE)
    axes[0][0].set(yticks=range(len(keys)), yticklabels=[f"{short_run(m)} · {d}" for m, d in keys])
    axes[0][0].invert_yaxis()
    axes[0][-1].legend(frameon=False, fontsize=8, loc="best")
    fig.suptitle(title, fontsize=TITLE_SIZE + 1)
    return fig


def target_layer_figure(curves: pd.DataFrame):
    """Figure 2: test macro recall, precision and F1 against ℓ_t (dashed: standard), one legend for all panels."""
    fig, panels = panel_grid(zip(curves.run, curves.dataset), panel_size=(4.0, 2.9))
    for (run, dataset), (ax,) in panels.items():
        part = curves[(curves.run == run) & (curves.dataset == dataset)]
        for metric, label, color in _METRICS:
            ax.plot(part.target_layer, part[metric], marker=".", ms=3, color=color, label=label)
            ax.axhline(part[f"standard_{metric}"].iloc[0], color=color, ls="--", lw=0.8)
        row = part.iloc[0]
        flat = " (flat: at α = 1 LLE = standard)" if row.alpha == 1 else ""
        ax.set(title=f"{short_run(run)} · {dataset}\nα = {row.alpha:g}, candidate {_layers(row.candidate_layers)}{flat}",
               xlabel="target layer $\\ell_t$", ylabel="test macro recall, precision, F1")
        ax.title.set_fontsize(TITLE_SIZE - 1)
    handles = [plt.Line2D([], [], color=c, marker=".", label=f"{label} (LLE)") for _, label, c in _METRICS]
    handles.append(plt.Line2D([], [], color="k", ls="--", lw=0.8, label="standard"))
    fig.legend(handles=handles, loc="outside upper center", ncol=4, frameon=False)
    return fig


def stability_figure(sweeps: pd.DataFrame):
    """Figure 3: test macro-F1 against the earliest candidate layer k; one curve per β (static) or ℓ_t (dynamic),
    coloured by value with a colorbar; β = 0 (= standard) drawn black and labelled."""
    fig, panels = panel_grid(zip(sweeps.run, sweeps.dataset), rows_per_key=2, panel_size=(4.0, 2.6))
    for (run, dataset), block in panels.items():
        part = sweeps[(sweeps.run == run) & (sweeps.dataset == dataset)]
        for ax, (method, value, cmap, symbol) in zip(block, [("static", "beta", "viridis", "β"),
                                                              ("dynamic", "target_layer", "plasma", "$\\ell_t$")]):
            curves = part[part.method == method]
            norm = colors.Normalize(curves[value].min(), curves[value].max())
            for level, curve in curves.groupby(value):
                standard = method == "static" and level == 0
                ax.plot(curve.earliest_candidate, curve.macro_f1, lw=1.6 if standard else 1,
                        color="k" if standard else plt.get_cmap(cmap)(norm(level)),
                        label="β = 0 (standard)" if standard else None)
            fig.colorbar(cm.ScalarMappable(norm=norm, cmap=cmap), ax=ax, label=symbol, pad=0.01)
            alpha = curves.alpha.iloc[0]
            flat = "; flat: at α = 1 LLE = standard" if alpha == 1 else ""
            ax.set(title=f"{short_run(run)}\n{dataset} · {method} (α = {alpha:g}{flat})",
                   xlabel="earliest candidate layer k", ylabel="test macro-F1")
            ax.title.set_fontsize(TITLE_SIZE - 1)
            if method == "static":
                ax.legend(frameon=False, fontsize=8)
        low, high = min(a.get_ylim()[0] for a in block), max(a.get_ylim()[1] for a in block)
        for ax in block:  # static and dynamic of one pair share a scale, so their spreads compare by eye
            ax.set_ylim(low, high)
    return fig


def per_class_figure(per_class: pd.DataFrame, *, label_top: int = 6):
    """Per-class change of test precision against recall (LLE − standard), one panel per run; dot size: support."""
    keys = list(dict.fromkeys(zip(per_class.model, per_class.dataset)))
    fig, axes = plt.subplots(1, len(keys), squeeze=False, layout="constrained", figsize=(3.8 * len(keys), 3.6))
    for ax, (model, dataset) in zip(axes[0], keys):
        part = per_class[(per_class.model == model) & (per_class.dataset == dataset)]
        ax.scatter(part.recall_change, part.precision_change, s=8 + 400 * part.test_support / part.test_support.sum(),
                   alpha=0.6)
        for row in part.nlargest(label_top, "test_support").itertuples():
            ax.annotate(row[1], (row.recall_change, row.precision_change), fontsize=7)
        ax.axhline(0, color="k", lw=0.6)
        ax.axvline(0, color="k", lw=0.6)
        ax.set(title=f"{short_run(model)} · {dataset}", xlabel="test recall change (LLE − standard)",
               ylabel="test precision change")
        ax.title.set_fontsize(TITLE_SIZE)
    return fig


def display_text(text: str, width: int = 60) -> str:
    """A text as a figure title can show it: HTML entities decoded, emoji named, shortened to ``width``."""
    import emoji

    text = emoji.demojize(html.unescape(text))
    return text if len(text) <= width else text[: width - 3] + "..."


def heatmap_figure(probabilities, titles, class_names, amateurs, *, suptitle: str, columns: int = 3):
    """Per example, every shown class's probability across layers (x: hidden-state layer; cyan: amateur).
    ``probabilities`` is a list of (n_layers, n_shown) arrays with ``class_names`` a list of the shown names."""
    n = len(probabilities)
    rows = int(np.ceil(n / columns))
    fig, axes = plt.subplots(rows, min(n, columns), squeeze=False, layout="constrained",
                             figsize=(4.2 * min(n, columns), 3.4 * rows))
    top = max(float(p.max()) for p in probabilities)
    for ax, probs, title, names, amateur in zip(axes.flat, probabilities, titles, class_names, amateurs):
        image = ax.imshow(probs.T, aspect="auto", cmap="magma", vmin=0, vmax=top)
        ax.set(yticks=range(len(names)), yticklabels=names, xlabel="layer (hidden-state index)")
        ax.axvline(amateur, color="cyan", lw=1)
        ax.set_title(title, fontsize=8)
    for ax in list(axes.flat)[n:]:
        ax.set_axis_off()
    fig.colorbar(image, ax=axes.ravel().tolist(), shrink=0.8, label="class probability")
    fig.suptitle(suptitle, fontsize=TITLE_SIZE)
    return fig


def layer_f1_figure(layer_f1: pd.DataFrame, published: dict, *, split: str = "validation"):
    """Early-exit macro-F1 against relative depth, one panel per dataset, one colour per run (the same in every
    panel), with published reference lines."""
    datasets = sorted(layer_f1.dataset.unique())
    colors = {run: f"C{i}" for i, run in enumerate(sorted(layer_f1.run.unique()))}
    fig, axes = plt.subplots(1, len(datasets), figsize=(4.6 * len(datasets), 3.6), squeeze=False,
                             layout="constrained")
    for ax, dataset in zip(axes[0], datasets):
        for run, part in layer_f1[layer_f1.dataset == dataset].groupby("run"):
            ax.plot(part.relative_depth, part.macro_f1, marker=".", color=colors[run], label=run)
        for value, label, style in published.get(dataset, []):
            ax.axhline(value, ls=style, color="k", lw=1, label=label)
        ax.set(title=dataset, xlabel="relative depth $\\ell / L$", ylabel=f"macro-F1 ({split})", ylim=(0, None))
    legend = {label: handle for ax in axes[0] for handle, label in zip(*ax.get_legend_handles_labels())}
    fig.legend(legend.values(), legend.keys(), loc="outside lower center", ncols=3, fontsize=8, frameon=False)
    return fig


def pair_labels(frame: pd.DataFrame) -> pd.Series:
    return frame.run.map(short_run) + " · " + frame.dataset


def change_dots(long: pd.DataFrame, *, x: str, hue: str, xlabel: str, title: str, palette):
    """One row per (run, dataset), one dot per ``hue`` level, a zero line: the summary shape of a per-pair claim."""
    import seaborn as sns

    pairs = long.pair.nunique()
    fig, ax = plt.subplots(figsize=(6.4, 0.9 + 0.3 * pairs), layout="constrained")
    sns.pointplot(long, x=x, y="pair", hue=hue, palette=palette, dodge=0.4, linestyle="none", markers="o",
                  markersize=4, ax=ax)
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
        id_vars="pair", value_vars=["recall_change", "precision_change"], var_name="metric", value_name="change")
    long["metric"] = long.metric.map({"recall_change": "macro recall", "precision_change": "macro precision"})
    return change_dots(long, x="change", hue="metric", palette={"macro recall": "tab:green",
                                                                 "macro precision": "tab:red"},
                        xlabel="test change, farthest − nearest target layer", title="Extrapolating further")


def stability_summary_figure(spreads: pd.DataFrame, summary: str = "median_spread_over_k"):
    """Figure 3's claim in one panel: per pair, how much test macro-F1 moves as the earliest candidate layer k varies
    (``summary``: the median or the maximum over each method's curves; the claim: dynamic moves less than static)."""
    long = spreads.assign(pair=pair_labels(spreads))
    over = "median" if summary == "median_spread_over_k" else "maximum"
    return change_dots(long, x=summary, hue="method", palette={"static": "tab:orange", "dynamic": "tab:blue"},
                        xlabel=f"test macro-F1 spread over k (max − min, {over} over curves)",
                        title="Sensitivity to the earliest candidate layer")
