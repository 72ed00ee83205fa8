"""Sparsify-then-Classify: features on tiny random models (oracles against HF), the η threshold, aggregation,
validation-only selection, fresh estimator copies, and the cached stage."""

import json

import numpy as np
import pandas as pd
import pytest
import tiny_models
import torch

from lle.context.stc import feature_cache as stc_features
from lle.context.stc import method as stc
from lle.context.stc import stage as stc_stage
from lle.models.architectures import UnknownArchitectureError, backbone_of, ffn_modules
from lle.models.features import layer_features, token_pooling

ALL = tiny_models.ENCODERS + tiny_models.DECODERS
TEXTS = ["i am so very happy", "sad", "the text is angry . i am glad and so very sad", "joy fear love"]


# --- features ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ALL)
def test_every_architecture_has_an_ffn_hook_of_the_configured_width(name):
    model = tiny_models.build(name)
    features = layer_features(model, tiny_models.tiny_tokenizer(), TEXTS, max_length=16, progress=False)
    blocks = len(ffn_modules(model))
    width = getattr(model.config, "intermediate_size", None) or getattr(model.config, "d_ff", None) or 4 * 32
    assert features[("ffn", "mean")].shape == (len(TEXTS), blocks, width)
    assert features[("hidden", "max")].shape == (len(TEXTS), blocks + 1, 32)


@pytest.mark.parametrize("name", ["bert", "llama", "gpt2"])
def test_pooled_features_ignore_padding(name):
    """A text's features are the same alone and padded in a batch beside a longer text."""
    model, tokenizer = tiny_models.build(name), tiny_models.tiny_tokenizer()
    together = layer_features(model, tokenizer, TEXTS, max_length=16, batch_size=4, progress=False)
    for i, text in enumerate(TEXTS):
        alone = layer_features(model, tokenizer, [text], max_length=16, progress=False)
        for kind, values in alone.items():
            np.testing.assert_allclose(together[kind][i], values[0], atol=1e-4, rtol=1e-4, err_msg=str(kind))


@pytest.mark.parametrize("name", ["bert", "llama"])
def test_hidden_features_match_hugging_face_hidden_states(name):
    model, tokenizer = tiny_models.build(name), tiny_models.tiny_tokenizer()
    features = layer_features(model, tokenizer, TEXTS[:1], max_length=16, progress=False)
    ids = torch.tensor([tokenizer(TEXTS[0])["input_ids"]])
    with torch.inference_mode():
        states = model(input_ids=ids, output_hidden_states=True).hidden_states
    token = 0 if token_pooling(model) == "cls" else -1
    for layer, state in enumerate(states):
        np.testing.assert_allclose(features[("hidden", "mean")][0, layer], state[0].mean(0).numpy(), atol=1e-5)
        np.testing.assert_allclose(features[("hidden", "max")][0, layer], state[0].amax(0).numpy(), atol=1e-5)
        np.testing.assert_allclose(features[("hidden", "token")][0, layer], state[0, token].numpy(), atol=1e-5)


def test_llama_ffn_activations_are_what_the_down_projection_reads():
    """mlp(x) == down_proj(captured activations): the hook holds act(gate)·up, one value per FFN unit."""
    model = tiny_models.build("llama")
    mlp = model.layers[1].mlp
    x = torch.randn(1, 5, 32)
    captured = {}
    handle = mlp.down_proj.register_forward_pre_hook(lambda _m, args: captured.update(a=args[0]))
    with torch.inference_mode():
        out = mlp(x)
        rebuilt = mlp.down_proj(captured["a"])
    handle.remove()
    torch.testing.assert_close(rebuilt, out)
    assert ffn_modules(model)[1] is mlp.down_proj


