"""The steering judge (lle.context.emotion.judge): its recipe, and each text's label read from the final layer of
the judge after the preprocessing it was trained with, one label per text in order."""

import tiny_models
import torch

from lle import data
from lle.context.emotion import judge
from lle.data.preprocess import TextPreprocessor
from lle.models.readout import EarlyExitClassifier, classifier_layer_log_probs

TEXTS = ["I am so happy today :)", "this is awful", "", "ok", "whatever you say #sad"]


def tiny_judge(favoured: str | None = None):
    torch.manual_seed(0)
    model = EarlyExitClassifier(tiny_models.build("bert"), len(data.GOEMOTIONS_LABELS), pooling="mean").eval()
    if favoured is not None:
        with torch.no_grad():
            model.head[-1].bias[data.GOEMOTIONS_LABELS.index(favoured)] = 1e4
    return model


def test_the_judge_is_a_frozen_minilm_head_on_goemotions_with_mean_pooling():
    recipe = judge.judge_run().recipe
    assert (recipe.model_id, recipe.dataset, recipe.mode, recipe.pooling) == (
        "sentence-transformers/all-MiniLM-L6-v2",
        "goemotions",
        "frozen",
        "mean",
    )


def test_every_text_gets_the_label_the_final_layer_favours():
    labels = judge.judged_labels(tiny_judge("grief"), tiny_models.tiny_tokenizer(), TEXTS)
    assert labels == ["grief"] * len(TEXTS)


def test_texts_are_read_as_the_judge_was_trained_preprocessed_and_in_order():
    model, tokenizer = tiny_judge(), tiny_models.tiny_tokenizer()
    prepared = TextPreprocessor()(TEXTS, progress=False)
    scores = classifier_layer_log_probs(
        model, tokenizer, prepared, max_length=data.DATASETS["goemotions"].max_length, progress=False
    )[:, -1]
    expected = [data.GOEMOTIONS_LABELS[i] for i in scores.argmax(axis=1)]
    assert judge.judged_labels(model, tokenizer, TEXTS) == expected
    assert judge.judged_labels(model, tokenizer, TEXTS[::-1]) == expected[::-1]
