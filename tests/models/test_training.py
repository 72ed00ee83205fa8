"""Training and caching on tiny random models: train a few steps, resume, write, reload, reject mismatches."""

import json

import numpy as np
import pytest
import tiny_models
import torch

from lle.integrity import CacheMismatchError
from lle.models.readout import EarlyExitClassifier, classifier_layer_log_probs
from lle.models.recipe import Recipe, paper_recipe
from lle.models.surgery import freeze_bottom
from lle.models.training import epoch_batches, finetune, set_seed, train_head
from lle.store.ledger import RunLedger
from lle.store.scores import load_layer_scores, save_layer_scores, score_path

WORDS = tiny_models.WORDS
TEXTS = [" ".join(WORDS[(i * 7 + j) % len(WORDS)] for j in range(1 + i % 6)) for i in range(40)]
LABELS = np.array([i % 3 for i in range(40)])


def tiny_classifier(seed=0):
    set_seed(seed)
    return EarlyExitClassifier(tiny_models.build("bert", seed=seed), 3)


def recipe(**changes):
    base = dict(
        model_id="tiny-bert", dataset="tweet_hate", epochs=2, batch_size=8, learning_rate=1e-3, checkpoint_every=2
    )
    return Recipe(**{**base, **changes})


def test_epoch_batches_cover_every_sample_once_and_are_reproducible():
    lengths = np.random.default_rng(0).integers(1, 40, 1000)
    batches = epoch_batches(lengths, 16, seed=3, epoch=1)
    flat = np.concatenate(batches)
    assert sorted(flat.tolist()) == list(range(1000))
    assert all(len(b) <= 16 for b in batches)
    again = epoch_batches(lengths, 16, seed=3, epoch=1)
    assert all(np.array_equal(a, b) for a, b in zip(batches, again))
    other_epoch = epoch_batches(lengths, 16, seed=3, epoch=2)
    assert not all(np.array_equal(a, b) for a, b in zip(batches, other_epoch))
    spread = np.mean([np.ptp(lengths[b]) for b in batches])
    assert spread < np.ptp(lengths) / 4, "batches should group similar lengths"


