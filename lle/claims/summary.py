"""How the claims read: the registry as a LaTeX table and a short table, the README headline and results
block, what each verdict means, and the claims' findings in prose."""

from __future__ import annotations

import pandas as pd

from lle.claims.decision import INCONCLUSIVE, MEANINGS, NOT_TESTED, SCALES, VERDICTS, describe
from lle.store.formats import as_findings, latex_escape, plural
from lle.store.pages import README_END, README_START


def claims_latex(claims: pd.DataFrame, *, caption: str = "", label: str = "") -> str:
    """The claims table (claim with the source passage it tests, verdict, pooled estimate with its 95% CI, margin
    and MDE, the rule that decides it, evidence) as a LaTeX longtable: it breaks across pages, repeating its head,
    where a float this long would run off the page. ``caption`` (LaTeX) and ``label`` number and name it."""
    spec = r"p{0.16\linewidth}p{0.1\linewidth}p{0.14\linewidth}p{0.21\linewidth}p{0.25\linewidth}"
    head = [r"\toprule", r"claim & verdict & estimate [95\% CI] & rule & evidence \\", r"\midrule"]
    titled = [rf"\caption{{{caption}}}" + (rf"\label{{{label}}}" if label else "") + r"\\"] if caption else []
    rows = [rf"\begin{{longtable}}{{{spec}}}", *titled, *head, r"\endfirsthead", *head, r"\endhead"]
    for r in claims.itertuples():
        numbers = (
            ""
            if r.verdict == "not tested"
            else (
                f"{r.estimate:+.4f} [{r.ci_low:+.4f}, {r.ci_high:+.4f}]; margin ±{r.margin:g}"
                + (f"; MDE {r.mde:.4f}" if r.verdict == INCONCLUSIVE else "")
            )
        )
        passage = rf"\newline\emph{{{latex_escape(r.passage)}}}" if getattr(r, "passage", "") else ""
        rows.append(
            f"{latex_escape(r.claim)}{passage} & {latex_escape(r.verdict)} & {latex_escape(numbers)} & "
            f"{latex_escape(r.rule)} & {latex_escape(r.evidence)} \\\\"
        )
    return "\n".join(rows + [r"\bottomrule", r"\end{longtable}"]) + "\n"


def results_block(headline: pd.DataFrame, claims: pd.DataFrame) -> str:
    """The README's generated results block: the headline table and the claims."""
    return "\n".join(
        [
            f"{README_START} (written by notebooks/08_claims.ipynb) -->",
            "Test macro-F1, hyperparameters selected on validation (`results/tables/table1.csv` has CIs, p-values, tie "
            "counts and the test-tuned protocols). SmolLM2 and Gemma-3 weights are dequantized from 4-bit GGUF files.",
            "",
            headline.round(3).reset_index().to_markdown(index=False),
            "",
            "Do the paper's claims hold in our runs? (the rule: `lle.claims.decision`, stated in notebook 08)",
            "",
            short_table(claims).to_markdown(index=False),
            "",
            README_END,
        ]
    )


def headline_block(claims: pd.DataFrame, n_pairs: int) -> str:
    """The README's headline: each of the paper's claims with its verdict, pooled estimate and CI, and what each
    verdict means (the rules and evidence are in the results page)."""
    ours = claims.claim.map(is_ours)
    table = short_table(claims[~ours]).drop(columns=["p (BH)"]).to_markdown(index=False)
    more = (
        f" Our {plural(int(ours.sum()), 'extension or question', 'extensions and questions')} beside them are on "
        "the results page."
        if ours.any()
        else ""
    )
    return "\n".join(
        [
            "<!-- headline:start (written by notebooks/08_claims.ipynb) -->",
            f"Do the paper's claims hold in our {n_pairs} (model, dataset) runs? Each claim is decided once "
            "by a pooled estimate over the runs (training seeds nested in their run), its 95% CI and a "
            "margin (one macro-F1 point; five points for shares). Hyperparameters selected on validation;"
            " runs whose standard classifier is at chance left out (a post-hoc choice; the results page "
            "names them and the verdicts with them kept); SmolLM2 and Gemma-3 weights dequantized from "
            f"4-bit GGUF files.{more}",
            "",
            table,
            "",
            verdict_meanings(),
            "",
            "<!-- headline:end -->",
        ]
    )


OURS = ("our extension", "our question", "our derivation", "our weaker variant")  # how a claim not the source's opens


def is_ours(claim: str) -> bool:
    """Whether a registry row is the package's own extension or question rather than a claim its source makes."""
    return claim.startswith(OURS)


def verdict_meanings() -> str:
    """What each verdict means, one sentence each (the same words on every page that shows verdicts)."""
    return "\n".join(f"- **{name}**: {meaning}." for name, meaning in MEANINGS.items())


def margins_note() -> str:
    """The margins (smallest effects of interest), one per scale, with their reasons."""
    return "\n".join(f"- {scale.name}: ±{scale.margin:g} — {scale.reason}." for scale in SCALES.values())


def short_table(frame: pd.DataFrame) -> pd.DataFrame:
    """The claims with verdict, estimate and 95% CI, margin, MDE (beside inconclusive verdicts) and adjusted p,
    formatted for a page."""
    out = frame[["claim", "verdict"]].copy()
    tested = frame.verdict != NOT_TESTED
    out["estimate [95% CI]"] = [
        f"{r.estimate:+.4f} [{r.ci_low:+.4f}, {r.ci_high:+.4f}]" if ok else ""
        for r, ok in zip(frame.itertuples(), tested)
    ]
    out["margin"] = [f"±{m:g}" if ok else "" for m, ok in zip(frame.margin, tested)]
    out["MDE (80%)"] = [f"{m:.4f}" if v == INCONCLUSIVE else "" for m, v in zip(frame.mde, frame.verdict)]
    out["p (BH)"] = [f"{p:.3g}" if ok else "" for p, ok in zip(frame.p_adjusted, tested)]
    return out


@as_findings
def findings_claims(claims: pd.DataFrame) -> str:
    """The verdict counts and one line per claim with its pooled numbers and evidence."""
    counts = claims.verdict.value_counts()
    summary = ", ".join(f"{counts[v]} {v}" for v in VERDICTS if v in counts)
    return f"Of {len(claims)} claims: {summary}.\n\n" + "\n".join(
        f"- *{row['claim']}*: **{describe(row)}** — {row['evidence']}." for _, row in claims.iterrows()
    )
