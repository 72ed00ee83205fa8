"""Data-parallel fine-tuning (lle.training.parallel): the shard arithmetic, a single-process Accelerator that trains
exactly like the plain loop, and a real two-process CPU launch (`accelerate launch -m lle run`) whose scores match
one process's at the same global batch size."""

import sys
from types import SimpleNamespace

import numpy as np
import pytest
import tiny_models
import torch
from own_data import lle_run, save_dropout_free_bert, write_split

from lle.models.readout import EarlyExitClassifier
from lle.training import parallel
from lle.training.loops import finetune
from lle.training.recipe import Recipe


def fake(rank, world_size):
    return parallel.DataParallel(
        SimpleNamespace(
            process_index=rank, num_processes=world_size, is_main_process=rank == 0, device=torch.device("cpu")
        )
    )


@pytest.mark.parametrize("batch, world_size", [(16, 2), (7, 2), (5, 3), (1, 2), (2, 4)])
def test_shards_partition_the_batch_and_weights_give_the_global_mean(batch, world_size):
    indices = np.arange(100, 100 + batch)
    shards = [fake(rank, world_size).shard(indices) for rank in range(world_size)]
    real = [mine for mine, weight in shards if weight > 0]
    assert sorted(np.concatenate(real).tolist()) == indices.tolist()  # every example once, none twice
    # DDP averages gradients over processes: sum_r weight_r * sum(shard_r) / W must equal the batch mean.
    losses = {int(i): float(i) ** 0.5 for i in indices}
    averaged = sum(weight * sum(losses[int(i)] for i in mine) for mine, weight in shards) / world_size
    assert averaged == pytest.approx(np.mean(list(losses.values())))
    stand_ins = [(mine, weight) for mine, weight in shards if weight == 0]
    assert all(len(mine) == 1 for mine, _ in stand_ins) and len(stand_ins) == max(0, world_size - batch)


def test_no_accelerator_outside_a_launch_and_a_precision_clash_is_an_error(monkeypatch):
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    assert parallel.accelerator_from_environment("fp32") is None
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("ACCELERATE_MIXED_PRECISION", "bf16")
    with pytest.raises(ValueError, match="--mixed_precision bf16 disagrees with --precision fp32.*--precision bf16"):
        parallel.accelerator_from_environment("fp32")


@pytest.mark.parametrize(
    "mode, device, message",
    [
        ("frozen", "auto", "applies to --mode finetune.*run it as one process"),
        ("zeroshot", "auto", "applies to --mode finetune"),
        ("finetune", "cuda", "device='cuda', but accelerate launch put this process on cpu.*--device auto"),
    ],
)
def test_data_parallel_runs_refuse_what_they_cannot_do(mode, device, message):
    from lle.runs.pipeline import Run, compute_run

    launched = SimpleNamespace(device=torch.device("cpu"), num_processes=2, is_main_process=True)
    with pytest.raises(ValueError, match=message):
        compute_run(Run("x", Recipe(model_id="m", dataset="d", mode=mode)), device=device, accelerator=launched)


def train_tiny(tmp_path, accelerator=None):
    texts = [" ".join(np.random.default_rng(i).choice(tiny_models.WORDS, 5)) for i in range(37)]
    labels = np.arange(37) % 3
    model = EarlyExitClassifier(tiny_models.build("bert"), 3)
    for module in model.modules():  # data-parallel steps draw dropout from their own per-step streams
        if isinstance(module, torch.nn.Dropout):
            module.p = 0.0
    recipe = Recipe(model_id="tiny-bert", dataset="mine", epochs=2, batch_size=8, learning_rate=1e-3)
    finetune(
        model,
        tiny_models.tiny_tokenizer(),
        (texts, labels),
        (texts[:9], labels[:9]),
        recipe,
        tmp_path,
        max_length=16,
        progress=False,
        accelerator=accelerator,
    )
    return model.state_dict()


@pytest.mark.slow
def test_a_single_process_accelerator_trains_like_the_plain_loop(tmp_path, monkeypatch):
    from accelerate import Accelerator

    monkeypatch.delenv("WORLD_SIZE", raising=False)
    plain = train_tiny(tmp_path / "plain")
    accelerated = train_tiny(tmp_path / "accelerated", Accelerator(cpu=True))
    for name, tensor in plain.items():  # summed-then-weighted loss vs the mean: equal up to float rounding
        torch.testing.assert_close(accelerated[name], tensor, rtol=1e-4, atol=1e-5, msg=name)


@pytest.mark.slow
@pytest.mark.e2e
def test_two_cpu_processes_match_one_process(tmp_path):
    model_dir = save_dropout_free_bert(tmp_path / "tiny-bert")
    files = [
        write_split(tmp_path / f"{s}.csv", n, seed)
        for s, n, seed in (("train", 45, 0), ("dev", 20, 1), ("test", 20, 2))
    ]
    n_one, one = lle_run([sys.executable, "-m", "lle"], files, tmp_path / "one", model_dir)
    launcher = [
        sys.executable,
        "-m",
        "accelerate.commands.launch",
        "--multi_gpu",
        "--num_processes",
        "2",
        "--num_machines",
        "1",
        "--mixed_precision",
        "no",
        "--dynamo_backend",
        "no",
        "-m",
        "lle",
    ]
    n_two, two = lle_run(launcher, files, tmp_path / "two", model_dir)
    assert (n_one, n_two) == (1, 2)  # the launch really formed a group of two processes
    for split in one:
        scores = [key for key in one[split].files if key == "log_probs"]
        assert scores, one[split].files
        for key in scores:  # 45 examples in batches of 8: the last batch (5) splits 3 + 2
            np.testing.assert_allclose(two[split][key], one[split][key], rtol=1e-5, atol=1e-5, err_msg=key)
