"""The grid evaluator (lle.method.grid): equal to a loop over classify, on small arrays with known answers."""

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, f1_score

import lle


def random_scores(seed=0, shape=(64, 7, 5), scale=3.0):
    return np.random.default_rng(seed).normal(size=shape) * scale


def test_grid_counts_changed_predictions():
    scores = np.random.default_rng(2).normal(size=(80, 5, 4))
    labels = np.arange(80) % 4
    table = lle.evaluate_grid(scores, labels, candidate_sets=[range(0, 4)], alphas=[0.1, 1.0], betas=[0.0, 2.0])
    standard = lle.classify(scores)
    for row in table[table.method == "static"].itertuples():
        predicted = lle.classify(scores, candidate_layers=range(4), alpha=row.alpha, beta=row.beta)
        assert row.n_changed == int((predicted != standard).sum())
    assert table[(table.beta == 0.0) | (table.alpha == 1.0)].n_changed.eq(0).all()


def test_grid_equals_a_loop_over_classify():
    rng = np.random.default_rng(5)
    scores = random_scores(seed=5, shape=(80, 9, 6))
    labels = rng.integers(0, 6, 80)
    alphas, betas, targets = [0.1, 0.5, 1.0], [-0.25, 0.0, 0.5, 2.0], [6, 8, 9, 12, 16]  # 6, 8: interpolation
    sets = lle.earliest_candidate_sets([0, 3, 7], final_layer=8)
    for distance in lle.DISTANCES:
        table = lle.evaluate_grid(
            scores,
            labels,
            candidate_sets=sets,
            alphas=alphas,
            betas=betas,
            target_layers=targets,
            distance=distance,
            allow_interpolation=True,
        )
        assert len(table) == 1 + len(sets) * len(alphas) * (len(betas) + len(targets))
        for row in table.itertuples():
            if row.method == "standard":
                predicted = lle.classify(scores)
            else:
                hyper = {"beta": row.beta} if row.method == "static" else {"target_layer": row.target_layer}
                predicted = lle.classify(
                    scores,
                    candidate_layers=lle.parse_layers(row.candidate_layers),
                    alpha=row.alpha,
                    distance=distance,
                    allow_interpolation=True,
                    **hyper,
                )
                amateur = lle.select_amateur(
                    scores, candidate_layers=lle.parse_layers(row.candidate_layers), distance=distance
                )
                assert row.amateur_histogram == tuple(np.bincount(amateur, minlength=8))
            assert row.macro_f1 == pytest.approx(f1_score(labels, predicted, average="macro"), abs=1e-12)
            assert row.accuracy == pytest.approx(accuracy_score(labels, predicted), abs=1e-12)
