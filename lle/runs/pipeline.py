"""The expensive stage: train (or not), read out every layer on validation and test, cache with provenance.

``PAPER_RUNS`` lists the runs this package reports. ``compute_run`` performs one (model, dataset) run and writes
``results/layer_scores/<slug>/<dataset>_{validation,test}.npz``; checkpoints and cached pooled states go to the
git-ignored cache directory (``lle.paths.cache_dir``).
"""

from __future__ import annotations

import hashlib
import json
import platform
from dataclasses import dataclass, field, replace
from functools import cached_property, partial
from pathlib import Path

import numpy as np
import torch

from lle import data
from lle.data.preprocess import TextPreprocessor
from lle.integrity import atomic_path, fault_point
from lle.models.backbones import GEMMA3, MINILM, MPNET, SMOLLM2
from lle.models.device import cpu_description, resolve_device
from lle.models.readout import (
    EarlyExitClassifier,
    PromptTemplate,
    Verbalizer,
    ZeroShotReadout,
    classifier_layer_log_probs,
)
from lle.models.resolve import load_backbone, load_causal_lm, load_tokenizer, resolve_model, tokenizer_with_padding  # noqa: F401 (load_tokenizer: re-exported)
from lle.paths import cache_dir
from lle.store.ledger import RunLedger
from lle.store.run_folders import check_free_space, commit_scores, output_lock_path, run_folder, run_lock
from lle.store.scores import git_commit, save_layer_scores, score_path
from lle.training.loops import finetune, pooled_layer_states, set_seed, timed, train_head
from lle.training.recipe import Recipe

EVAL_SPLITS = ("validation", "test")
# The commit of the code this process runs: read when the module is imported, since a long job (a queue of runs)
# keeps running the code it imported even after the files are edited or another commit is made.
CODE_COMMIT = git_commit()

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
            Run(
                "all-mpnet-base-v2-lower-half-frozen",
                Recipe(
                    MPNET,
                    dataset,
                    learning_rate=2e-5,
                    pooling="cls",
                    freeze_embeddings=True,
                    frozen_blocks=6,
                    cache_frozen=True,
                ),
            ),
            Run(
                "SmolLM2-135M-Instruct-frozen-head",
                Recipe(SMOLLM2, dataset, mode="frozen", learning_rate=1e-3, pooling="mean"),
            ),
            Run("gemma-3-270m-frozen-head", Recipe(GEMMA3, dataset, mode="frozen", learning_rate=1e-3, pooling="mean")),
            Run(
                "SmolLM2-135M-Instruct-zeroshot",
                Recipe(
                    SMOLLM2, dataset, mode="zeroshot", epochs=0, preprocessing=False, label_words=LABEL_WORDS[dataset]
                ),
            ),
        ]
    return runs


PAPER_RUNS = _runs()


def find_run(slug: str, dataset: str) -> Run:
    """The paper run ``slug`` on ``dataset``; an unknown pair is a KeyError listing the known runs."""
    for run in PAPER_RUNS:
        if run.slug == slug and run.recipe.dataset == dataset:
            return run
    raise KeyError(
        f"no run {slug!r} for {dataset!r}; known: {sorted({r.slug for r in PAPER_RUNS})} (the paper's "
        "own models for a GPU: lle.runs.gpu.find_any_run)"
    )


def load_texts(
    recipe: Recipe, split: str, *, data_dir=None, progress: bool = True, source=None
) -> tuple[list[str], np.ndarray]:
    """A split's texts (preprocessed as the recipe says) and labels; ``source`` defaults to the recipe's dataset."""
    source = source or data.dataset_source(recipe.dataset)
    dataset = source.load(split, data_dir=data_dir)
    texts, labels = list(dataset["text"]), np.asarray(dataset["label"], dtype=np.int64)
    if split == "train" and recipe.max_train_samples and recipe.max_train_samples < len(texts):
        keep = np.sort(np.random.default_rng(recipe.seed).choice(len(texts), recipe.max_train_samples, replace=False))
        texts, labels = [texts[i] for i in keep], labels[keep]
    if recipe.preprocessing:
        texts = TextPreprocessor(data_dir=data_dir)(texts, progress=progress)
    return texts, labels


