"""Emotion vectors and where emotion lives in depth (after Jeong, *Extracting and Steering Emotion Representations in
Small Language Models*): comprehension- and generation-based extraction, per-layer separation against an anisotropy
baseline, and the statistics the reference reports.

* **Emotions**: 24 goEmotions labels (:data:`EMOTIONS`) — all but ``neutral`` (not an emotion), ``realization``
  (a cognitive event rather than a felt emotion a writer can be asked to express), and the two rarest, ``grief`` (39
  single-label training texts, fewer than the source's 50 per emotion) and ``pride`` (51, excluded with it: a choice
  of ours, not the source's). The stage samples ``N_PER_EMOTION`` = 30 texts per emotion
  (:mod:`lle.context.emotion.stage`), fewer than the source's 50: a deviation, stated beside the numbers.
* **Comprehension**: hidden states of real goEmotions texts of each emotion (the paper's single-label train split,
  a seeded sample of ``n_per_emotion`` each).
* **Generation**: the model writes ``n_per_emotion`` short texts per emotion from :data:`GENERATION_PROMPT`
  (seeded sampling); its hidden states are then read on those texts alone, exactly as for comprehension.
* States: every ``hidden_states`` layer (0 = embeddings), last real token and masked mean
  (:func:`lle.models.features.layer_features`). Vector of an emotion = its mean state − the mean of the emotions'
  means.
* **Separation** per layer (:func:`separation`): leave-one-out nearest-centroid accuracy (cosine, states centred by
  the mean over all texts; chance = 1/24), the within- and between-emotion mean cosine of centred states, and the
  raw (uncentred) within-emotion cosine against the **anisotropy baseline**, the mean cosine of random pairs of raw
  states at that layer (seeded).
"""

from __future__ import annotations

import contextlib

import numpy as np
import pandas as pd
import torch

from lle import data
from lle.models.steering import steering
from lle.progress import tqdm

EMOTIONS = (
    "admiration",
    "amusement",
    "anger",
    "annoyance",
    "approval",
    "caring",
    "confusion",
    "curiosity",
    "desire",
    "disappointment",
    "disapproval",
    "disgust",
    "embarrassment",
    "excitement",
    "fear",
    "gratitude",
    "joy",
    "love",
    "nervousness",
    "optimism",
    "relief",
    "remorse",
    "sadness",
    "surprise",
)
GENERATION_PROMPT = 'Here is a short sentence written by someone who feels {emotion}: "'
SAMPLING = {"do_sample": True, "temperature": 0.9, "top_p": 0.95, "max_new_tokens": 24}


def comprehension_texts(n_per_emotion: int = 50, *, seed: int = 0, emotions=EMOTIONS, data_dir=None) -> dict:
    """{emotion: texts}: a seeded sample of the paper's single-label goEmotions train texts of each emotion."""
    train = data.load_dataset("goemotions", "train", data_dir=data_dir)
    texts, labels = np.asarray(train["text"], dtype=object), np.asarray(train["label"])
    chosen = {}
    for emotion in emotions:
        rows = np.flatnonzero(labels == data.GOEMOTIONS_LABELS.index(emotion))
        if len(rows) < n_per_emotion:
            raise ValueError(
                f"{emotion!r} has {len(rows)} single-label training texts, fewer than n_per_emotion = "
                f"{n_per_emotion}; lower n_per_emotion or leave the emotion out"
            )
        pick = np.sort(
            np.random.default_rng([seed, data.GOEMOTIONS_LABELS.index(emotion)]).choice(
                rows, n_per_emotion, replace=False
            )
        )
        chosen[emotion] = [str(t) for t in texts[pick]]
    return chosen


def clean_generation(text: str) -> str:
    """The generated sentence: up to the closing quote or the first line break, stripped."""
    for stop in ('"', "\n"):
        text = text.split(stop, 1)[0]
    return text.strip()


