"""The four backbones the package studies, in one table: each one's Hub id, whether it is a decoder (it can write
its own texts and be steered), whether it is deep enough that the comparisons' probes read every other layer, and
the cached LLE run set beside it in the comparisons. The runs' recipes are in :mod:`lle.runs.pipeline`;
where the weights come from, in :mod:`lle.models.resolve`."""

from __future__ import annotations

from dataclasses import dataclass

MINILM = "sentence-transformers/all-MiniLM-L6-v2"
MPNET = "sentence-transformers/all-mpnet-base-v2"
SMOLLM2 = "HuggingFaceTB/SmolLM2-135M-Instruct"
GEMMA3 = "google/gemma-3-270m"


@dataclass(frozen=True)
class Backbone:
    """One backbone: its short name (the Hub id's last part), Hub id, kind, depth and the LLE run beside it."""

    name: str
    hub_id: str
    decoder: bool
    deep: bool
    lle_run: str


BACKBONES = {
    backbone.name: backbone
    for backbone in (
        Backbone("all-MiniLM-L6-v2", MINILM, decoder=False, deep=False, lle_run="all-MiniLM-L6-v2-finetuned"),
        Backbone("all-mpnet-base-v2", MPNET, decoder=False, deep=False, lle_run="all-mpnet-base-v2-lower-half-frozen"),
        Backbone(
            "SmolLM2-135M-Instruct", SMOLLM2, decoder=True, deep=True, lle_run="SmolLM2-135M-Instruct-frozen-head"
        ),
        Backbone("gemma-3-270m", GEMMA3, decoder=True, deep=True, lle_run="gemma-3-270m-frozen-head"),
    )
}


def backbone(name: str) -> Backbone:
    """The table's entry for ``name``; an unknown name is a ValueError listing the known ones."""
    if name not in BACKBONES:
        raise ValueError(
            f"backbone {name!r} is not one of {sorted(BACKBONES)}; add it to "
            "lle.models.backbones.BACKBONES with its Hub id"
        )
    return BACKBONES[name]
