"""Per-layer readout on tiny random models of every supported architecture."""

import numpy as np
import pytest
import tiny_models
import torch
from tiny_models import ALL, batch, classifier

from lle.models.architectures import (
    final_norm,
)
from lle.models.readout import (
    PromptTemplate,
    Verbalizer,
    ZeroShotReadout,
    capture_outputs,
    classifier_layer_log_probs,
    pool,
)


@pytest.mark.parametrize("name", ALL)
def test_final_layer_readout_equals_the_models_own_output(name):
    model = classifier(name)
    ids, mask = batch()
    with torch.inference_mode():
        per_layer = model.layer_logits(ids, mask)
        own = model(ids, mask)
    assert per_layer.shape == (4, model.backbone.config.num_hidden_layers + 1, 5)
    torch.testing.assert_close(per_layer[:, -1], own, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("name", ALL)
def test_layer_states_match_hf_hidden_states(name):
    """Oracle: HF hidden_states, with the final norm applied to every layer but the (already normed) last."""
    model = classifier(name)
    ids, mask = batch(1)
    with torch.inference_mode():
        reference = model.backbone(input_ids=ids, attention_mask=mask, output_hidden_states=True).hidden_states
        states = model.layer_states(ids, mask)
        norm = final_norm(model.backbone)
        for index, (ours, theirs) in enumerate(zip(states, reference)):
            last = index == len(reference) - 1
            expected = theirs if (norm is None or last) else norm(theirs)
            torch.testing.assert_close(ours, expected)
        if norm is not None:  # the last state is normed once, not twice
            assert not torch.allclose(norm(reference[-1]), reference[-1], atol=1e-4)


@pytest.mark.parametrize("name", ["deberta", "deberta-v2"])
def test_authors_hook_on_deberta_equals_hidden_states_after_each_block(name):
    ids, mask = batch(2)
    with torch.inference_mode():
        hooked = classifier(name, hook="authors").layer_states(ids, mask)
        reference = classifier(name).layer_states(ids, mask)
    assert len(hooked) == len(reference) - 1  # one per block, the paper's block numbering
    for ours, theirs in zip(hooked, reference[1:]):
        torch.testing.assert_close(ours, theirs)


def test_t5_authors_hook_is_the_normed_residual_before_each_feed_forward():
    model = classifier("t5", hook="authors")
    ids, mask = batch(3)
    blocks = model.backbone.encoder.block
    with torch.inference_mode(), capture_outputs([b.layer[0] for b in blocks]) as after_attention:
        states = model.layer_states(ids, mask)
    assert len(states) == len(blocks)
    for block, residual, ours in zip(blocks, after_attention, states):
        torch.testing.assert_close(ours, block.layer[1].layer_norm(residual))


def test_hooks_are_removed_even_when_the_forward_pass_fails():
    model = tiny_models.build("bert")
    modules = list(model.encoder.layer)
    with pytest.raises(RuntimeError):
        with capture_outputs(modules):
            model(input_ids=torch.full((1, 500), 5))  # longer than max_position_embeddings
    assert all(not module._forward_hooks for module in modules)


def test_capture_can_stop_the_forward_pass_after_the_last_module():
    model = tiny_models.build("bert").eval()
    ids = torch.tensor([[5, 6, 7]])
    ran = []
    top = model.encoder.layer[-1].register_forward_hook(lambda *_: ran.append(True))
    with torch.inference_mode():
        expected = model(input_ids=ids, output_hidden_states=True).hidden_states[2]
        ran.clear()
        hooks_before = [len(block._forward_hooks) for block in model.encoder.layer]  # transformers' own among them
        with capture_outputs([model.encoder.layer[0], model.encoder.layer[1]], stop=True) as captured:
            model(input_ids=ids)
    assert [len(block._forward_hooks) for block in model.encoder.layer] == hooks_before
    top.remove()
    assert not ran  # the block above the last captured one never ran
    torch.testing.assert_close(captured[1], expected)
    with pytest.raises(RuntimeError):  # only the planned interruption is swallowed
        with capture_outputs([model.encoder.layer[0]], stop=True):
            raise RuntimeError("a real failure")


@pytest.mark.parametrize("pooling", ["cls", "mean", "last"])
@pytest.mark.parametrize("name", ["bert", "t5", "llama"])
def test_padding_does_not_change_a_sample(name, pooling):
    """Right padding: a short sequence pools the same alone and in a padded batch."""
    model = classifier(name, pooling=pooling)
    ids, mask = batch(4)
    with torch.inference_mode():
        together = model.layer_logits(ids, mask)
        alone = model.layer_logits(ids[2:3, :2], mask[2:3, :2])
    torch.testing.assert_close(together[2], alone[0], atol=1e-5, rtol=1e-5)


def test_authors_padded_mean_depends_on_the_padding():
    hidden = torch.ones(2, 4, 3)
    mask = torch.tensor([[1, 1, 1, 1], [1, 1, 0, 0]])
    torch.testing.assert_close(pool(hidden, mask, "mean")[1], torch.ones(3))
    torch.testing.assert_close(pool(hidden, mask, "mean_padded")[1], torch.full((3,), 0.5))
    with pytest.raises(ValueError, match="unknown pooling"):
        pool(hidden, mask, "min")


def test_max_pooling_never_picks_a_padded_position():
    hidden = torch.tensor([[[1.0, -5.0], [2.0, -6.0], [9.0, 9.0]]])  # the padded third position holds the largest
    mask = torch.tensor([[1, 1, 0]])
    torch.testing.assert_close(pool(hidden, mask, "max"), torch.tensor([[2.0, -5.0]]))


def test_batched_readout_keeps_input_order_and_is_deterministic():
    tokenizer = tiny_models.tiny_tokenizer()
    model = classifier("bert")
    texts = ["i am so happy", "sad", "the text is very angry and sad", "glad", "i am", "joy joy joy joy joy"]
    together = classifier_layer_log_probs(model, tokenizer, texts, max_length=16, batch_size=4, progress=False)
    alone = np.concatenate(
        [classifier_layer_log_probs(model, tokenizer, [t], max_length=16, progress=False) for t in texts]
    )
    assert together.dtype == np.float32 and together.shape == (6, 4, 5)
    np.testing.assert_allclose(together, alone, atol=1e-5)
    again = classifier_layer_log_probs(model, tokenizer, texts, max_length=16, batch_size=4, progress=False)
    np.testing.assert_array_equal(together, again)


WORDS = ["joy", "sadness", "anger", "fear"]


@pytest.mark.parametrize("name", tiny_models.DECODERS)
def test_zero_shot_final_layer_equals_model_logits_and_prefix_cache_is_exact(name):
    tokenizer = tiny_models.tiny_tokenizer()
    model = tiny_models.build(name, causal_lm=True)
    verbalizer = Verbalizer.from_words(tokenizer, WORDS, require_single_token=True)
    template = PromptTemplate.emotion_question(WORDS)
    texts = ["i am so happy", "sad", "the text is very angry and sad glad"]
    cached = ZeroShotReadout(model, tokenizer, verbalizer, template)(texts, batch_size=2, progress=False)
    uncached = ZeroShotReadout(model, tokenizer, verbalizer, template, cache_prefix=False)(
        texts, batch_size=3, progress=False
    )
    np.testing.assert_allclose(cached, uncached, atol=1e-5)
    readout = ZeroShotReadout(model, tokenizer, verbalizer, template)
    for row, text in enumerate(texts):
        ids = torch.tensor([readout.prefix_ids + readout.prompt_ids(text)])
        with torch.inference_mode():
            logits = model(input_ids=ids).logits[0, -1, list(verbalizer.token_ids)]
        np.testing.assert_allclose(cached[row, -1], torch.log_softmax(logits, -1).numpy(), atol=1e-5)
    assert cached.shape == (3, model.config.num_hidden_layers + 1, 4)


def test_verbalizer_errors_name_the_fix():
    tokenizer = tiny_models.tiny_tokenizer()
    with pytest.raises(ValueError, match="share a first token"):
        Verbalizer.from_words(tokenizer, ["unknownword", "otherunknown"])  # both [UNK]
    with pytest.raises(ValueError, match="not single tokens.*require_single_token=False"):
        Verbalizer.from_words(tokenizer, ["very happy", "sad"], require_single_token=True)
    verbalizer = Verbalizer.from_words(tokenizer, ["very happy", "sad"])
    assert verbalizer.multi_token_words == ("very happy",)


def test_zero_shot_needs_a_decoder():
    with pytest.raises(ValueError, match="decoder"):
        ZeroShotReadout(tiny_models.build("bert"), tiny_models.tiny_tokenizer(), None, None)
