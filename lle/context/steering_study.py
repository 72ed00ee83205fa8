"""Steering small LMs with emotion vectors (after Jeong): a seeded layer × coefficient sweep on neutral prompts,
each generation judged by an external goEmotions classifier and by its perplexity under the unsteered model.

* **Vectors**: generation-based, last-token (:mod:`lle.context.emotion_stage`), unit length, scaled by
  ``coefficient × the mean norm of that layer's states`` so a coefficient means the same at every depth.
* **Steering**: added to the residual stream at the chosen layer from the prompt's end on
  (:func:`lle.models.steering.steering`), left-padded prompts, ``n_samples`` seeded samples per prompt.
* **Judge**: the frozen all-MiniLM-L6-v2 backbone with the paper's head trained on the single-label goEmotions
  train split (:func:`judge`), reading the generated continuation only; its test macro-F1 is reported beside.
* **Regimes** of a (emotion, layer, coefficient) cell, thresholds ours: *repetitive collapse* when the mean share
  of distinct tokens in a continuation is below :data:`COLLAPSE_DISTINCT`; else *explosive* when the perplexity
  ratio to the unsteered generations exceeds :data:`EXPLOSIVE_PPL_RATIO`; else *surgical*.
* **Success** of a scenario (model, emotion, layer): some coefficient in the surgical regime raises the share of
  continuations the judge labels with the target emotion by at least :data:`SUCCESS_GAIN` over the unsteered ones.
"""
from __future__ import annotations

from functools import partial

import numpy as np

NEUTRAL_PROMPTS = ("Today I went to the store and", "The weather this afternoon is", "My neighbour told me that",
                   "When I opened the letter,")
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
    import contextlib

    import torch

    from lle.models.steering import steering

    tokenizer.padding_side = "left"
    batch = tokenizer(list(prompts), return_tensors="pt", padding=True)
    width = batch["input_ids"].shape[1]
    context = (steering(model, layer, torch.as_tensor(vector, dtype=torch.float32), 1.0, from_position=width)
               if layer is not None else contextlib.nullcontext())
    torch.manual_seed(seed)
    with torch.inference_mode(), context:
        sequences = model.generate(**batch, num_return_sequences=n_samples, pad_token_id=tokenizer.pad_token_id,
                                   **GENERATION)
    return sequences, width


def continuation_mask(sequences, width: int, eos_id: int):
    """1 for the generated tokens up to and including the first EOS, 0 after it (and for the prompt)."""
    import torch

    generated = sequences[:, width:]
    ended = torch.cumsum((generated == eos_id).long(), dim=1)
    keep = (ended == 0) | ((ended == 1) & (generated == eos_id))
    return torch.cat([torch.zeros_like(sequences[:, :width]), keep.long()], dim=1)


def continuation_statistics(model, tokenizer, sequences, width: int) -> dict:
    """Per sequence: mean negative log-likelihood of its continuation under ``model`` (unsteered), share of
    distinct tokens, and the decoded continuation."""
    import torch

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
        rows.append({"nll": float(nll[row]), "distinct": len(set(tokens)) / max(len(tokens), 1),
                     "n_tokens": len(tokens), "text": tokenizer.decode(tokens, skip_special_tokens=True).strip()})
    return rows


def regime(distinct: float, ppl_ratio: float) -> str:
    """A cell's regime: repetitive collapse, explosive (perplexity ratio) or surgical."""
    if distinct < COLLAPSE_DISTINCT:
        return "repetitive collapse"
    return "explosive" if ppl_ratio > EXPLOSIVE_PPL_RATIO else "surgical"


def summarize_cells(generations, baseline_nll: float, baseline_rates: dict):
    """One row per (emotion, layer, coefficient) from per-generation rows (pandas): target-emotion rate, its gain
    over the unsteered generations, perplexity ratio, distinct share, regime."""
    import pandas as pd

    cells = generations.groupby(["emotion", "layer", "coefficient"], sort=True).agg(
        target_rate=("judged_target", "mean"), nll=("nll", "mean"), distinct=("distinct", "mean"),
        n=("text", "size")).reset_index()
    cells["gain"] = cells.target_rate - cells.emotion.map(baseline_rates)
    cells["ppl_ratio"] = np.exp(cells.nll - baseline_nll)
    cells["regime"] = [regime(d, r) for d, r in zip(cells.distinct, cells.ppl_ratio)]
    return pd.DataFrame(cells)


