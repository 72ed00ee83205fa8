"""Activation steering: add ``coefficient · vector`` to the residual stream, as a context manager that always
removes its hook (also after an exception).

Layers follow the ``hidden_states`` numbering: steering layer ℓ (1..L) adds to the output of block ℓ−1, so
``hidden_states[ℓ]`` and everything computed from it shift. ``from_position`` adds only at token positions ≥ it
(e.g. the prompt's length: only the generated tokens are steered); positions are counted across the successive
forward calls of one generation (key/value cache), so use one context per generation.
"""

from __future__ import annotations

import contextlib

import torch

from lle.models.architectures import architecture_of, backbone_of, get_path


def block_for_layer(model, layer: int):
    """The block whose output is ``hidden_states[layer]`` (layer 1..L); the embeddings (layer 0) are not steered."""
    blocks = get_path(backbone_of(model), architecture_of(model).layers)
    if not 1 <= layer <= len(blocks):
        raise ValueError(
            f"layer must lie in 1..{len(blocks)} (hidden_states numbering; 0, the embeddings, is not "
            f"steered), got {layer}"
        )
    return blocks[layer - 1]


@contextlib.contextmanager
def steering(model, layer: int, vector, coefficient: float, *, from_position: int | None = None):
    """Within the context, block ``layer``−1 outputs ``h + coefficient · vector`` (at positions ≥ ``from_position``
    when given). Yields the hook's state: ``calls`` (forward calls seen) and ``position`` (tokens seen)."""
    block = block_for_layer(model, layer)
    vector = torch.as_tensor(vector, dtype=torch.float32)
    if vector.shape != (model.config.hidden_size,):
        raise ValueError(
            f"vector must be one direction of the residual stream ({model.config.hidden_size} values), "
            f"got shape {tuple(vector.shape)}"
        )
    state = {"calls": 0, "position": 0}

    def add(_module, _inputs, output):
        hidden = output[0] if isinstance(output, tuple) else output
        steer = (coefficient * vector).to(hidden.device, hidden.dtype)
        length = hidden.shape[1]
        if from_position is None:
            shifted = hidden + steer
        else:
            positions = torch.arange(state["position"], state["position"] + length, device=hidden.device)
            shifted = hidden + (positions >= from_position).to(hidden.dtype)[None, :, None] * steer
        state["calls"] += 1
        state["position"] += length
        return (shifted,) + tuple(output[1:]) if isinstance(output, tuple) else shifted

    handle = block.register_forward_hook(add)
    try:
        yield state
    finally:
        handle.remove()