def token_limit(tokenizer, location=None) -> int | None:
    """The longest input the model takes: its tokenizer's stated limit, else its configuration's number of
    positions (``location``: the model's folder); None where neither states one."""
    limit = getattr(tokenizer, "model_max_length", None)
    if isinstance(limit, int) and 0 < limit < 1_000_000:
        return int(limit)
    if location is not None and Path(location).is_dir():
        import transformers

        positions = getattr(transformers.AutoConfig.from_pretrained(location), "max_position_embeddings", None)
        return int(positions) if isinstance(positions, int) and positions > 0 else None
    return None


def auto_max_length(train_texts, tokenizer, *, quantile: float = 99.0, location=None) -> int:
    """A token length from the tokenized training split (its 99th percentile, at most the model's limit), said
    aloud, for datasets without one of their own; the cut affects only the longest 1% of training texts."""
    lengths = [len(ids) for ids in tokenizer(list(train_texts))["input_ids"]]
    chosen = int(np.ceil(np.percentile(lengths, quantile)))
    limit = token_limit(tokenizer, location)
    capped = limit is not None and chosen > limit
    print(
        f"max_length auto: {min(chosen, limit) if capped else chosen} tokens (the {quantile:g}th percentile of "
        f"{len(lengths)} training texts{f', capped at the model limit {limit}' if capped else ''}; "
        f"the longest has {max(lengths)})"
    )
    return min(chosen, limit) if capped else chosen


def preprocessing_description(recipe: Recipe) -> str:
    """What the recipe's text preprocessing does, in words ('none' without it)."""
    return TextPreprocessor().describe() if recipe.preprocessing else "none"


@dataclass(frozen=True)
class RunPlan:
    """A run with everything that decides its work resolved once, at the start: the dataset (its files, columns and
    checksums), the model's weights, the recipe, the token length and where it runs. Its ``key`` is a digest of all
    of them, so the cache entry (``run_dir``) of one set of inputs is never reused for another."""

    run: Run
    source: object
    resolved: object
    max_length: int
    placement: dict
    data_dir: object = None
    progress: bool = True
    loaded: dict = field(default_factory=dict, repr=False, compare=False)  # split -> (texts, labels)

    def split(self, name: str) -> tuple[list[str], np.ndarray]:
        """A split's texts and labels, read (and preprocessed) once."""
        if name not in self.loaded:
            self.loaded[name] = load_texts(
                self.recipe, name, data_dir=self.data_dir, progress=self.progress, source=self.source
            )
        return self.loaded[name]

    def splits(self) -> dict:
        """Every split the run reads: validation and test, and train unless it trains nothing."""
        names = EVAL_SPLITS if self.recipe.mode == "zeroshot" else ("train",) + EVAL_SPLITS
        return {name: self.split(name) for name in names}

    @property
    def recipe(self) -> Recipe:
        return self.run.recipe

    @cached_property
    def fingerprint(self) -> dict:
        return json.loads(
            json.dumps(
                {
                    "recipe": self.recipe.to_dict(),
                    **self.resolved.provenance(),
                    "max_length": self.max_length,
                    "preprocessing": preprocessing_description(self.recipe),
                    "data": self.identity,
                    "placement": {
                        "device": torch.device(self.placement["device"]).type,
                        "precision": self.placement["precision"],
                    },
                }
            )
        )

    @cached_property
    def tokenizer(self):
        """The model's tokenizer (with a pad token), loaded once for the length rule, the checks and the run."""
        return tokenizer_with_padding(self.resolved)

    @cached_property
    def identity(self) -> dict:
        """The dataset's identity (:func:`data_identity`), computed once: checksums read every file."""
        return data_identity(self.source)

    @cached_property
    def key(self) -> str:
        return hashlib.sha256(json.dumps(self.fingerprint, sort_keys=True).encode()).hexdigest()[:16]

    @property
    def run_dir(self) -> Path:
        return self.run.run_dir / self.key

    @property
    def pooled_dir(self) -> Path:
        """Where a frozen-head run's pooled states are cached: keyed by what the pooling reads (model, data, token
        length, pooling, preprocessing, placement), not by the head's training settings, so heads retrained with
        other seeds or learning rates reuse one pooling."""
        recipe = {
            k: v
            for k, v in self.fingerprint["recipe"].items()
            if k not in _HEAD_ONLY_FIELDS or (k == "seed" and self.recipe.max_train_samples)
        }
        digest = hashlib.sha256(json.dumps({**self.fingerprint, "recipe": recipe}, sort_keys=True).encode())
        return self.run.run_dir.parent / "pooled" / digest.hexdigest()[:16]

    @property
    def n_classes(self) -> int:
        return len(self.source.label_names)