def scenarios(cells):
    """One row per (emotion, layer): success when a surgical coefficient gains ≥ SUCCESS_GAIN, with that best gain."""
    import pandas as pd

    rows = []
    for (emotion, layer), part in cells.groupby(["emotion", "layer"], sort=True):
        surgical = part[part.regime == "surgical"]
        best = surgical.gain.max() if len(surgical) else np.nan
        rows.append({"emotion": emotion, "layer": layer, "best_surgical_gain": best,
                     "success": bool(len(surgical) and best >= SUCCESS_GAIN),
                     "regimes": ", ".join(f"{c:g}: {r}" for c, r in zip(part.coefficient, part.regime))})
    return pd.DataFrame(rows)


# --- the sweep, cached --------------------------------------------------------------------------------------------

def judge_run():
    """The judge's recipe: frozen all-MiniLM-L6-v2, the paper's head, mean pooling, goEmotions single-label."""
    from lle.experiments.pipeline import MINILM, Run
    from lle.models.recipe import Recipe

    return Run("judge-all-MiniLM-L6-v2-frozen-head", Recipe(MINILM, "goemotions", mode="frozen", learning_rate=1e-3,
                                                           pooling="mean"))


def judge(*, progress: bool = True):
    """(classifier, tokenizer, test macro-F1, provenance): trained once (minutes) into the cache, then reloaded."""
    import torch

    from lle import data
    from lle.experiments.cache import load_layer_scores, score_path
    from lle.experiments.pipeline import compute_run, load_tokenizer, plan_run
    from lle.metrics import per_layer_metrics
    from lle.models.readout import EarlyExitClassifier
    from lle.models.resolve import load_backbone
    from lle.paths import cache_dir

    run = judge_run()
    scores_root = cache_dir() / "judge"
    path = score_path(run.slug, "goemotions", "test", scores_root)
    plan = plan_run(run, progress=progress)
    head = plan.run_dir / f"head_epoch_{run.recipe.epochs}.pt"
    if not (path.is_file() and head.is_file()):
        compute_run(plan, results_root=scores_root, progress=progress)
    test = load_layer_scores(path, run=run.slug)
    f1 = float(per_layer_metrics(test.log_probs, test.labels)["macro_f1"][-1])
    model = EarlyExitClassifier(load_backbone(run.recipe.model_id), len(data.GOEMOTIONS_LABELS), pooling="mean")
    model.head.load_state_dict(torch.load(head))
    return model.eval(), load_tokenizer(run.recipe.model_id), f1, {"run": run.slug, "test_macro_f1": f1,
                                                                   "weights_sha256": test.provenance["weights_sha256"]}


def judged_labels(judge_model, tokenizer, texts) -> list[str]:
    """The judge's goEmotions label for each text, read with the preprocessing it was trained with."""
    from lle import data
    from lle.data.preprocess import TextPreprocessor
    from lle.models.readout import classifier_layer_log_probs

    prepared = TextPreprocessor()(list(texts), progress=False)
    scores = classifier_layer_log_probs(judge_model, tokenizer, prepared, max_length=data.DATASETS["goemotions"]
                                        .max_length, progress=False)[:, -1]
    return [data.GOEMOTIONS_LABELS[i] for i in scores.argmax(axis=1)]


