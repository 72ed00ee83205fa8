"""Deciding claims: paired statistics, validation selection and its protocols, the soundness check, the
one pooled decision rule, the claims registry and how its verdicts read."""
