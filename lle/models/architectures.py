"""One explicit table of supported architectures: where the layers, final norm and head live, and how to pool.

Paths are dotted attribute paths resolved on the *backbone* (the base model without a task head, e.g.
``BertModel``, ``LlamaModel``, ``T5EncoderModel``); ``lm_head`` is resolved on the causal-LM wrapper.
An unknown ``config.model_type`` is an error. To describe a new architecture::

    from lle.models.architectures import ArchitectureSpec, register_architecture
    register_architecture(ArchitectureSpec(
        model_type="my_model", kind="decoder", layers="layers", final_norm="norm",
        pooling="last", last_hidden_state_is_normed=True))

``final_norm`` is the norm applied after the last block (``None`` for post-LN encoders such as BERT, whose
every block already ends in a LayerNorm). ``last_hidden_state_is_normed`` says whether Hugging Face's
``hidden_states[-1]`` already went through that norm (true for GPT-2, Llama, Gemma3 and the T5 encoder):
the readout applies the final norm to the intermediate layers only, never twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce


@dataclass(frozen=True)
class ArchitectureSpec:
    model_type: str  # config.model_type
    kind: str  # "encoder" or "decoder"
    layers: str  # dotted path of the block list on the backbone
    final_norm: str | None  # dotted path on the backbone, None for post-LN encoders
    pooling: str  # default pooling: "cls", "mean" or "last"
    last_hidden_state_is_normed: bool
    lm_head: str | None = None  # dotted path on the causal-LM wrapper
    authors_hook: str | None = None  # the authors' per-block hook point, "{i}" = block index
    authors_hook_offset: int = 1  # hidden-state index of block i's hook output = i + offset
    # The feed-forward "neurons" of block i (probes, Sparsify-then-Classify): the module whose output
    # (encoders' post-activation intermediate) or whose input (the down-projection of gated and GPT-style MLPs)
    # holds the activations, one value per FFN unit; None: not described, asking for them is an error.
    ffn_activation: str | None = None
    ffn_activation_is_input: bool = False


ARCHITECTURES: dict[str, ArchitectureSpec] = {}


def register_architecture(spec: ArchitectureSpec) -> ArchitectureSpec:
    """Add ``spec`` to the architecture table (kind and pooling checked)."""
    if spec.kind not in ("encoder", "decoder"):
        raise ValueError(f"kind must be 'encoder' or 'decoder', got {spec.kind!r}")
    if spec.pooling not in ("cls", "mean", "last"):
        raise ValueError(f"pooling must be 'cls', 'mean' or 'last', got {spec.pooling!r}")
    ARCHITECTURES[spec.model_type] = spec
    return spec


_ENCODER_FFN = {"ffn_activation": "encoder.layer.{i}.intermediate"}  # output = act(W_in x)
_DOWN_PROJ_INPUT = {"ffn_activation": "layers.{i}.mlp.down_proj", "ffn_activation_is_input": True}  # act(gate)·up
for _spec in (
    ArchitectureSpec("bert", "encoder", "encoder.layer", None, "cls", False, **_ENCODER_FFN),
    ArchitectureSpec("roberta", "encoder", "encoder.layer", None, "cls", False, **_ENCODER_FFN),
    ArchitectureSpec(
        "deberta",
        "encoder",
        "encoder.layer",
        None,
        "cls",
        False,
        authors_hook="encoder.layer.{i}.output",
        **_ENCODER_FFN,
    ),
    ArchitectureSpec(
        "deberta-v2",
        "encoder",
        "encoder.layer",
        None,
        "cls",
        False,
        authors_hook="encoder.layer.{i}.output",
        **_ENCODER_FFN,
    ),
    ArchitectureSpec("mpnet", "encoder", "encoder.layer", None, "cls", False, **_ENCODER_FFN),
    # T5 encoder: pre-LN; the authors hook the normalized residual before block i's feed-forward
    ArchitectureSpec(
        "t5",
        "encoder",
        "encoder.block",
        "encoder.final_layer_norm",
        "mean",
        True,
        authors_hook="encoder.block.{i}.layer.1.layer_norm",
        authors_hook_offset=0,
        ffn_activation="encoder.block.{i}.layer.1.DenseReluDense.wo",
        ffn_activation_is_input=True,
    ),
    ArchitectureSpec(
        "gpt2",
        "decoder",
        "h",
        "ln_f",
        "last",
        True,
        lm_head="lm_head",
        ffn_activation="h.{i}.mlp.c_proj",
        ffn_activation_is_input=True,
    ),
    ArchitectureSpec("llama", "decoder", "layers", "norm", "last", True, lm_head="lm_head", **_DOWN_PROJ_INPUT),
    ArchitectureSpec("gemma3_text", "decoder", "layers", "norm", "last", True, lm_head="lm_head", **_DOWN_PROJ_INPUT),
):
    register_architecture(_spec)


class UnknownArchitectureError(ValueError):
    """A model whose architecture is not in the table, or lacks the part asked for."""


def architecture_of(model) -> ArchitectureSpec:
    """The table entry of ``model``'s ``config.model_type``; an unknown one fails loudly."""
    model_type = getattr(getattr(model, "config", None), "model_type", None)
    if model_type not in ARCHITECTURES:
        raise UnknownArchitectureError(
            f"architecture {model_type!r} is not in lle's table (supported: {sorted(ARCHITECTURES)}). "
            "Describe it with lle.models.architectures.register_architecture(ArchitectureSpec(...)); see the module docstring."
        )
    return ARCHITECTURES[model_type]


