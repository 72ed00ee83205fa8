"""Per-layer readout ("early exit"): class scores from every layer of a real model.

Two settings:

* **Encoder classifier** (the paper's): a backbone plus the paper's head, Linear(h, 128) → ReLU →
  Linear(128, C), applied to the pooled hidden state of every layer (:class:`EarlyExitClassifier`).
* **Decoder LM, zero-shot** (DoLa / the unified view): the logit lens at the next-token position of a prompt,
  restricted to the first token of each label word (:class:`ZeroShotReadout`), with the fixed prompt prefix
  computed once and its key/value cache reused for every batch.

Layers are Hugging Face ``hidden_states`` indices, 0 = embeddings, last = final block. For pre-LN models
(T5 encoder, GPT-2, Llama, Gemma3) the final norm is applied to the intermediate layers only, because
``hidden_states[-1]`` already went through it; post-LN encoders (BERT, RoBERTa, DeBERTa, MPNet) need no norm.

The authors' exact hook points are available with ``hook="authors"`` (DeBERTa ``encoder.layer[i].output``,
identical to ``hidden_states[i+1]``; T5 ``block[i].layer[1].layer_norm``, the residual stream after block i's
attention normalized by its feed-forward norm). That mode returns one entry per *block* in the paper's block
numbering 0..L-1, whose last entry is the final block. Note that the authors' FLAN notebooks store block i's
hook under position i-1 but then fetch ``block_{position}``: the amateur they use is one block earlier than
the one their distance selected. ``lle`` does not reproduce that slip.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np
import torch
from torch import nn

from lle.models.architectures import architecture_of, backbone_of, final_norm, get_path, lm_head
from lle.models.device import autocast, place, to_device
from lle.progress import tqdm

POOLINGS = ("cls", "mean", "mean_padded", "last", "max")


def pool(hidden: torch.Tensor, attention_mask: torch.Tensor, pooling: str) -> torch.Tensor:
    """Pool (batch, tokens, hidden) to (batch, hidden) over real tokens only.

    ``mean_padded`` is the authors' T5 pooling: padded positions are zeroed but the sum is divided by the
    *padded* length, so the same sentence pools differently in batches of different lengths. ``mean`` divides
    by the number of real tokens; ``max`` is the elementwise maximum over real tokens.
    """
    mask = attention_mask.to(hidden.dtype).unsqueeze(-1)
    if pooling == "cls":
        return hidden[:, 0]
    if pooling == "mean":
        return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1)
    if pooling == "mean_padded":
        return (hidden * mask).sum(1) / hidden.shape[1]
    if pooling == "last":
        return hidden[torch.arange(hidden.shape[0]), last_token_index(attention_mask)]
    if pooling == "max":  # padded positions can never be the maximum
        return hidden.masked_fill(mask == 0, torch.finfo(hidden.dtype).min).amax(1)
    raise ValueError(f"unknown pooling {pooling!r}; choose one of {POOLINGS}")


def last_token_index(attention_mask: torch.Tensor) -> torch.Tensor:
    """Position of the last real token, for right or left padding."""
    positions = torch.arange(attention_mask.shape[1], device=attention_mask.device)
    return (attention_mask * positions).argmax(dim=1)


class _StopForward(Exception):
    pass


@contextlib.contextmanager
def capture_outputs(modules: Sequence[nn.Module], *, stop: bool = False, inputs: bool = False):
    """Forward hooks that record each module's output (``inputs=True``: its first input); always removed, even on
    error.

    ``stop=True`` cuts the forward pass short once the last module has run (the modules above it never compute);
    the context swallows that interruption and nothing else.
    """
    captured: list = [None] * len(modules)

    def recorder(index):
        def hook(_module, arguments, output=None):
            value = arguments[0] if inputs else output
            captured[index] = value[0] if isinstance(value, tuple) else value
            if stop and index == len(modules) - 1:
                raise _StopForward

        return hook

    handles = [
        module.register_forward_pre_hook(recorder(i)) if inputs else module.register_forward_hook(recorder(i))
        for i, module in enumerate(modules)
    ]
    try:
        yield captured
    except _StopForward:
        pass
    finally:
        for handle in handles:
            handle.remove()


def normed_layer_states(model, hidden_states: Sequence[torch.Tensor], *, apply_final_norm: bool = True):
    """hidden_states with the final norm applied to every layer but the last (already normed by HF)."""
    spec = architecture_of(model)
    norm = final_norm(model)
    if norm is None or not apply_final_norm:
        return list(hidden_states)
    if not spec.last_hidden_state_is_normed:
        return [norm(h) for h in hidden_states]
    return [norm(h) for h in hidden_states[:-1]] + [hidden_states[-1]]


class ClassifierHead(nn.Sequential):
    """The paper's head: Linear(hidden, 128) → ReLU → Linear(128, n_classes)."""

    def __init__(self, hidden_size: int, n_classes: int, width: int = 128):
        super().__init__(nn.Linear(hidden_size, width), nn.ReLU(), nn.Linear(width, n_classes))


