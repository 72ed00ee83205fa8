"""The rolling checkpoint and the epoch log (lle.training.checkpoints): a restore gives back the trainable weights,
the optimizer, the RNG and the log exactly as saved; frozen weights are not stored; the log follows its checkpoint."""

import json

import torch

from lle.training.checkpoints import Checkpoint, append_log


def model_and_optimizer(seed: int):
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.Linear(3, 2))
    model[0].weight.requires_grad_(False)  # a frozen weight, as with frozen_blocks
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=0.1)
    return model, optimizer


def one_step(model, optimizer):
    loss = model(torch.randn(5, 4)).square().mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()


class Ledger:
    def __init__(self):
        self.charged = []

    def charge(self, stage, seconds):
        self.charged.append((stage, seconds))


def test_a_restored_checkpoint_continues_exactly_where_the_saved_one_stopped(tmp_path):
    model, optimizer = model_and_optimizer(0)
    one_step(model, optimizer)
    ledger = Ledger()
    checkpoint = Checkpoint(tmp_path, ledger)
    checkpoint.history.append({"epoch": 1, "train_loss": 0.5})
    checkpoint.save(model, optimizer, epoch=1, step=7)
    one_step(model, optimizer)  # draws its batch from the RNG, and Adam's moments move on
    following = torch.rand(3)

    other, other_optimizer = model_and_optimizer(1)  # other trainable weights, a fresh optimizer
    with torch.no_grad():
        other[0].weight.copy_(model[0].weight)  # frozen weights come from the backbone, not the checkpoint
    stored = torch.load(tmp_path / "checkpoint.pt", weights_only=False)["model"]
    assert set(stored) == {"0.bias", "1.weight", "1.bias"}, "a frozen weight is not stored"
    restored = Checkpoint(tmp_path)
    assert restored.restore(other, other_optimizer) == (1, 7)
    one_step(other, other_optimizer)
    for (name, a), b in zip(model.named_parameters(), other.parameters()):
        assert torch.equal(a, b), name
    assert torch.equal(torch.rand(3), following), "the RNG state is restored"
    assert restored.history == [{"epoch": 1, "train_loss": 0.5}]
    assert [stage for stage, _ in ledger.charged] == ["training"]


def test_the_log_is_rewritten_from_the_checkpoint_it_belongs_to(tmp_path):
    model, optimizer = model_and_optimizer(0)
    checkpoint = Checkpoint(tmp_path)
    checkpoint.history.append({"epoch": 1})
    checkpoint.save(model, optimizer, epoch=1, step=0)
    append_log(tmp_path, {"epoch": 2})  # written by a run killed before its next checkpoint
    assert len((tmp_path / "log.jsonl").read_text().splitlines()) == 2
    Checkpoint(tmp_path).restore(*model_and_optimizer(0))
    assert [json.loads(line) for line in (tmp_path / "log.jsonl").read_text().splitlines()] == [{"epoch": 1}]


def test_a_folder_without_a_checkpoint_starts_at_the_beginning(tmp_path):
    assert Checkpoint(tmp_path).restore(*model_and_optimizer(0)) == (0, 0)
    assert list(tmp_path.iterdir()) == []


def test_an_epoch_file_holds_the_trainable_weights_only(tmp_path):
    model, _ = model_and_optimizer(0)
    Checkpoint(tmp_path).save_epoch(model, 2)
    assert set(torch.load(tmp_path / "epoch_2.pt")) == {"0.bias", "1.weight", "1.bias"}
