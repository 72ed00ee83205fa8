"""The explorer's callbacks, without a browser: every setting recomputes from the cached scores."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from lle.store.figure_files import overlapping_tick_labels  # noqa: E402
from lle.store.scores import LayerScores, Pair  # noqa: E402
from lle.study import explorer as ex  # noqa: E402


@pytest.fixture
def synthetic():
    rng = np.random.default_rng(0)

    def split(n):
        labels = rng.integers(0, 3, n)
        depth = np.linspace(0, 1, 7)[None, :, None]
        return LayerScores(np.eye(3)[labels][:, None] * 2 * depth + rng.normal(size=(n, 7, 3)), labels, {})

    pair = Pair("run", "mine", split(120), split(150))
    return ex.Explorer(pair, ("calm", "angry", "happy"), tuple(f"text {i}" for i in range(150)))


def test_standard_changes_nothing_and_has_no_amateur(synthetic):
    result = ex.explore(synthetic, ex.settings_config("standard"))
    assert result.macro_f1["test"] == result.macro_f1["standard"]["test"]
    assert result.changed.empty and result.amateur_layers.empty and (result.per_class.change == 0).all()


@pytest.mark.parametrize("method, strength", [("static", {"beta": 1.5}), ("dynamic", {"target_layer": 9.0})])
def test_contrastive_settings_report_what_changed(synthetic, method, strength):
    config = ex.settings_config(method, alpha=0.2, candidate_layers=range(1, 5), **strength)
    result = ex.explore(synthetic, config, n_examples=3)
    test_predictions = __import__("lle").classify(synthetic.pair.test.log_probs, config)
    standard = synthetic.pair.test.log_probs[:, -1].argmax(-1)
    assert result.changed.attrs["n_changed"] == int((test_predictions != standard).sum()) > 0
    assert len(result.changed) == min(3, result.changed.attrs["n_changed"])
    first = result.changed.iloc[0]
    assert first.text == f"text {first['index']}" and first.before != first.after
    assert result.amateur_layers.sum() == 150 and list(result.amateur_layers.index) == [1, 2, 3, 4]
    assert result.per_class.support.sum() == 150 and "macro-F1 validation" in result.summary()
    fig = ex.exploration_figure(result)
    assert overlapping_tick_labels(fig) == [] and "test F1 − standard" in fig.axes[0].get_xlabel()


def test_controls_build_and_recompute_on_change(synthetic):
    box = ex.controls(synthetic)
    method, output = box.children[0], box.children[-1]
    assert len(box.children) == 7
    first = output.outputs[0]["text"]  # summary, changed predictions, figure: the widget's own state
    assert len(output.outputs) == 3 and output.outputs[2]["data"]["image/png"]
    method.value = "static"
    method.value = "standard"
    assert len(output.outputs) == 3 and output.outputs[0]["text"] != first


@pytest.mark.parametrize(
    "call, error, message",
    [
        (
            lambda e: ex.explore(e, ex.settings_config("standard"), n_examples=-1),
            ValueError,
            "n_examples must be a whole number >= 0",
        ),
        (lambda e: ex.explore(e, ex.settings_config("standard"), n_examples=2.5), ValueError, "e.g. n_examples=8"),
        (lambda e: ex.explore(e, "static"), TypeError, "config must be an lle.Config"),
        (lambda e: ex.settings_config("lle"), ValueError, "method must be 'standard', 'static' or 'dynamic'"),
        (lambda e: ex.settings_config("static", beta=0.5), ValueError, "needs candidate_layers"),
        (lambda e: ex.settings_config("dynamic", candidate_layers=[1, 2]), ValueError, "needs target_layer"),
    ],
)
def test_bad_explorer_arguments_fail_clearly(synthetic, call, error, message):
    with pytest.raises(error, match=message):
        call(synthetic)
