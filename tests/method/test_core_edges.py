"""Behaviours of the math that mutation testing showed no test pinned down (issue 16): each test here fails when
the behaviour it names is broken. Deterministic: fixed arrays or seeded generators, no luck involved."""

import numpy as np
import pytest

import lle
from lle.method.core import LN2, distances_to_final
from lle.method.metrics import classification_metrics, per_layer_metrics


def scores(seed=0, shape=(40, 6, 5), scale=2.0):
    return np.random.default_rng(seed).normal(size=shape) * scale


def by_hand(layer_scores, final, candidates, beta, alpha):
    """The method written out directly: per sample, the JSD-farthest candidate, then the masked contrast."""
    logp = lle.log_softmax(layer_scores)
    predictions = []
    for sample in logp:
        p_final = np.exp(sample[final])
        distances = []
        for layer in candidates:
            q = np.exp(sample[layer])
            m = (p_final + q) / 2
            distances.append(0.5 * np.sum(p_final * np.log(p_final / m)) + 0.5 * np.sum(q * np.log(q / m)))
        amateur = candidates[int(np.argmax(distances))]
        score = (1 + beta) * sample[final] - beta * sample[amateur]
        score[p_final < alpha * p_final.max()] = -np.inf
        predictions.append(int(np.argmax(score)))
    return np.array(predictions)


def test_contrastive_classification_with_a_non_default_final_layer():
    data = scores(1, shape=(60, 8, 5))
    for final in (3, 5, -3):
        resolved = final % 8
        candidates = list(range(resolved))
        got = lle.classify(data, candidate_layers=candidates, beta=0.8, alpha=0.1, final_layer=final)
        np.testing.assert_array_equal(got, by_hand(data, resolved, candidates, 0.8, 0.1))
        assert not np.array_equal(got, lle.classify(data, candidate_layers=candidates, beta=0.8, alpha=0.1))
        dynamic = lle.classify(
            data, candidate_layers=candidates, target_layer=resolved + 4, alpha=0.1, final_layer=final
        )
        amateur = lle.select_amateur(data, candidate_layers=candidates, final_layer=final)
        beta = 4.0 / (resolved - amateur)
        expected = [by_hand(data[i : i + 1], resolved, candidates, beta[i], 0.1)[0] for i in range(len(data))]
        np.testing.assert_array_equal(dynamic, expected)
    standard = lle.classify(data, final_layer=3)
    np.testing.assert_array_equal(standard, np.argmax(data[:, 3], axis=1))


def test_contrastive_scores_values_from_logits():
    final = np.array([[2.0, 1.0, -1.0], [0.0, 0.5, 3.0]])
    amateur = np.array([[1.0, 2.0, 0.0], [1.0, 1.0, 1.0]])
    got = lle.contrastive_scores(final, amateur, beta=0.5, alpha=0.2)
    logp, logq = lle.log_softmax(final), lle.log_softmax(amateur)
    expected = 1.5 * logp - 0.5 * logq
    expected[np.exp(logp) < 0.2 * np.exp(logp).max(axis=1, keepdims=True)] = -np.inf
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)
    assert np.isneginf(got[0, 2]) and np.isfinite(got[0, :2]).all()  # p = 0.09 < 0.2 * 0.67
    per_sample = lle.contrastive_scores(final, amateur, beta=np.array([0.5, 2.0]), alpha=0.2)
    np.testing.assert_allclose(per_sample[1], np.where(np.isfinite(got[1]), 3 * logp[1] - 2 * logq[1], -np.inf))


