"""The expensive stage: train (or not), read out every layer on validation and test, cache with provenance.

``PAPER_RUNS`` lists the runs this package reports. ``compute_run`` performs one (model, dataset) run and writes
``results/layer_scores/<slug>/<dataset>_{validation,test}.npz``; checkpoints and cached pooled states go to the
git-ignored cache directory (``lle.paths.cache_dir``).
"""
from __future__ import annotations

import json
import platform
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

import numpy as np
import torch

from lle import data
from lle.experiments.cache import git_commit, save_layer_scores, score_path
from lle.models.resolve import load_backbone, load_causal_lm, load_tokenizer, resolve_model
from lle.paths import cache_dir
from lle.data.preprocess import TextPreprocessor
from lle.models.readout import EarlyExitClassifier, PromptTemplate, Verbalizer, ZeroShotReadout, classifier_layer_log_probs
from lle.experiments.ledger import RunLedger
from lle.models.device import resolve_device
from lle.models.recipe import Recipe
from lle.models.training import finetune, pooled_layer_states, set_seed, timed, train_head

EVAL_SPLITS = ("validation", "test")
MINILM = "sentence-transformers/all-MiniLM-L6-v2"
MPNET = "sentence-transformers/all-mpnet-base-v2"
SMOLLM2 = "HuggingFaceTB/SmolLM2-135M-Instruct"
GEMMA3 = "google/gemma-3-270m"

# Natural-language label words for zero-shot prompting (one per class, in label order).
LABEL_WORDS = {
    "goemotions": tuple(data.GOEMOTIONS_LABELS),
    "tweet_emotion": tuple(data.TWEET_EMOTION_LABELS),
    "tweet_hate": ("sexism", "racism", "homophobia", "religion", "xenophobia", "ableism", "ageism", "none"),
}


@dataclass(frozen=True)
class Run:
    slug: str  # results/layer_scores/<slug>/
    recipe: Recipe

    @property
    def run_dir(self) -> Path:
        return cache_dir() / "runs" / self.slug / self.recipe.dataset


def _runs() -> list[Run]:
    runs = []
    for dataset in data.DATASETS:
        runs += [
            Run("all-MiniLM-L6-v2-finetuned", Recipe(MINILM, dataset, learning_rate=3e-5, pooling="cls")),
            Run("all-mpnet-base-v2-lower-half-frozen",
                Recipe(MPNET, dataset, learning_rate=2e-5, pooling="cls", freeze_embeddings=True, frozen_blocks=6,
                       cache_frozen=True)),
            Run("SmolLM2-135M-Instruct-frozen-head",
                Recipe(SMOLLM2, dataset, mode="frozen", learning_rate=1e-3, pooling="mean")),
            Run("gemma-3-270m-frozen-head", Recipe(GEMMA3, dataset, mode="frozen", learning_rate=1e-3, pooling="mean")),
            Run("SmolLM2-135M-Instruct-zeroshot",
                Recipe(SMOLLM2, dataset, mode="zeroshot", epochs=0, preprocessing=False,
                       label_words=LABEL_WORDS[dataset])),
        ]
    return runs


PAPER_RUNS = _runs()


def find_run(slug: str, dataset: str) -> Run:
    for run in PAPER_RUNS:
        if run.slug == slug and run.recipe.dataset == dataset:
            return run
    raise KeyError(f"no run {slug!r} for {dataset!r}; known: {sorted({r.slug for r in PAPER_RUNS})} (the paper's "
                   "own models for a GPU: lle.experiments.gpu_runs.find_any_run)")


def load_texts(recipe: Recipe, split: str, *, data_dir=None, progress: bool = True) -> tuple[list[str], np.ndarray]:
    dataset = data.dataset_source(recipe.dataset).load(split, data_dir=data_dir)
    texts, labels = list(dataset["text"]), np.asarray(dataset["label"], dtype=np.int64)
    if split == "train" and recipe.max_train_samples and recipe.max_train_samples < len(texts):
        keep = np.sort(np.random.default_rng(recipe.seed).choice(len(texts), recipe.max_train_samples, replace=False))
        texts, labels = [texts[i] for i in keep], labels[keep]
    if recipe.preprocessing:
        texts = TextPreprocessor(data_dir=data_dir)(texts, progress=progress)
    return texts, labels


def n_classes(recipe: Recipe) -> int:
    return len(data.dataset_source(recipe.dataset).label_names)


def auto_max_length(recipe: Recipe, *, data_dir=None, quantile: float = 99.0) -> int:
    """A token length from the tokenized training split (its 99th percentile), said aloud, for datasets without
    one of their own; the cut affects only the longest 1% of training texts."""
    texts, _ = load_texts(recipe, "train", data_dir=data_dir, progress=False)
    lengths = [len(ids) for ids in load_tokenizer(recipe.model_id)(texts)["input_ids"]]
    chosen = int(np.ceil(np.percentile(lengths, quantile)))
    print(f"max_length auto: {chosen} tokens (the {quantile:g}th percentile of {len(lengths)} training texts; "
          f"the longest has {max(lengths)})")
    return chosen


