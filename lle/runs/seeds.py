"""Training seeds as units: the paper's trained runs computed again with other seeds.

Seed 0 is each run of :data:`lle.runs.pipeline.PAPER_RUNS` as committed under ``results/layer_scores``.
Seeds 1 and 2 of the runs in :data:`SEEDED_RUNS` are computed by the same code with only ``Recipe.seed`` changed and
cached with the same provenance under ``results/seeds/seed<k>/layer_scores/<run>/<dataset>_<split>.npz``, so
:func:`lle.study.analysis.open_study` reads them with ``results_root=seed_root(k)``. A frozen-head run pools its
states once (the pooling cache is keyed by what the pooling reads, not by the seed) and retrains only its head per
seed; a fine-tuned run trains its whole backbone again.

The committed seed runs were computed by one process of ``scripts/compute_seeds.py`` started at commit 9f6b649 (its
code is the code they ran); their sidecars, written before the commit was recorded once per process
(:data:`lle.runs.pipeline.CODE_COMMIT`), name the commit checked out when each run started, marked
``-dirty``. ``lle verify`` recomputes them from the current code.

The list is ordered cheapest first, by the wall time recorded when seed 0 was cached (2 cores). The frozen heads'
goEmotions score files (14 MB a split for SmolLM2) would outgrow the repository's budget for seeds, so of those
runs (:data:`SCORES_NOT_COMMITTED`) the repository keeps the score files' sidecars (their checksums, for ``lle
verify``), the stored grids, and the per-sample test predictions at the selected configurations
(:mod:`lle.store.prediction_files`): all that the seed comparisons read. Runs left out and why: the zero-shot
runs train nothing (a seed changes nothing); MPNet fine-tunes for 28 to 125 minutes a seed on 2 cores.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from lle.paths import results_dir
from lle.store.prediction_files import predictions_path
from lle.store.scores import score_path

SEEDS = (1, 2)  # seed 0 is the committed run
SEEDED_RUNS = (
    ("gemma-3-270m-frozen-head", "tweet_hate"),
    ("gemma-3-270m-frozen-head", "tweet_emotion"),
    ("SmolLM2-135M-Instruct-frozen-head", "tweet_hate"),
    ("SmolLM2-135M-Instruct-frozen-head", "tweet_emotion"),
    ("all-MiniLM-L6-v2-finetuned", "tweet_hate"),
    ("all-MiniLM-L6-v2-finetuned", "tweet_emotion"),
    ("gemma-3-270m-frozen-head", "goemotions"),
    ("SmolLM2-135M-Instruct-frozen-head", "goemotions"),
    ("all-MiniLM-L6-v2-finetuned", "goemotions"),
)


# Seeded runs whose score files stay out of the repository (.gitignore): sidecars, grids and predictions are kept.
SCORES_NOT_COMMITTED = (
    ("gemma-3-270m-frozen-head", "goemotions"),
    ("SmolLM2-135M-Instruct-frozen-head", "goemotions"),
)


def seed_root(seed: int, results_root=None) -> Path:
    """The results folder of seed ``seed`` (0: the repository's results/ itself)."""
    return Path(results_dir(results_root)) / seed_folder(seed)


def seed_folder(seed: int) -> Path:
    """Where training seed ``seed`` lives inside a folder laid out like results/ (0: the folder itself)."""
    return Path() if seed == 0 else Path("seeds") / f"seed{seed}"


def seed_run(slug: str, dataset: str, seed: int):
    """The paper run ``slug`` on ``dataset`` with its recipe's seed set to ``seed`` (nothing else changed)."""
    from lle.runs.pipeline import Run, find_run  # imports torch: only asked for here

    run = find_run(slug, dataset)
    return Run(run.slug, replace(run.recipe, seed=seed))


def is_cached(slug: str, dataset: str, seed: int, results_root=None) -> bool:
    """Whether both score files of (slug, dataset) at ``seed`` exist, or, for a run of
    :data:`SCORES_NOT_COMMITTED`, their sidecars and the predictions made from them."""
    seed_results_root = seed_root(seed, results_root)
    paths = [score_path(slug, dataset, split, seed_results_root) for split in ("validation", "test")]
    if all(path.is_file() for path in paths):
        return True
    return (
        (slug, dataset) in SCORES_NOT_COMMITTED
        and all(path.with_suffix(".json").is_file() for path in paths)
        and predictions_path(seed_results_root, slug, dataset).is_file()
    )


def pending(results_root=None) -> list[tuple[str, str, int]]:
    """(run, dataset, seed) of :data:`SEEDED_RUNS` × :data:`SEEDS` not cached yet, in computing order."""
    return [
        (slug, dataset, seed)
        for slug, dataset in SEEDED_RUNS
        for seed in SEEDS
        if not is_cached(slug, dataset, seed, results_root)
    ]


def compute_seeds(*, only=None, results_root=None, progress: bool = True) -> list[dict]:
    """Compute every pending seed run (of ``only``, (run, dataset) pairs), cheapest first; returns each one's wall
    seconds. Resumable: a cached seed is skipped, an interrupted one resumes from its checkpoint."""
    from lle.runs.pipeline import compute_run

    done = []
    for slug, dataset, seed in pending(results_root):
        if only is not None and (slug, dataset) not in only:
            continue
        print(f"computing {slug} / {dataset} / seed {seed}", flush=True)
        seconds = compute_run(
            seed_run(slug, dataset, seed), results_root=seed_root(seed, results_root), progress=progress
        )
        done.append({"run": slug, "dataset": dataset, "seed": seed, "seconds": seconds})
    return done
