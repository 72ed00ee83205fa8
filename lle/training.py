"""The paper's training recipe, parameterized, resumable and deterministic.

Backbone + head (Linear(h,128) → ReLU → Linear(128,C)), cross-entropy on the final layer only, Adam, batch 16,
3 epochs (DeBERTa lr 4e-6, T5 encoder 5e-4, XL 3e-4 with frozen embeddings and lower blocks: ``paper_recipe``).
For the CPU:

* ``frozen_blocks`` / ``freeze_embeddings`` freeze the bottom of the network (no gradients flow there);
  with ``cache_frozen`` the frozen bottom's output is computed once, so epochs only run the trainable blocks
  (the frozen blocks then run without dropout, as a fixed feature extractor, and parameters they share with the
  upper blocks — MPNet's relative attention bias, DeBERTa's relative embeddings — are frozen too, since the
  cached output depends on them: only blocks k..L-1 and the head train);
* ``mode="frozen"`` trains only the head, on pooled states of a frozen backbone computed once and cached;
* batches are drawn **length-bucketed**: each epoch shuffles the data (seeded), sorts pools of 50 batches by
  length, cuts them into batches and shuffles the batches, so little compute goes into padding.

A rolling checkpoint (every ``checkpoint_every`` steps and at each epoch end) makes a run resumable after an
interruption, bit for bit: the batch order is a function of (seed, epoch), and RNG states are restored.
Every epoch's model is kept (``epoch_<n>.pt``), and ``log.jsonl`` records loss and validation macro-F1 per epoch.
A ``RunLedger`` (``ledger.json``) records what a run directory's checkpoints and cached states were made from and
the seconds spent on them: reusing them for another recipe is an error, and a resumed run reports its whole cost.
"""
from __future__ import annotations

import contextlib
import json
import random
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm

from lle.cache import CacheMismatchError
from lle.metrics import classification_metrics
from lle.architectures import get_path
from lle.readout import (EarlyExitClassifier, capture_outputs, length_sorted_batches, map_batches, pad_batch, pool,
                         tokenize)

POOL_BATCHES = 50  # batches per length-sorted pool


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