def test_grid_narrowed_classes_and_exact_ties_match_classify():
    rng = np.random.default_rng(2)
    n, n_classes = 50, 12
    data = np.zeros((n, 4, n_classes))  # layers 0-2 all zero: every class tied there
    data[:, 3] = rng.integers(-2, 3, size=(n, n_classes)).astype(float)  # many exact ties in the final layer
    data[:, 3, 5:] -= 20  # classes 5.. are implausible at every alpha: the grid narrows to 0..4
    labels = rng.integers(0, n_classes, n)
    table = lle.evaluate_grid(
        data,
        labels,
        candidate_sets=[[0, 1, 2], [2]],
        alphas=[0.001, 0.5, 1.0],
        betas=[0.0, 0.3, 3.0],
        target_layers=[4, 9],
    )
    for row in table[table.method != "standard"].itertuples():
        hyper = {"beta": row.beta} if row.method == "static" else {"target_layer": row.target_layer}
        predicted = lle.classify(
            data, candidate_layers=lle.parse_layers(row.candidate_layers), alpha=row.alpha, **hyper
        )
        assert row.macro_f1 == classification_metrics(predicted, labels, n_classes)["macro_f1"]
        assert row.n_changed == int((predicted != lle.classify(data)).sum())
    ties = lle.classify(np.zeros((3, 2, 7)), candidate_layers=[0], beta=1.0, alpha=0.5)
    np.testing.assert_array_equal(ties, [0, 0, 0])  # exact ties: the lowest class, as np.argmax


def test_amateur_histogram_has_one_entry_per_layer_below_the_final():
    table = lle.evaluate_grid(scores(3), np.arange(40) % 5, candidate_sets=[[4], [1, 2]], betas=[0.5])
    for row in table[table.method == "static"].itertuples():
        assert len(row.amateur_histogram) == 5 and sum(row.amateur_histogram) == 40
    assert table[table.candidate_layers == "4-4"].amateur_histogram.iloc[0] == (0, 0, 0, 0, 40)


def test_per_layer_metrics_and_inferred_classes():
    log_probs = np.array([[[0.0, 1.0, 0.0], [2.0, 0.0, 0.0]], [[0.0, 0.0, 1.0], [0.0, 3.0, 0.0]]])
    labels = np.array([0, 1])
    metrics = per_layer_metrics(log_probs, labels)
    np.testing.assert_allclose(metrics["accuracy"], [0.0, 1.0])
    np.testing.assert_allclose(metrics["macro_f1"], [0.0, 1.0])
    inferred = classification_metrics([0, 2, 2], [0, 2, 1])
    explicit = classification_metrics([0, 2, 2], [0, 2, 1], 3)
    assert inferred == explicit and inferred["accuracy"] == pytest.approx(2 / 3)
    assert inferred["macro_f1"] == pytest.approx((1 + 2 / 3 + 0) / 3)


def test_candidate_layers_unsorted_and_duplicated_with_ties_go_to_the_lowest():
    data = np.zeros((4, 6, 3))
    data[:, 5] = [3.0, 0.0, 0.0]
    data[:, 1] = data[:, 3] = [0.0, 3.0, 0.0]  # layers 1 and 3 equally far from the final layer
    for candidates in ([3, 1, 3, 2], [1, 3], (3, 1)):
        np.testing.assert_array_equal(lle.select_amateur(data, candidate_layers=candidates), [1, 1, 1, 1])


@pytest.mark.parametrize("final_layer", [0, -6])
def test_final_layer_zero_or_minus_n_is_refused(final_layer):
    with pytest.raises(ValueError, match="final_layer"):
        lle.classify(np.zeros((2, 6, 3)), final_layer=final_layer)


def test_final_layer_minus_one_and_last_index_agree():
    data = scores(4)
    np.testing.assert_array_equal(
        lle.classify(data, candidate_layers=[1, 2], beta=1.0, final_layer=-1),
        lle.classify(data, candidate_layers=[1, 2], beta=1.0, final_layer=5),
    )


def test_jsd_near_identical_distributions_is_never_negative_and_huge_logits_stay_finite():
    base = np.log(np.array([0.5, 0.3, 0.2]))
    nearly = np.log(np.array([0.5 + 1e-13, 0.3, 0.2 - 1e-13]))
    logp = np.stack([base, nearly, base])[None]  # layers: final is the last
    distances = distances_to_final(logp, 2, "jsd")
    assert np.all(distances >= 0) and distances[0, 1] < 1e-12
    huge = lle.log_softmax(np.array([[[1e300, -1e300, 0.0], [-1e300, 1e300, 0.0]]]))
    jsd = distances_to_final(huge, 1, "jsd")
    assert np.all(np.isfinite(jsd)) and jsd[0, 0] == pytest.approx(LN2)
    assert np.all(np.isfinite(distances_to_final(huge, 1, "kl")[0, 1]))