# Recipe fields that change only the head's training, never the pooled states it is trained on (the seed also draws
# a capped training subset, so it stays in the pooling key when max_train_samples is set).
_HEAD_ONLY_FIELDS = ("seed", "epochs", "batch_size", "learning_rate", "checkpoint_every")


def data_identity(source) -> dict:
    """What identifies a dataset's content: each split's checksum, the columns read and the classes."""
    return {
        "sha256": {split: source.checksum(split) for split in ("train",) + EVAL_SPLITS},
        "text_column": getattr(source, "text_column", "text"),
        "label_column": getattr(source, "label_column", "label"),
        "label_names": list(source.label_names),
    }


def plan_run(
    run: Run,
    *,
    data_dir=None,
    device: str = "cpu",
    precision: str = "fp32",
    accelerator=None,
    progress: bool = True,
    source=None,
) -> RunPlan:
    """Resolve the dataset, model, token length and placement of ``run`` once (:class:`RunPlan`)."""
    recipe = run.recipe
    source = source or data.dataset_source(recipe.dataset)
    placement = {"device": str(accelerator.device if accelerator else resolve_device(device)), "precision": precision}
    plan = RunPlan(
        run,
        source,
        resolve_model(recipe.model_id),
        recipe.max_length or source.max_length or 0,
        placement,
        data_dir,
        progress,
    )
    if not plan.max_length:
        length = auto_max_length(plan.split("train")[0], plan.tokenizer, location=plan.resolved.location)
        plan = replace(plan, max_length=length)
    return plan


def compute_run(
    run: Run | RunPlan,
    *,
    data_dir=None,
    results_root=None,
    progress: bool = True,
    threads: int | None = None,
    device: str = "cpu",
    precision: str = "fp32",
    accelerator=None,
    provenance: dict | None = None,
) -> dict:
    """Train/read out one run and cache validation and test scores (float32, on the CPU, whatever ``device`` and
    ``precision`` the model ran at). Returns wall times in seconds. ``run`` may be a :class:`RunPlan` already
    resolved (``lle run`` resolves and checks everything first); ``provenance`` adds entries to the sidecars.

    ``accelerator`` (a data-parallel launch, :func:`lle.training.parallel.accelerator_from_environment`) shards
    fine-tuning over its processes; the main process then reads out and writes the scores, the others return
    after training (their dict says ``"scores_written_by": "main process"``)."""
    recipe = run.recipe
    if accelerator is not None and recipe.mode != "finetune":
        raise ValueError(
            f"data parallelism (accelerate launch with several processes) applies to --mode finetune; "
            f"a {recipe.mode!r} run trains a head or nothing: run it as one process (lle run ...)"
        )
    if accelerator is not None and device != "auto" and torch.device(device).type != accelerator.device.type:
        raise ValueError(
            f"device={device!r}, but accelerate launch put this process on {accelerator.device}; under "
            "a data-parallel launch pass device='auto' (--device auto), and choose CPU or GPU processes "
            "with accelerate launch (--cpu)"
        )
    if threads:
        torch.set_num_threads(threads)
    plan = (
        run
        if isinstance(run, RunPlan)
        else plan_run(
            run, data_dir=data_dir, device=device, precision=precision, accelerator=accelerator, progress=progress
        )
    )
    # One writer per output and per cache entry (lle.store.run_folders): taken before any expensive work.
    results_root = results_root_of(plan, results_root)
    locks = (
        (output_lock_path(results_root, plan.run.slug, recipe.dataset), plan.run_dir.parent / f".{plan.key}.lock")
        if accelerator is None or accelerator.is_main_process
        else ()
    )  # helper processes write no outputs
    with run_lock(
        *locks,
        what=f"{plan.run.slug} / {recipe.dataset} ({run_folder(results_root, plan.run.slug)}, cache entry {plan.run_dir})",
    ):
        check_free_space(
            results_root, estimated_output_bytes(plan), what=f"the scores of {plan.run.slug} / {recipe.dataset}"
        )
        return _compute_locked(plan, results_root, accelerator, progress, provenance)


