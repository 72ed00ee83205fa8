"""The training loops: the paper's recipe run resumably and deterministically.

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
Only the rolling checkpoint is kept unless ``keep_epochs=True`` asks for every epoch's model (``epoch_<n>.pt``);
``log.jsonl`` records loss and validation macro-F1 per epoch.
A ``RunLedger`` (``ledger.json``) records what a run directory's checkpoints and cached states were made from and
the seconds spent on them: reusing them for another recipe is an error, and a resumed run reports its whole cost.
"""

from __future__ import annotations

import contextlib
import copy
import random
import time
from pathlib import Path

import numpy as np
import torch

from lle.integrity import atomic_path
from lle.method.metrics import classification_metrics
from lle.models.device import autocast, place, to_device
from lle.models.readout import EarlyExitClassifier, map_batches, pad_batch, pool, tokenize
from lle.progress import tqdm
from lle.training.checkpoints import Checkpoint, append_log
from lle.training.parallel import DataParallel
from lle.training.recipe import Recipe
from lle.training.surgery import FrozenBottomCache, freeze_bottom

POOL_BATCHES = 50  # batches per length-sorted pool


def set_seed(seed: int) -> None:
    """Seed Python's, numpy's and torch's global generators."""
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


def finetune(
    model: EarlyExitClassifier,
    tokenizer,
    train,
    validation,
    recipe: Recipe,
    run_dir: Path,
    *,
    max_length: int,
    progress: bool = True,
    ledger=None,
    reseed: bool = True,
    device=None,
    precision: str = "fp32",
    keep_epochs: bool = False,
    accelerator=None,
) -> EarlyExitClassifier:
    """Train on the final layer's logits; resumes from ``run_dir/checkpoint.pt`` if present.

    ``train`` and ``validation`` are ``datasets.Dataset`` objects with ``text`` and ``label`` columns, or
    ``(texts, labels)`` pairs. With ``reseed`` (the default) the recipe's seed is set first; a resumed run then
    restores its RNG state from the checkpoint. ``device`` ("auto", "cpu", "cuda"; None: where the model is) and
    ``precision`` ("fp32", "bf16"; "fp16" with a gradient scaler, GPU only) choose where and how it trains.
    ``keep_epochs`` also keeps every epoch's trainable weights (``epoch_<n>.pt``); by default only the rolling
    checkpoint, which resuming needs, stays on disk. ``accelerator`` (an ``accelerate.Accelerator`` of a
    data-parallel launch, :mod:`lle.training.parallel`) shards every batch over its processes; the device is then
    the accelerator's."""
    train, validation = texts_and_labels(train, "train"), texts_and_labels(validation, "validation")
    if reseed:
        set_seed(recipe.seed)
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    parallel = DataParallel(accelerator) if accelerator is not None else None
    if parallel is not None:
        if device not in (None, "auto"):
            raise ValueError(
                f"device={device!r} and an accelerator were both given; a data-parallel run trains "
                "where the accelerator places each process, so leave device=None"
            )
        device = parallel.device
    device = place(model, device, precision)
    freeze_bottom(model, embeddings=recipe.freeze_embeddings, blocks=recipe.frozen_blocks, shared=recipe.cache_frozen)
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=recipe.learning_rate)
    checkpoint = Checkpoint(run_dir, ledger)
    start_epoch, start_step = checkpoint.restore(model, optimizer)
    loop = _TrainingLoop(model, tokenizer, train, recipe, max_length, device, precision, parallel, progress)
    loop.cache_frozen_bottom(start_epoch)
    is_main = parallel is None or parallel.is_main
    for epoch in range(start_epoch, recipe.epochs):
        losses = loop.run_epoch(epoch, start_step, optimizer, checkpoint)
        start_step = 0
        if is_main:
            val_f1 = evaluate_final_layer(model, tokenizer, validation, max_length=max_length, precision=precision)
            if keep_epochs:
                checkpoint.save_epoch(model, epoch + 1)
            checkpoint.history.append(
                {
                    "epoch": epoch + 1,
                    "train_loss": float(np.mean(losses)) if losses else None,
                    "validation_macro_f1": val_f1,
                }
            )
            checkpoint.save(model, optimizer, epoch + 1, 0)  # the log is written with it
        if parallel is not None:
            parallel.wait()
    return model.eval()


