"""The device check (scripts/gpu_check.sh) end to end on the CPU with tiny settings: the device tests skip with
their reason, the benchmark and a real lle run (on a tiny random model) are measured, and gpu.csv is written with
the device, the date and the versions."""

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).parents[2]


@pytest.mark.slow
@pytest.mark.e2e
def test_the_device_check_runs_end_to_end_on_the_cpu_with_tiny_settings(tmp_path):
    from own_data import small_files

    data = tmp_path / "data"
    data.mkdir()
    files = small_files(data)
    for split, path in files.items():
        path.rename(data / f"{split}.csv")
    worker = f"{sys.executable} {ROOT / 'tests' / 'run_worker.py'} {tmp_path / 'cache'}"
    environment = {
        **os.environ,
        "PYTHON": sys.executable,
        "GPU_CHECK_DEVICE": "cpu",
        "GPU_CHECK_MODELS": "tiny",
        "GPU_CHECK_PRECISIONS": "fp32",
        "GPU_CHECK_BATCHES": "4",
        "GPU_CHECK_STEPS": "1",
        "GPU_CHECK_DATA": str(data),
        "GPU_CHECK_MODEL": "tiny-bert",
        "GPU_CHECK_LLE": worker,
        "OUT_DIR": str(tmp_path / "benchmarks"),
    }
    result = subprocess.run(
        ["bash", str(ROOT / "scripts" / "gpu_check.sh")], env=environment, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    table = pd.read_csv(tmp_path / "benchmarks" / "gpu.csv")
    assert list(table.model) == ["tiny", "lle run (tiny-bert)"]
    assert table.package_train_ex_per_s.iloc[0] > 0 and table.wall_seconds.iloc[1] > 0
    assert (table.device_tests == "skipped (no GPU)").all() and table.device_name.str.startswith("CPU").all()
    log = (tmp_path / "benchmarks" / "gpu_check.log").read_text()
    assert "needs a CUDA GPU" in log or "skipped" in log
    assert "early-exit test macro-F1" in log  # lle evaluate ran on the run's output