def preprocessing_description(recipe: Recipe) -> str:
    return TextPreprocessor().describe() if recipe.preprocessing else "none"


def compute_run(run: Run, *, data_dir=None, results_root=None, progress: bool = True, threads: int | None = None,
                device: str = "cpu", precision: str = "fp32", accelerator=None) -> dict:
    """Train/read out one run and cache validation and test scores (float32, on the CPU, whatever ``device`` and
    ``precision`` the model ran at). Returns wall times in seconds.

    ``accelerator`` (a data-parallel launch, :func:`lle.models.parallel.accelerator_from_environment`) shards
    fine-tuning over its processes; the main process then reads out and writes the scores, the others return
    after training (their dict says ``"scores_written_by": "main process"``)."""
    recipe = run.recipe
    if accelerator is not None and recipe.mode != "finetune":
        raise ValueError(f"data parallelism (accelerate launch with several processes) applies to --mode finetune; "
                         f"a {recipe.mode!r} run trains a head or nothing: run it as one process (lle run ...)")
    if accelerator is not None and device != "auto" and torch.device(device).type != accelerator.device.type:
        raise ValueError(f"device={device!r}, but accelerate launch put this process on {accelerator.device}; under "
                         "a data-parallel launch pass device='auto' (--device auto), and choose CPU or GPU processes "
                         "with accelerate launch (--cpu)")
    if threads:
        torch.set_num_threads(threads)
    set_seed(recipe.seed)
    source = data.dataset_source(recipe.dataset)
    max_length = recipe.max_length or source.max_length or auto_max_length(recipe, data_dir=data_dir)
    resolved = resolve_model(recipe.model_id)
    placement = {"device": str(accelerator.device if accelerator else resolve_device(device)), "precision": precision}
    fingerprint = _fingerprint(run, resolved, max_length)
    if placement["precision"] != "fp32":  # checkpoints of another precision are not resumed (fp32 ledgers unchanged)
        fingerprint["precision"] = placement["precision"]
    ledger = RunLedger(run.run_dir, fingerprint)
    commit = git_commit()  # the code as the run started; later edits do not make it dirty
    compute = partial(_compute_finetune, accelerator=accelerator) if accelerator else _COMPUTE[recipe.mode]
    (scores, labels), process_seconds = timed(compute, run, data_dir, max_length, progress, ledger, placement)
    if scores is None:  # a data-parallel helper process: the main process writes the scores
        return {"total": process_seconds, "scores_written_by": "main process"}
    # Work reused from an earlier, interrupted process (checkpoints, pooled states) counts toward the run's cost.
    seconds = {"total": ledger.prior_seconds + process_seconds, "training": ledger.seconds.get("training", 0.0)}
    for split in EVAL_SPLITS:
        provenance = {
            "run": run.slug, "dataset": recipe.dataset, "split": split,
            "dataset_sha256": source.checksum(split),
            **resolved.provenance(),
            "preprocessing": preprocessing_description(recipe), "pooling": _pooling(recipe),
            "max_length": max_length, "recipe": recipe.to_dict(), "seed": recipe.seed,
            "layer_index": "hidden_states (0 = embeddings, last = final block)",
            "wall_time_seconds": {**{k: round(v, 1) for k, v in seconds.items()},
                                  "reused_from_earlier_processes": round(ledger.prior_seconds, 1)},
            "training_log": _training_log(run.run_dir), "git_commit": commit,
            "torch": torch.__version__, "transformers": _transformers_version(), "machine": platform.machine(),
            "threads": torch.get_num_threads(), "run_dir_bytes": _disk_use(run.run_dir),
            **({} if placement == {"device": "cpu", "precision": "fp32"} else placement),
            **({"data_parallel_processes": accelerator.num_processes} if accelerator else {}),
        }
        save_layer_scores(score_path(run.slug, recipe.dataset, split, results_root), scores[split], labels[split],
                          provenance)
    return seconds


def _disk_use(directory: Path) -> int:
    """Bytes the run directory (checkpoints, pooled states, logs) occupies in the cache."""
    return sum(path.stat().st_size for path in Path(directory).rglob("*") if path.is_file())


def _training_log(run_dir: Path) -> list[dict]:
    """Loss and validation macro-F1 per epoch (empty for zero-shot runs)."""
    log = run_dir / "log.jsonl"
    return [json.loads(line) for line in log.read_text().splitlines()] if log.is_file() else []


def _fingerprint(run: Run, resolved, max_length: int) -> dict:
    """What the run directory's checkpoints and pooled states depend on."""
    source = data.dataset_source(run.recipe.dataset)
    return {"recipe": run.recipe.to_dict(), **resolved.provenance(), "max_length": max_length,
            "preprocessing": preprocessing_description(run.recipe),
            "dataset_sha256": {s: source.checksum(s) for s in ("train",) + EVAL_SPLITS}}


