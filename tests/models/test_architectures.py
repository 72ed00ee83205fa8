"""The one architecture table (lle.models.architectures): it fails loudly on what it does not know, and covers
the required families."""

import pytest
import tiny_models
import torch
import transformers
from tiny_models import ALL, batch, classifier

from lle.models.architectures import (
    ARCHITECTURES,
    ArchitectureSpec,
    UnknownArchitectureError,
    architecture_of,
    register_architecture,
)
from lle.models.readout import (
    EarlyExitClassifier,
)


def test_unknown_architecture_is_a_clear_error_and_can_be_registered():
    config = transformers.ElectraConfig(
        vocab_size=64,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=48,
        embedding_size=32,
    )
    model = transformers.ElectraModel(config).eval()
    with pytest.raises(UnknownArchitectureError, match="register_architecture"):
        EarlyExitClassifier(model, 3)
    try:
        register_architecture(ArchitectureSpec("electra", "encoder", "encoder.layer", None, "cls", False))
        ids, mask = batch()
        readout = EarlyExitClassifier(model, 3).eval()
        with torch.inference_mode():
            torch.testing.assert_close(readout.layer_logits(ids, mask)[:, -1], readout(ids, mask))
    finally:
        ARCHITECTURES.pop("electra", None)


def test_authors_hook_only_where_the_authors_had_one():
    with pytest.raises(ValueError, match="no hook point"):
        classifier("bert", hook="authors")


def test_table_covers_the_required_architectures():
    required = {"bert", "roberta", "deberta", "deberta-v2", "mpnet", "t5", "gpt2", "llama", "gemma3_text"}
    assert required <= set(ARCHITECTURES)
    for name in ALL:
        assert architecture_of(tiny_models.build(name)).model_type == name
