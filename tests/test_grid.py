"""The grid evaluator (lle.grid) on small arrays with known answers."""

import numpy as np

import lle


def test_grid_counts_changed_predictions():
    scores = np.random.default_rng(2).normal(size=(80, 5, 4))
    labels = np.arange(80) % 4
    table = lle.evaluate_grid(scores, labels, candidate_sets=[range(0, 4)], alphas=[0.1, 1.0], betas=[0.0, 2.0])
    standard = lle.classify(scores)
    for row in table[table.method == "static"].itertuples():
        predicted = lle.classify(scores, candidate_layers=range(4), alpha=row.alpha, beta=row.beta)
        assert row.n_changed == int((predicted != standard).sum())
    assert table[(table.beta == 0.0) | (table.alpha == 1.0)].n_changed.eq(0).all()
