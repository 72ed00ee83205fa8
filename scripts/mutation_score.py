"""make mutants: mutation testing of the math with mutmut (pinned in requirements-mutants.txt).

Runs ``mutmut run`` with the configuration in pyproject.toml ([tool.mutmut]: the math modules, the math tests,
a fixed Hypothesis seed), then prints the score as killed/total over the non-equivalent mutants. Mutants that
cannot change behaviour are listed, each with a one-line reason, in tests/equivalent_mutants.txt; they are
excluded from the total, never counted silently. Exits non-zero below 95%.
"""

import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EQUIVALENT = ROOT / "tests" / "equivalent_mutants.txt"
TARGET = 0.95


def mutmut(*arguments: str) -> str:
    executable = Path(sys.executable).parent / "mutmut"
    result = subprocess.run([str(executable), *arguments], cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"mutmut {' '.join(arguments)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result.stdout


def statuses() -> dict[str, str]:
    found = {}
    for line in mutmut("results", "--all", "true").splitlines():
        name, separator, status = line.strip().partition(": ")
        if separator and "__mutmut_" in name:
            found[name] = status.strip()
    return found


def equivalent_mutants() -> dict[str, str]:
    listed = {}
    for line in EQUIVALENT.read_text().splitlines():
        name, _, reason = line.partition("#")
        if name.strip():
            if not reason.strip():
                sys.exit(f"{EQUIVALENT}: give a one-line reason for {name.strip()} after '#'")
            listed[name.strip()] = reason.strip()
    return listed


def link_results() -> None:
    """mutmut runs the tests inside its copy of the package (mutants/), which is a checkout to lle.paths but has no
    results/: tests that read the committed tables would fail there before any mutant is scored. The copy reads the
    repository's results/ through a link instead (nothing is copied, nothing is written there)."""
    copy = ROOT / "mutants"
    copy.mkdir(exist_ok=True)
    link = copy / "results"
    if link.is_symlink() and link.resolve() == (ROOT / "results").resolve():
        return
    if link.exists() or link.is_symlink():
        sys.exit(f"{link} exists and is not a link to {ROOT / 'results'}: remove mutants/ and run make mutants again")
    link.symlink_to(ROOT / "results", target_is_directory=True)


def main() -> int:
    link_results()
    print("running mutmut (incremental: unchanged functions keep their results)", flush=True)
    subprocess.run([str(Path(sys.executable).parent / "mutmut"), "run"], cwd=ROOT, check=True)
    found = statuses()
    equivalent = equivalent_mutants()
    stale = sorted(name for name in equivalent if found.get(name) != "survived")
    for name in stale:
        print(f"note: {name} is listed as equivalent but is {found.get(name, 'not a mutant any more')}")
    counted = {name: status for name, status in found.items() if name not in equivalent}
    killed = sum(status == "killed" for status in counted.values())
    print("by status:", dict(Counter(counted.values())), f"| equivalent, excluded: {len(equivalent) - len(stale)}")
    for name, status in sorted(counted.items()):
        if status != "killed":
            print(f"  {status}: {name}")
    score = killed / len(counted)
    print(f"mutation score (mutmut): {killed}/{len(counted)} killed = {score:.1%}")
    return 0 if score >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
