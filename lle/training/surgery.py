"""Model surgery for training on a CPU: freezing the bottom of a network, and running only its trainable top.

:class:`FrozenBottomCache` computes the frozen bottom's output once; its ``inside`` context manager swaps the
frozen blocks for pass-throughs for one batch and always restores the model, also after an exception.
"""

from __future__ import annotations

import contextlib

import torch

from lle.models.architectures import get_path
from lle.models.device import to_device
from lle.models.readout import EarlyExitClassifier, capture_outputs, length_sorted_batches, pad_batch
from lle.progress import tqdm


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

    def __init__(
        self,
        model: EarlyExitClassifier,
        tokenizer,
        token_lists,
        blocks: int,
        *,
        batch_size: int = 64,
        progress: bool = True,
    ):
        if getattr(model.backbone, "embeddings", None) is None or model.spec.kind != "encoder":
            raise ValueError(
                f"cache_frozen is supported for encoders with an embeddings module, not "
                f"{model.spec.model_type}; train with cache_frozen=False"
            )
        self.blocks = blocks
        layers = get_path(model.backbone, model.spec.layers)
        self.tuple_length = self._probe_real_blocks(model, layers[0])
        self.states: list[torch.Tensor] = [None] * len(token_lists)
        device = next(model.parameters()).device
        was_training = model.training
        model.eval()
        with torch.inference_mode():
            for indices in tqdm(
                length_sorted_batches([len(t) for t in token_lists], batch_size),
                desc="caching frozen bottom",
                disable=not progress,
            ):
                inputs = to_device(pad_batch(tokenizer, [token_lists[i] for i in indices]), device)
                with capture_outputs([layers[blocks - 1]], stop=True) as captured:  # the upper blocks never run
                    model.backbone(**inputs)
                for row, index in enumerate(indices):  # captured[0] is hidden_states[blocks]; kept on the CPU
                    self.states[index] = captured[0][row, : len(token_lists[index])].cpu().clone()
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
            probe = torch.ones(1, 2, dtype=torch.long, device=next(model.parameters()).device)
            model.backbone(input_ids=probe, attention_mask=probe, output_hidden_states=True)
        handle.remove()
        return seen["tuple"]

    @contextlib.contextmanager
    def inside(self, model: EarlyExitClassifier, indices, width: int):
        batch = torch.zeros(len(indices), width, self.states[indices[0]].shape[-1])
        for row, index in enumerate(indices):
            batch[row, : len(self.states[index])] = self.states[index]
        batch = batch.to(next(model.parameters()).device)
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
