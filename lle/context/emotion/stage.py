"""The emotion-vector stage: extraction and separation per model, cached with provenance.

``results/emotion/<model>.json`` holds the provenance (model and weight checksum, data checksum, n per emotion,
seed, prompt, sampling settings), the generations (every sample, raw and cleaned), and the separation rows per
(method, pooling, layer). The emotion vectors themselves (float32, every layer) go to the git-ignored cache,
``<cache>/emotion/<model>_vectors.npz``, for steering. A result is reused only when its provenance matches.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from lle import data
from lle.context.cache import StageRecord
from lle.context.emotion.judge import judge, judged_labels
from lle.context.emotion.method import (
    COEFFICIENTS,
    COLLAPSE_DISTINCT,
    EMOTIONS,
    EXPLOSIVE_PPL_RATIO,
    GENERATION,
    GENERATION_PROMPT,
    NEUTRAL_PROMPTS,
    SAMPLING,
    STEERED_EMOTIONS,
    SUCCESS_GAIN,
    comprehension_texts,
    continuation_statistics,
    emotion_vectors,
    generate,
    generate_texts,
    generation_summary,
    scaled_vector,
    separation,
    stacked,
    steering_layers,
)
from lle.integrity import atomic_path, atomic_write_text, sha256_file
from lle.models import resolve
from lle.models.architectures import n_layers
from lle.models.backbones import BACKBONES
from lle.models.features import layer_features
from lle.models.resolve import tokenizer_with_padding
from lle.paths import cache_dir, results_dir
from lle.progress import tqdm

POOLINGS = ("token", "mean")  # last real token (CLS for encoders) and masked mean
MAX_LENGTH = 64
REFRESH = "python scripts/compute_emotion.py (or notebook 11 with recompute = True)"


def result_path(model: str, results_root=None) -> Path:
    """The JSON of ``model``'s localization results under ``results_root``/emotion/."""
    return Path(results_dir(results_root)) / "emotion" / f"{model}.json"


def sweep_path(model: str, results_root=None) -> Path:
    """The JSON of ``model``'s steering sweep under ``results_root``/emotion/."""
    return Path(results_dir(results_root)) / "emotion" / f"{model}_steering.json"


def vectors_path(model: str, cache_root=None) -> Path:
    """The cached emotion vectors of ``model`` (git-ignored cache)."""
    return cache_dir(cache_root) / "emotion" / f"{model}_vectors.npz"


def provenance(model: str, n_per_emotion: int, seed: int) -> dict:
    """What decides the stage's numbers for ``model``: the resolved model, texts, seed, prompt."""
    model_id = BACKBONES[model].hub_id
    return {
        "model": model,
        **resolve.resolve_model(model_id).provenance(),
        "n_per_emotion": n_per_emotion,
        "seed": seed,
        "emotions": list(EMOTIONS),
        "prompt": GENERATION_PROMPT,
        "sampling": SAMPLING,
        "max_length": MAX_LENGTH,
        "poolings": list(POOLINGS),
        "goemotions_train_sha256": data.CHECKSUMS[data.DATASETS["goemotions"].release_file("train")],
    }


