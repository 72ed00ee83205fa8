"""The emotion-vector stage: extraction and separation per model, cached with provenance.

``results/emotion/<model>.json`` holds the provenance (model and weight checksum, data checksum, n per emotion,
seed, prompt, sampling settings), the generations (every sample, raw and cleaned), and the separation rows per
(method, pooling, layer). The emotion vectors themselves (float32, every layer) go to the git-ignored cache,
``<cache>/emotion/<model>_vectors.npz``, for steering. A result is reused only when its provenance matches.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from lle.context import emotion
from lle.experiments.pipeline import GEMMA3, MINILM, MPNET, SMOLLM2, tokenizer_with_padding
from lle.integrity import atomic_path, atomic_write_text
from lle.models import resolve
from lle.models.features import layer_features
from lle.paths import cache_dir, results_dir

# model name -> (Hub id, is a decoder that can write its own texts)
MODELS = {"SmolLM2-135M-Instruct": (SMOLLM2, True), "gemma-3-270m": (GEMMA3, True),
          "all-MiniLM-L6-v2": (MINILM, False), "all-mpnet-base-v2": (MPNET, False)}
POOLINGS = ("token", "mean")  # last real token (CLS for encoders) and masked mean
MAX_LENGTH = 64


def result_path(model: str, root=None) -> Path:
    """The JSON of ``model``'s localization results under ``root``'s results/emotion/."""
    return Path(results_dir(root)) / "emotion" / f"{model}.json"


def vectors_path(model: str, root=None) -> Path:
    """The cached emotion vectors of ``model`` (git-ignored cache)."""
    return cache_dir(root) / "emotion" / f"{model}_vectors.npz"


def provenance(model: str, n_per_emotion: int, seed: int) -> dict:
    """What decides the stage's numbers for ``model``: the resolved model, texts, seed, prompt."""
    from lle import data

    model_id, _ = MODELS[model]
    return {"model": model, **resolve.resolve_model(model_id).provenance(), "n_per_emotion": n_per_emotion,
            "seed": seed, "emotions": list(emotion.EMOTIONS), "prompt": emotion.GENERATION_PROMPT,
            "sampling": emotion.SAMPLING, "max_length": MAX_LENGTH, "poolings": list(POOLINGS),
            "goemotions_train_sha256": data.CHECKSUMS[data.DATASETS["goemotions"].release_file("train")]}


def extract(model: str, *, n_per_emotion: int = 50, seed: int = 0, results_root=None, cache_root=None,
            data_dir=None, progress: bool = True) -> dict:
    """Comprehension (and, for decoders, generation) states, separation and vectors of one model; cached."""
    if model not in MODELS:
        raise ValueError(f"model {model!r} is not one of {sorted(MODELS)}")
    wanted = provenance(model, n_per_emotion, seed)
    path = result_path(model, results_root)
    if path.is_file() and vectors_path(model, cache_root).is_file():
        stored = json.loads(path.read_text())
        if json.loads(json.dumps(stored["provenance"])) == json.loads(json.dumps(wanted)):
            return stored
    start = time.perf_counter()
    model_id, decoder = MODELS[model]
    network = (resolve.load_causal_lm if decoder else resolve.load_backbone)(model_id)
    tokenizer = tokenizer_with_padding(model_id)
    texts = {"comprehension": emotion.comprehension_texts(n_per_emotion, seed=seed, data_dir=data_dir)}
    generated = None
    if decoder:
        generated = emotion.generate_texts(network, tokenizer, n_per_emotion, seed=seed, progress=progress)
        texts["generation"] = {e: [s for s in samples if s["text"]] for e, samples in generated.items()}
    rows, vectors = [], {}
    for method, by_emotion in texts.items():
        flat, labels, _ = emotion.stacked(by_emotion)
        states = layer_features(network, tokenizer, flat, max_length=MAX_LENGTH, representations=("hidden",),
                                poolings=POOLINGS, progress=progress, desc=f"{model} {method}")
        for pooling in POOLINGS:
            values = states[("hidden", pooling)]
            rows += [{"method": method, "pooling": pooling, **row}
                     for row in emotion.separation(values, labels, seed=seed)]
            vectors[f"{method}_{pooling}"] = emotion.emotion_vectors(values, labels)
            vectors[f"{method}_{pooling}_norm"] = np.linalg.norm(values, axis=-1).mean(axis=0)  # per layer
    with atomic_path(vectors_path(model, cache_root)) as temporary:
        np.savez(temporary, **vectors)
    record = {"provenance": wanted, "seconds": round(time.perf_counter() - start, 1), "separation": rows,
              "generation_summary": emotion.generation_summary(generated) if generated else None,
              "generations": generated}
    atomic_write_text(path, json.dumps(record, indent=1, sort_keys=True) + "\n")
    return record


def load_vectors(model: str, cache_root=None) -> dict:
    """The cached emotion vectors of ``model``; missing ones say how to extract them."""
    path = vectors_path(model, cache_root)
    if not path.is_file():
        raise FileNotFoundError(f"no emotion vectors at {path}; run lle.context.emotion_stage.extract({model!r})")
    with np.load(path) as arrays:
        return {key: arrays[key] for key in arrays.files}

