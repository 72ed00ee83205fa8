"""The paper's training recipe as data: what to train, how long, at which learning rate, with what frozen.

Batch 16, Adam and 3 epochs throughout; :func:`paper_recipe` gives the paper's own per-family settings
(DeBERTa lr 4e-6, T5 encoder 5e-4, T5-XL 3e-4 with frozen embeddings and lower blocks).
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Recipe:
    model_id: str
    dataset: str
    mode: str = "finetune"  # "finetune", "frozen" (head only) or "zeroshot" (no training)
    epochs: int = 3
    batch_size: int = 16
    learning_rate: float = 4e-6
    pooling: str | None = None  # None: the architecture's default
    freeze_embeddings: bool = False
    frozen_blocks: int = 0
    seed: int = 0
    max_length: int | None = None  # None: the dataset's (goemotions 40, tweet_emotion 50, tweet_hate 70)
    preprocessing: bool = True
    max_train_samples: int | None = None  # None: the whole training split
    checkpoint_every: int = 500
    cache_frozen: bool = False  # compute the frozen bottom's output once (needs frozen_blocks and embeddings frozen)
    label_words: tuple[str, ...] | None = field(default=None)  # zero-shot verbalizer

    def __post_init__(self):
        if self.mode not in ("finetune", "frozen", "zeroshot"):
            raise ValueError(f"mode must be 'finetune', 'frozen' or 'zeroshot', got {self.mode!r}")

    def to_dict(self) -> dict:
        return json.loads(json.dumps(asdict(self)))


# The paper's per-family settings (Adam, batch 16, 3 epochs throughout). T5 "XL" checkpoints have 24 encoder
# blocks; the paper freezes their embeddings and lower blocks, read here as the lower half.
_PAPER_FAMILIES = {
    "deberta": dict(learning_rate=4e-6, pooling="cls"),
    "t5": dict(learning_rate=5e-4, pooling="mean"),
    "t5-xl": dict(learning_rate=3e-4, pooling="mean", freeze_embeddings=True, frozen_blocks=12),
}


def paper_recipe(model_id: str, dataset: str, **changes) -> Recipe:
    """The paper's recipe for a DeBERTa or (FLAN-)T5 checkpoint, chosen from its name; ``changes`` override it."""
    name = model_id.lower()
    if "deberta" in name:
        family = "deberta"
    elif "t5" in name:
        family = "t5-xl" if name.endswith(("-xl", "_xl")) else "t5"
    else:
        raise ValueError(f"the paper trained DeBERTa and T5 encoders only; for {model_id!r} build a Recipe with "
                         "your own learning rate and pooling")
    return Recipe(model_id, dataset, **{**_PAPER_FAMILIES[family], **changes})


# Defaults for a model of your own, by family (matched on the model id, first match wins); every value can be
# overridden. Encoders are fine-tuned; decoders train a head on frozen states (fine-tuning them needs a GPU).
FAMILY_DEFAULTS = (
    ("deberta", dict(mode="finetune", learning_rate=4e-6, pooling="cls")),  # the paper's
    ("t5", dict(mode="finetune", learning_rate=5e-4, pooling="mean")),  # the paper's (encoder)
    ("minilm", dict(mode="finetune", learning_rate=3e-5, pooling="cls")),
    ("mpnet", dict(mode="finetune", learning_rate=2e-5, pooling="cls")),
    ("bert", dict(mode="finetune", learning_rate=3e-5, pooling="cls")),  # BERT, RoBERTa
    ("", dict(mode="frozen", learning_rate=1e-3, pooling="mean")),  # decoders and anything else
)


def family_recipe(model_id: str, dataset: str, **changes) -> Recipe:
    """A recipe for any model id or path: its family's defaults (``FAMILY_DEFAULTS``) with ``changes`` on top."""
    name = str(model_id).lower()
    defaults = next(values for key, values in FAMILY_DEFAULTS if key in name)
    return Recipe(model_id, dataset, **{**defaults, **{k: v for k, v in changes.items() if v is not None}})
