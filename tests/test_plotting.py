"""Figure helpers: the per-(run, dataset) grid and reproducible figure files."""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from lle.experiments.plotting import overlapping_tick_labels, panel_grid, save_figure  # noqa: E402


def test_panel_grid_puts_each_dataset_in_its_own_column_and_hides_missing_pairs():
    keys = [("a", "goemotions"), ("a", "tweet_hate"), ("b", "tweet_hate"), ("a", "goemotions")]
    fig, panels = panel_grid(keys, rows_per_key=2)
    assert set(panels) == {("a", "goemotions"), ("a", "tweet_hate"), ("b", "tweet_hate")}
    assert all(len(block) == 2 for block in panels.values())
    grid = fig.axes
    assert len(grid) == 2 * 2 * 2  # 2 runs × 2 rows each, 2 datasets
    columns = {ds: {ax.get_subplotspec().colspan.start for ax in panels[run, ds]} for run, ds in panels}
    assert columns == {"goemotions": {0}, "tweet_hate": {1}}
    hidden = [ax for ax in grid if not ax.axison]
    assert len(hidden) == 2  # run b has no goemotions panel


def test_save_figure_is_byte_reproducible(tmp_path):
    fig, panels = panel_grid([("a", "goemotions")])
    panels["a", "goemotions"][0].plot([0, 1], [1, 0])
    first = save_figure(fig, "probe", tmp_path)
    blobs = [(tmp_path / name).read_bytes() for name in ("probe.png", "probe.pdf")]
    save_figure(fig, "probe", tmp_path)
    assert [(tmp_path / name).read_bytes() for name in ("probe.png", "probe.pdf")] == blobs
    assert [p.rsplit("/", 1)[-1] for p in first] == ["probe.png", "probe.pdf"]


def _synthetic_study(tmp_path):
    import numpy as np

    from lle.experiments.analysis import Study
    from lle.experiments.cache import LayerScores, Pair

    def scores(seed):
        rng = np.random.default_rng(seed)
        labels = rng.integers(0, 4, 200)
        depth = np.linspace(0, 1, 5)[None, :, None]
        return LayerScores(np.eye(4)[labels][:, None] * 2 * depth + rng.normal(size=(200, 5, 4)), labels, {})

    return Study([Pair("run-a", "tweet_hate", scores(0), scores(1))], tmp_path, tmp_path)


def test_every_figure_names_its_metric_and_split(tmp_path):
    import numpy as np

    from lle.experiments import analysis, changes, figures

    study = _synthetic_study(tmp_path)
    table = analysis.table1(study, n_resamples=20)
    built = [
        figures.difference_dots(table[table.protocol != "none"], value="delta_vs_standard", facet="method",
                                series="protocol", xlabel="test macro-F1 − standard (95% CI)", title="t"),
        figures.target_layer_figure(analysis.target_layer_curves(study)),
        figures.stability_figure(analysis.earliest_layer_sweeps(study)),
        figures.per_class_figure(changes.changes_for_study(study, reference_class="not_hate")["per_class"]),
        figures.target_layer_summary_figure(analysis.extrapolation_trends(analysis.target_layer_curves(study))),
        figures.stability_summary_figure(analysis.sensitivity_spreads(analysis.earliest_layer_sweeps(study))),
    ]
    for fig in built:
        labels = " ".join(ax.get_xlabel() + " " + ax.get_ylabel() for ax in fig.axes)
        assert "test" in labels and ("F1" in labels or "score" in labels or "change" in labels)
        assert overlapping_tick_labels(fig) == [], fig.axes[0].get_title()
        assert max(fig.get_size_inches()) <= 20  # legible at page or screen width
        plt.close(fig)
    heat = figures.heatmap_figure([np.full((5, 3), 0.2)], ["a &amp; b"], [["x", "y", "z"]], [2], suptitle="s")
    assert heat.axes[0].get_xlabel().startswith("layer")
    assert figures.display_text("a &amp; b 😀") == "a & b :grinning_face:"


def test_saved_figures_show_themselves_not_their_paths_and_are_closed(tmp_path):
    from lle.experiments.plotting import WrittenFigure, figure_png, in_notebook

    fig, panels = panel_grid([("a", "goemotions")])
    panels["a", "goemotions"][0].plot([0, 1], [1, 0])
    png = figure_png(fig)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png == figure_png(fig)  # byte-identical reruns
    written = save_figure(fig, "probe", tmp_path)
    assert isinstance(written, WrittenFigure) and written._ipython_display_() is None
    assert not plt.fignum_exists(fig.number) and not in_notebook()


def test_overlapping_tick_labels_are_found_and_the_steering_axis_has_none():
    import pandas as pd

    from lle.context.steering_study import steering_figure

    fig, ax = plt.subplots(figsize=(2, 2))
    ax.set_xticks([0, 0.01, 0.02], ["a long label", "another long label", "a third"])
    assert len(overlapping_tick_labels(fig)) >= 1
    plt.close(fig)
    cells = pd.DataFrame([{"layer": layer, "coefficient": c, "gain": 0.1 * c, "ppl_ratio": 1 + c}
                          for layer in (3, 6) for c in (0.25, 0.5, 1.0, 4.0)])
    fig = steering_figure({"SmolLM2": cells, "MiniLM": cells})
    assert overlapping_tick_labels(fig) == [] and fig.axes[0].get_xticklabels()[0].get_text() == "0.25"
    plt.close(fig)


def test_context_summary_figures_show_differences_per_pair_legibly():
    import pandas as pd

    from lle.context.hidden_form import forms_summary_figure
    from lle.context.stc_report import beside_figure

    pairs = [("SmolLM2-135M-Instruct-frozen-head", d) for d in ("goemotions", "tweet_hate", "tweet_emotion")]
    summary = pd.DataFrame([{"run": r, "dataset": d, "F1 hidden minus logit at beta_u = -1": -0.01 * i,
                             "hidden minus logit": 0.005 * i} for i, (r, d) in enumerate(pairs)])
    beside = pd.DataFrame([{"run": r, "dataset": d, "method": m, "test_macro_f1": 0.5 + 0.01 * j}
                           for r, d in pairs for j, m in enumerate(("standard", "LLE static", "LLE dynamic",
                                                                   "STC (frozen)"))])
    for fig, expected in ((forms_summary_figure(summary), "hidden-state form − logit form"),
                          (beside_figure(beside), "test macro-F1 − standard")):
        assert expected in fig.axes[0].get_xlabel() and overlapping_tick_labels(fig) == []
        assert len(fig.axes[0].get_yticklabels()) == len(pairs) and fig.get_size_inches()[0] <= 6.5
        plt.close(fig)
    dots = [line.get_xdata() for line in beside_figure(beside).axes[0].lines if len(line.get_xdata())]
    assert any(abs(x - 0.03) < 1e-9 for xs in dots for x in xs)  # STC − standard drawn as a difference
