"""Generated prose against the tables it describes: a number that a findings block quotes about a claim must be the
number the claims registry holds, and every count of pairs in a block must be a count the registry pools over.

The prose is read where readers meet it (docs/context.md's blocks, the executed notebooks' findings cells); the
numbers from the committed tables. A hand-typed number, or prose computed over other pairs than the claims (the
at-chance pair included), fails here."""

import json
import re

import pandas as pd
import pytest

from lle.claims.registry import claims_path, read_claims
from lle.paths import REPO_ROOT

DOCS = REPO_ROOT / "docs"
NOTEBOOKS = REPO_ROOT / "notebooks"


def block(page: str, name: str) -> str:
    text = (DOCS / page).read_text()
    match = re.search(rf"<!-- {name}:start.*?-->(.*?)<!-- {name}:end -->", text, re.S)
    assert match, f"docs/{page} has no {name} block"
    return match.group(1)


def findings_output(notebook: str) -> str:
    """The rendered output of the notebook's findings cell (the cell calling a ``findings`` function)."""
    cells = json.loads((NOTEBOOKS / notebook).read_text())["cells"]
    for cell in reversed(cells):
        if cell["cell_type"] == "code" and "findings" in "".join(cell["source"]):
            for output in cell.get("outputs", []):
                data = output.get("data", {})
                text = data.get("text/markdown") or data.get("text/plain")
                if text:
                    return "".join(text)
    raise AssertionError(f"notebooks/{notebook} shows no findings output")


def claims(source: str) -> pd.DataFrame:
    return read_claims(claims_path(source)).set_index("claim")


def claim(source: str, start: str) -> pd.Series:
    table = claims(source)
    found = table[table.index.str.startswith(start)]
    assert len(found) == 1, f"{source}: {len(found)} claims start with {start!r}"
    return found.iloc[0]


def pair_counts(text: str) -> list[int]:
    """Every N of "of N pairs", "over N pairs" and "of N (run, dataset) pairs" in ``text``."""
    return [int(n) for n in re.findall(r"(?:of|over) (\d+) (?:\(run, dataset\) )?pairs", text)]


def test_the_unified_block_counts_the_pairs_its_claims_pool():
    text = block("context.md", "unified")
    table = claims("unified")
    pooled = set(table.units.dropna().astype(int))
    counts = pair_counts(text.split("frozen-head pairs")[0])  # the hidden-state form reads its own six pairs
    assert counts and set(counts) <= pooled, f"pair counts {counts} in docs/context.md, registry units {pooled}"


def test_the_unified_block_quotes_the_registry_numbers():
    text = block("context.md", "unified")
    axis = claim("unified", "our extension: the validation-selected point")
    picks = re.search(
        r"β_u < 0 \(extrapolation\) in (\d+) of (\d+) pairs and β_u > 0 \(interpolation\) in (\d+);"
        r" test macro-F1 changes by ([+-]\d\.\d{4}) on average",
        text,
    )
    assert picks, "the accuracy sentence is missing from the unified block"
    assert int(picks[2]) == int(axis.units)
    assert picks[4] == f"{axis.estimate:+.4f}"
    assert f"beta_u < 0 in {picks[1]} pairs and beta_u > 0 in {picks[3]}" in axis.evidence
    sharpens = claim("unified", "extrapolating away from an earlier layer sharpens")
    stated = re.search(r"below the final layer's in (\d+) of (\d+) pairs \(by (\d\.\d{3}) nats, median\)", text)
    assert stated and int(stated[2]) == int(sharpens.units)
    assert f"median drop {stated[3]} nats" in sharpens.evidence


def test_the_lle_findings_count_the_pairs_the_claims_pool():
    lle = claims("lle")
    table1 = findings_output("02_table1_main_results.ipynb")
    assert set(pair_counts(table1)) == {int(claim("lle", "LLE (dynamic beta)").units)}
    trends = findings_output("03_figure2_target_layer.ipynb")
    precision = claim("lle", "our extension: extrapolating further lowers precision")
    fell = re.search(r"precision fell in (\d+)", trends)
    assert fell and f"precision fell in {fell[1]} of {int(precision.units)} pairs" in precision.evidence
    assert re.search(rf"rose in \d+ of {int(precision.units)} pairs", trends)
    spread = findings_output("04_figure3_stability.ipynb")
    stability = claim("lle", "dynamic beta is less sensitive")
    means = re.search(r"on average static (\d\.\d{4}), dynamic (\d\.\d{4})", spread)
    assert means and f"mean spread static {means[1]}, dynamic {means[2]}" in stability.evidence
    assert f"of {int(stability.units)} pairs" in spread
    assert len(lle) >= 14


@pytest.mark.parametrize("page,name", [("context.md", "unified"), ("context.md", "stc"), ("context.md", "emotion")])
def test_blocks_print_no_margin_as_zero(page, name):
    """A signed number printed as +0.000 or -0.000 hides its size (a 4.7e-08 margin read as +0.000)."""
    assert not re.search(r"[+-]0\.0+(?!\d)", block(page, name)), f"docs/{page} {name} block prints a signed zero"


def test_the_stc_block_writes_stc_as_an_acronym():
    """Sentences built with str.capitalize() lowercased it once ("like stc")."""
    assert not re.search(r"(?<![`\w./_])stc(?![\w`./_])", block("context.md", "stc"))


def test_the_registry_covers_every_source_with_passages():
    every = pd.concat([read_claims(claims_path(s)) for s in ("lle", "unified", "stc", "emotion")])
    assert len(every) >= 30
    assert every.passage.str.len().gt(0).all()
