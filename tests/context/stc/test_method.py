"""Sparsify-then-Classify: features on tiny random models (oracles against HF), the η threshold, aggregation,
validation-only selection, fresh estimator copies, and the cached stage."""

import numpy as np
import pandas as pd
import pytest
import tiny_models

from lle.context.stc import method as stc

ALL = tiny_models.ENCODERS + tiny_models.DECODERS
TEXTS = ["i am so very happy", "sad", "the text is angry . i am glad and so very sad", "joy fear love"]


# --- features ------------------------------------------------------------------------------------------------


# --- the STC math ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "eta, n_kept", [(0.001, 1), (0.4, 1), (0.41, 2), (0.7, 2), (0.71, 3), (0.9, 3), (0.95, 4), (1.0, 4)]
)
def test_eta_keeps_the_shortest_prefix_reaching_the_weight_mass(eta, n_kept):
    importance = np.array([0.0, 1.0, 4.0, 2.0, 3.0, 0.0])  # total 10; ranked 2, 4, 3, 1 (cumulative 4, 7, 9, 10)
    assert stc.select_neurons(importance, eta).tolist() == [2, 4, 3, 1][:n_kept]


def test_eta_edge_cases():
    assert stc.select_neurons(np.zeros(5), 0.5).size == 0  # an all-zero probe keeps nothing
    assert stc.select_neurons(np.array([1.0, 0.0]), 1.0).tolist() == [0]  # zero weights are never needed
    assert stc.select_neurons(np.ones(4), 0.5).tolist() == [0, 1]  # equal importance: lower index first
    for bad in (0, -0.1, 1.5):
        with pytest.raises(ValueError, match="eta must lie in"):
            stc.select_neurons(np.ones(3), bad)
    with pytest.raises(ValueError, match="non-negative"):
        stc.select_neurons(np.array([1.0, -1.0]), 0.5)


def test_importance_sums_squared_weights_over_classes():
    weights = np.array([[1.0, -2.0, 0.0], [3.0, 0.0, 0.5]])
    np.testing.assert_allclose(stc.neuron_importance(weights), [10.0, 4.0, 0.25])
    np.testing.assert_allclose(stc.neuron_importance(np.array([2.0, -1.0])), [4.0, 1.0])


def test_aggregation_takes_the_kept_neurons_of_layers_up_to_l():
    kept = {1: np.array([2, 0]), 2: np.array([], dtype=int), 3: np.array([1])}
    assert [(layer, idx.tolist()) for layer, idx in stc.aggregate_columns(kept, 2)] == [(1, [2, 0])]
    assert [(layer, idx.tolist()) for layer, idx in stc.aggregate_columns(kept, 3)] == [(1, [2, 0]), (3, [1])]
    assert stc.aggregate_columns(kept, 0) == []
    features = np.arange(2 * 3 * 4).reshape(2, 3, 4)  # layers 1..3 stored at positions 0..2 (first_layer = 1)
    matrix = stc.aggregate(features, stc.aggregate_columns(kept, 3), first_layer=1)
    np.testing.assert_array_equal(matrix, np.stack([features[:, 0, 2], features[:, 0, 0], features[:, 2, 1]], 1))
    assert stc.aggregate(features, [], first_layer=1).shape == (2, 0)


def _toy(seed=0, n=120, width=6, classes=3):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, classes, n)
    features = rng.normal(size=(n, width))
    features[:, 0] += 2.0 * labels  # one informative feature
    return features, labels


def test_the_choice_reads_validation_only():
    train, validation = _toy(0), _toy(1)
    test = _toy(2)
    grid = stc.ProbeGrid(cs=(0.001, 0.1, 10.0))
    honest = stc.fit_and_score(train, validation, test, 3, grid)
    scrambled = stc.fit_and_score(train, validation, (test[0], np.random.default_rng(9).permutation(test[1])), 3, grid)
    assert honest.setting == scrambled.setting
    assert honest.validation == scrambled.validation
    table = pd.DataFrame(
        {
            "validation_macro_f1": [0.5, 0.7, 0.7, 0.6],
            "test_macro_f1": [0.9, 0.1, 0.2, 0.99],
            "n_features": [3, 9, 4, 1],
            "upto_layer": [0, 1, 2, 3],
        }
    )
    assert stc.choose(table).name == 2  # best validation, fewer features among the tie; test never looked at
    assert stc.choose(table.assign(test_macro_f1=table["test_macro_f1"][::-1].to_numpy())).name == 2
    with pytest.raises(ValueError, match="empty"):
        stc.choose(table.iloc[:0])