def test_training_is_deterministic_and_resumes_bit_for_bit(tmp_path):
    tokenizer = tiny_models.tiny_tokenizer()
    train, validation = (TEXTS, LABELS), (TEXTS[:12], LABELS[:12])

    straight = finetune(
        tiny_classifier(), tokenizer, train, validation, recipe(), tmp_path / "a", max_length=16, progress=False
    )
    # same run, interrupted after epoch 1 and resumed from the checkpoint in a fresh process-like state
    first = finetune(
        tiny_classifier(), tokenizer, train, validation, recipe(epochs=1), tmp_path / "b", max_length=16, progress=False
    )
    resumed = finetune(
        tiny_classifier(), tokenizer, train, validation, recipe(), tmp_path / "b", max_length=16, progress=False
    )
    for (name, a), (_, b) in zip(straight.state_dict().items(), resumed.state_dict().items(), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0, msg=name)
    assert not torch.equal(first.head[0].weight, tiny_classifier().head[0].weight)
    log = [json.loads(line) for line in (tmp_path / "a" / "log.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in log] == [1, 2] and all(0 <= r["validation_macro_f1"] <= 1 for r in log)
    assert not list((tmp_path / "a").glob("epoch_*.pt"))  # only the rolling checkpoint by default


def test_resume_within_an_epoch(tmp_path):
    """A crash mid-epoch resumes from the last step checkpoint and ends where an uninterrupted run ends."""
    tokenizer = tiny_models.tiny_tokenizer()
    train, validation = (TEXTS, LABELS), (TEXTS[:8], LABELS[:8])
    straight = finetune(
        tiny_classifier(), tokenizer, train, validation, recipe(epochs=1), tmp_path / "a", max_length=16, progress=False
    )
    model = tiny_classifier()
    original_step = torch.optim.Adam.step
    calls = {"n": 0}

    def crash_after_three(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] > 3:
            raise KeyboardInterrupt
        return original_step(self, *args, **kwargs)

    torch.optim.Adam.step = crash_after_three
    try:
        with pytest.raises(KeyboardInterrupt):
            finetune(
                model,
                tokenizer,
                train,
                validation,
                recipe(epochs=1),
                tmp_path / "b",
                max_length=16,
                progress=False,
                ledger=RunLedger(tmp_path / "b", {"recipe": "r"}),
            )
    finally:
        torch.optim.Adam.step = original_step
    # the checkpoint after step 2 exists and its time was charged; a fresh model resumes from it
    ledger = RunLedger(tmp_path / "b", {"recipe": "r"})
    assert ledger.prior_seconds == ledger.seconds["training"] > 0
    resumed = finetune(
        tiny_classifier(),
        tokenizer,
        train,
        validation,
        recipe(epochs=1),
        tmp_path / "b",
        max_length=16,
        progress=False,
        ledger=ledger,
    )
    for (name, a), (_, b) in zip(straight.state_dict().items(), resumed.state_dict().items(), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0, msg=name)
    assert ledger.seconds["training"] > ledger.prior_seconds


def test_run_ledger_refuses_other_recipes_and_unknown_checkpoints(tmp_path):
    ledger = RunLedger(tmp_path / "run", {"recipe": {"lr": 1e-3}, "labels": ("a", "b")})
    ledger.charge("pooling train", 2.0)
    ledger.charge("pooling train", 1.5)
    ledger.charge("training", 9.0)
    ledger.charge("training", 4.0, accumulate=False)  # redone whole, not added
    again = RunLedger(tmp_path / "run", {"recipe": {"lr": 1e-3}, "labels": ["a", "b"]})
    assert again.seconds == {"pooling train": 3.5, "training": 4.0} and again.prior_seconds == 7.5
    with pytest.raises(CacheMismatchError, match=r"different \['recipe'\].*--force"):
        RunLedger(tmp_path / "run", {"recipe": {"lr": 2e-3}, "labels": ["a", "b"]})
    legacy = tmp_path / "legacy"
    legacy.mkdir()
    torch.save(torch.zeros(2), legacy / "pooled_train_final.pt")
    with pytest.raises(CacheMismatchError, match="no ledger.json"):
        RunLedger(legacy, {"recipe": {}})


def test_frozen_blocks_do_not_change(tmp_path):
    tokenizer = tiny_models.tiny_tokenizer()
    model = tiny_classifier()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    finetune(
        model,
        tokenizer,
        (TEXTS, LABELS),
        (TEXTS[:8], LABELS[:8]),
        recipe(epochs=1, frozen_blocks=2, freeze_embeddings=True),
        tmp_path,
        max_length=16,
        progress=False,
    )
    after = model.state_dict()
    for name in before:
        changed = not torch.equal(before[name], after[name])
        frozen = name.startswith(("backbone.embeddings", "backbone.encoder.layer.0.", "backbone.encoder.layer.1."))
        if frozen:
            assert not changed, name
    assert not torch.equal(
        before["backbone.encoder.layer.2.output.dense.weight"], after["backbone.encoder.layer.2.output.dense.weight"]
    )
    with pytest.raises(ValueError, match="cannot freeze"):
        freeze_bottom(tiny_classifier(), embeddings=False, blocks=9)


def test_head_only_training_learns_a_separable_problem(tmp_path):
    set_seed(0)
    model = tiny_classifier()
    generator = torch.Generator().manual_seed(0)
    centers = torch.randn(3, 32, generator=generator) * 3
    labels = np.arange(300) % 3
    states = centers[labels] + torch.randn(300, 32, generator=generator)
    train_head(
        model, states, labels, states[:60], labels[:60], recipe(epochs=3, learning_rate=1e-2), tmp_path, progress=False
    )
    log = [json.loads(line) for line in (tmp_path / "log.jsonl").read_text().splitlines()]
    assert log[-1]["validation_macro_f1"] > 0.9


def test_cache_round_trip_and_refusals(tmp_path):
    tokenizer = tiny_models.tiny_tokenizer()
    model = tiny_classifier().eval()
    scores = classifier_layer_log_probs(model, tokenizer, TEXTS[:10], max_length=16, progress=False)
    path = score_path("tiny-bert", "tweet_hate", "validation", tmp_path)
    save_layer_scores(path, scores, LABELS[:10], {"model_id": "tiny-bert", "dataset": "tweet_hate", "seed": 0})
    loaded = load_layer_scores(path, model_id="tiny-bert", dataset="tweet_hate")
    np.testing.assert_array_equal(loaded.log_probs, scores)
    np.testing.assert_array_equal(loaded.labels, LABELS[:10])
    assert loaded.log_probs.dtype == np.float32 and loaded.labels.dtype == np.int64
    assert loaded.provenance["n_layers"] == 4 and loaded.provenance["package_version"]

    with pytest.raises(CacheMismatchError, match="made with model_id='tiny-bert', expected 'other'"):
        load_layer_scores(path, model_id="other")
    path.write_bytes(path.read_bytes()[:-10])  # truncate: corrupt
    with pytest.raises(CacheMismatchError, match="corrupt"):
        load_layer_scores(path)
    with pytest.raises(FileNotFoundError, match="missing; rerun the lle run command that made it .*recomputes"):
        load_layer_scores(tmp_path / "nothing.npz")
    with pytest.raises(ValueError, match="non-finite"):
        save_layer_scores(path, np.full((2, 3, 4), np.nan), np.zeros(2), {})


def test_recipe_rejects_unknown_mode():
    with pytest.raises(ValueError, match="mode must be"):
        recipe(mode="distill")


@pytest.mark.parametrize("name", ["bert", "mpnet", "deberta-v2", "roberta"])
def test_cached_frozen_bottom_gives_the_same_loss_and_gradients(name):
    """Running only the trainable blocks on cached states == the full model with its frozen part in eval mode."""
    from lle.models.architectures import get_path
    from lle.models.readout import pad_batch, tokenize
    from lle.models.surgery import FrozenBottomCache

    tokenizer = tiny_models.tiny_tokenizer()
    set_seed(0)
    model = EarlyExitClassifier(tiny_models.build(name), 3)
    freeze_bottom(model, embeddings=True, blocks=2, shared=True)
    token_lists = tokenize(tokenizer, TEXTS[:12], 16)
    cache = FrozenBottomCache(model, tokenizer, token_lists, 2, batch_size=5, progress=False)
    indices = np.array([3, 0, 7, 11])
    inputs = pad_batch(tokenizer, [token_lists[i] for i in indices])
    labels = torch.as_tensor(LABELS[indices])
    layers = get_path(model.backbone, model.spec.layers)

    def loss_and_grads(cached: bool):
        model.train()
        model.zero_grad()
        if not cached:  # the reference: frozen part as a fixed feature extractor
            model.backbone.embeddings.eval()
            for block in layers[:2]:
                block.eval()
        torch.manual_seed(5)
        if cached:
            with cache.inside(model, indices, inputs["input_ids"].shape[1]):
                loss = torch.nn.functional.cross_entropy(model(**inputs), labels)
        else:
            loss = torch.nn.functional.cross_entropy(model(**inputs), labels)
        loss.backward()
        return loss.item(), {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}

    reference_loss, reference_grads = loss_and_grads(cached=False)
    cached_loss, cached_grads = loss_and_grads(cached=True)
    assert cached_loss == pytest.approx(reference_loss, rel=1e-5)
    assert cached_grads.keys() == reference_grads.keys() and any("head" in n for n in cached_grads)
    for name_, grad in reference_grads.items():
        torch.testing.assert_close(cached_grads[name_], grad, atol=1e-5, rtol=1e-4, msg=name_)
    assert all(not isinstance(block, torch.nn.Identity) and type(block).__name__ != "_Passthrough" for block in layers)
    assert not model.backbone.embeddings._forward_hooks
    model.eval()  # oracle: the cached states are the full model's hidden_states[2], unpadded
    with torch.inference_mode():
        for index in (0, 7):
            single = pad_batch(tokenizer, [token_lists[index]])
            expected = model.backbone(**single, output_hidden_states=True).hidden_states[2][0]
            torch.testing.assert_close(cache.states[index], expected, atol=1e-5, rtol=1e-5)


def test_cache_frozen_needs_a_frozen_bottom(tmp_path):
    with pytest.raises(ValueError, match="cache_frozen needs"):
        finetune(
            tiny_classifier(),
            tiny_models.tiny_tokenizer(),
            (TEXTS, LABELS),
            (TEXTS[:4], LABELS[:4]),
            recipe(cache_frozen=True),
            tmp_path,
            max_length=16,
            progress=False,
        )


def test_training_with_cached_bottom_runs_and_resumes(tmp_path):
    tokenizer = tiny_models.tiny_tokenizer()
    changes = dict(epochs=2, frozen_blocks=2, freeze_embeddings=True, cache_frozen=True)
    straight = finetune(
        tiny_classifier(),
        tokenizer,
        (TEXTS, LABELS),
        (TEXTS[:8], LABELS[:8]),
        recipe(**changes),
        tmp_path / "a",
        max_length=16,
        progress=False,
    )
    finetune(
        tiny_classifier(),
        tokenizer,
        (TEXTS, LABELS),
        (TEXTS[:8], LABELS[:8]),
        recipe(**{**changes, "epochs": 1}),
        tmp_path / "b",
        max_length=16,
        progress=False,
    )
    resumed = finetune(
        tiny_classifier(),
        tokenizer,
        (TEXTS, LABELS),
        (TEXTS[:8], LABELS[:8]),
        recipe(**changes),
        tmp_path / "b",
        max_length=16,
        progress=False,
    )
    for (name, a), (_, b) in zip(straight.state_dict().items(), resumed.state_dict().items(), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0, msg=name)


def test_git_commit_is_dirty_only_for_code_changes(tmp_path, monkeypatch):
    import subprocess

    from lle.store import scores

    def git(*args):
        subprocess.run(
            ["git", "-c", "user.email=t@t", "-c", "user.name=t", *args], cwd=tmp_path, check=True, capture_output=True
        )

    (tmp_path / "lle").mkdir()
    (tmp_path / "lle" / "core.py").write_text("x = 1\n")
    (tmp_path / "notebook.ipynb").write_text("{}\n")
    git("init", "-q")
    git("add", ".")
    git("commit", "-qm", "init")
    monkeypatch.setattr(scores, "REPO_ROOT", tmp_path)
    clean = scores.git_commit()
    assert len(clean) == 40
    (tmp_path / "notebook.ipynb").write_text('{"cells": []}\n')
    assert scores.git_commit() == clean
    (tmp_path / "lle" / "core.py").write_text("x = 2\n")
    assert scores.git_commit() == clean + "-dirty"


def test_paper_recipe_per_family():
    deberta = paper_recipe("microsoft/deberta-v3-large", "goemotions")
    assert (deberta.learning_rate, deberta.pooling, deberta.batch_size, deberta.epochs) == (4e-6, "cls", 16, 3)
    large = paper_recipe("google/flan-t5-large", "tweet_hate")
    assert (large.learning_rate, large.pooling, large.frozen_blocks) == (5e-4, "mean", 0)
    xl = paper_recipe("google/flan-t5-xl", "tweet_emotion", seed=3)
    assert (xl.learning_rate, xl.freeze_embeddings, xl.frozen_blocks, xl.seed) == (3e-4, True, 12, 3)
    with pytest.raises(ValueError, match="build a Recipe"):
        paper_recipe("sentence-transformers/all-MiniLM-L6-v2", "goemotions")


def test_hidden_states_stay_whole_after_training_on_a_cached_bottom():
    """transformers hooks hidden-state capture onto the blocks present at its first use; the cache's swaps must
    never be what it sees, or every later per-layer readout of the model would be silently short."""
    from lle.models.readout import pad_batch, tokenize
    from lle.models.surgery import FrozenBottomCache

    tokenizer = tiny_models.tiny_tokenizer()
    set_seed(0)
    model = EarlyExitClassifier(tiny_models.build("bert"), 3)
    reference = EarlyExitClassifier(tiny_models.build("bert"), 3).eval()
    freeze_bottom(model, embeddings=True, blocks=2, shared=True)
    token_lists = tokenize(tokenizer, TEXTS[:6], 16)
    cache = FrozenBottomCache(model, tokenizer, token_lists, 2, batch_size=3, progress=False)
    inputs = pad_batch(tokenizer, token_lists[:3])
    with torch.inference_mode(), cache.inside(model, np.arange(3), inputs["input_ids"].shape[1]):
        model.backbone(**inputs, output_hidden_states=True)  # a first capture while the bottom is swapped out
    model.eval()
    with torch.inference_mode():
        states = model.backbone(**inputs, output_hidden_states=True).hidden_states
        expected = reference.backbone(**inputs, output_hidden_states=True).hidden_states
    assert len(states) == len(expected) == 4
    for got, want in zip(states, expected):
        torch.testing.assert_close(got, want)


def test_finetune_accepts_a_dataset_and_seeds_itself(tmp_path):
    import datasets

    tokenizer = tiny_models.tiny_tokenizer()
    as_dataset = datasets.Dataset.from_dict({"text": list(TEXTS), "label": [int(v) for v in LABELS]})
    validation = (TEXTS[:12], LABELS[:12])
    first = finetune(
        tiny_classifier(),
        tokenizer,
        as_dataset,
        validation,
        recipe(epochs=1),
        tmp_path / "a",
        max_length=16,
        progress=False,
    )
    model = tiny_classifier()
    torch.rand(100)  # disturb the global RNG: finetune reseeds from the recipe, so the result is the same
    second = finetune(
        model, tokenizer, (TEXTS, LABELS), validation, recipe(epochs=1), tmp_path / "b", max_length=16, progress=False
    )
    for (name, a), (_, b) in zip(first.state_dict().items(), second.state_dict().items(), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0, msg=name)
    with pytest.raises(ValueError, match="no column"):
        finetune(
            tiny_classifier(),
            tokenizer,
            as_dataset.rename_column("text", "sentence"),
            validation,
            recipe(epochs=1),
            tmp_path / "c",
            max_length=16,
            progress=False,
        )
    with pytest.raises(ValueError, match="one label per text"):
        finetune(
            tiny_classifier(),
            tokenizer,
            (TEXTS, LABELS[:3]),
            validation,
            recipe(epochs=1),
            tmp_path / "d",
            max_length=16,
            progress=False,
        )


def test_epoch_files_only_when_asked(tmp_path):
    tokenizer = tiny_models.tiny_tokenizer()
    finetune(
        tiny_classifier(),
        tokenizer,
        (TEXTS, LABELS),
        (TEXTS[:12], LABELS[:12]),
        recipe(),
        tmp_path / "a",
        max_length=16,
        progress=False,
        keep_epochs=True,
    )
    assert sorted(p.name for p in (tmp_path / "a").glob("*.pt")) == ["checkpoint.pt", "epoch_1.pt", "epoch_2.pt"]
