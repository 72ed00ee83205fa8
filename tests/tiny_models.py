"""Tiny random-weight models for every supported architecture, and a tiny offline tokenizer. No downloads."""

from __future__ import annotations

import torch
import transformers
from tokenizers import Tokenizer, models, pre_tokenizers, processors

WORDS = "the a i am so very happy sad angry glad text emotion classify options joy sadness anger fear love".split()
SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[BOS]"]
VOCAB_SIZE = 64


def tiny_tokenizer() -> transformers.PreTrainedTokenizerFast:
    vocab = {token: i for i, token in enumerate(SPECIALS + WORDS + [".", ":", ",", "?", "\n"])}
    backend = Tokenizer(models.WordLevel(vocab=vocab, unk_token="[UNK]"))
    backend.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.WhitespaceSplit(), pre_tokenizers.Punctuation()])
    backend.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])]
    )
    return transformers.PreTrainedTokenizerFast(
        tokenizer_object=backend,
        pad_token="[PAD]",
        unk_token="[UNK]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        bos_token="[BOS]",
    )


def _encoder(config_class, model_class, **kwargs):
    common = dict(
        vocab_size=VOCAB_SIZE,
        hidden_size=32,
        num_hidden_layers=3,
        num_attention_heads=2,
        intermediate_size=48,
        max_position_embeddings=128,
        pad_token_id=0,
    )
    common.update(kwargs)
    return model_class(config_class(**common))


def _decoder(config_class, model_class, **kwargs):
    common = dict(
        vocab_size=VOCAB_SIZE,
        hidden_size=32,
        num_hidden_layers=3,
        num_attention_heads=2,
        intermediate_size=48,
        pad_token_id=0,
    )
    common.update(kwargs)
    return model_class(config_class(**common))


def build(name: str, *, causal_lm: bool = False, seed: int = 0):
    """A tiny model in eval mode. Encoders return the base model; decoders the causal LM if asked."""
    torch.manual_seed(seed)
    t = transformers
    builders = {
        "bert": lambda: _encoder(t.BertConfig, t.BertModel),
        "roberta": lambda: _encoder(t.RobertaConfig, t.RobertaModel, pad_token_id=1),
        "deberta": lambda: _encoder(
            t.DebertaConfig, t.DebertaModel, relative_attention=True, max_relative_positions=16
        ),
        "deberta-v2": lambda: _encoder(
            t.DebertaV2Config,
            t.DebertaV2Model,
            relative_attention=True,
            position_buckets=8,
            pos_att_type=["p2c", "c2p"],
        ),
        "mpnet": lambda: _encoder(t.MPNetConfig, t.MPNetModel, pad_token_id=1),
        "t5": lambda: t.T5EncoderModel(
            t.T5Config(vocab_size=VOCAB_SIZE, d_model=32, d_ff=48, d_kv=16, num_layers=3, num_heads=2, pad_token_id=0)
        ),
        "gpt2": lambda: (t.GPT2LMHeadModel if causal_lm else t.GPT2Model)(
            t.GPT2Config(
                vocab_size=VOCAB_SIZE,
                n_embd=32,
                n_layer=3,
                n_head=2,
                n_positions=128,
                pad_token_id=0,
                bos_token_id=4,
                eos_token_id=3,
            )
        ),
        "llama": lambda: _decoder(
            t.LlamaConfig,
            t.LlamaForCausalLM if causal_lm else t.LlamaModel,
            num_key_value_heads=1,
            max_position_embeddings=128,
        ),
        "gemma3_text": lambda: _decoder(
            t.Gemma3TextConfig,
            t.Gemma3ForCausalLM if causal_lm else t.Gemma3TextModel,
            num_key_value_heads=1,
            head_dim=16,
            max_position_embeddings=128,
            sliding_window=4,
            layer_types=["sliding_attention", "sliding_attention", "full_attention"],
        ),
    }
    model = builders[name]()
    randomize_norms(model)
    return model.eval()


def randomize_norms(model) -> None:
    """Freshly initialized norms are idempotent (unit weight, zero bias), which would hide a norm applied twice."""
    with torch.no_grad():
        for module in model.modules():
            if "norm" in type(module).__name__.lower():
                if getattr(module, "weight", None) is not None:
                    module.weight.uniform_(0.5, 1.5)
                if getattr(module, "bias", None) is not None:
                    module.bias.normal_(0, 0.1)


ENCODERS = ["bert", "roberta", "deberta", "deberta-v2", "mpnet", "t5"]
DECODERS = ["gpt2", "llama", "gemma3_text"]


ALL = ENCODERS + DECODERS


def batch(seed=0, n=4, width=9):
    """Random token ids of ``n`` rows with padding masks of four lengths (the readout and architecture tests)."""
    generator = torch.Generator().manual_seed(seed)
    ids = torch.randint(5, VOCAB_SIZE, (n, width), generator=generator)
    mask = torch.ones_like(ids)
    for row, length in enumerate([width, width - 3, 2, width - 1][:n]):
        mask[row, length:] = 0
    return ids, mask


def classifier(name, pooling=None, **kwargs):
    """An early-exit classifier of 5 classes over the tiny model ``name``, in eval mode."""
    from lle.models.readout import EarlyExitClassifier

    torch.manual_seed(1)
    return EarlyExitClassifier(build(name), 5, pooling=pooling, **kwargs).eval()