def results_root_of(plan: RunPlan, results_root=None) -> Path:
    """The results folder a run writes its ``layer_scores/`` into (None: the repository's results/)."""
    return score_path(plan.run.slug, plan.recipe.dataset, "validation", results_root).parents[2]


def estimated_output_bytes(plan: RunPlan) -> int:
    """An upper bound of what the score files take (float32 log-probabilities, uncompressed), from the number of
    samples, classes and the model's layers (48 when its configuration does not say)."""
    samples = sum(len(plan.split(split)[1]) for split in EVAL_SPLITS)
    return samples * (_n_layers(plan) * plan.n_classes * 4 + 8) + 64_000


def _n_layers(plan: RunPlan) -> int:
    location = getattr(plan.resolved, "location", None)
    if location is not None and (Path(location) / "config.json").is_file():
        config = json.loads((Path(location) / "config.json").read_text())
        config = config.get("text_config", config)
        for key in ("num_hidden_layers", "n_layer", "num_layers"):
            if isinstance(config.get(key), int):
                return config[key] + 1
    return 49


def _compute_locked(plan: RunPlan, results_root: Path, accelerator, progress: bool, provenance) -> dict:
    recipe = plan.recipe
    # Seeded after resolving: materializing a model copy (dequantizing GGUF) draws from the global generator, so
    # seeding first would make the head's initial weights depend on whether the copy already existed.
    set_seed(recipe.seed)
    ledger = RunLedger(plan.run_dir, plan.fingerprint)
    commit = CODE_COMMIT  # the code this process imported, whatever was edited on disk since
    compute = partial(_compute_finetune, accelerator=accelerator) if accelerator else _COMPUTE[recipe.mode]
    (scores, labels), process_seconds = timed(compute, plan, progress, ledger)
    if scores is None:  # a data-parallel helper process: the main process writes the scores
        return {"total": process_seconds, "scores_written_by": "main process"}
    # Work reused from an earlier, interrupted process (checkpoints, pooled states) counts toward the run's cost.
    seconds = {"total": ledger.prior_seconds + process_seconds, "training": ledger.seconds.get("training", 0.0)}
    identity = plan.identity
    splits = {}
    for split in EVAL_SPLITS:
        sidecar = {
            "run": plan.run.slug,
            "dataset": recipe.dataset,
            "split": split,
            "dataset_sha256": identity["sha256"][split],
            "data": identity,
            "run_key": plan.key,
            **(
                {"data_files": {k: str(v) for k, v in plan.source.files.items()}}
                if hasattr(plan.source, "files")
                else {}
            ),
            **plan.resolved.provenance(),
            "preprocessing": preprocessing_description(recipe),
            "pooling": _pooling(recipe),
            "max_length": plan.max_length,
            "recipe": recipe.to_dict(),
            "seed": recipe.seed,
            "layer_index": "hidden_states (0 = embeddings, last = final block)",
            "wall_time_seconds": {
                **{k: round(v, 1) for k, v in seconds.items()},
                "reused_from_earlier_processes": round(ledger.prior_seconds, 1),
            },
            "training_log": _training_log(plan.run_dir),
            "git_commit": commit,
            "torch": torch.__version__,
            "transformers": _transformers_version(),
            "machine": platform.machine(),
            "cpu_capability": torch.backends.cpu.get_cpu_capability(),  # which of torch's CPU kernels ran
            "cpu": cpu_description(),
            "threads": torch.get_num_threads(),
            "run_dir_bytes": _disk_use(plan.run_dir),
            **({} if plan.placement == {"device": "cpu", "precision": "fp32"} else plan.placement),
            **({"data_parallel_processes": accelerator.num_processes} if accelerator else {}),
            **(provenance or {}),
        }
        splits[split] = (scores[split], labels[split], sidecar)
    commit_scores(results_root, plan.run.slug, recipe.dataset, splits, run_key=plan.key, write=save_layer_scores)
    return seconds