def test_bert_ffn_activations_rebuild_the_next_hidden_state():
    """BERT block i: output(intermediate activations, attention output) == hidden_states[i + 1]."""
    model, tokenizer = tiny_models.build("bert"), tiny_models.tiny_tokenizer()
    ids = torch.tensor([tokenizer(TEXTS[2])["input_ids"]])
    block = model.encoder.layer[1]
    seen = {}
    hooks = [
        block.attention.register_forward_hook(lambda _m, _a, out: seen.update(attention=out[0])),
        block.intermediate.register_forward_hook(lambda _m, _a, out: seen.update(ffn=out)),
    ]
    with torch.inference_mode():
        states = model(input_ids=ids, output_hidden_states=True).hidden_states
        rebuilt = block.output(seen["ffn"], seen["attention"])
    for hook in hooks:
        hook.remove()
    torch.testing.assert_close(rebuilt, states[2])
    features = layer_features(model, tokenizer, [TEXTS[2]], max_length=16, progress=False)
    np.testing.assert_allclose(features[("ffn", "mean")][0, 1], seen["ffn"][0].mean(0).numpy(), atol=1e-5)


def test_feature_extraction_leaves_no_hook_behind():
    model = tiny_models.build("llama")

    def hooks():
        return sum(len(m._forward_pre_hooks) + len(m._forward_hooks) for m in backbone_of(model).modules())

    layer_features(model, tiny_models.tiny_tokenizer(), TEXTS, max_length=16, progress=False)
    before = hooks()  # transformers installs recorders of its own on the first call; lle's must not stay
    layer_features(model, tiny_models.tiny_tokenizer(), TEXTS, max_length=16, progress=False)
    assert hooks() == before
    assert not any(m._forward_pre_hooks for m in ffn_modules(model))


def test_unknown_feature_kinds_and_missing_hook_points_are_errors():
    model = tiny_models.build("bert")
    with pytest.raises(ValueError, match=r"poolings \['cls'\] must be a non-empty subset"):
        layer_features(model, tiny_models.tiny_tokenizer(), TEXTS, max_length=8, poolings=("cls",))
    from lle.models import architectures

    spec = architectures.ARCHITECTURES["bert"]
    architectures.ARCHITECTURES["bert"] = type(spec)(**{**spec.__dict__, "ffn_activation": None})
    try:
        with pytest.raises(UnknownArchitectureError, match="no FFN hook point for bert"):
            ffn_modules(model)
    finally:
        architectures.ARCHITECTURES["bert"] = spec


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

    def template(c, max_iter, seed):
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