def sweep(model_name: str, *, n_samples: int = 2, seed: int = 0, emotions=STEERED_EMOTIONS,
          coefficients=COEFFICIENTS, prompts=NEUTRAL_PROMPTS, results_root=None, progress: bool = True) -> dict:
    """The steering sweep of one decoder, cached in results/emotion/<model>_steering.json (reused when its
    provenance matches). Each (emotion, layer, coefficient) cell's generations are also cached on their own in
    the git-ignored cache, so a widened or interrupted sweep computes only the cells it lacks."""
    import json
    from pathlib import Path

    from lle.context import emotion_stage
    from lle.integrity import atomic_write_text, sha256_file
    from lle.models import resolve
    from lle.paths import results_dir

    model_id, decoder = emotion_stage.MODELS[model_name]
    if not decoder:
        raise ValueError(f"{model_name} is an encoder: it cannot be steered into writing")
    path = Path(results_dir(results_root)) / "emotion" / f"{model_name}_steering.json"
    wanted = {"model": model_name, **resolve.resolve_model(model_id).provenance(), "n_samples": n_samples,
              "seed": seed, "emotions": list(emotions), "coefficients": list(coefficients), "prompts": list(prompts),
              "generation": GENERATION, "thresholds": {"collapse_distinct": COLLAPSE_DISTINCT,
                                                       "explosive_ppl_ratio": EXPLOSIVE_PPL_RATIO,
                                                       "success_gain": SUCCESS_GAIN},
              "vectors_sha256": sha256_file(emotion_stage.vectors_path(model_name))}
    if path.is_file() and json.loads(path.read_text())["provenance"] == json.loads(json.dumps(wanted)):
        return json.loads(path.read_text())
    layers, n_blocks, rows = _generate_cells(model_name, wanted, emotions, coefficients, progress)
    judge_model, judge_tokenizer, _, judge_provenance = judge(progress=progress)
    written = [r for r in rows if r["text"]]
    labels = iter(judged_labels(judge_model, judge_tokenizer, [r["text"] for r in written]))
    for row in rows:  # an empty continuation is counted as such, never judged as some emotion
        row["judged"] = next(labels) if row["text"] else "(empty)"
    record = {"provenance": wanted, "judge": judge_provenance, "layers": layers, "n_blocks": n_blocks,
              "generations": rows}
    atomic_write_text(path, json.dumps(record, indent=1, sort_keys=True) + "\n")
    return record


