"""The paper's own models as GPU runs: findable, with the paper's per-family recipes, and documented on the own-data page
exactly as generated."""

import pytest

from lle.runs import gpu
from lle.store import pages


def test_every_gpu_run_is_found_with_the_papers_recipe():
    assert len(gpu.GPU_RUNS) == 9  # three models x three datasets
    for run in gpu.GPU_RUNS:
        assert gpu.find_any_run(run.slug, run.recipe.dataset) is run
    assert gpu.find_any_run("all-MiniLM-L6-v2-finetuned", "goemotions").recipe.learning_rate == 3e-5
    with pytest.raises(KeyError, match="deberta-v3-large-paper"):
        gpu.find_any_run("deberta-v3-large", "goemotions")
    recipes = {run.slug: run.recipe for run in gpu.GPU_RUNS if run.recipe.dataset == "goemotions"}
    assert (recipes["deberta-v3-large-paper"].learning_rate, recipes["deberta-v3-large-paper"].pooling) == (4e-6, "cls")
    assert recipes["flan-t5-large-paper"].frozen_blocks == 0 and recipes["flan-t5-large-paper"].learning_rate == 5e-4
    assert recipes["flan-t5-xl-paper"].frozen_blocks == 12 and recipes["flan-t5-xl-paper"].freeze_embeddings


def test_estimates_are_three_epochs_at_the_reference_rate_or_none():
    deberta, large, _ = gpu.GPU_RUNS[:3]
    assert gpu.estimated_training_minutes(deberta, 12_500) == pytest.approx(3 * 12_500 / 125 / 60)
    assert gpu.estimated_training_minutes(large, 12_500) is None


def test_the_own_data_page_lists_the_runs_as_generated(data_dir):
    text = pages.BLOCK_PAGES["gpu-runs"].read_text()
    assert gpu.runs_block(data_dir=data_dir) in text, "run python -m lle.runs.gpu"
