"""Rolling, resumable training state and the per-epoch log of a run directory.

A checkpoint holds only the trainable parameters, the optimizer, the RNG state and the epoch log so far; it is
written to a temporary file and renamed, so an interruption never leaves a half-written checkpoint, and the log file
is rewritten from the checkpoint it belongs to, so a run killed between the two and resumed logs each epoch once. An optional ledger (anything with a
``charge(stage, seconds)`` method, e.g. :class:`lle.store.ledger.RunLedger`) is charged the time between saves.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import torch

from lle.integrity import atomic_path, atomic_write_text, fault_point


class Checkpoint:
    """Rolling resumable state plus one model file per finished epoch."""

    def __init__(self, run_dir: Path, ledger=None):
        self.run_dir = run_dir
        self.path = run_dir / "checkpoint.pt"
        self.ledger, self.last_saved = ledger, time.perf_counter()
        self.history: list[dict] = []  # the epoch records of the training this checkpoint belongs to

    def save(self, model, optimizer, epoch: int, step: int) -> None:
        state = {
            "epoch": epoch,
            "step": step,
            "model": _trainable_state(model),
            "optimizer": optimizer.state_dict(),
            "torch_rng": torch.get_rng_state(),
            "history": self.history,
        }
        with atomic_path(self.path) as temporary:
            torch.save(state, temporary)
        write_log(self.run_dir, self.history)
        fault_point("checkpoint saved")
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
        self.history = list(state.get("history", []))
        write_log(self.run_dir, self.history)  # the log as of this checkpoint, whatever was appended after it
        return state["epoch"], state["step"]

    def save_epoch(self, model, epoch: int) -> None:
        with atomic_path(self.run_dir / f"epoch_{epoch}.pt") as temporary:
            torch.save(_trainable_state(model), temporary)


def _trainable_state(model) -> dict:
    trainable = {name for name, p in model.named_parameters() if p.requires_grad}
    return {name: tensor for name, tensor in model.state_dict().items() if name in trainable}


def write_log(run_dir: Path, records: list[dict]) -> None:
    """Write the run's training log (one JSON line per epoch) as ``records``, atomically."""
    atomic_write_text(Path(run_dir) / "log.jsonl", "".join(json.dumps(record) + "\n" for record in records))


def append_log(run_dir: Path, record: dict) -> None:
    """Append ``record`` as one JSON line to the run's training log."""
    with open(run_dir / "log.jsonl", "a") as handle:
        handle.write(json.dumps(record) + "\n")