def _pooling(recipe: Recipe) -> str:
    if recipe.mode == "zeroshot":
        return "next-token position of the prompt (logit lens over label-word tokens)"
    return recipe.pooling or "architecture default"


def _transformers_version() -> str:
    import transformers

    return transformers.__version__


def tokenizer_with_padding(model_id: str):
    """Decoder tokenizers often lack a pad token; padding positions are masked, so EOS serves."""
    tokenizer = load_tokenizer(model_id)
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def _load_splits(recipe: Recipe, splits, data_dir, progress: bool) -> dict:
    return {s: load_texts(recipe, s, data_dir=data_dir, progress=progress) for s in splits}


def _compute_finetune(run: Run, data_dir, max_length: int, progress: bool, ledger: RunLedger, placement: dict, *,
                      accelerator=None):
    recipe = run.recipe
    tokenizer = load_tokenizer(recipe.model_id)
    splits = _load_splits(recipe, ("train",) + EVAL_SPLITS, data_dir, progress)
    model = EarlyExitClassifier(load_backbone(recipe.model_id), n_classes(recipe), pooling=recipe.pooling)
    training_placement = {"precision": placement["precision"], "accelerator": accelerator} if accelerator else placement
    finetune(model, tokenizer, splits["train"], splits["validation"], recipe, run.run_dir, max_length=max_length,
             progress=progress, ledger=ledger, reseed=False,  # seeded when compute_run started: cached runs repeat
             **training_placement)
    if accelerator is not None and not accelerator.is_main_process:
        return None, None
    scores = {s: classifier_layer_log_probs(model, tokenizer, splits[s][0], max_length=max_length, progress=progress,
                                            **placement) for s in EVAL_SPLITS}
    return scores, {s: splits[s][1] for s in EVAL_SPLITS}


def _compute_frozen(run: Run, data_dir, max_length: int, progress: bool, ledger: RunLedger, placement: dict):
    recipe = run.recipe
    tokenizer = tokenizer_with_padding(recipe.model_id)
    splits = _load_splits(recipe, ("train",) + EVAL_SPLITS, data_dir, progress)
    backbone = load_backbone(recipe.model_id).requires_grad_(False)
    model = EarlyExitClassifier(backbone, n_classes(recipe), pooling=recipe.pooling)

    def pooled(split, final_only):
        path = run.run_dir / f"pooled_{split}_{'final' if final_only else 'layers'}.pt"
        if path.is_file():  # the ledger vouches that it was made from this recipe, model and data
            return torch.load(path)
        states, seconds = timed(pooled_layer_states, model, tokenizer, splits[split][0], max_length=max_length,
                                final_only=final_only, progress=progress, desc=f"pooling {split}", **placement)
        path.parent.mkdir(parents=True, exist_ok=True)
        torch.save(states, path)
        ledger.charge(f"pooling {split}", seconds)
        return states

    train_states = pooled("train", True)
    eval_states = {s: pooled(s, False) for s in EVAL_SPLITS}
    set_seed(recipe.seed)
    _, seconds = timed(train_head, model, train_states, splits["train"][1], eval_states["validation"][:, -1],
                       splits["validation"][1], recipe, run.run_dir, progress=progress)
    ledger.charge("training", seconds, accumulate=False)  # the head is retrained whole, never resumed
    with torch.inference_mode():
        head_device = next(model.head.parameters()).device
        scores = {s: torch.log_softmax(model.head(eval_states[s].to(head_device)), -1).cpu().numpy()
                  for s in EVAL_SPLITS}
    return scores, {s: splits[s][1] for s in EVAL_SPLITS}


def _compute_zeroshot(run: Run, data_dir, max_length: int, progress: bool, ledger: RunLedger, placement: dict):
    recipe = run.recipe
    tokenizer = tokenizer_with_padding(recipe.model_id)
    model = load_causal_lm(recipe.model_id)
    words = recipe.label_words
    readout = ZeroShotReadout(model, tokenizer, Verbalizer.from_words(tokenizer, words),
                              PromptTemplate.emotion_question(words), max_text_tokens=max_length, **placement)
    splits = _load_splits(recipe, EVAL_SPLITS, data_dir, progress)
    scores = {s: readout(splits[s][0], progress=progress) for s in EVAL_SPLITS}
    return scores, {s: splits[s][1] for s in EVAL_SPLITS}


_COMPUTE = {"finetune": _compute_finetune, "frozen": _compute_frozen, "zeroshot": _compute_zeroshot}


def small_variant(run: Run, **changes) -> Run:
    """The same run with a changed recipe (tests and quick looks), under a distinct slug."""
    return Run(run.slug + "-small", replace(run.recipe, **changes))


def compute_paper_runs(*, runs=None, results_root=None, progress: bool = True) -> None:
    """Compute every run of :data:`PAPER_RUNS` (of ``runs``, slugs; None: all) and cache its scores."""
    for run in PAPER_RUNS:
        if runs is None or run.slug in runs:
            print(f"computing {run.slug} / {run.recipe.dataset}")
            compute_run(run, results_root=results_root, progress=progress)