def test_st_coef_at_one_and_its_guard():
    assert lle.st_coef_from_beta(1.0) == 0.5
    assert lle.st_coef_from_beta(0.0) == 0.0
    with pytest.raises(ValueError, match="beta = -1"):
        lle.st_coef_from_beta(-1.0)
    with pytest.raises(ValueError, match="st_coef = 1"):
        lle.beta_from_st_coef(1.0)
    assert lle.beta_from_st_coef(0.5) == 1.0


def test_single_class_and_infinite_scores_are_refused():
    with pytest.raises(ValueError, match="at least 2 classes"):
        lle.classify(np.zeros((2, 3, 1)))
    for value in (np.inf, np.nan):
        bad = np.zeros((2, 3, 2))
        bad[1, 1, 1] = value
        with pytest.raises(ValueError, match="NaN"):
            lle.select_amateur(bad, candidate_layers=[0])


def rounding_cases(kind: str, n: int = 400):
    """Pairs of log-distributions on which the unclipped JSD formula rounds below 0 (near-identical) or above
    ln 2 (near-disjoint); found with a fixed generator, so always the same cases."""
    from lle.method.core import _kl_terms

    rng = np.random.default_rng(11)
    found = []
    while len(found) < 3:
        p = lle.log_softmax(rng.normal(size=(n, 1, 3)) * rng.uniform(0, 800 if kind == "high" else 50, (n, 1, 1)))
        if kind == "low":
            q = lle.log_softmax(p + rng.normal(size=p.shape) * 1e-9)
        else:
            q = lle.log_softmax(-p * rng.uniform(1, 3, (n, 1, 1)))
        m = np.logaddexp(p, q) - LN2
        raw = (0.5 * _kl_terms(p, m) + 0.5 * _kl_terms(q, m))[:, 0]
        bad = raw < 0 if kind == "low" else raw > LN2
        found += [(p[i : i + 1], q[i : i + 1]) for i in np.flatnonzero(bad)]
    return found


def test_jsd_is_clipped_into_its_range_where_rounding_would_leave_it():
    for p, q in rounding_cases("low"):
        assert lle.DISTANCES["jsd"](p, q)[0, 0] >= 0
    for p, q in rounding_cases("high"):
        assert lle.DISTANCES["jsd"](p, q)[0, 0] <= LN2


def test_log_softmax_is_stable_per_row():
    logp = lle.log_softmax(np.array([[1000.0, 999.0], [0.0, 1.0]]))
    assert np.all(np.isfinite(logp))
    np.testing.assert_allclose(np.exp(logp).sum(axis=1), 1.0)


def test_kl_with_a_zero_probability_class_in_the_final_layer_is_finite():
    final = np.array([[[0.0, -np.inf, 1.0]]])
    layer = np.array([[[1.0, 0.5, 0.0]]])
    kl = lle.DISTANCES["kl"](lle.log_softmax(final), lle.log_softmax(layer))
    assert np.isfinite(kl).all() and kl[0, 0] > 0


def test_contrast_keeps_infinities_for_classes_the_amateur_rules_out():
    final, amateur = np.array([[1.0, 1.2, -3.0]]), np.array([[0.0, -np.inf, 0.0]])
    extrapolated = lle.contrastive_scores(final, amateur, beta=0.5, alpha=0.1)
    assert extrapolated[0, 1] == np.inf and np.isfinite(extrapolated[0, 0]) and np.isneginf(extrapolated[0, 2])
    interpolated = lle.contrastive_scores(final, amateur, beta=-0.5, alpha=0.1)
    assert interpolated[0, 1] == -np.inf and np.isfinite(interpolated[0, 0])