class EarlyExitClassifier(nn.Module):
    """Backbone + head; ``forward`` gives the final layer's logits, ``layer_logits`` every layer's."""

    def __init__(
        self,
        backbone: nn.Module,
        n_classes: int,
        *,
        pooling: str | None = None,
        hook: str = "hidden_states",
        apply_final_norm: bool = True,
    ):
        super().__init__()
        self.spec = architecture_of(backbone)
        self.backbone = backbone_of(backbone)
        self.head = ClassifierHead(backbone.config.hidden_size, n_classes)
        self.pooling = pooling or self.spec.pooling
        if self.pooling not in POOLINGS:
            raise ValueError(f"unknown pooling {self.pooling!r}; choose one of {POOLINGS}")
        if hook not in ("hidden_states", "authors"):
            raise ValueError("hook must be 'hidden_states' or 'authors'")
        if hook == "authors" and self.spec.authors_hook is None:
            raise ValueError(f"the authors used no hook point for {self.spec.model_type}; use hook='hidden_states'")
        self.hook = hook
        self.apply_final_norm = apply_final_norm

    def _run(self, input_ids, attention_mask, **kwargs):
        return self.backbone(input_ids=input_ids, attention_mask=attention_mask, **kwargs)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        hidden = self._run(input_ids, attention_mask).last_hidden_state
        return self.head(pool(hidden, attention_mask, self.pooling))

    def layer_states(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> list[torch.Tensor]:
        """Token states per layer, as the head sees them (final norm applied where needed)."""
        if self.hook == "authors":
            n_blocks = len(get_path(self.backbone, self.spec.layers))
            modules = [get_path(self.backbone, self.spec.authors_hook.format(i=i)) for i in range(n_blocks)]
            with capture_outputs(modules) as captured:
                self._run(input_ids, attention_mask)
            return list(captured)
        outputs = self._run(input_ids, attention_mask, output_hidden_states=True)
        return normed_layer_states(self.backbone, outputs.hidden_states, apply_final_norm=self.apply_final_norm)

    def layer_logits(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """(batch, n_layers, n_classes): the head applied to every layer's pooled state."""
        states = self.layer_states(input_ids, attention_mask)
        pooled = torch.stack([pool(h, attention_mask, self.pooling) for h in states], dim=1)
        return self.head(pooled)


# --- batching shared by both readouts --------------------------------------------------------------


def length_sorted_batches(lengths: Sequence[int], batch_size: int) -> list[np.ndarray]:
    """Indices in batches of similar length (less padding); results are put back in input order."""
    order = np.argsort(np.asarray(lengths), kind="stable")
    return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]


def pad_batch(tokenizer, token_lists: list[list[int]]) -> dict[str, torch.Tensor]:
    """Right-padded input ids and attention mask for ``token_lists``."""
    width = max(len(t) for t in token_lists)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    ids = torch.full((len(token_lists), width), pad, dtype=torch.long)
    mask = torch.zeros((len(token_lists), width), dtype=torch.long)
    for row, tokens in enumerate(token_lists):  # right padding
        ids[row, : len(tokens)] = torch.tensor(tokens)
        mask[row, : len(tokens)] = 1
    return {"input_ids": ids, "attention_mask": mask}


def map_batches(
    compute,
    token_lists,
    tokenizer,
    batch_size: int,
    desc: str,
    progress: bool,
    *,
    device: torch.device | None = None,
    precision: str = "fp32",
) -> np.ndarray:
    """``compute(**padded_batch)`` over length-sorted batches, as float32 numpy on the CPU in input order; batches
    go to ``device`` (where the model must be) and run under autocast for bf16/fp16."""
    batches = length_sorted_batches([len(t) for t in token_lists], batch_size)
    result = None
    with torch.inference_mode():
        for indices in tqdm(batches, desc=desc, disable=not progress):
            batch = to_device(pad_batch(tokenizer, [token_lists[i] for i in indices]), device)
            with autocast(device or torch.device("cpu"), precision):
                values = compute(**batch)
            values = values.float().cpu().numpy()
            if result is None:
                result = np.empty((len(token_lists),) + values.shape[1:], dtype=np.float32)
            result[indices] = values
    return result


def _log_probs(compute):
    return lambda **batch: torch.log_softmax(compute(**batch).float(), dim=-1)


def tokenize(tokenizer, texts: Iterable[str], max_length: int) -> list[list[int]]:
    """Token ids of ``texts``, truncated to ``max_length``, with special tokens."""
    encoded = tokenizer(list(texts), max_length=max_length, truncation=True, add_special_tokens=True)
    return encoded["input_ids"]


def classifier_layer_log_probs(
    model: EarlyExitClassifier,
    tokenizer,
    texts: Sequence[str],
    *,
    max_length: int,
    batch_size: int = 64,
    progress: bool = True,
    device=None,
    precision: str = "fp32",
) -> np.ndarray:
    """(n_texts, n_layers, n_classes) float32 log-probabilities from every layer of an encoder classifier, run on
    ``device`` (None: where the model is; "auto": CUDA when available) at ``precision``."""
    model.eval()
    device = place(model, device, precision)
    return map_batches(
        _log_probs(model.layer_logits),
        tokenize(tokenizer, texts, max_length),
        tokenizer,
        batch_size,
        "per-layer readout",
        progress,
        device=device,
        precision=precision,
    )


# --- zero-shot decoder readout -----------------------------------------------------------------------


@dataclass(frozen=True)
class Verbalizer:
    """The first token of each label word (with a leading space), as the class's token."""

    words: tuple[str, ...]
    token_ids: tuple[int, ...]
    multi_token_words: tuple[str, ...]  # words whose first token stands in for several tokens

    @classmethod
    def from_words(cls, tokenizer, words: Sequence[str], *, prefix: str = " ", require_single_token: bool = False):
        pieces = [tokenizer.encode(prefix + word, add_special_tokens=False) for word in words]
        multi = tuple(word for word, ids in zip(words, pieces) if len(ids) != 1)
        if require_single_token and multi:
            raise ValueError(
                f"label words {list(multi)} are not single tokens for this tokenizer; choose other words, or pass "
                "require_single_token=False to use each word's first token"
            )
        first = [ids[0] for ids in pieces]
        clashes = {}
        for word, token in zip(words, first):
            clashes.setdefault(token, []).append(word)
        collisions = [ws for ws in clashes.values() if len(ws) > 1]
        if collisions:
            shown = "; ".join(
                f"{ws} -> {tokenizer.convert_ids_to_tokens(first[words.index(ws[0])])!r}" for ws in collisions
            )
            raise ValueError(f"label words share a first token and cannot be told apart: {shown}; rename them")
        return cls(tuple(words), tuple(first), multi)


@dataclass(frozen=True)
class PromptTemplate:
    """``prefix + text + suffix``; the prefix is the same for every text and is computed once."""

    prefix: str
    suffix: str

    @classmethod
    def emotion_question(cls, label_words: Sequence[str]):
        choices = ", ".join(label_words)
        return cls(prefix=f"Classify the emotion of the text. Options: {choices}.\nText: ", suffix="\nEmotion:")


class ZeroShotReadout:
    """Logit lens at the next-token position, restricted to the verbalizer tokens, at every layer."""

    def __init__(
        self,
        model,
        tokenizer,
        verbalizer: Verbalizer,
        template: PromptTemplate,
        *,
        max_text_tokens: int = 64,
        cache_prefix: bool = True,
        device=None,
        precision: str = "fp32",
    ):
        if architecture_of(model).kind != "decoder":
            raise ValueError("ZeroShotReadout needs a decoder language model (a *ForCausalLM)")
        self.device, self.precision = place(model, device, precision), precision
        self.model, self.tokenizer = model.eval(), tokenizer
        self.verbalizer, self.template = verbalizer, template
        self.max_text_tokens, self.cache_prefix = max_text_tokens, cache_prefix
        self.backbone = backbone_of(model)
        self.head = lm_head(model)
        self.softcap = getattr(model.config, "final_logit_softcapping", None)
        bos = (
            [tokenizer.bos_token_id]
            if getattr(tokenizer, "add_bos_token", False) and tokenizer.bos_token_id is not None
            else []
        )
        self.prefix_ids = bos + tokenizer.encode(template.prefix, add_special_tokens=False)
        self.suffix_ids = tokenizer.encode(template.suffix, add_special_tokens=False)
        self._prefix_cache = None

    def prompt_ids(self, text: str) -> list[int]:
        """Continuation tokens after the prefix: the (truncated) text and the suffix."""
        text_ids = self.tokenizer.encode(text, add_special_tokens=False)[: self.max_text_tokens]
        return text_ids + self.suffix_ids

    def _vocab_logits(self, hidden: torch.Tensor) -> torch.Tensor:
        logits = self.head(hidden)
        if self.softcap:
            logits = torch.tanh(logits / self.softcap) * self.softcap
        return logits

    def _prefix(self):
        if self._prefix_cache is None:
            ids = torch.tensor([self.prefix_ids], device=self.device)
            self._prefix_cache = self.backbone(input_ids=ids, use_cache=True).past_key_values
        return self._prefix_cache

    def layer_logits(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """(batch, n_layers, n_labels) logits; input_ids are continuation tokens (after the prefix)."""
        batch, n_prefix = input_ids.shape[0], len(self.prefix_ids)
        if self.cache_prefix:
            cache = _repeat_cache(self._prefix(), batch)
            full_mask = torch.cat(
                [torch.ones(batch, n_prefix, dtype=attention_mask.dtype, device=self.device), attention_mask], dim=1
            )
            positions = torch.arange(n_prefix, n_prefix + input_ids.shape[1], device=self.device).expand(batch, -1)
            outputs = self.backbone(
                input_ids=input_ids,
                attention_mask=full_mask,
                past_key_values=cache,
                position_ids=positions,
                output_hidden_states=True,
                use_cache=True,
            )
            index = last_token_index(attention_mask)
        else:
            prefix = torch.tensor(self.prefix_ids, device=self.device).expand(batch, -1)
            full_ids = torch.cat([prefix, input_ids], dim=1)
            full_mask = torch.cat([torch.ones_like(prefix), attention_mask], dim=1)
            outputs = self.backbone(input_ids=full_ids, attention_mask=full_mask, output_hidden_states=True)
            index = last_token_index(full_mask)
        rows = torch.arange(batch, device=self.device)
        states = normed_layer_states(self.model, [h[rows, index] for h in outputs.hidden_states])
        token_ids = torch.tensor(self.verbalizer.token_ids, device=self.device)
        return torch.stack([self._vocab_logits(h)[:, token_ids] for h in states], dim=1)

    def __call__(self, texts: Sequence[str], *, batch_size: int = 16, progress: bool = True) -> np.ndarray:
        token_lists = [self.prompt_ids(text) for text in texts]
        return map_batches(
            _log_probs(self.layer_logits),
            token_lists,
            self.tokenizer,
            batch_size,
            "zero-shot readout",
            progress,
            device=self.device,
            precision=self.precision,
        )


def _repeat_cache(cache, batch: int):
    """A fresh per-batch copy of the prefix cache (forward passes extend a cache in place)."""
    import copy

    fresh = copy.deepcopy(cache)
    fresh.batch_repeat_interleave(batch)
    return fresh
