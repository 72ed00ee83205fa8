"""The time ledger of a run (lle.store.ledger): one recipe per folder, known checkpoints only."""

import pytest
import torch

from lle.integrity import CacheMismatchError
from lle.store.ledger import RunLedger


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
