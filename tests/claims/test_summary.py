"""How the claims read (lle.claims.summary): the README headline and the results page quote the committed
claims tables exactly."""

from lle.claims import registry


def test_the_pages_quote_the_committed_claims_tables_exactly():
    """The README's headline and the results page's registry are what the committed claims tables give: prose and
    numbers cannot drift from the tables they describe (rerun notebook 08 after a table changes)."""
    from lle.claims import summary, verdicts
    from lle.paths import REPO_ROOT

    inputs = verdicts.load_claim_inputs()
    paper = registry.read_claims(registry.claims_path("lle"))
    n_pairs = len(inputs["table1"][["model", "dataset"]].drop_duplicates())
    readme = (REPO_ROOT / "README.md").read_text()
    assert summary.headline_block(paper, n_pairs) in readme, "README headline is stale: run notebooks/08_claims.ipynb"
    results = (REPO_ROOT / "docs" / "results.md").read_text()
    assert registry.registry_block(registry.registry()) in results, (
        "the results page's registry is stale: run notebook 08"
    )
    for row in paper.itertuples():  # and every number the headline shows is the table's, to the digit shown
        if row.verdict != "not tested" and not summary.is_ours(row.claim):  # ours are on the results page
            assert f"{row.estimate:+.4f} [{row.ci_low:+.4f}, {row.ci_high:+.4f}]" in readme, row.claim