def extract(
    model: str,
    *,
    n_per_emotion: int = 50,
    seed: int = 0,
    results_root=None,
    cache_root=None,
    data_dir=None,
    progress: bool = True,
) -> dict:
    """Comprehension (and, for decoders, generation) states, separation and vectors of one model; cached."""
    if model not in BACKBONES:
        raise ValueError(f"model {model!r} is not one of {sorted(BACKBONES)}")
    wanted = provenance(model, n_per_emotion, seed)
    stage = StageRecord(result_path(model, results_root), wanted, refresh=REFRESH)
    cached = stage.current()
    if cached is not None and vectors_path(model, cache_root).is_file():
        return cached
    start = time.perf_counter()
    model_id, decoder = BACKBONES[model].hub_id, BACKBONES[model].decoder
    network = (resolve.load_causal_lm if decoder else resolve.load_backbone)(model_id)
    tokenizer = tokenizer_with_padding(model_id)
    texts = {"comprehension": comprehension_texts(n_per_emotion, seed=seed, data_dir=data_dir)}
    generated = None
    if decoder:
        generated = generate_texts(network, tokenizer, n_per_emotion, seed=seed, progress=progress)
        texts["generation"] = {e: [s for s in samples if s["text"]] for e, samples in generated.items()}
    rows, vectors = [], {}
    for method, by_emotion in texts.items():
        flat, labels, _ = stacked(by_emotion)
        states = layer_features(
            network,
            tokenizer,
            flat,
            max_length=MAX_LENGTH,
            representations=("hidden",),
            poolings=POOLINGS,
            progress=progress,
            desc=f"{model} {method}",
        )
        for pooling in POOLINGS:
            values = states[("hidden", pooling)]
            rows += [{"method": method, "pooling": pooling, **row} for row in separation(values, labels, seed=seed)]
            vectors[f"{method}_{pooling}"] = emotion_vectors(values, labels)
            vectors[f"{method}_{pooling}_norm"] = np.linalg.norm(values, axis=-1).mean(axis=0)  # per layer
    with atomic_path(vectors_path(model, cache_root)) as temporary:
        np.savez(temporary, **vectors)
    record = {
        "provenance": wanted,
        "seconds": round(time.perf_counter() - start, 1),
        "separation": rows,
        "generation_summary": generation_summary(generated) if generated else None,
        "generations": generated,
    }
    stage.write(record)
    return record


def load_vectors(model: str, cache_root=None) -> dict:
    """The cached emotion vectors of ``model``; missing ones say how to extract them."""
    path = vectors_path(model, cache_root)
    if not path.is_file():
        raise FileNotFoundError(f"no emotion vectors at {path}; run lle.context.emotion.stage.extract({model!r})")
    with np.load(path) as arrays:
        return {key: arrays[key] for key in arrays.files}


def sweep(
    model_name: str,
    *,
    n_samples: int = 2,
    seed: int = 0,
    emotions=STEERED_EMOTIONS,
    coefficients=COEFFICIENTS,
    prompts=NEUTRAL_PROMPTS,
    results_root=None,
    progress: bool = True,
) -> dict:
    """The steering sweep of one decoder, cached in results/emotion/<model>_steering.json (reused when its
    provenance matches). Each (emotion, layer, coefficient) cell's generations are also cached on their own in
    the git-ignored cache, so a widened or interrupted sweep computes only the cells it lacks."""
    model_id, decoder = BACKBONES[model_name].hub_id, BACKBONES[model_name].decoder
    if not decoder:
        raise ValueError(f"{model_name} is an encoder: it cannot be steered into writing")
    wanted = {
        "model": model_name,
        **resolve.resolve_model(model_id).provenance(),
        "n_samples": n_samples,
        "seed": seed,
        "emotions": list(emotions),
        "coefficients": list(coefficients),
        "prompts": list(prompts),
        "generation": GENERATION,
        "thresholds": {
            "collapse_distinct": COLLAPSE_DISTINCT,
            "explosive_ppl_ratio": EXPLOSIVE_PPL_RATIO,
            "success_gain": SUCCESS_GAIN,
        },
        "vectors_sha256": sha256_file(vectors_path(model_name)),
    }
    stage = StageRecord(sweep_path(model_name, results_root), wanted, refresh=REFRESH)
    cached = stage.current()
    if cached is not None:
        return cached
    layers, n_blocks, rows = _generate_cells(model_name, wanted, emotions, coefficients, progress)
    judge_model, judge_tokenizer, _, judge_provenance = judge(progress=progress)
    written = [r for r in rows if r["text"]]
    labels = iter(judged_labels(judge_model, judge_tokenizer, [r["text"] for r in written]))
    for row in rows:  # an empty continuation is counted as such, never judged as some emotion
        row["judged"] = next(labels) if row["text"] else "(empty)"
    record = {
        "provenance": wanted,
        "judge": judge_provenance,
        "layers": layers,
        "n_blocks": n_blocks,
        "generations": rows,
    }
    stage.write(record)
    return record