def generate_texts(
    model, tokenizer, n_per_emotion: int = 50, *, seed: int = 0, emotions=EMOTIONS, sampling=None, progress: bool = True
) -> dict:
    """{emotion: [{"text", "raw"}]}: ``n_per_emotion`` seeded samples per emotion from :data:`GENERATION_PROMPT`.
    Every sample is kept; an empty one stays as "" and is counted by :func:`generation_summary`."""
    settings = {**SAMPLING, **(sampling or {})}
    generated = {}
    for index, emotion in enumerate(tqdm(emotions, desc="generating", disable=not progress)):
        prompt = tokenizer(GENERATION_PROMPT.format(emotion=emotion), return_tensors="pt")
        torch.manual_seed(seed * 1000 + index)
        with torch.inference_mode():
            output = model.generate(
                **prompt,
                num_return_sequences=n_per_emotion,
                pad_token_id=tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id,
                **settings,
            )
        raw = tokenizer.batch_decode(output[:, prompt["input_ids"].shape[1] :], skip_special_tokens=True)
        generated[emotion] = [{"text": clean_generation(r), "raw": r} for r in raw]
    return generated


def generation_summary(generated: dict) -> dict:
    """How many samples per emotion, and how many came out empty (no sentence before the closing quote)."""
    return {
        emotion: {"n": len(samples), "empty": sum(not s["text"] for s in samples)}
        for emotion, samples in generated.items()
    }


def stacked(texts_by_emotion: dict) -> tuple[list[str], np.ndarray, list[str]]:
    """(texts, emotion index per text, emotions) in emotion order; empty texts are refused, not dropped."""
    emotions = list(texts_by_emotion)
    texts, labels = [], []
    for index, emotion in enumerate(emotions):
        for text in texts_by_emotion[emotion]:
            text = text["text"] if isinstance(text, dict) else text
            if not text:
                raise ValueError(f"an empty text for {emotion!r}; replace or regenerate it (see generation_summary)")
            texts.append(text)
            labels.append(index)
    return texts, np.asarray(labels), emotions


