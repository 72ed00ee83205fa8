"""Steering on tiny random decoders: exact no-op at coefficient 0, the hook always goes, the vector reaches the
next block, and only the positions asked for are steered."""

import pytest
import tiny_models
import torch

from lle.models.readout import capture_outputs
from lle.models.steering import block_for_layer, steering

IDS = torch.tensor([[5, 9, 12, 7, 20, 11]])


def run(model, **kwargs):
    with torch.inference_mode():
        return model(input_ids=IDS, output_hidden_states=True, **kwargs)


def block_outputs(model):
    """Every block's output as the next block receives it. Registered inside a steering context, these hooks run
    after the steering hook (Hugging Face's own hidden_states recorder runs before it and never sees the shift)."""
    blocks = [block_for_layer(model, layer) for layer in range(1, model.config.num_hidden_layers + 1)]
    with torch.inference_mode(), capture_outputs(blocks) as outputs:
        model(input_ids=IDS)
    return outputs


@pytest.mark.parametrize("name", ["llama", "gpt2", "gemma3_text"])
def test_coefficient_zero_gives_exactly_the_unsteered_logits(name):
    model = tiny_models.build(name, causal_lm=True)
    plain = run(model).logits
    with steering(model, 2, torch.randn(32), 0.0):
        steered = run(model).logits
    assert torch.equal(plain, steered)


@pytest.mark.parametrize("name", ["llama", "gpt2"])
def test_the_vector_is_added_at_the_layer_and_reaches_the_next_block(name):
    model = tiny_models.build(name, causal_lm=True)
    vector = torch.randn(32)
    plain = block_outputs(model)
    with steering(model, 1, vector, 3.0) as state:
        steered = block_outputs(model)
    torch.testing.assert_close(steered[0] - plain[0], (3.0 * vector).expand_as(plain[0]), atol=1e-5, rtol=1e-5)
    shift = steered[1] - plain[1]  # the next block receives the shifted stream and transforms it
    assert shift.abs().max() > 1e-3 and not torch.allclose(shift, (3.0 * vector).expand_as(shift), atol=1e-3)
    assert state["calls"] == 1 and state["position"] == IDS.shape[1]


def test_the_hook_is_gone_after_an_exception():
    model = tiny_models.build("llama", causal_lm=True)
    block = block_for_layer(model, 2)
    before = len(block._forward_hooks)
    with pytest.raises(RuntimeError, match="boom"):
        with steering(model, 2, torch.ones(32), 5.0):
            assert len(block._forward_hooks) == before + 1
            raise RuntimeError("boom")
    assert len(block._forward_hooks) == before
    torch.testing.assert_close(run(model).logits, run(tiny_models.build("llama", causal_lm=True)).logits)


def test_from_position_steers_only_later_tokens_across_cached_generation_steps():
    model = tiny_models.build("llama", causal_lm=True)
    vector = torch.randn(32)
    plain = block_outputs(model)[1]
    with steering(model, 2, vector, 2.0, from_position=4):
        steered = block_outputs(model)[1]
    assert torch.equal(steered[:, :4], plain[:, :4])
    torch.testing.assert_close(steered[:, 4:] - plain[:, 4:], (2.0 * vector).expand(1, 2, 32), atol=1e-5, rtol=1e-5)
    with steering(model, 2, vector, 2.0, from_position=6) as state:  # generation: the prompt, then one token a step
        generated = model.generate(IDS, max_new_tokens=3, do_sample=False, pad_token_id=0)
    assert state["position"] == IDS.shape[1] + 2  # the last new token is sampled, never fed back
    assert torch.equal(generated[:, :7], model.generate(IDS, max_new_tokens=1, do_sample=False, pad_token_id=0))


def test_bad_layers_and_vectors_are_errors():
    model = tiny_models.build("llama", causal_lm=True)
    with pytest.raises(ValueError, match=r"layer must lie in 1\.\.3"):
        with steering(model, 0, torch.ones(32), 1.0):
            pass
    with pytest.raises(ValueError, match="one direction of the residual stream"):
        with steering(model, 1, torch.ones(31), 1.0):
            pass