def test_stage_caches_with_provenance_and_resumes(monkeypatch, tmp_path, data_dir):
    """Features of a tiny model on the real SST-2 files: cached once, reused, rerun only where inputs changed."""
    from lle.models.resolve import ResolvedModel

    monkeypatch.setattr(stc_features, "load_backbone", lambda model_id: tiny_models.build("bert"))
    monkeypatch.setattr(stc_features, "tokenizer_with_padding", lambda model_id: tiny_models.tiny_tokenizer())
    monkeypatch.setattr(
        stc_features, "resolve_model", lambda model_id: ResolvedModel(model_id, "memory", "test", None, None)
    )
    source = stc_features.FeatureSource("all-MiniLM-L6-v2", "sst2", max_train_samples=40, max_validation_samples=20)
    seconds = stc_features.compute_features(source, cache_root=tmp_path, progress=False)
    assert all(value > 0 for value in seconds.values())
    assert stc_features.compute_features(source, cache_root=tmp_path, progress=False) == dict.fromkeys(seconds, 0.0)
    features, labels, sidecar = stc_features.load_features(source, "validation", cache_root=tmp_path)
    assert labels.tolist() == source.labels("validation").tolist()
    assert labels.shape == (20,) and features[("hidden", "token")].shape == (20, 4, 32)
    assert sidecar["fingerprint"]["data_sha256"]["sst2/dev.tsv"]

    grid = stc.ProbeGrid(cs=(1.0,), etas=(0.5,))  # weak regularization: tiny random features keep some neurons
    results = tmp_path / "results"
    done = stc_stage.run_source(
        source, grid, poolings=("mean",), cache_root=tmp_path, results_root=results, progress=False
    )
    assert all(value > 0 for value in done.values())
    again = stc_stage.run_source(
        source, grid, poolings=("mean",), cache_root=tmp_path, results_root=results, progress=False
    )
    assert set(again.values()) == {0.0}
    changed = stc_stage.run_source(
        source,
        stc.ProbeGrid(cs=(2.0,), etas=(0.5,)),
        poolings=("mean",),
        cache_root=tmp_path,
        results_root=results,
        progress=False,
    )
    assert all(value > 0 for value in changed.values())  # another grid is another result: recomputed
    stored = json.loads(stc_stage.result_path(source, "ffn", "mean", results).read_text())
    assert set(stored["test_predictions"]) == {"best_layer", "final_layer", "aggregated"}
    assert len(stored["test_predictions"]["aggregated"]) == len(
        stc_features.sst2_split("test", n_train=40, n_validation=20, seed=0)[1]
    )
    assert "test_predictions" not in stored["layers"][0]  # kept only for the chosen probes
    loaded = stc_stage.load_results(results)
    layers = loaded.layers
    assert set(layers["representation"]) == {"hidden", "ffn"} and layers["relative_depth"].max() == 1.0
    assert (layers.loc[layers["representation"] == "ffn", "layer"].min()) == 1  # FFN layers start at block 1
    assert set(loaded.predictions) == {("all-MiniLM-L6-v2", "sst2", rep, "mean") for rep in ("hidden", "ffn")}
    assert loaded.of("goemotions").layers.empty and len(loaded.of(exclude="goemotions").sources) == 2

    path = source.path("train", tmp_path)
    path.write_bytes(path.read_bytes()[:-10])  # a corrupt cache is an error, never reused silently
    with pytest.raises(stc_features.CacheMismatchError, match="checksum"):
        stc_features.load_features(source, "train", cache_root=tmp_path)
    assert stc_features.is_cached(source, "train", cache_root=tmp_path) is False


def test_missing_features_and_results_name_the_fix(tmp_path):
    source = stc_features.FeatureSource("all-MiniLM-L6-v2", "goemotions")
    with pytest.raises(FileNotFoundError, match="compute_features"):
        stc_features.load_features(source, "train", cache_root=tmp_path)
    with pytest.raises(FileNotFoundError, match="no STC results"):
        stc_stage.load_results(tmp_path)
    with pytest.raises(ValueError, match="backbone 'bert' is not one of"):
        stc_features.FeatureSource("bert", "goemotions")
    with pytest.raises(ValueError, match="dataset 'imdb' must be one of"):
        stc_features.FeatureSource("all-MiniLM-L6-v2", "imdb")


def test_float16_is_used_only_when_every_value_fits():
    assert stc_features._compact(np.array([1.0, 2.5], dtype=np.float32)).dtype == np.float16
    assert stc_features._compact(np.array([1.0, 1e6], dtype=np.float32)).dtype == np.float32


def test_trainable_parameters_follow_the_recipe():
    from lle.models.recipe import Recipe
    from lle.models.training import trainable_parameters

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


def test_stc_sits_beside_the_lle_run_on_the_same_backbone(monkeypatch):
    monkeypatch.setattr(stc_features, "load_backbone", lambda model_id: tiny_models.build("bert"))
    beside = stc_stage.beside_run(stc_features.FeatureSource("all-MiniLM-L6-v2", "goemotions"), 28)
    assert beside["run"] == "all-MiniLM-L6-v2-finetuned"
    assert beside["trainable_parameters"] == beside["backbone_parameters"] + 32 * 128 + 128 + 128 * 28 + 28
    assert stc_stage.beside_run(stc_features.FeatureSource("all-MiniLM-L6-v2", "sst2"), 2) is None


def test_labels_of_a_paper_split_match_the_features_order(data_dir):
    source = stc_features.FeatureSource("all-MiniLM-L6-v2", "tweet_hate", max_train_samples=50)
    assert source.labels("train", data_dir=data_dir).tolist() == source.texts("train", data_dir=data_dir)[1].tolist()
