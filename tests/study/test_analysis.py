"""The analysis behind every table (lle.study.analysis): Table 1, curves and sweeps, the distance ablation and the other training seeds, on synthetic pairs."""

import numpy as np
import pandas as pd
import pytest

import lle
from lle.claims.protocols import PROTOCOLS, VALIDATION, target_layers_for
from lle.claims.selection import select_best
from lle.method.metrics import classification_metrics
from lle.store.scores import LayerScores, Pair
from lle.study import analysis, changes


def synthetic(seed, n=300, layers=5, classes=4):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, classes, n)
    depth = np.linspace(0, 1, layers)[None, :, None]
    scores = np.eye(classes)[labels][:, None] * 2.5 * depth + rng.normal(size=(n, layers, classes))
    return LayerScores(scores.astype(np.float32), labels, {})


def synthetic_study(tmp_path, dataset="tweet_hate", classes=4):
    pair = Pair("m", dataset, synthetic(0, classes=classes), synthetic(1, classes=classes))
    return analysis.Study([pair], tmp_path, tmp_path)


def _seeded_results(tmp_path, seed=1):
    """A results folder with seed 0 and one other training seed of one pair, as score files."""
    from lle.runs.seeds import seed_root
    from lle.store.scores import save_layer_scores, score_path

    for training_seed, offset in ((0, 0), (seed, 10)):
        for split, data_seed in (("validation", offset), ("test", offset + 1)):
            scores = synthetic(data_seed)
            path = score_path("m", "tweet_hate", split, seed_root(training_seed, tmp_path))
            save_layer_scores(
                path, scores.log_probs, scores.labels, {"run": "m", "dataset": "tweet_hate", "split": split}
            )
    return tmp_path


def test_table1_selects_on_the_protocol_split_and_recomputes(tmp_path):
    study = synthetic_study(tmp_path)
    table = analysis.table1(study, n_resamples=50)
    assert list(table.method) == ["standard"] + ["static", "dynamic"] * len(PROTOCOLS) + ["static"]
    contrast = table[table.protocol == "validation_contrast"]
    assert len(contrast) == 1 and (contrast.beta > 0).all()  # the paper's static claim: contrast only
    assert analysis.verify_rows(study, table) == len(table)
    pair = study.pairs[0]
    on_validation = lle.evaluate_grid(
        pair.validation.log_probs, pair.validation.labels, **VALIDATION.grid(5), allow_interpolation=True
    )
    for row in table[table.protocol == "validation"].itertuples():
        assert (row.alpha, row.candidate_layers) == (
            select_best(on_validation, row.method).config.alpha,
            select_best(on_validation, row.method).config.to_row()["candidate_layers"],
        )
    assert "supertweeteval_score" in table  # tweet_hate carries its official score
    tuned = table[table.protocol == "test_tuned_jsd"].set_index("method").macro_f1
    selected = table[table.protocol == "validation"].set_index("method").macro_f1
    assert (tuned >= selected).all()  # test-tuning can only look better on test
    assert set(table.decision.dropna()) <= {
        "better",
        "worse",
        "no significant difference",
        "unclear (CI and test disagree)",
    }


def test_standard_is_never_compared_with_itself(tmp_path):
    table = analysis.table1(synthetic_study(tmp_path), n_resamples=20)
    standard = table[table.method == "standard"]
    assert len(standard) == 1 and standard.p_value.isna().all() and standard.decision.isna().all()


def test_the_main_results_select_once_and_equal_the_two_tables_computed_apart(tmp_path):
    study = synthetic_study(tmp_path)
    together = analysis.main_results(study, n_resamples=20)
    pd.testing.assert_frame_equal(together.table1, analysis.table1(study, n_resamples=20))
    pd.testing.assert_frame_equal(together.dynamic_vs_static, analysis.dynamic_vs_static(study, n_resamples=20))


def test_distance_ablation_reference_is_jsd_with_zero_difference(tmp_path):
    ablation = analysis.distance_ablation(synthetic_study(tmp_path), ("jsd", "cosine"), n_resamples=20)
    jsd = ablation[ablation.distance == "jsd"]
    assert (jsd.delta_vs_jsd == 0).all() and (jsd.amateur_agreement_with_jsd == 1).all()
    with pytest.raises(ValueError, match="include 'jsd'"):
        analysis.distance_ablation(synthetic_study(tmp_path), ("cosine",))


