"""The steering judge: a goEmotions classifier that reads each generated continuation (after Jeong's protocol,
with our own classifier).
"""

from __future__ import annotations

import torch

from lle import data
from lle.data.preprocess import TextPreprocessor
from lle.method.metrics import per_layer_metrics
from lle.models.backbones import MINILM
from lle.models.readout import EarlyExitClassifier, classifier_layer_log_probs
from lle.models.resolve import load_backbone
from lle.paths import cache_dir
from lle.runs.pipeline import Run, compute_run, load_tokenizer, plan_run
from lle.store.scores import load_layer_scores, score_path
from lle.training.recipe import Recipe


def judge_run():
    """The judge's recipe: frozen all-MiniLM-L6-v2, the paper's head, mean pooling, goEmotions single-label."""
    return Run(
        "judge-all-MiniLM-L6-v2-frozen-head",
        Recipe(MINILM, "goemotions", mode="frozen", learning_rate=1e-3, pooling="mean"),
    )


def judge(*, progress: bool = True):
    """(classifier, tokenizer, test macro-F1, provenance): trained once (minutes) into the cache, then reloaded."""
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
    return (
        model.eval(),
        load_tokenizer(run.recipe.model_id),
        f1,
        {"run": run.slug, "test_macro_f1": f1, "weights_sha256": test.provenance["weights_sha256"]},
    )


def judged_labels(judge_model, tokenizer, texts) -> list[str]:
    """The judge's goEmotions label for each text, read with the preprocessing it was trained with."""
    prepared = TextPreprocessor()(list(texts), progress=False)
    scores = classifier_layer_log_probs(
        judge_model, tokenizer, prepared, max_length=data.DATASETS["goemotions"].max_length, progress=False
    )[:, -1]
    return [data.GOEMOTIONS_LABELS[i] for i in scores.argmax(axis=1)]