def test_grid_with_a_non_default_final_layer_and_alpha_one_matches_classify():
    data = scores(7, shape=(60, 7, 5))
    labels = np.arange(60) % 5
    table = lle.evaluate_grid(
        data,
        labels,
        candidate_sets=[[0, 1, 2], [2]],
        alphas=[1.0],
        betas=[0.5, 2.0],
        target_layers=[5, 8],
        final_layer=3,
    )
    for row in table.itertuples():
        if row.method == "standard":
            predicted = lle.classify(data, final_layer=3)
        else:
            hyper = {"beta": row.beta} if row.method == "static" else {"target_layer": row.target_layer}
            predicted = lle.classify(
                data, candidate_layers=lle.parse_layers(row.candidate_layers), alpha=1.0, final_layer=3, **hyper
            )
        assert row.macro_f1 == classification_metrics(predicted, labels, 5)["macro_f1"]


def test_grid_ties_among_many_classes_go_to_the_lowest_class():
    """Exact ties among dozens of plausible classes, a different pattern per sample: the grid must pick the lowest
    tied class, as np.argmax in lle.classify does (an unstable sort of the plausible classes would not)."""
    rng = np.random.default_rng(12)
    data = np.zeros((200, 3, 100))
    data[:, 2] = (rng.random((200, 100)) < 0.5).astype(float)  # ties at the top; the rest implausible at 0.5
    expected = lle.classify(data, candidate_layers=[0], alpha=0.5, beta=1.0)
    assert np.array_equal(expected, np.argmax(data[:, 2], axis=1))
    table = lle.evaluate_grid(data, expected, candidate_sets=[[0]], alphas=[0.5], betas=[1.0])
    assert table.accuracy.tolist() == [1.0, 1.0]


def test_grid_table_columns_distance_and_standard_row():
    from lle.method.grid import GRID_COLUMNS

    table = lle.evaluate_grid(
        scores(8), np.arange(40) % 5, candidate_sets=[[1]], betas=[0.5], target_layers=[6], distance="tv"
    )
    assert list(table.columns) == GRID_COLUMNS
    assert set(table.distance) == {"tv"}
    standard = table[table.method == "standard"].iloc[0]
    assert standard.n_changed == 0 and np.isnan(standard.alpha)
    single = lle.evaluate_grid(scores(8), np.arange(40) % 5, candidate_sets=[[1]], target_layers=[6])
    assert list(single.method) == ["standard", "dynamic"]


def test_grid_progress_bar_only_when_asked(capsys):
    lle.evaluate_grid(scores(9), np.arange(40) % 5, candidate_sets=[[1], [2]], betas=[0.5])
    assert capsys.readouterr().err == ""
    lle.evaluate_grid(scores(9), np.arange(40) % 5, candidate_sets=[[1], [2]], betas=[0.5], progress=True)
    assert "candidate sets:" in capsys.readouterr().err


def test_classify_with_a_config_keeps_final_layer_and_interpolation():
    data = scores(10, shape=(30, 7, 4))
    config = lle.Config("dynamic", (0, 1), 0.2, target_layer=3)
    np.testing.assert_array_equal(
        lle.classify(data, config, final_layer=4, allow_interpolation=True),
        lle.classify(data, candidate_layers=(0, 1), alpha=0.2, target_layer=3, final_layer=4, allow_interpolation=True),
    )
    with pytest.raises(ValueError, match="allow_interpolation"):
        lle.classify(data, config, final_layer=4)


