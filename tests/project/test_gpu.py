"""The CUDA path, on tiny random models: each test runs only where a CUDA GPU is present (scripts/gpu_check.sh runs
them there) and skips, saying why, everywhere else. Each asserts what its CPU twin asserts (tests/models/test_device.py,
tests/models/test_steering.py, tests/training/test_parallel.py), and that the GPU's float32 results agree with the CPU's."""

import subprocess
import sys

import numpy as np
import pytest
import tiny_models
import torch

from lle.models.readout import EarlyExitClassifier, classifier_layer_log_probs
from lle.training.loops import finetune, pooled_layer_states, set_seed
from lle.training.recipe import Recipe

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(
        not torch.cuda.is_available(), reason="needs a CUDA GPU; scripts/gpu_check.sh runs these where one is present"
    ),
]
TEXTS = [" ".join(tiny_models.WORDS[i % len(tiny_models.WORDS)] for i in range(k, k + 6)) for k in range(40)]
LABELS = np.arange(40) % 3


def classifier(name="bert"):
    set_seed(0)
    return EarlyExitClassifier(tiny_models.build(name, seed=0), 3)


def test_fine_tuning_on_the_gpu_matches_the_cpu_in_float32(tmp_path):
    tokenizer = tiny_models.tiny_tokenizer()
    recipe = Recipe("tiny-bert", "d", epochs=1, batch_size=8, learning_rate=1e-3)
    trained = {
        device: finetune(
            classifier(),
            tokenizer,
            (TEXTS, LABELS),
            (TEXTS[:8], LABELS[:8]),
            recipe,
            tmp_path / device,
            max_length=16,
            progress=False,
            device=device,
            precision="fp32",
        )
        for device in ("cpu", "cuda")
    }
    scores = {
        device: classifier_layer_log_probs(model, tokenizer, TEXTS, max_length=16, progress=False, device=device)
        for device, model in trained.items()
    }
    assert scores["cuda"].dtype == np.float32 and scores["cuda"].shape == scores["cpu"].shape
    np.testing.assert_allclose(scores["cuda"], scores["cpu"], atol=1e-3)


@pytest.mark.parametrize("precision", ["bf16", "fp16"])
def test_half_precision_readout_returns_float32_close_to_fp32(precision, tmp_path):
    tokenizer = tiny_models.tiny_tokenizer()
    model = classifier()
    full = classifier_layer_log_probs(model, tokenizer, TEXTS, max_length=16, progress=False, device="cuda")
    half = classifier_layer_log_probs(
        model, tokenizer, TEXTS, max_length=16, progress=False, device="cuda", precision=precision
    )
    assert half.dtype == np.float32 and half.shape == full.shape
    np.testing.assert_allclose(half, full, atol=0.1)
    recipe = Recipe("tiny-bert", "d", epochs=1, batch_size=8, learning_rate=1e-3)
    trained = finetune(
        classifier(),
        tokenizer,
        (TEXTS, LABELS),
        (TEXTS[:8], LABELS[:8]),
        recipe,
        tmp_path / "h",
        max_length=16,
        progress=False,
        device="cuda",
        precision=precision,
    )
    assert all(p.dtype == torch.float32 for p in trained.parameters())  # autocast: weights stay float32


def test_frozen_head_pooled_states_on_the_gpu_match_the_cpu():
    tokenizer = tiny_models.tiny_tokenizer()
    model = classifier("llama")
    states = {
        device: pooled_layer_states(
            model, tokenizer, TEXTS, max_length=16, final_only=False, progress=False, device=device, precision="fp32"
        )
        for device in ("cpu", "cuda")
    }
    assert states["cuda"].device.type == "cpu"  # returned on the CPU, like the CPU path
    torch.testing.assert_close(states["cuda"], states["cpu"], atol=1e-4, rtol=1e-4)


def test_zero_shot_readout_on_the_gpu_matches_the_cpu():
    from lle.models.readout import PromptTemplate, Verbalizer, ZeroShotReadout

    tokenizer = tiny_models.tiny_tokenizer()
    words = ("calm", "angry", "happy")
    results = {}
    for device in ("cpu", "cuda"):
        model = tiny_models.build("llama", causal_lm=True)
        readout = ZeroShotReadout(
            model,
            tokenizer,
            Verbalizer.from_words(tokenizer, words),
            PromptTemplate.emotion_question(words),
            max_text_tokens=16,
            device=device,
            precision="fp32",
        )
        results[device] = readout(TEXTS[:12], progress=False)
    np.testing.assert_allclose(results["cuda"], results["cpu"], atol=1e-4)


def test_the_steering_hook_steers_on_the_gpu_and_always_restores_the_model():
    from lle.models.steering import steering

    model = tiny_models.build("llama", causal_lm=True).to("cuda").eval()
    ids = torch.tensor([[5, 6, 7, 8]], device="cuda")
    with torch.inference_mode():
        before = model(input_ids=ids).logits
        vector = torch.ones(model.config.hidden_size, device="cuda")
        with steering(model, 1, vector, 4.0):
            steered = model(input_ids=ids).logits
        after = model(input_ids=ids).logits
    assert not torch.allclose(steered, before) and torch.equal(after, before)


def test_accelerate_launch_on_one_gpu_trains_like_the_plain_run(tmp_path):
    from own_data import lle_run, save_dropout_free_bert, write_split

    model_dir = save_dropout_free_bert(tmp_path / "tiny-bert")
    files = [
        write_split(tmp_path / f"{s}.csv", n, seed)
        for s, n, seed in (("train", 45, 0), ("dev", 20, 1), ("test", 20, 2))
    ]
    _, plain = lle_run([sys.executable, "-m", "lle"], files, tmp_path / "plain", model_dir, "--device", "cuda")
    launcher = [
        sys.executable,
        "-m",
        "accelerate.commands.launch",
        "--num_processes",
        "1",
        "--num_machines",
        "1",
        "--mixed_precision",
        "no",
        "--dynamo_backend",
        "no",
        "-m",
        "lle",
    ]
    _, launched = lle_run(launcher, files, tmp_path / "launched", model_dir, "--device", "auto")
    for split in plain:
        np.testing.assert_allclose(launched[split]["log_probs"], plain[split]["log_probs"], atol=1e-4)
    assert subprocess.run(["nvidia-smi"], capture_output=True).returncode == 0