def _generate_cells(model_name: str, wanted: dict, emotions, coefficients, progress: bool):
    """(steered layers, number of blocks, generation rows) of every cell, unsteered first; cells cached."""
    lm, tokenizer = resolve.load_causal_lm(wanted["model_id"]), tokenizer_with_padding(wanted["model_id"])
    vectors = load_vectors(model_name)
    layers = steering_layers(n_layers(lm))
    cells = [(None, None, 0.0)] + [(e, layer, c) for e in emotions for layer in layers for c in coefficients]
    rows = []
    for cell in tqdm(cells, desc=f"steering {model_name}", disable=not progress):
        target, layer, coefficient = cell
        stats = _cached_cell(model_name, wanted, cell, partial(_steered_cell, lm, tokenizer, vectors, wanted, cell))
        rows += [
            {
                "emotion": target,
                "layer": layer,
                "coefficient": coefficient,
                "prompt": wanted["prompts"][i // wanted["n_samples"]],
                **row,
            }
            for i, row in enumerate(stats)
        ]
    return layers, n_layers(lm), rows


def _steered_cell(lm, tokenizer, vectors: dict, wanted: dict, cell: tuple) -> list:
    """Generate one cell's continuations (unsteered when its emotion is None) and their statistics."""
    target, layer, coefficient = cell
    vector = None if target is None else scaled_vector(vectors, EMOTIONS.index(target), layer, coefficient)
    sequences, width = generate(
        lm, tokenizer, wanted["prompts"], n_samples=wanted["n_samples"], seed=wanted["seed"], layer=layer, vector=vector
    )
    return continuation_statistics(lm, tokenizer, sequences, width)


def _cached_cell(model_name: str, wanted: dict, cell: tuple, compute) -> list:
    """One cell's generation rows from the cache when made from the same inputs, else computed and cached."""
    inputs = {
        key: wanted[key]
        for key in ("model", "weights_sha256", "n_samples", "seed", "prompts", "generation", "vectors_sha256")
        if key in wanted
    }
    key = hashlib.sha256(json.dumps([inputs, list(cell)], sort_keys=True).encode()).hexdigest()[:20]
    path = cache_dir() / "steering" / model_name / f"{key}.json"
    if path.is_file():
        return json.loads(path.read_text())
    rows = compute()
    atomic_write_text(path, json.dumps(rows))
    return rows


@dataclass
class EmotionResults:
    """The stage's cached results: separation rows of every extracted model, {model: its stored record without the
    rows} and {model: its steering sweep record} for every decoder swept."""

    separation: pd.DataFrame
    records: dict
    sweeps: dict


def load_results(results_root=None) -> EmotionResults:
    """Every cached result of the stage under ``results_root``/emotion (None: the repository's results/); none
    extracted is an error that names the script to run. Sweeps are read once here: their generations are large."""
    frames, records, sweeps = [], {}, {}
    for model in BACKBONES:
        path, swept = result_path(model, results_root), sweep_path(model, results_root)
        if path.is_file():
            record = json.loads(path.read_text())
            frames.append(pd.DataFrame(record.pop("separation")).assign(model=model))
            records[model] = record
        if swept.is_file():
            sweeps[model] = json.loads(swept.read_text())
    if not frames:
        raise FileNotFoundError(
            f"no emotion results under {Path(results_dir(results_root)) / 'emotion'}; run "
            "scripts/compute_emotion.py (or notebook 11 with recompute = True)"
        )
    return EmotionResults(pd.concat(frames, ignore_index=True), records, sweeps)


N_PER_EMOTION = 30  # texts per emotion, read and generated


def compute_stage(
    models=None, *, steer: bool = True, n_per_emotion: int = N_PER_EMOTION, results_root=None, progress: bool = True
) -> dict:
    """The whole stage (about an hour on a CPU; each model is reused once done): extraction and separation of
    every model (``n_per_emotion`` texts read and generated per emotion), then the steering sweep of the decoders.
    Returns {model: {"extraction": its result file, "steering": its sweep file, or None for an encoder or without
    ``steer``}}."""
    models = list(BACKBONES) if models is None else list(models)
    written = {}
    for model in models:
        record = extract(model, n_per_emotion=n_per_emotion, results_root=results_root, progress=progress)
        print(f"{model}: extraction and separation done ({record['seconds']} s)", flush=True)
        written[model] = {"extraction": result_path(model, results_root), "steering": None}
    for model in models if steer else []:
        if BACKBONES[model].decoder:
            sweep(model, results_root=results_root, progress=progress)
            print(f"{model}: steering sweep done", flush=True)
            written[model]["steering"] = sweep_path(model, results_root)
    return written