def test_curves_and_sweeps_come_from_the_test_grid_at_the_selected_alpha(tmp_path):
    study = synthetic_study(tmp_path)
    curves = analysis.target_layer_curves(study)
    chosen = study.selection(study.pairs[0], "dynamic").config
    assert set(curves.alpha) == {chosen.alpha}
    np.testing.assert_array_equal(np.sort(curves.target_layer), target_layers_for(4))
    trends = analysis.extrapolation_trends(curves)
    first, last = curves.sort_values("target_layer").iloc[[0, -1]].macro_recall
    assert trends.recall_change.iloc[0] == pytest.approx(last - first)
    spreads = analysis.sensitivity_spreads(analysis.earliest_layer_sweeps(study))
    assert list(spreads.method) == ["static", "dynamic"] and (spreads.median_spread_over_k >= 0).all()


def test_macro_f1_helper_matches_metrics(tmp_path):
    pair = synthetic_study(tmp_path).pairs[0]
    predictions = lle.classify(pair.test.log_probs)
    assert analysis.macro_f1(pair, predictions) == classification_metrics(predictions, pair.test.labels, 4)["macro_f1"]


def test_seed_tables_read_stored_predictions_when_the_seed_scores_are_not_there(tmp_path):
    from lle.integrity import CacheMismatchError
    from lle.runs.seeds import seed_root
    from lle.store.prediction_files import predictions_path

    results = _seeded_results(tmp_path / "results")
    study = analysis.open_study(results_root=results, out_dir=tmp_path / "out")
    committed = analysis.table1(study, n_resamples=20)
    from_scores = analysis.seed_tables(study, committed, results_root=results, n_resamples=20)
    assert set(from_scores.table1.seed) == {1} and len(from_scores.dynamic_vs_static) == 1
    stored = predictions_path(seed_root(1, results), "m", "tweet_hate")
    assert stored.is_file()  # written beside the seed's scores
    # The same comparisons as Table 1 computes from the scores themselves:
    seeded = analysis.open_study(results_root=seed_root(1, results), out_dir=tmp_path / "direct")
    direct = analysis.table1(seeded, protocols=analysis.SEED_PROTOCOLS, n_resamples=20)
    pd.testing.assert_frame_equal(from_scores.table1.drop(columns="seed"), direct, check_exact=True)
    trends = analysis.extrapolation_trends(analysis.target_layer_curves(seeded))
    spreads = analysis.sensitivity_spreads(analysis.earliest_layer_sweeps(seeded))
    pd.testing.assert_frame_equal(from_scores.trends.drop(columns="seed"), trends, check_exact=True)
    pd.testing.assert_frame_equal(from_scores.spreads.drop(columns="seed"), spreads, check_exact=True)
    bias = changes.changes_for_study(seeded)["bias"]
    pd.testing.assert_frame_equal(from_scores.bias.drop(columns="seed"), bias, check_exact=True)
    for split in ("validation", "test"):  # the large score files are not committed for such a seed
        (seed_root(1, results) / "layer_scores" / "m" / f"tweet_hate_{split}.npz").unlink()
    from_predictions = analysis.seed_tables(study, committed, results_root=results, n_resamples=20)
    pd.testing.assert_frame_equal(from_predictions.table1, from_scores.table1, check_exact=True)
    pd.testing.assert_frame_equal(from_predictions.dynamic_vs_static, from_scores.dynamic_vs_static, check_exact=True)
    for name in ("trends", "spreads", "bias", "polarity"):  # from the stored grids and predictions alone
        pd.testing.assert_frame_equal(getattr(from_predictions, name), getattr(from_scores, name), check_exact=True)
    tampered = bytearray(stored.read_bytes())
    tampered[len(tampered) // 2] ^= 0xFF
    stored.write_bytes(bytes(tampered))
    with pytest.raises(CacheMismatchError, match="does not match the checksum"):
        analysis.seed_tables(study, committed, results_root=results, n_resamples=20)


def test_stored_seed_predictions_are_recomputed_when_the_scores_change(tmp_path):
    from lle.runs.seeds import seed_root
    from lle.store.prediction_files import load_predictions, predictions_path
    from lle.store.scores import save_layer_scores, score_path

    results = _seeded_results(tmp_path / "results")
    study = analysis.open_study(results_root=results, out_dir=tmp_path / "out")
    committed = analysis.table1(study, n_resamples=20)
    analysis.seed_tables(study, committed, results_root=results, n_resamples=20)
    stored = predictions_path(seed_root(1, results), "m", "tweet_hate")
    before = load_predictions(stored)[1]["scores_sha256"]
    changed = synthetic(99)
    path = score_path("m", "tweet_hate", "test", seed_root(1, results))
    save_layer_scores(path, changed.log_probs, changed.labels, {"run": "m", "dataset": "tweet_hate", "split": "test"})
    analysis.seed_tables(study, committed, results_root=results, n_resamples=20)
    after = load_predictions(stored)[1]["scores_sha256"]
    assert after["validation"] == before["validation"] and after["test"] != before["test"]