class _TrainingLoop:
    """The steps of one epoch: length-bucketed global batches, each (with data parallelism) cut into this
    process's shard; rolling checkpoints by the main process."""

    def __init__(
        self, model, tokenizer, train, recipe: Recipe, max_length: int, device, precision: str, parallel, progress: bool
    ):
        self.model, self.tokenizer, self.recipe = model, tokenizer, recipe
        self.device, self.precision, self.parallel = device, precision, parallel
        self.token_lists = tokenize(tokenizer, train[0], max_length)
        self.labels = torch.as_tensor(np.asarray(train[1]), dtype=torch.long)
        self.scaler = torch.amp.GradScaler(device.type) if precision == "fp16" else None
        self.trained = parallel.wrap(model) if parallel is not None else model
        self.progress = progress and (parallel is None or parallel.is_main)
        self.frozen_cache = None

    def cache_frozen_bottom(self, start_epoch: int) -> None:
        recipe = self.recipe
        if recipe.cache_frozen and start_epoch < recipe.epochs:
            if not (recipe.frozen_blocks and recipe.freeze_embeddings):
                raise ValueError("cache_frozen needs frozen_blocks > 0 and freeze_embeddings=True")
            self.frozen_cache = FrozenBottomCache(
                self.model, self.tokenizer, self.token_lists, recipe.frozen_blocks, progress=self.progress
            )

    def run_epoch(self, epoch: int, start_step: int, optimizer, checkpoint) -> list[float]:
        recipe = self.recipe
        batches = epoch_batches([len(t) for t in self.token_lists], recipe.batch_size, recipe.seed, epoch)
        self.trained.train()
        losses = []
        bar = tqdm(batches, desc=f"epoch {epoch + 1}/{recipe.epochs}", disable=not self.progress, initial=start_step)
        for step, indices in enumerate(batches[start_step:], start=start_step):
            losses.append(self.step(indices, optimizer, epoch, step))
            bar.update(1)
            bar.set_postfix(loss=f"{np.mean(losses[-50:]):.3f}", refresh=False)  # the bar redraws at its own pace
            if (step + 1) % recipe.checkpoint_every == 0:
                self.save(checkpoint, optimizer, epoch, step + 1)
        bar.close()
        return losses

    def step(self, indices: np.ndarray, optimizer, epoch: int, step: int) -> float:
        weight, batch_size = None, len(indices)
        if self.parallel is not None:
            self.parallel.reseed(self.recipe.seed, epoch, step)
            indices, weight = self.parallel.shard(indices)
        inputs = to_device(pad_batch(self.tokenizer, [self.token_lists[i] for i in indices]), self.device)
        frozen = (
            self.frozen_cache.inside(self.model, indices, inputs["input_ids"].shape[1])
            if self.frozen_cache
            else contextlib.nullcontext()
        )
        with frozen:
            loss = train_step(
                self.trained,
                inputs,
                self.labels[indices],
                optimizer,
                self.scaler,
                self.device,
                self.precision,
                weight=weight,
            )
        if self.parallel is None:
            return loss
        return self.parallel.global_mean(loss / weight if weight else 0.0, batch_size)

    def save(self, checkpoint, optimizer, epoch: int, step: int) -> None:
        if self.parallel is None or self.parallel.is_main:
            checkpoint.save(self.model, optimizer, epoch, step)
        if self.parallel is not None:
            self.parallel.wait()


def texts_and_labels(split, name: str) -> tuple[list[str], np.ndarray]:
    """(texts, labels) from a ``datasets.Dataset`` with ``text`` and ``label`` columns or from such a pair."""
    if hasattr(split, "column_names"):
        missing = {"text", "label"} - set(split.column_names)
        if missing:
            raise ValueError(
                f"{name} has no column(s) {sorted(missing)} (it has {split.column_names}); rename them "
                "with dataset.rename_column(...)"
            )
        return list(split["text"]), np.asarray(split["label"])
    try:
        texts, labels = split
    except (TypeError, ValueError):
        raise TypeError(
            f"{name} must be a datasets.Dataset with text and label columns or a (texts, labels) pair, "
            f"got {type(split).__name__}"
        ) from None
    texts, labels = list(texts), np.asarray(labels)
    if len(texts) != len(labels) or not len(texts):
        raise ValueError(
            f"{name} has {len(texts)} texts and {len(labels)} labels; give one label per text, at least one"
        )
    return texts, labels


def evaluate_final_layer(
    model: EarlyExitClassifier, tokenizer, split, *, max_length: int, batch_size: int = 64, precision: str = "fp32"
) -> float:
    """Macro-F1 of the final layer's predictions on ``split`` (texts, labels)."""
    model.eval()
    device = next(model.parameters()).device
    token_lists = tokenize(tokenizer, split[0], max_length)
    predictions = np.empty(len(token_lists), dtype=np.int64)
    with torch.inference_mode():
        for start in range(0, len(token_lists), batch_size):
            inputs = to_device(pad_batch(tokenizer, token_lists[start : start + batch_size]), device)
            with autocast(device, precision):
                predictions[start : start + batch_size] = model(**inputs).argmax(-1).cpu().numpy()
    return float(classification_metrics(predictions, np.asarray(split[1]), model.head[-1].out_features)["macro_f1"])


# --- frozen backbone: train the head on cached pooled states ------------------------------------------


