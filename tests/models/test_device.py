"""Devices and precision: on the CPU in float32 nothing changes; bf16 autocast runs and returns float32; asking
for what the machine lacks is a clear error. (No test needs a GPU.)"""

import numpy as np
import pytest
import tiny_models
import torch

from lle.models.device import check_precision, place, resolve_device
from lle.models.readout import EarlyExitClassifier, classifier_layer_log_probs
from lle.training.loops import finetune, set_seed
from lle.training.recipe import Recipe

TEXTS = [" ".join(tiny_models.WORDS[i % len(tiny_models.WORDS)] for i in range(k, k + 6)) for k in range(40)]
LABELS = np.arange(40) % 3


def classifier():
    set_seed(0)
    return EarlyExitClassifier(tiny_models.build("bert", seed=0), 3)


def test_auto_is_cpu_here_and_missing_devices_are_errors():
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="no CUDA device; use device='cpu'"):
            resolve_device("cuda")
    with pytest.raises(ValueError, match="needs a GPU"):
        check_precision("fp16", torch.device("cpu"))
    with pytest.raises(ValueError, match="precision must be one of"):
        place(classifier(), "cpu", "fp8")


def test_explicit_cpu_is_bit_identical_to_the_default(tmp_path):
    tokenizer = tiny_models.tiny_tokenizer()
    recipe = Recipe("tiny-bert", "d", epochs=1, batch_size=8, learning_rate=1e-3)
    default = finetune(
        classifier(),
        tokenizer,
        (TEXTS, LABELS),
        (TEXTS[:8], LABELS[:8]),
        recipe,
        tmp_path / "a",
        max_length=16,
        progress=False,
    )
    on_cpu = finetune(
        classifier(),
        tokenizer,
        (TEXTS, LABELS),
        (TEXTS[:8], LABELS[:8]),
        recipe,
        tmp_path / "b",
        max_length=16,
        progress=False,
        device="cpu",
        precision="fp32",
    )
    for (name, a), (_, b) in zip(default.state_dict().items(), on_cpu.state_dict().items(), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0, msg=name)
    np.testing.assert_array_equal(
        classifier_layer_log_probs(default, tokenizer, TEXTS, max_length=16, progress=False),
        classifier_layer_log_probs(default, tokenizer, TEXTS, max_length=16, progress=False, device="cpu"),
    )


def test_bf16_autocast_runs_and_returns_float32_close_to_fp32(tmp_path):
    tokenizer = tiny_models.tiny_tokenizer()
    model = classifier()
    full = classifier_layer_log_probs(model, tokenizer, TEXTS, max_length=16, progress=False)
    half = classifier_layer_log_probs(model, tokenizer, TEXTS, max_length=16, progress=False, precision="bf16")
    assert half.dtype == np.float32 and half.shape == full.shape
    np.testing.assert_allclose(half, full, atol=0.1)
    recipe = Recipe("tiny-bert", "d", epochs=1, batch_size=8, learning_rate=1e-3)
    trained = finetune(
        classifier(),
        tokenizer,
        (TEXTS, LABELS),
        (TEXTS[:8], LABELS[:8]),
        recipe,
        tmp_path / "c",
        max_length=16,
        progress=False,
        precision="bf16",
    )
    assert all(p.dtype == torch.float32 for p in trained.parameters())  # autocast: weights stay float32


def test_the_cpu_is_described_by_its_model_and_the_vector_units_its_blas_may_use(tmp_path):
    from lle.models.device import cpu_description

    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(
        "processor\t: 0\nmodel name\t: Some Xeon\nflags\t\t: fpu sse avx2 avx512f amx_tile\n\n"
        "processor\t: 1\nmodel name\t: Some Xeon\nflags\t\t: fpu sse avx2 avx512f amx_tile\n"
    )
    assert cpu_description(cpuinfo) == "Some Xeon (avx2 avx512f amx_tile)"
    cpuinfo.write_text("model name\t: Old CPU\nflags\t\t: fpu sse\n")
    assert cpu_description(cpuinfo) == "Old CPU"
    assert cpu_description(tmp_path / "missing") != ""  # elsewhere: the platform's processor string, or "unknown"
