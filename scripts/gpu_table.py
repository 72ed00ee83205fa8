"""Write the device check's table (scripts/gpu_check.sh): one row per measurement, with the device, the date and
the versions it ran with.

    python scripts/gpu_table.py MEASURED.jsonl results/benchmarks/gpu.csv --tests passed
"""

import argparse
import json
import platform
import sys
from datetime import date
from pathlib import Path

import pandas as pd
import torch
import transformers


def device_name() -> str:
    """The GPU's name, or the CPU's architecture and core count where there is none."""
    if torch.cuda.is_available():
        return torch.cuda.get_device_name(0)
    import os

    return f"CPU {platform.machine()}, {os.cpu_count()} cores"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("measured", type=Path, help="one JSON object per line, as benchmark_gpu.py prints them")
    parser.add_argument("table", type=Path, help="the CSV to write")
    parser.add_argument("--tests", required=True, help="the device tests' outcome (passed, failed, skipped)")
    args = parser.parse_args()
    rows = [json.loads(line) for line in args.measured.read_text().splitlines() if line.strip()]
    if not rows:
        raise SystemExit(f"{args.measured} holds no measurement; run scripts/gpu_check.sh, which writes it")
    table = pd.DataFrame(rows).assign(
        device_name=device_name(),
        date=date.today().isoformat(),
        torch=torch.__version__,
        transformers=transformers.__version__,
        cuda=torch.version.cuda or "none",
        device_tests=args.tests,
    )
    args.table.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.table, index=False)
    print(table.to_string(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