def get_path(root, dotted: str):
    """Resolve 'encoder.layer.3.output' on a module (integers index into module lists)."""
    try:
        return reduce(
            lambda obj, part: obj[int(part)] if part.isdigit() else getattr(obj, part), dotted.split("."), root
        )
    except (AttributeError, IndexError) as err:
        raise UnknownArchitectureError(
            f"{type(root).__name__} has no {dotted!r}; its layout differs from lle's table entry"
        ) from err


def backbone_of(model):
    """The base model of a task model (``LlamaForCausalLM.model``, ``GPT2LMHeadModel.transformer``, ...)."""
    spec = architecture_of(model)
    for candidate in (
        model,
        getattr(model, "base_model", None),
        getattr(model, "model", None),
        getattr(model, "transformer", None),
    ):
        if candidate is not None and _has_path(candidate, spec.layers):
            return candidate
    raise UnknownArchitectureError(f"cannot find {spec.layers!r} in {type(model).__name__}")


def _has_path(root, dotted: str) -> bool:
    try:
        get_path(root, dotted)
        return True
    except UnknownArchitectureError:
        return False


def n_layers(model) -> int:
    """The number of transformer blocks of ``model``."""
    return len(get_path(backbone_of(model), architecture_of(model).layers))


def final_norm(model):
    """The final norm module of ``model`` (None for architectures without one)."""
    spec = architecture_of(model)
    return None if spec.final_norm is None else get_path(backbone_of(model), spec.final_norm)


def ffn_modules(model) -> list:
    """Block i's FFN-activation module, for every block (see ``ArchitectureSpec.ffn_activation``)."""
    spec = architecture_of(model)
    if spec.ffn_activation is None:
        raise UnknownArchitectureError(
            f"lle's table has no FFN hook point for {spec.model_type}; add ffn_activation to its ArchitectureSpec"
        )
    backbone = backbone_of(model)
    return [get_path(backbone, spec.ffn_activation.format(i=i)) for i in range(n_layers(model))]


def lm_head(model):
    """The language-model head of a decoder; an encoder is an UnknownArchitectureError."""
    spec = architecture_of(model)
    if spec.lm_head is None:
        raise UnknownArchitectureError(f"{spec.model_type} is an encoder: it has no language-model head")
    return get_path(model, spec.lm_head)
