"""The source passage each claim tests (lle.claims.passages): every committed claim names one, ours say so."""

from lle.claims import registry


def test_every_committed_claim_names_the_passage_of_its_source_it_tests():
    """Each source's rows read their passage from lle.claims.passages; ours say they are ours."""
    from lle.claims.passages import OURS
    from lle.claims.summary import is_ours

    for source in registry.SOURCES:
        table = registry.read_claims(registry.claims_path(source))
        assert (table.passage.str.len() > 0).all(), source
        assert (table.passage.str.startswith(OURS) == table.claim.map(is_ours)).all(), source
