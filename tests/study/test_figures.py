"""Figure helpers: the per-(run, dataset) grid and reproducible figure files."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from lle.store.figure_files import overlapping_tick_labels  # noqa: E402


def _line_figure():
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot([0, 1], [1, 0])
    return fig


def _synthetic_study(tmp_path):
    import numpy as np

    from lle.store.scores import LayerScores, Pair
    from lle.study.analysis import Study

    def scores(seed):
        rng = np.random.default_rng(seed)
        labels = rng.integers(0, 4, 200)
        depth = np.linspace(0, 1, 5)[None, :, None]
        return LayerScores(np.eye(4)[labels][:, None] * 2 * depth + rng.normal(size=(200, 5, 4)), labels, {})

    return Study([Pair("run-a", "tweet_hate", scores(0), scores(1))], tmp_path, tmp_path)


def test_every_figure_names_its_metric_and_split(tmp_path):
    import numpy as np

    from lle.study import analysis, changes, figures

    study = _synthetic_study(tmp_path)
    table = analysis.table1(study, n_resamples=20)
    built = [
        figures.difference_dots(
            table[table.protocol != "none"],
            value="delta_vs_standard",
            facet="method",
            series="protocol",
            xlabel="test macro-F1 − standard (95% CI)",
            title="t",
        ),
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


def test_context_summary_figures_show_differences_per_pair_legibly():
    import pandas as pd

    from lle.context.stc.report import beside_figure
    from lle.context.unified.report import forms_summary_figure

    pairs = [("SmolLM2-135M-Instruct-frozen-head", d) for d in ("goemotions", "tweet_hate", "tweet_emotion")]
    summary = pd.DataFrame(
        [
            {"run": r, "dataset": d, "F1 hidden minus logit at beta_u = -1": -0.01 * i, "hidden minus logit": 0.005 * i}
            for i, (r, d) in enumerate(pairs)
        ]
    )
    beside = pd.DataFrame(
        [
            {"run": r, "dataset": d, "method": m, "test_macro_f1": 0.5 + 0.01 * j}
            for r, d in pairs
            for j, m in enumerate(("standard", "LLE static", "LLE dynamic", "STC (frozen)"))
        ]
    )
    for fig, expected in (
        (forms_summary_figure(summary), "hidden-state form − logit form"),
        (beside_figure(beside), "test macro-F1 − standard"),
    ):
        assert expected in fig.axes[0].get_xlabel() and overlapping_tick_labels(fig) == []
        assert len(fig.axes[0].get_yticklabels()) == len(pairs) and fig.get_size_inches()[0] <= 6.5
        plt.close(fig)
    dots = [line.get_xdata() for line in beside_figure(beside).axes[0].lines if len(line.get_xdata())]
    assert any(abs(x - 0.03) < 1e-9 for xs in dots for x in xs)  # STC − standard drawn as a difference


def _context_tables():
    """Small synthetic inputs in the shape of each context figure's table."""
    import numpy as np
    import pandas as pd

    runs, datasets, betas = (
        ["SmolLM2-135M-Instruct-frozen-head", "all-MiniLM-L6-v2-finetuned"],
        ["goemotions", "tweet_hate"],
        np.linspace(-2, 1, 13),
    )
    pairs = [(r, d) for r in runs for d in datasets]
    sweeps = pd.DataFrame(
        [
            dict(
                split="test",
                alpha=np.nan,
                run=r,
                dataset=d,
                layer=layer,
                unified_beta=b,
                macro_f1=0.4 - 0.05 * b * b + 0.01 * i,
                ece=0.1 + 0.02 * b,
                entropy=1 + 0.3 * b,
            )
            for r, d in pairs
            for i, layer in enumerate(["LLE amateur", "layer 3"])
            for b in betas
        ]
    )
    rows = pd.DataFrame(
        [
            dict(
                split="test",
                layer="LLE amateur",
                run=r,
                dataset=d,
                unified_beta=b,
                agreement=1 - abs(b) / 3,
                logit_macro_f1=0.4,
                hidden_macro_f1=0.38,
            )
            for r, d in pairs
            for b in betas
        ]
    )
    depth = [
        dict(backbone=b, dataset=d, relative_depth=layer / 6)
        for b in ("MiniLM", "MPNet")
        for d in ("sst2", "goemotions")
        for layer in range(7)
    ]
    curves = pd.DataFrame(
        [
            {**row, "curve": c, "test_macro_f1": 0.5 + 0.3 * row["relative_depth"]}
            for row in depth
            for c in ("single layer", "layers 0..l aggregated")
        ]
    )
    exits = pd.DataFrame([{**row, "early_exit_test_macro_f1": 0.4 + 0.3 * row["relative_depth"]} for row in depth])
    separation = pd.DataFrame(
        [
            dict(model=m, method=k, pooling=p, relative_depth=layer / 6, centroid_accuracy=0.2 + 0.05 * layer)
            for m in ("SmolLM2", "MiniLM", "MPNet")
            for k in ("comprehension", "generation")
            for p in ("token", "mean")
            for layer in range(7)
        ]
    )
    profiles = pd.DataFrame(
        [
            dict(model=m, measure=k, relative_depth=layer / 6, value=layer * (j + 1))
            for m in ("SmolLM2", "MiniLM")
            for j, k in enumerate(("separation", "probe F1"))
            for layer in range(7)
        ]
    )
    cells = pd.DataFrame(
        [
            {"layer": layer, "coefficient": c, "gain": 0.1 * c, "ppl_ratio": 1 + c}
            for layer in (3, 6)
            for c in (0.25, 0.5, 1.0, 4.0)
        ]
    )
    return dict(
        sweeps=sweeps, rows=rows, curves=curves, exits=exits, separation=separation, profiles=profiles, cells=cells
    )


def test_every_context_figure_renders_legibly_on_synthetic_tables():
    from lle.context.emotion import report as emotion_report
    from lle.context.stc import report as stc_report
    from lle.context.unified import report as unified_report

    t = _context_tables()
    built = {
        "axis": unified_report.axis_figure(t["sweeps"]),
        "entropy": unified_report.entropy_figure(t["sweeps"]),
        "rescaling": unified_report.rescaling_figure(t["sweeps"].assign(relative_depth=0.5, r2=0.9)),
        "forms": unified_report.forms_figure({"rows": t["rows"]}),
        "depth": stc_report.depth_figure(t["curves"], t["exits"]),
        "separation": emotion_report.separation_figure(t["separation"]),
        "profiles": emotion_report.profiles_figure(t["profiles"]),
        "steering": emotion_report.steering_figure({"SmolLM2": t["cells"], "MiniLM": t["cells"]}),
    }
    for name, fig in built.items():
        assert overlapping_tick_labels(fig) == [], name
        assert max(fig.get_size_inches()) <= 20, name
        labels = " ".join(ax.get_xlabel() + ax.get_ylabel() + ax.get_title() for ax in fig.axes)
        assert any(word in labels for word in ("test", "validation", "depth", "coefficient")), name
        plt.close(fig)
    assert built["steering"].axes[2].get_yscale() == "log"