def pooled_layer_states(
    model: EarlyExitClassifier,
    tokenizer,
    texts,
    *,
    max_length: int,
    final_only: bool,
    batch_size: int = 32,
    progress: bool = True,
    desc: str = "pooling",
    device=None,
    precision: str = "fp32",
) -> torch.Tensor:
    """(n, hidden) final-layer or (n, n_layers, hidden) pooled states of a frozen backbone, in input order, as
    float32 on the CPU."""
    model.eval()
    device = place(model, device, precision)

    def pooled(input_ids, attention_mask):
        if final_only:
            hidden = model.backbone(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            return pool(hidden, attention_mask, model.pooling)
        states = model.layer_states(input_ids, attention_mask)
        return torch.stack([pool(h, attention_mask, model.pooling) for h in states], dim=1)

    token_lists = tokenize(tokenizer, texts, max_length)
    return torch.from_numpy(
        map_batches(pooled, token_lists, tokenizer, batch_size, desc, progress, device=device, precision=precision)
    )


def train_head(
    model: EarlyExitClassifier,
    train_states: torch.Tensor,
    train_labels,
    val_states: torch.Tensor,
    val_labels,
    recipe: Recipe,
    run_dir: Path,
    *,
    progress: bool = True,
) -> EarlyExitClassifier:
    """Adam on the head alone, over cached final-layer pooled states; logs validation macro-F1 per epoch.

    Training the head takes seconds, so it is never resumed: each call starts afresh, with a fresh log."""
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "log.jsonl").unlink(missing_ok=True)
    optimizer = torch.optim.Adam(model.head.parameters(), lr=recipe.learning_rate)
    labels = torch.as_tensor(np.asarray(train_labels), dtype=torch.long)
    n_classes = model.head[-1].out_features
    device = next(model.head.parameters()).device  # the cached states stay on the CPU; batches go to the head
    for epoch in range(recipe.epochs):
        rng = np.random.default_rng([recipe.seed, epoch])
        order = rng.permutation(len(labels))
        model.head.train()
        losses = []
        for start in tqdm(
            range(0, len(order), recipe.batch_size), desc=f"head epoch {epoch + 1}", disable=not progress
        ):
            indices = order[start : start + recipe.batch_size]
            loss = torch.nn.functional.cross_entropy(
                model.head(train_states[indices].to(device)), labels[indices].to(device)
            )
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
            losses.append(loss.item())
        model.head.eval()
        with torch.inference_mode():
            predictions = model.head(val_states.to(device)).argmax(-1).cpu().numpy()
        val_f1 = float(classification_metrics(predictions, np.asarray(val_labels), n_classes)["macro_f1"])
        with atomic_path(run_dir / f"head_epoch_{epoch + 1}.pt") as temporary:
            torch.save(model.head.state_dict(), temporary)
        append_log(run_dir, {"epoch": epoch + 1, "train_loss": float(np.mean(losses)), "validation_macro_f1": val_f1})
    return model


def train_step(
    model, inputs: dict, labels: torch.Tensor, optimizer, scaler, device, precision: str, *, weight: float | None = None
) -> float:
    """One step of the paper's recipe: cross-entropy on the final layer's logits, backward, optimizer step; with
    fp16 the gradient scaler keeps small gradients from vanishing. Returns the loss: the batch mean, or with
    ``weight`` (a data-parallel shard, :meth:`lle.training.parallel.DataParallel.shard`) the summed loss times
    ``weight``."""
    with autocast(device, precision):
        logits = model(**inputs).float()
        if weight is None:
            loss = torch.nn.functional.cross_entropy(logits, labels.to(device))
        else:
            loss = torch.nn.functional.cross_entropy(logits, labels.to(device), reduction="sum") * weight
    if scaler is None:
        loss.backward()
        optimizer.step()
    else:
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
    optimizer.zero_grad()
    return loss.item()


def trainable_parameters(backbone, recipe: Recipe, n_classes: int) -> int:
    """How many parameters a recipe trains on this backbone: the head alone ("frozen"), nothing ("zeroshot"), or
    the head and the backbone minus what the recipe freezes ("finetune"). Counted on a fresh model, never
    ``backbone`` itself, whose requires_grad flags are left alone."""
    if recipe.mode == "zeroshot":
        return 0
    model = EarlyExitClassifier(copy.deepcopy(backbone), n_classes, pooling=recipe.pooling)
    if recipe.mode == "frozen":
        model.backbone.requires_grad_(False)
    else:
        freeze_bottom(
            model, embeddings=recipe.freeze_embeddings, blocks=recipe.frozen_blocks, shared=recipe.cache_frozen
        )
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def timed(function, *args, **kwargs):
    """``function(*args, **kwargs)`` and the seconds it took."""
    start = time.perf_counter()
    value = function(*args, **kwargs)
    return value, time.perf_counter() - start
