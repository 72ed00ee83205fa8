"""Write environment.yml (Binder, conda) from requirements.txt, the one list of pinned versions.

    .venv/bin/python scripts/write_environment.py          # rewrite environment.yml
    .venv/bin/python scripts/write_environment.py --check  # exit 1 if environment.yml is not what it would write

torch comes from PyTorch's CPU wheel index (Binder has no GPU; the default wheel carries several GB of CUDA).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CPU_INDEX = "https://download.pytorch.org/whl/cpu"


def pins(requirements: Path = ROOT / "requirements.txt") -> list[str]:
    lines = [line.strip() for line in requirements.read_text().splitlines()]
    return [line for line in lines if line and not line.startswith("#")]


def environment_yml(requirements: Path = ROOT / "requirements.txt") -> str:
    python = "3.11"  # the interpreter the pins were frozen with
    entries = [f"--extra-index-url {CPU_INDEX}"]
    entries += [f"{pin}+cpu" if pin.startswith("torch==") else pin for pin in pins(requirements)]
    entries.append("-e .")
    body = "\n".join(f"      - {entry}" for entry in entries)
    return (
        "# Binder / conda environment. Written by scripts/write_environment.py from requirements.txt (do not edit by\n"
        "# hand; a test checks that the two agree). torch is the CPU build.\n"
        f"name: lle\nchannels:\n  - conda-forge\ndependencies:\n  - python={python}\n  - pip\n  - pip:\n{body}\n"
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="only check that environment.yml is current")
    args = parser.parse_args(argv)
    target = ROOT / "environment.yml"
    if args.check:
        current = target.is_file() and target.read_text() == environment_yml()
        print(
            "environment.yml agrees with requirements.txt"
            if current
            else "environment.yml differs from requirements.txt: run scripts/write_environment.py"
        )
        return 0 if current else 1
    target.write_text(environment_yml())
    print(f"wrote {target.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