def test_every_fit_starts_from_a_fresh_copy(monkeypatch):
    """A shared (would-be warm-started) template is never fitted itself: each setting fits its own clone."""
    shared = {"probe": stc.probe_template(1.0, 100, 0)}

    def template(c, max_iter, seed, penalty="l1"):
        return shared["probe"]

    monkeypatch.setattr(stc, "probe_template", template)
    train = _toy(0)
    result = stc.fit_and_score(train, _toy(1), _toy(2), 3, stc.ProbeGrid(cs=(0.01, 1.0)))
    assert not hasattr(shared["probe"][-1], "estimators_")  # the template stayed unfitted
    assert result.weights.shape == (3, 6)


def test_probe_grid_rejects_bad_values():
    with pytest.raises(ValueError, match="ProbeGrid.cs"):
        stc.ProbeGrid(cs=())
    with pytest.raises(ValueError, match="ProbeGrid.etas"):
        stc.ProbeGrid(etas=(0.1, 2.0))


def test_layer_probes_and_aggregation_on_a_constructed_signal():
    """The signal lives in layer 2's feature 1: its probe is best, and aggregation from layer 2 on finds it."""
    rng = np.random.default_rng(0)
    labels = {name: rng.integers(0, 2, n) for name, n in (("train", 200), ("validation", 100), ("test", 100))}
    arrays = {}
    for name, y in labels.items():
        values = rng.normal(size=(len(y), 4, 5))
        values[:, 2, 1] += 3.0 * y
        arrays[name] = values
    splits = stc.FeatureSplits(
        arrays["train"], arrays["validation"], arrays["test"], labels, first_layer=0, n_classes=2
    )
    grid = stc.ProbeGrid(cs=(0.05, 0.5), etas=(0.5, 1.0))
    rows, importance = stc.layer_probes(splits, grid, progress=False)
    best = max(rows, key=lambda row: row["validation_macro_f1"])
    assert best["layer"] == 2 and best["validation_macro_f1"] > 0.85
    assert int(np.argmax(importance[2])) == 1
    curve = pd.DataFrame(stc.aggregation_curve(splits, importance, grid, progress=False))
    at_half = curve[curve["eta"] == 0.5].set_index("upto_layer")
    assert at_half.loc[3, "validation_macro_f1"] > at_half.loc[1, "validation_macro_f1"] + 0.2


# --- the cached stage --------------------------------------------------------------------------------------------


def test_trainable_parameters_follow_the_recipe():
    from lle.training.loops import trainable_parameters
    from lle.training.recipe import Recipe

    backbone = tiny_models.build("bert")
    total = sum(p.numel() for p in backbone.parameters())
    head = 32 * 128 + 128 + 128 * 5 + 5
    assert trainable_parameters(backbone, Recipe("m", "goemotions", mode="frozen"), 5) == head
    assert trainable_parameters(backbone, Recipe("m", "goemotions", mode="zeroshot"), 5) == 0
    assert trainable_parameters(backbone, Recipe("m", "goemotions"), 5) == total + head
    block = sum(p.numel() for p in backbone.encoder.layer[0].parameters())
    embeddings = sum(p.numel() for p in backbone.embeddings.parameters())
    partly = Recipe("m", "goemotions", frozen_blocks=2, freeze_embeddings=True)
    assert trainable_parameters(backbone, partly, 5) == total + head - 2 * block - embeddings
    assert all(p.requires_grad for p in backbone.parameters())  # counted on a copy


def test_the_plain_probe_differs_from_stcs_only_in_its_penalty():
    l1, l2 = (stc.probe_template(0.1, 100, 0, penalty) for penalty in ("l1", "l2"))
    estimator = {name: template[-1].estimator for name, template in (("l1", l1), ("l2", l2))}
    assert (estimator["l1"].l1_ratio, estimator["l2"].l1_ratio) == (1.0, 0.0)
    others = {k: v for k, v in estimator["l1"].get_params().items() if k != "l1_ratio"}
    assert others == {k: v for k, v in estimator["l2"].get_params().items() if k != "l1_ratio"}
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(200, 20)), rng.integers(0, 2, 200)
    dense, sparse = (stc.probe_weights(clone_fit(template, x, y)) for template in (l2, l1))
    assert np.count_nonzero(dense) == dense.size and np.count_nonzero(sparse) < sparse.size  # only L1 zeroes weights
    with pytest.raises(ValueError, match="penalty must be one of"):
        stc.probe_template(0.1, 100, 0, "elasticnet")


def clone_fit(template, x, y):
    from sklearn.base import clone

    return clone(template).fit(x, y)