def set_seed(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def epoch_batches(lengths, batch_size: int, seed: int, epoch: int) -> list[np.ndarray]:
    """Length-bucketed batches for one epoch; a pure function of (lengths, batch_size, seed, epoch)."""
    rng = np.random.default_rng([seed, epoch])
    lengths = np.asarray(lengths)
    order = rng.permutation(len(lengths))
    pool_size = batch_size * POOL_BATCHES
    batches = []
    for start in range(0, len(order), pool_size):
        chunk = order[start : start + pool_size]
        chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
        batches += [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
    return [batches[i] for i in rng.permutation(len(batches))]


def freeze_bottom(model: EarlyExitClassifier, *, embeddings: bool, blocks: int, shared: bool = False) -> None:
    """Stop gradients into the embeddings and the lowest ``blocks`` blocks.

    ``shared=True`` also freezes every backbone parameter outside blocks ``blocks..L-1`` (relative position
    tables and other parameters the frozen blocks use), as caching the frozen output requires.
    """
    layers = get_path(model.backbone, model.spec.layers)
    if blocks > len(layers):
        raise ValueError(f"cannot freeze {blocks} blocks of a {len(layers)}-block model")
    if shared:
        model.backbone.requires_grad_(False)
        for block in layers[blocks:]:
            block.requires_grad_(True)
        return
    frozen = list(layers[:blocks])
    if embeddings:
        frozen.append(getattr(model.backbone, "embeddings", None) or model.backbone.get_input_embeddings())
    for module in frozen:
        module.requires_grad_(False)


class _Passthrough(torch.nn.Module):
    """Stands in for a frozen block whose output is already cached: returns its input, shaped like the block's output."""

    def __init__(self, tuple_length: int):
        super().__init__()
        self.tuple_length = tuple_length  # 0: the block returns a tensor

    def forward(self, hidden_states, *args, **kwargs):
        if not self.tuple_length:
            return hidden_states
        return (hidden_states,) + (None,) * (self.tuple_length - 1)


class FrozenBottomCache:
    """Per-sample output of the frozen embeddings + lowest blocks (``hidden_states[k]``), computed once.

    ``inside(model, indices)`` swaps the frozen blocks for pass-throughs and makes the embeddings return the cached
    states of the batch, so a forward pass runs only the trainable blocks; the model is restored on exit.
    Supported for encoders whose embeddings module feeds the first block directly (BERT, RoBERTa, DeBERTa, MPNet).
    """

    def __init__(self, model: EarlyExitClassifier, tokenizer, token_lists, blocks: int, *, batch_size: int = 64,
                 progress: bool = True):
        if getattr(model.backbone, "embeddings", None) is None or model.spec.kind != "encoder":
            raise ValueError(f"cache_frozen is supported for encoders with an embeddings module, not "
                             f"{model.spec.model_type}; train with cache_frozen=False")
        self.blocks = blocks
        layers = get_path(model.backbone, model.spec.layers)
        self.tuple_length = self._probe_real_blocks(model, layers[0])
        self.states: list[torch.Tensor] = [None] * len(token_lists)
        was_training = model.training
        model.eval()
        with torch.inference_mode():
            for indices in tqdm(length_sorted_batches([len(t) for t in token_lists], batch_size),
                                desc="caching frozen bottom", disable=not progress):
                inputs = pad_batch(tokenizer, [token_lists[i] for i in indices])
                with capture_outputs([layers[blocks - 1]], stop=True) as captured:  # the upper blocks never run
                    model.backbone(**inputs)
                for row, index in enumerate(indices):  # captured[0] is hidden_states[blocks]
                    self.states[index] = captured[0][row, : len(token_lists[index])].clone()
        model.train(was_training)

    @staticmethod
    def _probe_real_blocks(model, block) -> int:
        """One forward pass through the real blocks, before ``inside`` ever swaps them; returns ``block``'s output
        tuple length (0 for a plain tensor), which the pass-throughs must imitate.

        It asks for hidden states because transformers installs its hidden-state hooks once, on the blocks present
        at the first such call: that must be the real blocks, never the pass-throughs.
        """
        seen = {}

        def record(_module, _inputs, output):  # returns None: the output is left alone
            seen["tuple"] = len(output) if isinstance(output, tuple) else 0

        handle = block.register_forward_hook(record)
        with torch.inference_mode():
            probe = torch.ones(1, 2, dtype=torch.long)
            model.backbone(input_ids=probe, attention_mask=probe, output_hidden_states=True)
        handle.remove()
        return seen["tuple"]

    @contextlib.contextmanager
    def inside(self, model: EarlyExitClassifier, indices, width: int):
        batch = torch.zeros(len(indices), width, self.states[indices[0]].shape[-1])
        for row, index in enumerate(indices):
            batch[row, : len(self.states[index])] = self.states[index]
        layers = get_path(model.backbone, model.spec.layers)
        embeddings = model.backbone.embeddings
        embeddings_training = embeddings.training
        handle = embeddings.register_forward_hook(lambda _m, _i, _o: batch)
        try:
            embeddings.eval()  # its output is replaced: draw no dropout noise for it
            with _passthroughs(layers, range(self.blocks), self.tuple_length):
                yield
        finally:
            handle.remove()
            embeddings.train(embeddings_training)


@contextlib.contextmanager
def _passthroughs(layers, indices, tuple_length: int):
    """Blocks ``indices`` of ``layers`` return their input unchanged inside the context; restored on exit."""
    originals = {i: layers[i] for i in indices}
    try:
        for i in originals:
            layers[i] = _Passthrough(tuple_length)
        yield
    finally:
        for i, block in originals.items():
            layers[i] = block


class RunLedger:
    """``run_dir/ledger.json``: the fingerprint of what the directory's artifacts were made from, and the seconds
    spent on each stage whose result was kept (``charge``), so a resumed run reports its whole cost."""

    def __init__(self, run_dir: Path, fingerprint: dict):
        run_dir = Path(run_dir)
        self.path = run_dir / "ledger.json"
        self.fingerprint = json.loads(json.dumps(fingerprint))  # tuples become lists, as stored
        if self.path.is_file():
            stored = json.loads(self.path.read_text())
            changed = sorted(key for key in self.fingerprint.keys() | stored["fingerprint"].keys()
                             if self.fingerprint.get(key) != stored["fingerprint"].get(key))
            if changed:
                raise CacheMismatchError(f"{run_dir} holds checkpoints made with different {changed}; delete the "
                                         "directory (or pass --force to scripts/compute_layer_scores.py) to recompute")
            self.seconds = stored["seconds"]
        elif any(run_dir.glob("*.pt")):
            raise CacheMismatchError(f"{run_dir} holds checkpoints but no ledger.json, so what made them is unknown; "
                                     "delete the directory to recompute")
        else:
            self.seconds = {}
        self.prior_seconds = sum(self.seconds.values())  # work kept from earlier processes

    def charge(self, stage: str, seconds: float, *, accumulate: bool = True) -> None:
        """Add ``seconds`` to the stage (or, with ``accumulate=False``, replace a stage that was redone whole)."""
        self.seconds[stage] = round((self.seconds.get(stage, 0.0) if accumulate else 0.0) + seconds, 3)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps({"fingerprint": self.fingerprint, "seconds": self.seconds}, indent=1) + "\n")
        temporary.replace(self.path)


class _Checkpoint:
    """Rolling resumable state plus one model file per finished epoch."""

    def __init__(self, run_dir: Path, ledger: RunLedger | None = None):
        self.run_dir = run_dir
        self.path = run_dir / "checkpoint.pt"
        self.ledger, self.last_saved = ledger, time.perf_counter()

    def save(self, model, optimizer, epoch: int, step: int) -> None:
        state = {"epoch": epoch, "step": step, "model": _trainable_state(model), "optimizer": optimizer.state_dict(),
                 "torch_rng": torch.get_rng_state()}
        temporary = self.path.with_suffix(".tmp")
        torch.save(state, temporary)
        temporary.replace(self.path)
        if self.ledger:  # the time since the previous checkpoint is now kept work
            now = time.perf_counter()
            self.ledger.charge("training", now - self.last_saved)
            self.last_saved = now

    def restore(self, model, optimizer) -> tuple[int, int]:
        if not self.path.is_file():
            return 0, 0
        state = torch.load(self.path, weights_only=False)
        model.load_state_dict(state["model"], strict=False)
        optimizer.load_state_dict(state["optimizer"])
        torch.set_rng_state(state["torch_rng"])
        return state["epoch"], state["step"]

    def save_epoch(self, model, epoch: int) -> None:
        torch.save(_trainable_state(model), self.run_dir / f"epoch_{epoch}.pt")


def _trainable_state(model) -> dict:
    trainable = {name for name, p in model.named_parameters() if p.requires_grad}
    return {name: tensor for name, tensor in model.state_dict().items() if name in trainable}


def _log(run_dir: Path, record: dict) -> None:
    with open(run_dir / "log.jsonl", "a") as handle:
        handle.write(json.dumps(record) + "\n")


def finetune(model: EarlyExitClassifier, tokenizer, train, validation, recipe: Recipe, run_dir: Path, *,
             max_length: int, progress: bool = True, ledger: RunLedger | None = None) -> EarlyExitClassifier:
    """Train on the final layer's logits; resumes from ``run_dir/checkpoint.pt`` if present."""
    run_dir.mkdir(parents=True, exist_ok=True)
    freeze_bottom(model, embeddings=recipe.freeze_embeddings, blocks=recipe.frozen_blocks, shared=recipe.cache_frozen)
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=recipe.learning_rate)
    checkpoint = _Checkpoint(run_dir, ledger)
    start_epoch, start_step = checkpoint.restore(model, optimizer)
    token_lists = tokenize(tokenizer, train[0], max_length)
    labels = torch.as_tensor(np.asarray(train[1]), dtype=torch.long)
    frozen_cache = None
    if recipe.cache_frozen and start_epoch < recipe.epochs:
        if not (recipe.frozen_blocks and recipe.freeze_embeddings):
            raise ValueError("cache_frozen needs frozen_blocks > 0 and freeze_embeddings=True")
        frozen_cache = FrozenBottomCache(model, tokenizer, token_lists, recipe.frozen_blocks, progress=progress)
    for epoch in range(start_epoch, recipe.epochs):
        batches = epoch_batches([len(t) for t in token_lists], recipe.batch_size, recipe.seed, epoch)
        model.train()
        losses = []
        bar = tqdm(batches, desc=f"epoch {epoch + 1}/{recipe.epochs}", disable=not progress, initial=start_step)
        for step, indices in enumerate(batches[start_step:], start=start_step):
            inputs = pad_batch(tokenizer, [token_lists[i] for i in indices])
            with frozen_cache.inside(model, indices, inputs["input_ids"].shape[1]) if frozen_cache else contextlib.nullcontext():
                loss = torch.nn.functional.cross_entropy(model(**inputs), labels[indices])
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
            losses.append(loss.item())
            bar.update(1)
            bar.set_postfix(loss=f"{np.mean(losses[-50:]):.3f}", refresh=False)  # the bar redraws at its own pace
            if (step + 1) % recipe.checkpoint_every == 0:
                checkpoint.save(model, optimizer, epoch, step + 1)
        bar.close()
        start_step = 0
        val_f1 = evaluate_final_layer(model, tokenizer, validation, max_length=max_length)
        checkpoint.save_epoch(model, epoch + 1)
        checkpoint.save(model, optimizer, epoch + 1, 0)
        _log(run_dir, {"epoch": epoch + 1, "train_loss": float(np.mean(losses)) if losses else None,
                       "validation_macro_f1": val_f1})
    return model.eval()