def emotion_vectors(states: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """(n_emotions, n_layers, width): each emotion's mean state minus the mean of the emotions' means."""
    means = np.stack([states[labels == k].mean(axis=0) for k in np.unique(labels)])
    return means - means.mean(axis=0, keepdims=True)


def _unit(x: np.ndarray) -> np.ndarray:
    norm = np.linalg.norm(x, axis=-1, keepdims=True)
    return x / np.where(norm > 0, norm, 1.0)


def loo_centroid_accuracy(states: np.ndarray, labels: np.ndarray) -> float:
    """Leave-one-out nearest-centroid accuracy with cosine similarity on (n, width) states: each text is compared
    with the centroids of the other emotions and with its own emotion's centroid computed without it."""
    classes, labels = np.unique(labels, return_inverse=True)
    counts = np.bincount(labels)
    if counts.min() < 2:
        raise ValueError("every emotion needs at least two texts for a leave-one-out centroid")
    sums = np.stack([states[labels == k].sum(axis=0) for k in range(len(classes))])
    centroids = sums / counts[:, None]
    similarity = _unit(states) @ _unit(centroids).T
    own = (sums[labels] - states) / (counts[labels] - 1)[:, None]
    similarity[np.arange(len(states)), labels] = np.sum(_unit(states) * _unit(own), axis=1)
    return float(np.mean(similarity.argmax(axis=1) == labels))


def mean_cosines(states: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """(within-emotion, between-emotion) mean cosine over all pairs of distinct texts."""
    unit = _unit(states)
    cosine = unit @ unit.T
    same = labels[:, None] == labels[None, :]
    off_diagonal = ~np.eye(len(states), dtype=bool)
    return float(cosine[same & off_diagonal].mean()), float(cosine[~same].mean())


def anisotropy(states: np.ndarray, *, n_pairs: int = 2000, seed: int = 0) -> float:
    """Mean cosine of random pairs of distinct raw states (seeded): what any two texts share at this layer."""
    rng = np.random.default_rng(seed)
    first = rng.integers(0, len(states), n_pairs)
    second = (first + rng.integers(1, len(states), n_pairs)) % len(states)
    unit = _unit(states)
    return float(np.mean(np.sum(unit[first] * unit[second], axis=1)))


def separation(states: np.ndarray, labels: np.ndarray, *, seed: int = 0) -> list[dict]:
    """Per layer of (n_texts, n_layers, width) states: centroid accuracy, centred within/between cosines, raw
    within cosine and the anisotropy baseline."""
    rows = []
    for layer in range(states.shape[1]):
        raw = states[:, layer].astype(np.float64)
        centred = raw - raw.mean(axis=0, keepdims=True)
        within, between = mean_cosines(centred, labels)
        raw_within, _ = mean_cosines(raw, labels)
        rows.append(
            {
                "layer": layer,
                "relative_depth": layer / (states.shape[1] - 1),
                "centroid_accuracy": loo_centroid_accuracy(centred, labels),
                "within_cosine": within,
                "between_cosine": between,
                "raw_within_cosine": raw_within,
                "anisotropy": anisotropy(raw, seed=seed),
            }
        )
    return rows


def peak_depth(relative_depth, values) -> float:
    """Relative depth of the maximum (the shallowest on ties)."""
    return float(np.asarray(relative_depth)[int(np.argmax(np.asarray(values)))])


def is_inverted_u(relative_depth, values, *, middle=(0.25, 0.75), margin: float = 0.05) -> bool:
    """The reference's "U-shaped" curve, peaking in the middle: the maximum lies within ``middle`` (relative depth)
    and both the first and the last layer are at least ``margin`` below it."""
    values = np.asarray(values, dtype=float)
    peak = peak_depth(relative_depth, values)
    return bool(
        middle[0] <= peak <= middle[1] and values.max() - values[0] >= margin and values.max() - values[-1] >= margin
    )


NEUTRAL_PROMPTS = (
    "Today I went to the store and",
    "The weather this afternoon is",
    "My neighbour told me that",
    "When I opened the letter,",
)


STEERED_EMOTIONS = ("anger", "fear", "joy", "love", "sadness")


DEPTHS = (0.25, 0.5, 0.75)


COEFFICIENTS = (0.25, 0.5, 1.0, 4.0)  # × the layer's mean state norm: from gentle to overwhelming


COLLAPSE_DISTINCT = 0.5


EXPLOSIVE_PPL_RATIO = 4.0


SUCCESS_GAIN = 0.25


GENERATION = {"do_sample": True, "temperature": 0.7, "top_p": 0.95, "max_new_tokens": 24}


def steering_layers(n_layers: int, depths=DEPTHS) -> list[int]:
    """Hidden-state layers at the given relative depths of a model with ``n_layers`` blocks (1..n_layers)."""
    return sorted({min(n_layers, max(1, int(round(d * n_layers)))) for d in depths})


def scaled_vector(vectors: dict, emotion_index: int, layer: int, coefficient: float) -> np.ndarray:
    """Unit generation vector of the emotion at the layer, times coefficient × that layer's mean state norm."""
    direction = vectors["generation_token"][emotion_index, layer]
    return coefficient * vectors["generation_token_norm"][layer] * direction / np.linalg.norm(direction)


def generate(model, tokenizer, prompts, *, n_samples: int, seed: int, layer=None, vector=None, coefficient=0.0):
    """Seeded samples for each prompt (left-padded), steered from the prompt's end when a layer is given. Returns
    (sequences, prompt width)."""
    tokenizer.padding_side = "left"
    batch = tokenizer(list(prompts), return_tensors="pt", padding=True)
    width = batch["input_ids"].shape[1]
    context = (
        steering(model, layer, torch.as_tensor(vector, dtype=torch.float32), 1.0, from_position=width)
        if layer is not None
        else contextlib.nullcontext()
    )
    torch.manual_seed(seed)
    with torch.inference_mode(), context:
        sequences = model.generate(
            **batch, num_return_sequences=n_samples, pad_token_id=tokenizer.pad_token_id, **GENERATION
        )
    return sequences, width


def continuation_mask(sequences, width: int, eos_id: int):
    """1 for the generated tokens up to and including the first EOS, 0 after it (and for the prompt)."""
    generated = sequences[:, width:]
    ended = torch.cumsum((generated == eos_id).long(), dim=1)
    keep = (ended == 0) | ((ended == 1) & (generated == eos_id))
    return torch.cat([torch.zeros_like(sequences[:, :width]), keep.long()], dim=1)


def continuation_statistics(model, tokenizer, sequences, width: int) -> dict:
    """Per sequence: mean negative log-likelihood of its continuation under ``model`` (unsteered), share of
    distinct tokens, and the decoded continuation."""
    mask = continuation_mask(sequences, width, tokenizer.eos_token_id)
    attention = ((sequences != tokenizer.pad_token_id) | (mask == 1)).long()
    attention[:, width:] = mask[:, width:]
    with torch.inference_mode():
        logits = model(input_ids=sequences, attention_mask=attention).logits.float()
    logp = torch.log_softmax(logits[:, :-1], dim=-1).gather(-1, sequences[:, 1:, None])[..., 0]
    scored = mask[:, 1:].float()
    nll = -(logp * scored).sum(1) / scored.sum(1).clamp(min=1)
    rows = []
    for row in range(len(sequences)):
        tokens = sequences[row, width:][mask[row, width:] == 1].tolist()
        rows.append(
            {
                "nll": float(nll[row]),
                "distinct": len(set(tokens)) / max(len(tokens), 1),
                "n_tokens": len(tokens),
                "text": tokenizer.decode(tokens, skip_special_tokens=True).strip(),
            }
        )
    return rows


def regime(distinct: float, ppl_ratio: float) -> str:
    """A cell's regime: repetitive collapse, explosive (perplexity ratio) or surgical."""
    if distinct < COLLAPSE_DISTINCT:
        return "repetitive collapse"
    return "explosive" if ppl_ratio > EXPLOSIVE_PPL_RATIO else "surgical"


def summarize_cells(generations, baseline_nll: float, baseline_rates: dict):
    """One row per (emotion, layer, coefficient) from per-generation rows (pandas): target-emotion rate, its gain
    over the unsteered generations, perplexity ratio, distinct share, regime."""
    cells = (
        generations.groupby(["emotion", "layer", "coefficient"], sort=True)
        .agg(
            target_rate=("judged_target", "mean"),
            nll=("nll", "mean"),
            distinct=("distinct", "mean"),
            n=("text", "size"),
        )
        .reset_index()
    )
    cells["gain"] = cells.target_rate - cells.emotion.map(baseline_rates)
    cells["ppl_ratio"] = np.exp(cells.nll - baseline_nll)
    cells["regime"] = [regime(d, r) for d, r in zip(cells.distinct, cells.ppl_ratio)]
    return pd.DataFrame(cells)


def scenarios(cells):
    """One row per (emotion, layer): success when a surgical coefficient gains ≥ SUCCESS_GAIN, with that best gain."""
    rows = []
    for (emotion, layer), part in cells.groupby(["emotion", "layer"], sort=True):
        surgical = part[part.regime == "surgical"]
        best = surgical.gain.max() if len(surgical) else np.nan
        rows.append(
            {
                "emotion": emotion,
                "layer": layer,
                "best_surgical_gain": best,
                "success": bool(len(surgical) and best >= SUCCESS_GAIN),
                "regimes": ", ".join(f"{c:g}: {r}" for c, r in zip(part.coefficient, part.regime)),
            }
        )
    return pd.DataFrame(rows)