def test_config_fields_round_trip_and_describe():
    static = lle.Config("static", [2, 3], 0.5, beta=1)
    assert (static.alpha, static.beta, static.candidate_layers) == (0.5, 1.0, (2, 3))
    assert static.to_row() == {
        "method": "static",
        "candidate_layers": "2-3",
        "alpha": 0.5,
        "beta": 1.0,
        "target_layer": None,
        "distance": "jsd",
    }
    assert lle.Config("standard").to_row()["distance"] is None
    assert static.describe() == "static: beta 1, alpha 0.5, candidates 2-3 (jsd)"
    dynamic = lle.Config("dynamic", [1], 0.1, target_layer=9, distance="kl")
    assert dynamic.describe() == "dynamic: target layer 9, alpha 0.1, candidates 1-1 (kl)"
    assert lle.Config("standard").describe() == "standard: argmax of the final layer"
    assert (
        lle.Config.from_row(
            {"method": "dynamic", "candidate_layers": "1-1", "alpha": 0.1, "target_layer": 9, "distance": None}
        ).distance
        == "jsd"
    )
    assert lle.Config.from_row(dynamic.to_row()) == dynamic
    assert lle.Config.from_row({"method": "static", "candidate_layers": [3, 2], "alpha": 0.5, "beta": 1}) == static
    assert static.classify_kwargs() == {"candidate_layers": (2, 3), "alpha": 0.5, "distance": "jsd", "beta": 1.0}
    assert dynamic.classify_kwargs() == {"candidate_layers": (1,), "alpha": 0.1, "distance": "kl", "target_layer": 9.0}


def test_supertweeteval_score_edges():
    from lle.method.metrics import supertweeteval_hate_score

    not_hate = np.full(6, 7)
    assert supertweeteval_hate_score(not_hate, not_hate) == pytest.approx(0.5)  # binary F1 1, micro-F1 0
    labels, predictions = np.array([0, 1, 7, 7]), np.array([0, 2, 7, 1])
    # binary: hate vs not: predicted [h, h, n, h], true [h, h, n, n] -> F1(h) = 0.8, F1(n) = 2/3
    # micro over hate classes: 1 right of 3 predicted and 2 actual -> 2*1/(3+2) = 0.4
    assert supertweeteval_hate_score(labels, predictions) == pytest.approx(((0.8 + 2 / 3) / 2 + 0.4) / 2)


def test_per_class_metrics_values():
    from lle.method.metrics import per_class_metrics

    result = per_class_metrics([0, 0, 1, 2], [0, 1, 1, 1], 4)
    np.testing.assert_allclose(result["precision"], [0.5, 1.0, 0.0, 0.0])
    np.testing.assert_allclose(result["recall"], [1.0, 1 / 3, 0.0, 0.0])
    np.testing.assert_allclose(result["f1"], [2 / 3, 0.5, 0.0, 0.0])
    assert result["support"].tolist() == [1, 3, 0, 0] and result["predicted"].tolist() == [2, 1, 1, 0]


def test_config_alpha_and_strength_are_stored_as_floats():
    config = lle.Config("static", (1,), 1, beta=2)
    assert type(config.alpha) is float and type(config.beta) is float


def test_distances_to_final_defaults_to_jsd():
    logp = lle.log_softmax(scores(13))
    np.testing.assert_array_equal(distances_to_final(logp, 5), distances_to_final(logp, 5, "jsd"))


def test_classification_metrics_accepts_one_class_and_supertweeteval_equal_counts():
    from lle.method.metrics import supertweeteval_hate_score

    assert classification_metrics([0, 0], [0, 0], 1)["macro_f1"] == 1.0
    # one hate prediction and one hate label, both right: micro-F1 over hate classes is 1
    assert supertweeteval_hate_score(np.array([0, 7]), np.array([0, 7])) == pytest.approx(1.0)


def test_dynamic_beta_and_target_layer_edges():
    assert lle.dynamic_beta(amateur_layer=20, final_layer=24, target_layer=24, allow_interpolation=True) == 0
    assert lle.target_layer(beta=0.5, amateur_layer=20, final_layer=24) == 26
    assert lle.target_layer(beta=0.0, amateur_layer=20, final_layer=24, allow_interpolation=True) == 24


def test_grid_without_pandas_says_how_to_get_plain_columns(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError) as raised:
        lle.evaluate_grid(scores(14), np.arange(40) % 5, candidate_sets=[[1]], betas=[0.5])
    assert str(raised.value) == (
        "evaluate_grid returns a pandas table: pip install pandas (or lle[analysis]), "
        "or pass as_frame=False for plain columns"
    )


def test_boolean_class_indices_are_accepted():
    assert classification_metrics(np.array([True, False]), np.array([True, True]))["accuracy"] == 0.5