def evaluate_final_layer(model: EarlyExitClassifier, tokenizer, split, *, max_length: int, batch_size: int = 64) -> float:
    model.eval()
    token_lists = tokenize(tokenizer, split[0], max_length)
    predictions = np.empty(len(token_lists), dtype=np.int64)
    with torch.inference_mode():
        for start in range(0, len(token_lists), batch_size):
            inputs = pad_batch(tokenizer, token_lists[start : start + batch_size])
            predictions[start : start + batch_size] = model(**inputs).argmax(-1).numpy()
    return float(classification_metrics(predictions, np.asarray(split[1]), model.head[-1].out_features)["macro_f1"])


# --- frozen backbone: train the head on cached pooled states ------------------------------------------

def pooled_layer_states(model: EarlyExitClassifier, tokenizer, texts, *, max_length: int, final_only: bool,
                        batch_size: int = 32, progress: bool = True, desc: str = "pooling") -> torch.Tensor:
    """(n, hidden) final-layer or (n, n_layers, hidden) pooled states of a frozen backbone, in input order."""
    model.eval()

    def pooled(input_ids, attention_mask):
        if final_only:
            hidden = model.backbone(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            return pool(hidden, attention_mask, model.pooling)
        states = model.layer_states(input_ids, attention_mask)
        return torch.stack([pool(h, attention_mask, model.pooling) for h in states], dim=1)

    token_lists = tokenize(tokenizer, texts, max_length)
    return torch.from_numpy(map_batches(pooled, token_lists, tokenizer, batch_size, desc, progress))


def train_head(model: EarlyExitClassifier, train_states: torch.Tensor, train_labels, val_states: torch.Tensor,
               val_labels, recipe: Recipe, run_dir: Path, *, progress: bool = True) -> EarlyExitClassifier:
    """Adam on the head alone, over cached final-layer pooled states; logs validation macro-F1 per epoch.

    Training the head takes seconds, so it is never resumed: each call starts afresh, with a fresh log."""
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "log.jsonl").unlink(missing_ok=True)
    optimizer = torch.optim.Adam(model.head.parameters(), lr=recipe.learning_rate)
    labels = torch.as_tensor(np.asarray(train_labels), dtype=torch.long)
    n_classes = model.head[-1].out_features
    for epoch in range(recipe.epochs):
        rng = np.random.default_rng([recipe.seed, epoch])
        order = rng.permutation(len(labels))
        model.head.train()
        losses = []
        for start in tqdm(range(0, len(order), recipe.batch_size), desc=f"head epoch {epoch + 1}", disable=not progress):
            indices = order[start : start + recipe.batch_size]
            loss = torch.nn.functional.cross_entropy(model.head(train_states[indices]), labels[indices])
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
            losses.append(loss.item())
        model.head.eval()
        with torch.inference_mode():
            predictions = model.head(val_states).argmax(-1).numpy()
        val_f1 = float(classification_metrics(predictions, np.asarray(val_labels), n_classes)["macro_f1"])
        torch.save(model.head.state_dict(), run_dir / f"head_epoch_{epoch + 1}.pt")
        _log(run_dir, {"epoch": epoch + 1, "train_loss": float(np.mean(losses)), "validation_macro_f1": val_f1})
    return model


def timed(function, *args, **kwargs):
    start = time.perf_counter()
    value = function(*args, **kwargs)
    return value, time.perf_counter() - start
