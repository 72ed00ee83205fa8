"""The paper's own models as runs for a user with a GPU (the committed results do not include them: they need a GPU
and the Hugging Face Hub).

DeBERTa-v3-large and FLAN-T5-large/XL on the three datasets with :func:`lle.training.recipe.paper_recipe`, one
command each (``scripts/compute_layer_scores.py --run ... --dataset ... --device cuda``), and an estimate of the
training time from reference plain-PyTorch rates on one H100 (batch 16, sequence 64; quoted, **not measured by this
project**; ``make benchmark-gpu`` measures yours). The estimate counts three epochs of the training
split at that rate and leaves out reading out validation and test (a forward pass each, a few per cent).
"""

from __future__ import annotations

from lle import data
from lle.runs.pipeline import PAPER_RUNS, Run
from lle.training.recipe import paper_recipe

PAPER_GPU_MODELS = {
    "deberta-v3-large": "microsoft/deberta-v3-large",
    "flan-t5-large": "google/flan-t5-large",
    "flan-t5-xl": "google/flan-t5-xl",
}
GPU_RUNS = [
    Run(f"{name}-paper", paper_recipe(model_id, dataset))
    for dataset in data.DATASETS
    for name, model_id in PAPER_GPU_MODELS.items()
]
# Reference training rates (examples/s) of a plain PyTorch loop on one H100 at batch 16, sequence 64, as given in
# issue 13; FLAN-T5-large has none, so it gets no estimate.
REFERENCE_RATES = {"deberta-v3-large": ("fp32", 125.0), "flan-t5-xl": ("bf16", 92.0)}


def find_any_run(slug: str, dataset: str) -> Run:
    """A run of :data:`lle.runs.pipeline.PAPER_RUNS` or of :data:`GPU_RUNS`."""
    for run in PAPER_RUNS + GPU_RUNS:
        if run.slug == slug and run.recipe.dataset == dataset:
            return run
    raise KeyError(f"no run {slug!r} for {dataset!r}; known: {sorted({r.slug for r in PAPER_RUNS + GPU_RUNS})}")


def command(run: Run) -> str:
    """The shell command that computes ``run`` on a GPU, with its reference precision."""
    precision = REFERENCE_RATES.get(run.slug.removesuffix("-paper"), ("bf16", None))[0]
    return (
        f"python scripts/compute_layer_scores.py --run {run.slug} --dataset {run.recipe.dataset} "
        f"--device cuda --precision {precision}"
    )


def estimated_training_minutes(run: Run, n_train: int) -> float | None:
    """Three epochs of ``n_train`` examples at the model's reference rate; None without a reference."""
    reference = REFERENCE_RATES.get(run.slug.removesuffix("-paper"))
    return None if reference is None else run.recipe.epochs * n_train / reference[1] / 60


def gpu_runs_table(*, data_dir=None):
    """One row per GPU run: model, dataset, the recipe's settings, the command and the estimated training time."""
    import pandas as pd

    sizes = {name: len(data.dataset_source(name).load("train", data_dir=data_dir)) for name in data.DATASETS}
    rows = []
    for run in GPU_RUNS:
        minutes = estimated_training_minutes(run, sizes[run.recipe.dataset])
        recipe = run.recipe
        rows.append(
            {
                "run": run.slug,
                "dataset": recipe.dataset,
                "learning rate": recipe.learning_rate,
                "frozen": f"embeddings + {recipe.frozen_blocks} blocks" if recipe.frozen_blocks else "nothing",
                "command": f"`{command(run)}`",
                "estimated training (H100, min)": "no reference rate" if minutes is None else f"{minutes:.0f}",
            }
        )
    return pd.DataFrame(rows)


def runs_block(*, data_dir=None) -> str:
    """The block of the own-data page listing the GPU runs (``python -m lle.runs.gpu`` rewrites it)."""
    table = gpu_runs_table(data_dir=data_dir).to_markdown(index=False)
    return f"<!-- gpu-runs:start (written by python -m lle.runs.gpu) -->\n{table}\n<!-- gpu-runs:end -->"


if __name__ == "__main__":
    from lle.store import pages

    print(pages.publish("gpu-runs", runs_block()))
