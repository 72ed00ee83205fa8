"""Freezing and the frozen-bottom cache (lle.training.surgery): frozen blocks stay, the cache changes no loss or gradient."""

import numpy as np
import pytest
import tiny_models
import torch
from own_data import TEXTS, TRAINING_LABELS, recipe, tiny_classifier

from lle.models.readout import EarlyExitClassifier
from lle.training.loops import finetune, set_seed
from lle.training.surgery import freeze_bottom

LABELS = TRAINING_LABELS


def test_frozen_blocks_do_not_change(tmp_path):
    tokenizer = tiny_models.tiny_tokenizer()
    model = tiny_classifier()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    finetune(
        model,
        tokenizer,
        (TEXTS, LABELS),
        (TEXTS[:8], LABELS[:8]),
        recipe(epochs=1, frozen_blocks=2, freeze_embeddings=True),
        tmp_path,
        max_length=16,
        progress=False,
    )
    after = model.state_dict()
    for name in before:
        changed = not torch.equal(before[name], after[name])
        frozen = name.startswith(("backbone.embeddings", "backbone.encoder.layer.0.", "backbone.encoder.layer.1."))
        if frozen:
            assert not changed, name
    assert not torch.equal(
        before["backbone.encoder.layer.2.output.dense.weight"], after["backbone.encoder.layer.2.output.dense.weight"]
    )
    with pytest.raises(ValueError, match="cannot freeze"):
        freeze_bottom(tiny_classifier(), embeddings=False, blocks=9)


@pytest.mark.parametrize("name", ["bert", "mpnet", "deberta-v2", "roberta"])
def test_cached_frozen_bottom_gives_the_same_loss_and_gradients(name):
    """Running only the trainable blocks on cached states == the full model with its frozen part in eval mode."""
    from lle.models.architectures import get_path
    from lle.models.readout import pad_batch, tokenize
    from lle.training.surgery import FrozenBottomCache

    tokenizer = tiny_models.tiny_tokenizer()
    set_seed(0)
    model = EarlyExitClassifier(tiny_models.build(name), 3)
    freeze_bottom(model, embeddings=True, blocks=2, shared=True)
    token_lists = tokenize(tokenizer, TEXTS[:12], 16)
    cache = FrozenBottomCache(model, tokenizer, token_lists, 2, batch_size=5, progress=False)
    indices = np.array([3, 0, 7, 11])
    inputs = pad_batch(tokenizer, [token_lists[i] for i in indices])
    labels = torch.as_tensor(LABELS[indices])
    layers = get_path(model.backbone, model.spec.layers)

    def loss_and_grads(cached: bool):
        model.train()
        model.zero_grad()
        if not cached:  # the reference: frozen part as a fixed feature extractor
            model.backbone.embeddings.eval()
            for block in layers[:2]:
                block.eval()
        torch.manual_seed(5)
        if cached:
            with cache.inside(model, indices, inputs["input_ids"].shape[1]):
                loss = torch.nn.functional.cross_entropy(model(**inputs), labels)
        else:
            loss = torch.nn.functional.cross_entropy(model(**inputs), labels)
        loss.backward()
        return loss.item(), {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}

    reference_loss, reference_grads = loss_and_grads(cached=False)
    cached_loss, cached_grads = loss_and_grads(cached=True)
    assert cached_loss == pytest.approx(reference_loss, rel=1e-5)
    assert cached_grads.keys() == reference_grads.keys() and any("head" in n for n in cached_grads)
    for name_, grad in reference_grads.items():
        torch.testing.assert_close(cached_grads[name_], grad, atol=1e-5, rtol=1e-4, msg=name_)
    assert all(not isinstance(block, torch.nn.Identity) and type(block).__name__ != "_Passthrough" for block in layers)
    assert not model.backbone.embeddings._forward_hooks
    model.eval()  # oracle: the cached states are the full model's hidden_states[2], unpadded
    with torch.inference_mode():
        for index in (0, 7):
            single = pad_batch(tokenizer, [token_lists[index]])
            expected = model.backbone(**single, output_hidden_states=True).hidden_states[2][0]
            torch.testing.assert_close(cache.states[index], expected, atol=1e-5, rtol=1e-5)


def test_cache_frozen_needs_a_frozen_bottom(tmp_path):
    with pytest.raises(ValueError, match="cache_frozen needs"):
        finetune(
            tiny_classifier(),
            tiny_models.tiny_tokenizer(),
            (TEXTS, LABELS),
            (TEXTS[:4], LABELS[:4]),
            recipe(cache_frozen=True),
            tmp_path,
            max_length=16,
            progress=False,
        )
