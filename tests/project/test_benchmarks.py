"""The GPU benchmark runs on the CPU with a tiny configuration, and builds the paper-sized models it names."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[2] / "scripts"))
import benchmark_gpu  # noqa: E402


def test_tiny_benchmark_measures_both_loops_and_the_readout():
    row = benchmark_gpu.measure(
        "tiny", batch=4, length=8, steps=2, device=benchmark_gpu.resolve_device("cpu"), precision="fp32"
    )
    assert row["package_train_ex_per_s"] > 0 and row["plain_train_ex_per_s"] > 0
    assert row["readout_over_forward"] > 0 and row["peak_memory_gib"] is None


def test_paper_configs_have_the_documented_sizes():
    config = benchmark_gpu.CONFIGS["deberta-v3-large"]()
    assert (config.hidden_size, config.num_hidden_layers, config.vocab_size) == (1024, 24, 128100)
    xl = benchmark_gpu.CONFIGS["flan-t5-xl-encoder"]()
    assert (xl.d_model, xl.num_layers, xl.num_heads) == (2048, 24, 32)
