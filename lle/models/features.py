"""Per-layer pooled features of a frozen backbone, for layer-wise probes (Sparsify-then-Classify).

Two representations per layer: ``hidden`` — Hugging Face ``hidden_states`` as the model returns them (index 0 =
embeddings; no final norm added, so for pre-LN decoders only the last one is normed, as in HF) — and ``ffn`` — the
feed-forward activations of each block, one value per FFN unit, from the architectures table's hook point. FFN
layer indices follow the hidden-state numbering: block i's activations are layer i+1 (there is no FFN layer 0).

Three poolings over real tokens only: ``mean``, ``max``, and ``token`` — the single token the architecture
summarizes into (CLS for encoders, the last real token for decoders).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch

from lle.models.architectures import architecture_of, backbone_of, ffn_modules
from lle.models.device import place
from lle.models.readout import capture_outputs, map_batches, pool, tokenize

REPRESENTATIONS = ("hidden", "ffn")
PROBE_POOLINGS = ("mean", "max", "token")


def token_pooling(model) -> str:
    """The single-token pooling of an architecture: 'cls' for encoders, 'last' (last real token) for decoders."""
    return "cls" if architecture_of(model).kind == "encoder" else "last"


def check_feature_kinds(representations: Sequence[str], poolings: Sequence[str]) -> None:
    """Reject empty or unknown representations and poolings."""
    for name, given, allowed in (
        ("representations", representations, REPRESENTATIONS),
        ("poolings", poolings, PROBE_POOLINGS),
    ):
        unknown = sorted(set(given) - set(allowed))
        if unknown or not given:
            raise ValueError(f"{name} {list(given)} must be a non-empty subset of {list(allowed)}")


def layer_features(
    model,
    tokenizer,
    texts: Sequence[str],
    *,
    max_length: int,
    representations: Sequence[str] = REPRESENTATIONS,
    poolings: Sequence[str] = PROBE_POOLINGS,
    batch_size: int = 32,
    progress: bool = True,
    device=None,
    precision: str = "fp32",
    desc: str = "features",
) -> dict[tuple[str, str], np.ndarray]:
    """{(representation, pooling): float32 array (n_texts, n_layers, width)} in input order.

    ``hidden`` has n_blocks + 1 layers (0 = embeddings), ``ffn`` has n_blocks (layers 1..n_blocks)."""
    check_feature_kinds(representations, poolings)
    backbone = backbone_of(model).eval()
    device = place(backbone, device, precision)
    kinds = [(rep, pooling) for rep in representations for pooling in poolings]
    modules = ffn_modules(model) if "ffn" in representations else []
    spec = architecture_of(model)
    shapes: dict = {}

    def pooled_features(input_ids, attention_mask):
        with capture_outputs(modules, inputs=spec.ffn_activation_is_input) as ffn:
            hidden = backbone(
                input_ids=input_ids, attention_mask=attention_mask, output_hidden_states=True
            ).hidden_states
        states = {"hidden": hidden, "ffn": ffn}
        parts = []
        for rep, pooling in kinds:
            method = token_pooling(model) if pooling == "token" else pooling
            stacked = torch.stack([pool(h.float(), attention_mask, method) for h in states[rep]], dim=1)
            shapes[(rep, pooling)] = stacked.shape[1:]
            parts.append(stacked.flatten(1))
        return torch.cat(parts, dim=1)  # one array per batch; split back per kind below

    flat = map_batches(
        pooled_features,
        tokenize(tokenizer, texts, max_length),
        tokenizer,
        batch_size,
        desc,
        progress,
        device=device,
        precision=precision,
    )
    return _split(flat, kinds, shapes)


def _split(flat: np.ndarray, kinds, shapes) -> dict:
    result, start = {}, 0
    for kind in kinds:
        size = int(np.prod(shapes[kind]))
        result[kind] = flat[:, start : start + size].reshape((len(flat),) + tuple(shapes[kind]))
        start += size
    return result
