"""The project speaks of itself: no text about how it was made (sessions, issues, "this machine") in what readers see.
A measured figure names its hardware instead ("a 2-core x86-64 CPU"), a date and the command."""

import re

import pytest

from lle.paths import REPO_ROOT

PROCESS_WORDING = re.compile(
    r"\bthis (session|task)\b|\bthe session\b|\bthe issue'?s?\b|\bthis (2-core )?(machine|cpu)\b"
    r"|\bno gpu was (available|lent)\b|\bwhile other stages\b|\bthis sandbox\b",
    flags=re.IGNORECASE,
)

READER_FACING = [
    "README.md",
    "environment.yml",
    "Makefile",
    "paper/report.tex",
    "notebooks/*.ipynb",
    "lle/**/*.py",
    "scripts/*.py",
    "docs/**/*.md",
]


def reader_facing_files():
    return sorted({path for pattern in READER_FACING for path in REPO_ROOT.glob(pattern) if path.is_file()})


def test_the_scan_covers_the_readme_notebooks_report_and_docstrings():
    names = {path.relative_to(REPO_ROOT).as_posix() for path in reader_facing_files()}
    assert {"README.md", "paper/report.tex", "lle/method/core.py"} <= names
    assert any(name.startswith("notebooks/") for name in names)


@pytest.mark.parametrize(
    "text",
    ["measured on this 2-core CPU", "no GPU was available", "the issue's rates", "in this session", "on this machine"],
)
def test_process_wording_is_recognised(text):
    assert PROCESS_WORDING.search(text)


@pytest.mark.parametrize("text", ["on a 2-core x86-64 CPU", "a GitHub issue tracker", "this model", "a session token"])
def test_ordinary_wording_passes(text):
    assert not PROCESS_WORDING.search(text)


def test_no_text_about_how_the_project_was_made():
    found = [
        f"{path.relative_to(REPO_ROOT)}: {match.group(0)!r}"
        for path in reader_facing_files()
        for match in PROCESS_WORDING.finditer(path.read_text(errors="replace"))
    ]
    assert not found, "say what the project is or measured, on which hardware: " + "; ".join(found)
