"""The explorer: try the method on a cached run. Pick the method (standard, static β, LLE's dynamic β), α, β or ℓ_t, the
candidate layers and the distance, and see what changes: validation and test macro-F1, per-class F1 against standard,
which amateur layers were chosen, and test examples whose prediction changed.

Everything here is a plain function of the cached scores (:func:`explore`); notebook 12 only wires widgets to it, so
it is tested without a browser and recomputes in milliseconds (the scores are read once, by :func:`open_explorer`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

import lle
from lle import data
from lle.method.config import Config
from lle.method.metrics import classification_metrics, per_class_metrics
from lle.store.scores import Pair, load_pairs


@dataclass(frozen=True)
class Explorer:
    """One cached (run, dataset): its scores, class names and test texts (None where the texts are not at hand)."""

    pair: Pair
    class_names: tuple[str, ...]
    test_texts: tuple[str, ...] | None

    @property
    def final_layer(self) -> int:
        return self.pair.n_layers - 1


def open_explorer(run: str, dataset: str, *, results_root=None, data_dir=None) -> Explorer:
    """Read a cached pair once, with its class names and (for the paper's datasets, when the data are present) the
    test texts, so that each change of a setting only recomputes."""
    (pair,) = load_pairs(runs=[run], datasets=[dataset], results_root=results_root)
    texts = None
    if dataset in data.DATASETS:
        names = data.DATASETS[dataset].label_names
        try:
            texts = tuple(data.read_released_split(dataset, "test", data_dir=data_dir)["text"])
        except FileNotFoundError:
            texts = None  # the scores suffice; examples are then shown by index
    else:
        names = tuple(pair.test.provenance.get("data", {}).get("label_names") or range(pair.n_classes))
    return Explorer(pair, tuple(str(n) for n in names), texts)


def settings_config(
    method: str,
    *,
    alpha: float = 0.1,
    beta: float = 1.0,
    target_layer: float | None = None,
    candidate_layers=None,
    distance: str = "jsd",
) -> Config:
    """The :class:`lle.Config` the explorer's controls describe (unused controls are left out)."""
    if method not in ("standard", "static", "dynamic"):
        raise ValueError(f"method must be 'standard', 'static' or 'dynamic', got {method!r}")
    if method == "standard":
        return Config("standard")
    if candidate_layers is None:
        raise ValueError(
            f"settings_config({method!r}) needs candidate_layers, the layers the amateur is chosen "
            "from, e.g. candidate_layers=range(16, 24)"
        )
    if method == "dynamic" and target_layer is None:
        raise ValueError(
            "settings_config('dynamic') needs target_layer, a layer above the final one, e.g. "
            "target_layer=explorer.final_layer + 2"
        )
    strength = {"beta": beta} if method == "static" else {"target_layer": target_layer}
    return Config(method, candidate_layers=tuple(candidate_layers), alpha=alpha, distance=distance, **strength)


@dataclass(frozen=True)
class Exploration:
    """What one setting gives: macro-F1 on both splits (and standard's), per-class F1 change on test, the amateur
    layers chosen on test, and the test examples whose prediction changed."""

    config: Config
    macro_f1: dict
    per_class: pd.DataFrame
    amateur_layers: pd.Series
    changed: pd.DataFrame

    def summary(self) -> str:
        f1, base = self.macro_f1, self.macro_f1["standard"]
        return (
            f"{self.config.describe()} — macro-F1 validation {f1['validation']:.4f} (standard "
            f"{base['validation']:.4f}), test {f1['test']:.4f} (standard {base['test']:.4f}); "
            f"{self.changed.attrs['n_changed']} test predictions changed"
        )


def explore(explorer: Explorer, config: Config, *, n_examples: int = 8) -> Exploration:
    """Classify both splits with ``config`` and compare with standard classification; ``n_examples`` changed test
    examples are listed (a whole number >= 0)."""
    if not isinstance(config, Config):
        raise TypeError(
            f"config must be an lle.Config, got {type(config).__name__}; build it with "
            "settings_config(method, ...) or lle.Config(...)"
        )
    if isinstance(n_examples, bool) or not isinstance(n_examples, (int, np.integer)) or n_examples < 0:
        raise ValueError(
            f"n_examples must be a whole number >= 0 (how many changed examples to list), got "
            f"{n_examples!r}; e.g. n_examples=8"
        )
    pair, n_classes = explorer.pair, explorer.pair.n_classes
    predictions, standard, f1 = {}, {}, {"standard": {}}
    for split in ("validation", "test"):
        scores = getattr(pair, split)
        predictions[split] = lle.classify(scores.log_probs, config, allow_interpolation=True)
        standard[split] = scores.log_probs[:, -1].argmax(-1)
        f1[split] = float(classification_metrics(predictions[split], scores.labels, n_classes)["macro_f1"])
        f1["standard"][split] = float(classification_metrics(standard[split], scores.labels, n_classes)["macro_f1"])
    labels = pair.test.labels
    after, before = (per_class_metrics(p, labels, n_classes)["f1"] for p in (predictions["test"], standard["test"]))
    per_class = pd.DataFrame(
        {
            "class": explorer.class_names,
            "support": np.bincount(labels, minlength=n_classes),
            "standard_f1": before,
            "f1": after,
            "change": after - before,
        }
    )
    return Exploration(
        config,
        f1,
        per_class,
        amateur_histogram(pair, config),
        changed_examples(explorer, standard["test"], predictions["test"], n_examples),
    )


def amateur_histogram(pair: Pair, config: Config) -> pd.Series:
    """How many test samples chose each candidate layer as amateur (empty for standard classification)."""
    if config.method == "standard":
        return pd.Series(dtype=np.int64, name="samples")
    chosen = lle.select_amateur(pair.test.log_probs, candidate_layers=config.candidate_layers, distance=config.distance)
    counts = pd.Series(chosen).value_counts().reindex(config.candidate_layers, fill_value=0)
    return counts.rename_axis("amateur layer").rename("samples")


def changed_examples(explorer: Explorer, before: np.ndarray, after: np.ndarray, n_examples: int) -> pd.DataFrame:
    """The first ``n_examples`` test samples whose prediction changed: text, gold, before → after, and whether the
    change fixed or broke it."""
    names, labels = explorer.class_names, explorer.pair.test.labels
    rows = []
    for index in np.flatnonzero(before != after)[:n_examples]:
        text = explorer.test_texts[index] if explorer.test_texts else f"(test sample {index})"
        outcome = "fixed" if after[index] == labels[index] else "broke" if before[index] == labels[index] else "other"
        rows.append(
            {
                "index": int(index),
                "text": text,
                "gold": names[labels[index]],
                "before": names[before[index]],
                "after": names[after[index]],
                "outcome": outcome,
            }
        )
    changed = pd.DataFrame(rows, columns=["index", "text", "gold", "before", "after", "outcome"])
    changed.attrs["n_changed"] = int((before != after).sum())
    return changed


def exploration_figure(exploration: Exploration):
    """Two panels: test F1 change per class against standard (bars, sorted), and how often each candidate layer
    was the amateur on test."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    per_class = exploration.per_class.sort_values("change")
    height = max(3.0, 0.22 * len(per_class) + 1.0)
    fig, (left, right) = plt.subplots(
        1, 2, figsize=(10, height), layout="constrained", gridspec_kw={"width_ratios": (3, 2)}
    )
    colours = np.where(per_class.change >= 0, "tab:blue", "tab:red")
    sns.barplot(
        per_class,
        x="change",
        y="class",
        hue="class",
        palette=dict(zip(per_class["class"], colours)),
        legend=False,
        ax=left,
    )
    left.axvline(0, color="black", lw=0.8)
    left.set(xlabel="test F1 − standard (per class)", ylabel="", title="per-class change on test")
    histogram = exploration.amateur_layers
    if histogram.empty:
        right.text(0.5, 0.5, "standard classification\nhas no amateur", ha="center", va="center")
        right.set_axis_off()
    else:
        sns.barplot(x=histogram.index.astype(str), y=histogram.to_numpy(), color="tab:grey", ax=right)
        right.set(xlabel="amateur layer (hidden-state index)", ylabel="test samples", title="amateur layers chosen")
        step = max(1, len(histogram) // 12)  # at most about 12 labels, so none collide
        for position, label in enumerate(right.get_xticklabels()):
            label.set_visible(position % step == 0)
    return fig


def controls(explorer: Explorer):
    """ipywidgets for every setting, wired to :func:`explore`: each change recomputes and redraws. Returns the box
    to display (JupyterLab, Binder, Colab: ipywidgets alone, no server extension)."""
    import ipywidgets as widgets
    import matplotlib.pyplot as plt
    from IPython.display import Image

    from lle.store.figure_files import figure_png

    final = explorer.final_layer
    widget = {
        "method": widgets.ToggleButtons(
            options=["standard", "static", "dynamic"], value="dynamic", description="method"
        ),
        "alpha": widgets.FloatLogSlider(value=0.1, base=10, min=-3, max=0, step=0.1, description="α"),
        "beta": widgets.FloatSlider(value=1.0, min=0.0, max=5.0, step=0.05, description="β (static)"),
        "target_layer": widgets.FloatSlider(
            value=final + 2, min=final + 0.5, max=3 * final, step=0.5, description="ℓ_t (LLE)"
        ),
        "candidate_layers": widgets.IntRangeSlider(
            value=(max(0, final // 2), final - 1), min=0, max=final - 1, description="candidates"
        ),
        "distance": widgets.Dropdown(
            options=["jsd", "kl", "tv", "cosine", "released_cosine"], value="jsd", description="distance"
        ),
    }
    output = widgets.Output()

    def update(_=None):
        values = {name: w.value for name, w in widget.items()}
        first, last = values.pop("candidate_layers")
        config = settings_config(candidate_layers=range(first, last + 1), **values)
        result = explore(explorer, config)
        figure = exploration_figure(result)
        # The view is set as the Output widget's state, not captured with `with output:`: capture goes through the
        # frontend's message ids, and a kernel driven without one (papermill) can wait on it for ever.
        output.outputs = ()
        output.append_stdout(result.summary() + "\n")
        output.append_display_data(result.changed)
        output.append_display_data(Image(data=figure_png(figure)))
        plt.close(figure)

    for w in widget.values():
        w.observe(update, names="value")
    update()
    return widgets.VBox([*widget.values(), output])
