"""Emotion vectors and where emotion lives in depth (after Jeong, *Extracting and Steering Emotion Representations in
Small Language Models*): comprehension- and generation-based extraction, per-layer separation against an anisotropy
baseline, and the statistics the reference reports.

* **Emotions**: 24 goEmotions labels (:data:`EMOTIONS`) — all but ``neutral`` (not an emotion), ``realization``
  (a cognitive event rather than a felt emotion a writer can be asked to express), and ``pride`` and ``grief``, which
  have fewer single-label training texts (51 and 39) than the 50 per emotion used here.
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

import numpy as np

EMOTIONS = ("admiration", "amusement", "anger", "annoyance", "approval", "caring", "confusion", "curiosity", "desire",
            "disappointment", "disapproval", "disgust", "embarrassment", "excitement", "fear", "gratitude", "joy",
            "love", "nervousness", "optimism", "relief", "remorse", "sadness", "surprise")
GENERATION_PROMPT = 'Here is a short sentence written by someone who feels {emotion}: "'
SAMPLING = {"do_sample": True, "temperature": 0.9, "top_p": 0.95, "max_new_tokens": 24}


def comprehension_texts(n_per_emotion: int = 50, *, seed: int = 0, emotions=EMOTIONS, data_dir=None) -> dict:
    """{emotion: texts}: a seeded sample of the paper's single-label goEmotions train texts of each emotion."""
    from lle import data

    train = data.load_dataset("goemotions", "train", data_dir=data_dir)
    texts, labels = np.asarray(train["text"], dtype=object), np.asarray(train["label"])
    chosen = {}
    for emotion in emotions:
        rows = np.flatnonzero(labels == data.GOEMOTIONS_LABELS.index(emotion))
        if len(rows) < n_per_emotion:
            raise ValueError(f"{emotion!r} has {len(rows)} single-label training texts, fewer than n_per_emotion = "
                             f"{n_per_emotion}; lower n_per_emotion or leave the emotion out")
        pick = np.sort(np.random.default_rng([seed, data.GOEMOTIONS_LABELS.index(emotion)]).choice(
            rows, n_per_emotion, replace=False))
        chosen[emotion] = [str(t) for t in texts[pick]]
    return chosen


def clean_generation(text: str) -> str:
    """The generated sentence: up to the closing quote or the first line break, stripped."""
    for stop in ('"', "\n"):
        text = text.split(stop, 1)[0]
    return text.strip()


def generate_texts(model, tokenizer, n_per_emotion: int = 50, *, seed: int = 0, emotions=EMOTIONS,
                   sampling=None, progress: bool = True) -> dict:
    """{emotion: [{"text", "raw"}]}: ``n_per_emotion`` seeded samples per emotion from :data:`GENERATION_PROMPT`.
    Every sample is kept; an empty one stays as "" and is counted by :func:`generation_summary`."""
    import torch

    from lle.progress import tqdm

    settings = {**SAMPLING, **(sampling or {})}
    generated = {}
    for index, emotion in enumerate(tqdm(emotions, desc="generating", disable=not progress)):
        prompt = tokenizer(GENERATION_PROMPT.format(emotion=emotion), return_tensors="pt")
        torch.manual_seed(seed * 1000 + index)
        with torch.inference_mode():
            output = model.generate(**prompt, num_return_sequences=n_per_emotion, pad_token_id=tokenizer.pad_token_id
                                    if tokenizer.pad_token_id is not None else tokenizer.eos_token_id, **settings)
        raw = tokenizer.batch_decode(output[:, prompt["input_ids"].shape[1]:], skip_special_tokens=True)
        generated[emotion] = [{"text": clean_generation(r), "raw": r} for r in raw]
    return generated


def generation_summary(generated: dict) -> dict:
    """How many samples per emotion, and how many came out empty (no sentence before the closing quote)."""
    return {emotion: {"n": len(samples), "empty": sum(not s["text"] for s in samples)}
            for emotion, samples in generated.items()}


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
        rows.append({"layer": layer, "relative_depth": layer / (states.shape[1] - 1),
                     "centroid_accuracy": loo_centroid_accuracy(centred, labels), "within_cosine": within,
                     "between_cosine": between, "raw_within_cosine": raw_within,
                     "anisotropy": anisotropy(raw, seed=seed)})
    return rows


def peak_depth(relative_depth, values) -> float:
    """Relative depth of the maximum (the shallowest on ties)."""
    return float(np.asarray(relative_depth)[int(np.argmax(np.asarray(values)))])


def is_inverted_u(relative_depth, values, *, middle=(0.25, 0.75), margin: float = 0.05) -> bool:
    """The reference's "U-shaped" curve, peaking in the middle: the maximum lies within ``middle`` (relative depth)
    and both the first and the last layer are at least ``margin`` below it."""
    values = np.asarray(values, dtype=float)
    peak = peak_depth(relative_depth, values)
    return bool(middle[0] <= peak <= middle[1] and values.max() - values[0] >= margin
                and values.max() - values[-1] >= margin)
