"""The reproduction report: its generated numbers and tables, and (where pdflatex is installed) the PDF itself,
built without LaTeX errors, overfull boxes over 1pt or undefined references."""

import re
import shutil
import subprocess
import sys

import pandas as pd
import pytest

from lle.claims import verdicts
from lle.paths import REPO_ROOT
from lle.publish import paper

TABLES = REPO_ROOT / "results" / "tables"


def test_every_macro_the_report_uses_is_generated():
    inputs = verdicts.load_claim_inputs()
    macros = paper.number_macros(inputs, pd.read_csv(TABLES / "runs.csv"))
    used = set(re.findall(r"\\([A-Z][A-Za-z]+)", (REPO_ROOT / "paper" / "report.tex").read_text()))
    latex_builtins = {"LaTeX", "IfFileExists", "LTcapwidth"}  # LaTeX's and longtable's own
    assert used - set(macros) - latex_builtins == set()
    assert all(re.fullmatch(r"[A-Za-z]+", name) for name in macros)
    assert not any("nan" in value.lower() for value in macros.values())


def test_committed_numbers_match_the_tables():
    inputs = verdicts.load_claim_inputs()
    expected = paper.macros_tex(paper.number_macros(inputs, pd.read_csv(TABLES / "runs.csv")))
    assert (TABLES / "numbers.tex").read_text() == expected, "run make reproduce (notebook 08 writes numbers.tex)"


def test_report_tables_print_no_nan():
    inputs = verdicts.load_claim_inputs()
    for latex in (
        paper.main_table(inputs["table1"]),
        paper.neutral_table(inputs["bias"]),
        paper.distance_table(inputs["ablation"]),
    ):
        assert "nan" not in latex.lower() and latex.count("\\toprule") == 1


def test_short_run_names_and_macro_names():
    assert paper.short_run("all-mpnet-base-v2-lower-half-frozen") == "MPNet (half frozen)"
    assert paper.short_run("something-else") == "something-else"
    with pytest.raises(ValueError, match="letters only"):
        paper.macros_tex({"Bad1": "x"})


def test_log_check_finds_overfull_boxes_undefined_references_and_floats_off_the_page():
    sys.path.insert(0, str(REPO_ROOT / "scripts"))
    import check_latex_log

    log = (
        "Overfull \\hbox (0.5pt too wide) in paragraph\nOverfull \\hbox (12.3pt too wide) in paragraph\n"
        "LaTeX Warning: Reference `tab:x' on page 1 undefined on input line 3.\n"
        "LaTeX Warning: Float too large for page by 849.78688pt on input line 212.\n"
    )
    found = check_latex_log.problems(log)
    assert len(found) == 3 and "12.3pt" in found[0] and "Float too large" in found[2]


@pytest.mark.skipif(
    shutil.which("pdflatex") is None or shutil.which("bibtex") is None,
    reason="pdflatex/bibtex not installed (Debian: texlive-latex-recommended texlive-latex-extra)",
)
def test_the_report_builds_cleanly_and_the_committed_pdf_is_current(tmp_path):
    for name in ("results", "figures", "scripts"):  # the report reads ../results and ../figures
        (tmp_path / name).symlink_to(REPO_ROOT / name)
    (tmp_path / "paper").mkdir()
    for name in ("report.tex", "references.bib", "Makefile"):
        shutil.copy(REPO_ROOT / "paper" / name, tmp_path / "paper" / name)
    result = subprocess.run(
        ["make", "-C", str(tmp_path / "paper"), f"PYTHON={sys.executable}"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    built = (tmp_path / "paper" / "report.pdf").read_bytes()
    assert len(built) > 10_000
    assert built == (REPO_ROOT / "paper" / "report.pdf").read_bytes(), (
        "paper/report.pdf is not current: run make paper and commit it"
    )
