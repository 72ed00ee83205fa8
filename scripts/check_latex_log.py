"""Fail on what a LaTeX run leaves in its log that would spoil the PDF: overfull boxes over 1pt, undefined
references or citations, missing files that the report announces instead of printing, and floats too large for
their page (they run off it)."""

import re
import sys
from pathlib import Path

LIMIT_PT = 1.0


def problems(log: str) -> list[str]:
    found = [
        f"overfull box of {m.group(1)}pt: {m.group(0).strip()}"
        for m in re.finditer(r"Overfull \\[hv]box \((\d+(?:\.\d+)?)pt too \w+\)[^\n]*", log)
        if float(m.group(1)) > LIMIT_PT
    ]
    found += [
        line.strip()
        for line in log.splitlines()
        if re.search(r"(Reference|Citation) .* undefined|There were undefined references", line)
    ]
    found += [line.strip() for line in log.splitlines() if "has not been computed yet" in line]
    found += [line.strip() for line in log.splitlines() if "Float too large for page" in line]  # runs off the page
    return found


def main(path: str) -> int:
    issues = problems(Path(path).read_text(errors="replace"))
    for issue in issues:
        print(issue)
    print(
        f"{path}: {len(issues)} problem(s) (overfull boxes over {LIMIT_PT}pt, undefined references, floats too large)"
    )
    return 1 if issues else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
