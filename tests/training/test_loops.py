"""Training and caching on tiny random models: train a few steps, resume, write, reload, reject mismatches."""

import json

import numpy as np
import pytest
import tiny_models
import torch
from own_data import TEXTS, TRAINING_LABELS, recipe, tiny_classifier

from lle.models.readout import EarlyExitClassifier
from lle.store.ledger import RunLedger
from lle.training.loops import epoch_batches, finetune, set_seed, train_head
from lle.training.surgery import freeze_bottom

LABELS = TRAINING_LABELS


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


def test_hidden_states_stay_whole_after_training_on_a_cached_bottom():
    """transformers hooks hidden-state capture onto the blocks present at its first use; the cache's swaps must
    never be what it sees, or every later per-layer readout of the model would be silently short."""
    from lle.models.readout import pad_batch, tokenize
    from lle.training.surgery import FrozenBottomCache

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
