"""Per-layer features for probes (lle.models.features) on tiny random models of every architecture: pooled hidden
states against Hugging Face's, FFN activations against what the next module reads, hooks always removed."""

import numpy as np
import pytest
import tiny_models
import torch

from lle.models.architectures import UnknownArchitectureError, backbone_of, ffn_modules
from lle.models.features import layer_features, token_pooling

ALL = tiny_models.ENCODERS + tiny_models.DECODERS


TEXTS = ["i am so very happy", "sad", "the text is angry . i am glad and so very sad", "joy fear love"]


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