def _generate_cells(model_name: str, wanted: dict, emotions, coefficients, progress: bool):
    """(steered layers, number of blocks, generation rows) of every cell, unsteered first; cells cached."""
    from lle.context import emotion_stage
    from lle.experiments.pipeline import tokenizer_with_padding
    from lle.models import resolve
    from lle.models.architectures import n_layers
    from lle.progress import tqdm

    lm, tokenizer = resolve.load_causal_lm(wanted["model_id"]), tokenizer_with_padding(wanted["model_id"])
    vectors = emotion_stage.load_vectors(model_name)
    layers = steering_layers(n_layers(lm))
    cells = [(None, None, 0.0)] + [(e, layer, c) for e in emotions for layer in layers for c in coefficients]
    rows = []
    for cell in tqdm(cells, desc=f"steering {model_name}", disable=not progress):
        target, layer, coefficient = cell
        stats = _cached_cell(model_name, wanted, cell, partial(_steered_cell, lm, tokenizer, vectors, wanted, cell))
        rows += [{"emotion": target, "layer": layer, "coefficient": coefficient,
                  "prompt": wanted["prompts"][i // wanted["n_samples"]], **row} for i, row in enumerate(stats)]
    return layers, n_layers(lm), rows


def _steered_cell(lm, tokenizer, vectors: dict, wanted: dict, cell: tuple) -> list:
    """Generate one cell's continuations (unsteered when its emotion is None) and their statistics."""
    from lle.context import emotion

    target, layer, coefficient = cell
    vector = None if target is None else scaled_vector(vectors, emotion.EMOTIONS.index(target), layer, coefficient)
    sequences, width = generate(lm, tokenizer, wanted["prompts"], n_samples=wanted["n_samples"], seed=wanted["seed"],
                                layer=layer, vector=vector)
    return continuation_statistics(lm, tokenizer, sequences, width)


def _cached_cell(model_name: str, wanted: dict, cell: tuple, compute) -> list:
    """One cell's generation rows from the cache when made from the same inputs, else computed and cached."""
    import hashlib
    import json

    from lle.integrity import atomic_write_text
    from lle.paths import cache_dir

    inputs = {key: wanted[key] for key in ("model", "weights_sha256", "n_samples", "seed", "prompts", "generation",
                                           "vectors_sha256") if key in wanted}
    key = hashlib.sha256(json.dumps([inputs, list(cell)], sort_keys=True).encode()).hexdigest()[:20]
    path = cache_dir() / "steering" / model_name / f"{key}.json"
    if path.is_file():
        return json.loads(path.read_text())
    rows = compute()
    atomic_write_text(path, json.dumps(rows))
    return rows


def tables(record: dict):
    """(per-generation rows, cells, scenarios) of a cached sweep, as pandas frames."""
    import pandas as pd

    rows = pd.DataFrame(record["generations"])
    baseline = rows[rows.emotion.isna()]
    steered = rows[rows.emotion.notna()].copy()
    steered["layer"] = steered.layer.astype(int)  # the unsteered rows' missing layer made the column float
    steered["judged_target"] = steered.judged == steered.emotion
    rates = {e: float((baseline.judged == e).mean()) for e in steered.emotion.unique()}
    cells = summarize_cells(steered, float(baseline.nll.mean()), rates)
    return steered, cells, scenarios(cells)


def load_sweeps(root=None) -> dict:
    """{model: cached sweep record} for every decoder swept."""
    import json
    from pathlib import Path

    from lle.context.emotion_stage import MODELS
    from lle.paths import results_dir

    found = {}
    for model in MODELS:
        path = Path(results_dir(root)) / "emotion" / f"{model}_steering.json"
        if path.is_file():
            found[model] = json.loads(path.read_text())
    return found


def regime_examples(steered, cells, *, per_regime: int = 2):
    """A few generations of each regime (the first cells of each, in sweep order), with their cell's numbers."""
    import pandas as pd

    keyed = steered.merge(cells[["emotion", "layer", "coefficient", "regime", "ppl_ratio", "gain"]],
                          on=["emotion", "layer", "coefficient"])
    picks = [part.head(per_regime) for _, part in keyed.groupby("regime", sort=True)]
    columns = ["regime", "emotion", "layer", "coefficient", "prompt", "text", "judged", "ppl_ratio"]
    return pd.concat(picks, ignore_index=True)[columns] if picks else pd.DataFrame(columns=columns)


def steering_figure(cells_by_model: dict):
    """Per model: the judged target-emotion gain (upper) and the perplexity ratio (lower, log scale) against the
    coefficient (log scale, each coefficient labelled), one line per steered layer, averaged over emotions."""
    import pandas as pd
    import seaborn.objects as so
    from matplotlib import ticker

    from lle.experiments.figures import draw

    measures = {"gain": "judged target share − unsteered", "ppl": "perplexity ratio (median)"}
    means = pd.concat([cells.groupby(["layer", "coefficient"]).agg(gain=("gain", "mean"), ppl=("ppl_ratio", "median"))
                       .reset_index().assign(model=model) for model, cells in cells_by_model.items()])
    long = means.melt(id_vars=["model", "layer", "coefficient"], value_vars=list(measures), var_name="measure")
    long["measure"] = long.measure.map(measures)
    long["layer"] = "layer " + long.layer.astype(str)
    coefficients = sorted(long.coefficient.unique())
    plot = (so.Plot(long, x="coefficient", y="value", color="layer")
            .facet(col="model", row="measure", order={"col": list(cells_by_model), "row": list(measures.values())})
            .share(y="row").add(so.Line(marker="o", pointsize=4))
            .scale(x=so.Continuous(trans="log").tick(at=coefficients).label(like="{x:g}"))
            .label(x="coefficient (× mean state norm)", y="", color="", title=str))
    fig = draw(plot, (4.0 * len(cells_by_model) + 1.6, 5.0))
    columns = len(cells_by_model)
    for ax in fig.axes[:columns]:
        ax.axhline(SUCCESS_GAIN, color="grey", ls=":", lw=0.8)
    for ax in fig.axes[columns:]:
        ax.set_yscale("log")  # ratios: a doubling reads the same wherever it happens
        for set_formatter in (ax.yaxis.set_major_formatter, ax.yaxis.set_minor_formatter):
            set_formatter(ticker.FuncFormatter(lambda value, _: f"{value:g}"))  # "2", not "2 × 10⁰"
        ax.axhline(EXPLOSIVE_PPL_RATIO, color="tab:red", ls=":", lw=0.8)
    return fig
