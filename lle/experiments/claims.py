"""One registry of claims for the four sources the package reads: the LLE paper and the three lines of work it is
set beside. Each source's report computes its claims — the claim, the rule that decides it (written before the
numbers were read: :mod:`lle.experiments.verdicts`), the verdict and the evidence in numbers — and its notebook writes
them to ``results/tables/claims_<source>.csv``; :func:`registry` reads the four into one table, which the results
page, the README's headline and the report present (one table per source in the report)."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from lle.experiments.report import claims_latex, write_csv
from lle.experiments.verdicts import FAILS, HOLDS, MIXED, NOT_TESTED
from lle.integrity import atomic_write_text
from lle.paths import results_dir, results_dir_in

# source key -> (who claimed it, the notebook that writes its claims)
SOURCES = {
    "lle": ("The LLE paper (Sharma, O'Brien and McAuley, EMNLP 2024)", "08_claims"),
    "unified": ("The unified view of interpolation and extrapolation between layers", "09_unified_view"),
    "stc": ("Sparsify-then-Classify (Liu, Jiao and Anderson)", "10_sparsify_then_classify"),
    "emotion": ("Emotion vectors, localization and steering in small LMs (Jeong)", "11_emotion_localization_vs_lle"),
}
COLUMNS = ["claim", "verdict", "rule", "evidence"]


def claims_path(source: str, directory=None) -> Path:
    """Where the notebook of ``source`` writes its claims (``directory``: a tables folder; None: the repository's)."""
    if source not in SOURCES:
        raise KeyError(f"no claims source {source!r}; known: {sorted(SOURCES)}")
    folder = Path(results_dir(None)) / "tables" if directory is None else Path(directory)
    return folder / f"claims_{source}.csv"


def claim_row(claim: str, verdict, rule: str, evidence: str) -> dict:
    """One row of a claims table; ``verdict`` is a verdict or a rule's :class:`~lle.experiments.verdicts.Outcome`."""
    return {"claim": claim, "verdict": verdict if isinstance(verdict, str) else verdict.verdict, "rule": rule,
            "evidence": evidence}


def check_claims(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with exactly the registry's columns, each claim stated once, every verdict one of the rules'."""
    missing = [c for c in COLUMNS if c not in frame]
    if missing:
        raise ValueError(f"a claims table needs the columns {COLUMNS}; missing {missing}")
    unknown = sorted(set(frame.verdict) - {HOLDS, MIXED, FAILS, NOT_TESTED})
    if unknown or frame.claim.duplicated().any():
        raise ValueError(f"verdicts must be holds / mixed / does not hold / not tested and claims unique; got "
                         f"{unknown} and {frame.claim[frame.claim.duplicated()].tolist()}")
    return frame[COLUMNS].reset_index(drop=True)


def registry(directory=None) -> pd.DataFrame:
    """Every source's claims in one table (source first, in :data:`SOURCES` order); a missing table names the
    notebook that writes it."""
    frames = []
    for source, (who, notebook) in SOURCES.items():
        path = claims_path(source, directory)
        if not path.is_file():
            raise FileNotFoundError(f"{path} is missing: run notebooks/{notebook}.ipynb "
                                    f"(scripts/run_notebooks.py --only {notebook[:2]})")
        frames.append(check_claims(pd.read_csv(path, keep_default_na=False)).assign(source=who))
    table = pd.concat(frames, ignore_index=True)
    return table[["source", *COLUMNS]]


def verdict_counts(table: pd.DataFrame) -> pd.DataFrame:
    """Per source, how many claims hold, are mixed, do not hold or were not tested."""
    counts = table.groupby("source", sort=False).verdict.value_counts().unstack(fill_value=0)
    return counts.reindex(columns=[HOLDS, MIXED, FAILS, NOT_TESTED], fill_value=0).reset_index()


def write_claims(source: str, frame: pd.DataFrame, out_dir=None) -> pd.DataFrame:
    """Write ``source``'s claims as claims_<source>.csv and .tex in results/tables (or ``out_dir``/results/tables);
    returns them, checked, for the notebook to show."""
    frame = check_claims(frame)
    tables = results_dir_in(out_dir) / "tables"
    write_csv(frame, claims_path(source, tables))
    atomic_write_text(tables / f"claims_{source}.tex", claims_latex(frame))
    return frame


def registry_block(table: pd.DataFrame) -> str:
    """The results page's block: per source, its claims with verdict, rule and evidence."""
    lines = ["<!-- registry:start (written by notebooks/08_claims.ipynb from results/tables/claims_*.csv) -->"]
    for source, part in table.groupby("source", sort=False):
        lines += ["", f"**{source}**", "", part[COLUMNS].to_markdown(index=False)]
    return "\n".join(lines + ["<!-- registry:end -->"])
