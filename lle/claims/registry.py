"""One registry of claims for the four sources the package reads: the LLE paper and the three lines of work it is
set beside. Each source's report computes its claims — the claim, the rule that decides it (written before the
numbers were read: :mod:`lle.claims.verdicts`), the verdict and the evidence in numbers — and its notebook writes
them to ``results/tables/claims_<source>.csv``; :func:`registry` reads the four into one table, which the results
page, the README's headline and the report present (one table per source in the report)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from lle.claims.decision import NOT_TESTED, POSITIVE, VERDICTS, decide_all, decision_columns, pool, seed_note
from lle.claims.passages import with_passages
from lle.claims.summary import claims_latex, short_table
from lle.integrity import atomic_write_text
from lle.paths import results_dir, results_dir_in
from lle.store.formats import latex_escape, write_csv

# source key -> (who claimed it, the notebook that writes its claims)
SOURCES = {
    "lle": ("The LLE paper (Sharma, O'Brien and McAuley, EMNLP 2024)", "08_claims"),
    "unified": ("The unified view of interpolation and extrapolation between layers", "09_unified_view"),
    "stc": ("Sparsify-then-Classify (Liu, Jiao and Anderson)", "10_sparsify_then_classify"),
    "emotion": ("Emotion vectors, localization and steering in small LMs (Jeong)", "11_emotion_localization_vs_lle"),
}
COLUMNS = [
    "claim",
    "passage",
    "verdict",
    "estimate",
    "ci_low",
    "ci_high",
    "margin",
    "mde",
    "p_value",
    "p_adjusted",
    "units",
    "tau",
    "i2",
    "verdict_half_margin",
    "verdict_double_margin",
    "claimed",
    "scale",
    "pooling",
    "rule",
    "evidence",
]


def claims_path(source: str, directory=None) -> Path:
    """Where the notebook of ``source`` writes its claims (``directory``: a tables folder; None: the repository's)."""
    if source not in SOURCES:
        raise KeyError(f"no claims source {source!r}; known: {sorted(SOURCES)}")
    folder = Path(results_dir(None)) / "tables" if directory is None else Path(directory)
    return folder / f"claims_{source}.csv"


def claim_row(claim: str, pooled, scale: str, rule: str, evidence: str, *, claimed: str = POSITIVE, units=None) -> dict:
    """One row of a claims table: the claim, its pooled effect (:class:`~lle.claims.decision.Pooled`, oriented
    so that a positive value is what the source claims) on ``scale`` (a key of
    :data:`~lle.claims.decision.SCALES`), the rule and the evidence in words; ``units`` (the per-unit table of
    :func:`~lle.claims.decision.pool_units`) adds the training-seed spread to the evidence. The verdict is
    decided when the source's claims are written together (:func:`write_claims`: one multiplicity adjustment)."""
    row = {"claim": claim, **decision_columns(pooled, scale, claimed), "rule": rule, "evidence": evidence}
    if units is not None:
        note = seed_note(units)
        row["evidence"] += f"; {note}" if note else ""
        row["unit_table"] = units[["unit", "effect", "variance", "within", "n_seeds", "seed_sd"]].rename(
            columns={"n_seeds": "n_within", "seed_sd": "within_sd"}
        )
    return row


def untested_row(claim: str, reason: str, evidence: str = "") -> dict:
    """A claim that cannot be tested here, with the reason (its verdict is 'not tested')."""
    return {
        "claim": claim,
        "verdict": NOT_TESTED,
        **decision_columns(pool([]), "score"),
        "rule": reason,
        "evidence": evidence,
    }


def decide(frame: pd.DataFrame) -> pd.DataFrame:
    """A source's claim rows (from :func:`claim_row` / :func:`untested_row`) with their verdicts: p-values
    Benjamini-Hochberg adjusted across the source's claims, then :func:`lle.claims.decision.verdict`."""
    if "verdict" not in frame:
        frame = frame.assign(verdict=None)
    frame = frame.assign(verdict=frame.verdict.where(frame.verdict == NOT_TESTED, "pending"))
    return decide_all(frame)


def unit_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Every claim's units in one table: claim, unit, effect, its standard error (blank where the unit has none),
    and what is nested in the unit (training seeds, poolings, curves) with their number and SD."""
    parts = [
        table.assign(claim=claim, se=table.variance**0.5).drop(columns="variance")
        for claim, table in zip(frame.claim, frame.get("unit_table", pd.Series([None] * len(frame))))
        if isinstance(table, pd.DataFrame)
    ]
    columns = ["claim", "unit", "effect", "se", "within", "n_within", "within_sd"]
    return pd.concat(parts, ignore_index=True)[columns] if parts else pd.DataFrame(columns=columns)


def check_claims(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with exactly the registry's columns, each claim stated once, every verdict one of the rule's."""
    missing = [c for c in COLUMNS if c not in frame]
    if missing:
        raise ValueError(f"a claims table needs the columns {COLUMNS}; missing {missing}")
    unknown = sorted(set(frame.verdict) - set(VERDICTS))
    if unknown or frame.claim.duplicated().any():
        raise ValueError(
            f"verdicts must be one of {list(VERDICTS)} and claims unique; got "
            f"{unknown} and {frame.claim[frame.claim.duplicated()].tolist()}"
        )
    return frame[COLUMNS].reset_index(drop=True)


NUMERIC = ["estimate", "ci_low", "ci_high", "margin", "mde", "p_value", "p_adjusted", "units", "tau", "i2"]


def read_claims(path) -> pd.DataFrame:
    """A claims table as written by :func:`write_claims`: text kept as written (an empty cell stays ''), the
    numeric columns as numbers (an empty one, as for a claim not tested, is NaN)."""
    frame = pd.read_csv(path, keep_default_na=False)
    return frame.assign(**{c: frame[c].replace("", float("nan")).astype(float) for c in NUMERIC if c in frame})


def registry(directory=None) -> pd.DataFrame:
    """Every source's claims in one table (source first, in :data:`SOURCES` order); a missing table names the
    notebook that writes it."""
    frames = []
    for source, (who, notebook) in SOURCES.items():
        path = claims_path(source, directory)
        if not path.is_file():
            raise FileNotFoundError(
                f"{path} is missing: run notebooks/{notebook}.ipynb (scripts/run_notebooks.py --only {notebook[:2]})"
            )
        frames.append(check_claims(read_claims(path)).assign(source=who))
    table = pd.concat(frames, ignore_index=True)
    return table[["source", *COLUMNS]]


def verdict_counts(table: pd.DataFrame) -> pd.DataFrame:
    """Per source, how many claims have each verdict."""
    counts = table.groupby("source", sort=False).verdict.value_counts().unstack(fill_value=0)
    return counts.reindex(columns=list(VERDICTS), fill_value=0).reset_index()


def write_claims(source: str, frame: pd.DataFrame, out_dir=None) -> pd.DataFrame:
    """Write ``source``'s claims as claims_<source>.csv and .tex in results/tables (or ``out_dir``/results/tables),
    and the units each was pooled over as claims_<source>_units.csv; returns the claims, checked, for the notebook
    to show."""
    decided = with_passages(source, decide(frame))
    units = unit_table(decided)
    frame = check_claims(decided)
    tables = results_dir_in(out_dir) / "tables"
    write_csv(frame, claims_path(source, tables))
    write_csv(units, tables / f"claims_{source}_units.csv")
    caption = (
        f"{latex_escape(SOURCES[source][0])}: its claims, each decided by the pooled rule of Section~2 from the "
        rf"tables of notebook {SOURCES[source][1][:2]} (\texttt{{lle.claims.registry}})."
    )
    atomic_write_text(
        tables / f"claims_{source}.tex", claims_latex(frame, caption=caption, label=f"tab:claims-{source}")
    )
    return frame


def registry_block(table: pd.DataFrame) -> str:
    """The results page's block: per source, its claims with verdict, the source passage each tests, rule and
    evidence."""
    lines = ["<!-- registry:start (written by notebooks/08_claims.ipynb from results/tables/claims_*.csv) -->"]
    for source, part in table.groupby("source", sort=False):
        detail = part[["claim", "passage", "verdict_half_margin", "verdict_double_margin", "rule", "evidence"]].rename(
            columns={
                "verdict_half_margin": "verdict at half the margin",
                "verdict_double_margin": "verdict at double the margin",
            }
        )
        lines += [
            "",
            f"**{source}**",
            "",
            short_table(part).to_markdown(index=False),
            "",
            "Sensitivity to the margin, rules and evidence:",
            "",
            detail.to_markdown(index=False),
        ]
    return "\n".join(lines + ["<!-- registry:end -->"])
