"""Training recipes (lle.training.recipe): modes and the paper's per-family defaults."""

import pytest

from lle.training.recipe import Recipe, paper_recipe


def recipe(**changes):
    base = dict(
        model_id="tiny-bert", dataset="tweet_hate", epochs=2, batch_size=8, learning_rate=1e-3, checkpoint_every=2
    )
    return Recipe(**{**base, **changes})


def test_recipe_rejects_unknown_mode():
    with pytest.raises(ValueError, match="mode must be"):
        recipe(mode="distill")


def test_paper_recipe_per_family():
    deberta = paper_recipe("microsoft/deberta-v3-large", "goemotions")
    assert (deberta.learning_rate, deberta.pooling, deberta.batch_size, deberta.epochs) == (4e-6, "cls", 16, 3)
    large = paper_recipe("google/flan-t5-large", "tweet_hate")
    assert (large.learning_rate, large.pooling, large.frozen_blocks) == (5e-4, "mean", 0)
    xl = paper_recipe("google/flan-t5-xl", "tweet_emotion", seed=3)
    assert (xl.learning_rate, xl.freeze_embeddings, xl.frozen_blocks, xl.seed) == (3e-4, True, 12, 3)
    with pytest.raises(ValueError, match="build a Recipe"):
        paper_recipe("sentence-transformers/all-MiniLM-L6-v2", "goemotions")
