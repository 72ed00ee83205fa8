"""Data-parallel fine-tuning through Hugging Face Accelerate.

GPUs: ``accelerate launch --multi_gpu --num_processes N -m lle run ...``; CPU processes (tests, or a machine
without GPUs): the same, or ``torchrun --nproc_per_node N -m lle run ...`` (``accelerate launch --cpu`` starts a
single process).

Every process draws the same global batches (they are a function of seed and epoch) and takes its own shard of each,
``indices[rank::world_size]``. The loss of a shard is the *sum* of its examples' cross-entropies divided by the
global batch size and multiplied by the world size; DDP averages gradients over processes, so the step follows
the gradient of the global batch's mean loss, the same as one process at the same batch size, however unevenly a
batch splits. A process whose shard is empty (a last batch smaller than the world size) still runs the forward and
backward passes DDP synchronizes on, with one example at weight 0. Only the main process writes checkpoints and
logs and evaluates; the others wait for it. Not launched that way (one process), nothing here is used and training
is exactly the single-process loop.
"""

from __future__ import annotations

import os

import numpy as np
import torch

from lle.models.device import PRECISIONS


def launched_data_parallel() -> bool:
    """True inside ``accelerate launch`` (or ``torchrun``) with more than one process."""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def accelerator_from_environment(precision: str):
    """An ``accelerate.Accelerator`` when launched data-parallel, else None. Mixed precision is the package's
    ``precision`` (autocast in the training step); a different ``--mixed_precision`` given to ``accelerate launch``
    is an error, not silently overridden."""
    if not launched_data_parallel():
        return None
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {sorted(PRECISIONS)}, got {precision!r}")
    launched = os.environ.get("ACCELERATE_MIXED_PRECISION", "no")
    if launched not in ("no", precision):
        raise ValueError(
            f"accelerate launch --mixed_precision {launched} disagrees with --precision {precision}; "
            f"pass --precision {launched} to lle run (or drop --mixed_precision): the package's own "
            "autocast sets the precision"
        )
    from accelerate import Accelerator, DistributedDataParallelKwargs

    # Backbones carry parameters the classification loss never reaches (BERT's pooler); DDP must not wait for them.
    unused = DistributedDataParallelKwargs(find_unused_parameters=True)
    # Accelerate forms a group of CPU processes (gloo) only when told to use the CPU; without CUDA that is the case.
    cpu = os.environ.get("ACCELERATE_USE_CPU", "false").lower() in ("1", "true", "yes") or not torch.cuda.is_available()
    return Accelerator(mixed_precision="no", cpu=cpu, kwargs_handlers=[unused])  # autocast is ours, per step


class DataParallel:
    """One process's view of a data-parallel run: its shard of each global batch, and the main process's duties."""

    def __init__(self, accelerator):
        self.accelerator = accelerator
        self.rank, self.world_size = accelerator.process_index, accelerator.num_processes

    @property
    def is_main(self) -> bool:
        return self.accelerator.is_main_process

    @property
    def device(self) -> torch.device:
        return self.accelerator.device

    def wrap(self, model: torch.nn.Module) -> torch.nn.Module:
        """The DDP-wrapped model (gradients all-reduced); the unwrapped model stays what checkpoints save."""
        return self.accelerator.prepare_model(model)

    def shard(self, indices: np.ndarray) -> tuple[np.ndarray, float]:
        """This process's examples of a global batch and the weight of their summed loss (0 for a stand-in)."""
        mine = indices[self.rank :: self.world_size]
        if len(mine) == 0:
            return indices[:1], 0.0
        return mine, self.world_size / len(indices)

    def global_mean(self, shard_loss_sum: float, batch_size: int) -> float:
        """The global batch's mean loss, for the progress bar and log."""
        total = self.accelerator.reduce(torch.tensor([shard_loss_sum], device=self.device), reduction="sum")
        return float(total.item()) / batch_size

    def wait(self) -> None:
        self.accelerator.wait_for_everyone()

    def reseed(self, seed: int, epoch: int, step: int) -> None:
        """Each process's own dropout stream, a function of (seed, rank, epoch, step), so a resumed data-parallel
        run draws the same masks as an uninterrupted one."""
        torch.manual_seed(int(np.random.default_rng([seed, self.rank, epoch, step]).integers(2**62)))
