"""Findings prose (lle.study.findings): numbers taken from the tables, rendered for LaTeX."""

import pandas as pd

from lle.claims import summary


def test_findings_take_their_numbers_from_the_tables():
    claims = pd.DataFrame(
        {
            "claim": ["x beats y"],
            "verdict": ["inconclusive"],
            "estimate": [0.0123],
            "ci_low": [-0.004],
            "ci_high": [0.0286],
            "margin": [0.01],
            "mde": [0.0231],
            "evidence": ["better in 2 of 5"],
        }
    )
    text = summary.findings_claims(claims)
    assert "1 inconclusive" in text and "better in 2 of 5" in text
    assert "+0.0123 [-0.0040, +0.0286]" in text and "detectable at 80% power: 0.0231" in text


def test_findings_become_latex_paragraphs_with_escapes_and_unicode():
    from lle.store.formats import Findings

    latex = Findings("- **STC.** 50% & more_x at β_u ≥ 0.5 × ℓ − 2\n- second, **bold** inside `code`").latex()
    assert latex == (
        "\\paragraph{STC.} 50\\% \\& more\\_x at $\\beta_u$ $\\geq$ 0.5 $\\times$ "
        "$\\ell$ $-$ 2\n\nsecond, \\textbf{bold} inside \\texttt{code}\n"
    )
