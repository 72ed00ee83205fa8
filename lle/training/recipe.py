"""The paper's training recipe as data: what to train, how long, at which learning rate, with what frozen.

Batch 16, Adam and 3 epochs throughout; :func:`paper_recipe` gives the paper's own per-family settings
(DeBERTa lr 4e-6, T5 encoder 5e-4, T5-XL 3e-4 with frozen embeddings and lower blocks).
"""

from __future__ import annotations

import json
import math
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
        _whole(
            "epochs",
            self.epochs,
            minimum=0 if self.mode == "zeroshot" else 1,
            fix="a zero-shot run trains nothing (epochs=0)"
            if self.mode == "zeroshot"
            else "a run that trains needs at least one epoch (use mode='zeroshot' to train nothing)",
        )
        _whole("batch_size", self.batch_size, minimum=1, fix="e.g. 16")
        _whole("seed", self.seed, minimum=0, fix="e.g. 0")
        _whole("checkpoint_every", self.checkpoint_every, minimum=1, fix="e.g. 500")
        _whole("frozen_blocks", self.frozen_blocks, minimum=0, fix="0 freezes nothing")
        for name in ("max_length", "max_train_samples"):
            if getattr(self, name) is not None:
                _whole(name, getattr(self, name), minimum=1, fix="or None for the default")
        rate = self.learning_rate
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not math.isfinite(rate) or rate <= 0:
            raise ValueError(
                f"learning_rate must be a finite number > 0, got {rate!r}; e.g. 1e-3 for a head on "
                "frozen states, 2e-5 for fine-tuning"
            )

    def to_dict(self) -> dict:
        return json.loads(json.dumps(asdict(self)))


def _whole(name: str, value, *, minimum: int, fix: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be a whole number >= {minimum}, got {value!r}; {fix}")


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
        raise ValueError(
            f"the paper trained DeBERTa and T5 encoders only; for {model_id!r} build a Recipe with "
            "your own learning rate and pooling"
        )
    return Recipe(model_id, dataset, **{**_PAPER_FAMILIES[family], **changes})


# Defaults for a model of your own, keyed on (family, mode). The family is matched on the model id (first key
# found in it wins; "other" covers decoders and everything else). Fine-tuning takes the family's rate; a head trained
# on frozen states is a freshly initialised network whatever the backbone, so it takes a head's rate and more epochs
# (a fine-tuning rate such as 3e-5 leaves a fresh head predicting one class). Every value can be overridden.
FAMILIES = ("deberta", "t5", "minilm", "mpnet", "bert", "other")
DEFAULT_MODE = {
    "deberta": "finetune",
    "t5": "finetune",
    "minilm": "finetune",
    "mpnet": "finetune",
    "bert": "finetune",
    "other": "frozen",
}  # decoders: fine-tuning them needs a GPU
_HEAD = dict(learning_rate=1e-3, epochs=10, pooling="mean")  # a head on frozen states, mean-pooled
_ZERO_SHOT = dict(epochs=0, preprocessing=False)
RECIPE_DEFAULTS = {
    ("deberta", "finetune"): dict(learning_rate=4e-6, epochs=3, pooling="cls"),  # the paper's
    ("t5", "finetune"): dict(learning_rate=5e-4, epochs=3, pooling="mean"),  # the paper's (encoder)
    ("minilm", "finetune"): dict(learning_rate=3e-5, epochs=3, pooling="cls"),
    ("mpnet", "finetune"): dict(learning_rate=2e-5, epochs=3, pooling="cls"),
    ("bert", "finetune"): dict(learning_rate=3e-5, epochs=3, pooling="cls"),  # BERT, RoBERTa
    ("other", "finetune"): dict(learning_rate=2e-5, epochs=3, pooling="mean"),
    **{(family, "frozen"): _HEAD for family in FAMILIES},
    **{(family, "zeroshot"): _ZERO_SHOT for family in FAMILIES},
}


def model_family(model_id: str) -> str:
    """The family whose defaults a model gets: the first of ``FAMILIES`` named in its id, else "other"."""
    name = str(model_id).lower()
    return next((family for family in FAMILIES[:-1] if family in name), "other")


def recipe_defaults(model_id: str, mode: str | None = None) -> tuple[str, dict]:
    """(mode, defaults) for a model: the mode asked for (None: its family's) and that (family, mode)'s values."""
    family = model_family(model_id)
    mode = mode or DEFAULT_MODE[family]
    if (family, mode) not in RECIPE_DEFAULTS:
        raise ValueError(f"mode must be 'finetune', 'frozen' or 'zeroshot', got {mode!r}")
    return mode, dict(RECIPE_DEFAULTS[(family, mode)])


def family_recipe(model_id: str, dataset: str, **changes) -> Recipe:
    """A recipe for any model id or path: the defaults of its (family, mode) (``RECIPE_DEFAULTS``) with ``changes``
    (None: not given) on top. ``applied_defaults(recipe, changes)`` says which values came from the table."""
    mode, defaults = recipe_defaults(model_id, changes.get("mode"))
    given = {key: value for key, value in changes.items() if value is not None}
    return Recipe(model_id, dataset, **{**defaults, **given, "mode": mode})


def applied_defaults(model_id: str, changes: dict) -> dict:
    """The recipe values taken from ``RECIPE_DEFAULTS`` rather than given, with the (family, mode) they came from:
    what ``lle run`` prints and records in the score files' sidecar."""
    mode, defaults = recipe_defaults(model_id, changes.get("mode"))
    taken = {key: value for key, value in defaults.items() if changes.get(key) is None}
    if changes.get("mode") is None:
        taken["mode"] = mode
    return {"family": model_family(model_id), "mode": mode, "values": taken}


def defaults_table() -> str:
    """``RECIPE_DEFAULTS`` as text lines (``lle run --help`` shows it)."""
    lines = []
    for family in FAMILIES:
        cells = []
        for mode in ("finetune", "frozen"):
            values = RECIPE_DEFAULTS[(family, mode)]
            cells.append(
                f"{mode}: lr {values['learning_rate']:g}, {values['epochs']} epochs, {values['pooling']} pooling"
            )
        default = DEFAULT_MODE[family]
        lines.append(f"  {family:8s} (default {default}) " + "; ".join(cells))
    return "\n".join(lines)