def _disk_use(directory: Path) -> int:
    """Bytes the run directory (checkpoints, pooled states, logs) occupies in the cache."""
    return sum(path.stat().st_size for path in Path(directory).rglob("*") if path.is_file())


def _training_log(run_dir: Path) -> list[dict]:
    """Loss and validation macro-F1 per epoch (empty for zero-shot runs)."""
    log = run_dir / "log.jsonl"
    return [json.loads(line) for line in log.read_text().splitlines()] if log.is_file() else []


def _pooling(recipe: Recipe) -> str:
    if recipe.mode == "zeroshot":
        return "next-token position of the prompt (logit lens over label-word tokens)"
    return recipe.pooling or "architecture default"


def _transformers_version() -> str:
    import transformers

    return transformers.__version__


def _compute_finetune(plan: RunPlan, progress: bool, ledger: RunLedger, *, accelerator=None):
    recipe = plan.recipe
    splits = plan.splits()
    tokenizer = plan.tokenizer
    model = EarlyExitClassifier(load_backbone(plan.resolved), plan.n_classes, pooling=recipe.pooling)
    placement = plan.placement
    training_placement = {"precision": placement["precision"], "accelerator": accelerator} if accelerator else placement
    finetune(
        model,
        tokenizer,
        splits["train"],
        splits["validation"],
        recipe,
        plan.run_dir,
        max_length=plan.max_length,
        progress=progress,
        ledger=ledger,
        reseed=False,  # seeded when compute_run started: cached runs repeat
        **training_placement,
    )
    if accelerator is not None and not accelerator.is_main_process:
        return None, None
    scores = {
        s: classifier_layer_log_probs(
            model, tokenizer, splits[s][0], max_length=plan.max_length, progress=progress, **placement
        )
        for s in EVAL_SPLITS
    }
    return scores, {s: splits[s][1] for s in EVAL_SPLITS}


def _compute_frozen(plan: RunPlan, progress: bool, ledger: RunLedger):
    recipe = plan.recipe
    splits = plan.splits()
    tokenizer = plan.tokenizer
    backbone = load_backbone(plan.resolved).requires_grad_(False)
    model = EarlyExitClassifier(backbone, plan.n_classes, pooling=recipe.pooling)

    def pooled(split, final_only):
        path = plan.pooled_dir / f"pooled_{split}_{'final' if final_only else 'layers'}.pt"
        if path.is_file():  # the pooling key vouches that it was made from this model, data and pooling
            return torch.load(path)
        states, seconds = timed(
            pooled_layer_states,
            model,
            tokenizer,
            splits[split][0],
            max_length=plan.max_length,
            final_only=final_only,
            progress=progress,
            desc=f"pooling {split}",
            **plan.placement,
        )
        with atomic_path(path) as temporary:
            torch.save(states, temporary)
        ledger.charge(f"pooling {split}", seconds)
        fault_point(f"pooled {split}")
        return states

    train_states = pooled("train", True)
    eval_states = {s: pooled(s, False) for s in EVAL_SPLITS}
    set_seed(recipe.seed)
    _, seconds = timed(
        train_head,
        model,
        train_states,
        splits["train"][1],
        eval_states["validation"][:, -1],
        splits["validation"][1],
        recipe,
        plan.run_dir,
        progress=progress,
    )
    ledger.charge("training", seconds, accumulate=False)  # the head is retrained whole, never resumed
    fault_point("trained")
    with torch.inference_mode():
        head_device = next(model.head.parameters()).device
        scores = {
            s: torch.log_softmax(model.head(eval_states[s].to(head_device)), -1).cpu().numpy() for s in EVAL_SPLITS
        }
    return scores, {s: splits[s][1] for s in EVAL_SPLITS}


def _compute_zeroshot(plan: RunPlan, progress: bool, ledger: RunLedger):
    recipe = plan.recipe
    splits = plan.splits()
    tokenizer = plan.tokenizer
    model = load_causal_lm(plan.resolved)
    words = recipe.label_words
    readout = ZeroShotReadout(
        model,
        tokenizer,
        Verbalizer.from_words(tokenizer, words),
        PromptTemplate.emotion_question(words),
        max_text_tokens=plan.max_length,
        **plan.placement,
    )
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
