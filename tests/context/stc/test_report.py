"""The STC report on a constructed result set: choices per depth read validation, kept predictions are checked."""

import numpy as np
import pandas as pd
import pytest

from lle.claims import registry
from lle.context.stc import report as stc_report
from lle.context.stc.stage import StcResults
from lle.method.metrics import classification_metrics

LABELS = np.array([0, 1, 0, 1, 1, 0])
LAYER_PREDICTIONS = np.array([0, 1, 0, 1, 0, 0])
LAYER_F1 = float(classification_metrics(LAYER_PREDICTIONS, LABELS, 2)["macro_f1"])


def results(aggregated_predictions=(0, 1, 0, 1, 1, 0)):
    layers, aggregation, sources, predictions = [], [], [], {}
    for pooling, shift in (("mean", 0.0), ("token", 0.1)):
        key = {"backbone": "all-MiniLM-L6-v2", "dataset": "sst2", "representation": "hidden", "pooling": pooling}
        for layer in range(3):
            layers.append(
                {
                    **key,
                    "layer": layer,
                    "relative_depth": layer / 2,
                    "n_parameters": 5,
                    "width": 4,
                    "validation_macro_f1": 0.5 + 0.1 * layer + shift,
                    "test_macro_f1": LAYER_F1,
                    "test_accuracy": 0.5,
                }
            )
            aggregation.append(
                {
                    **key,
                    "eta": 0.5,
                    "upto_layer": layer,
                    "relative_depth": layer / 2,
                    "n_features": 2 + layer,
                    "n_parameters": 3,
                    "validation_macro_f1": 0.6 + shift,
                    "test_macro_f1": 1.0 if pooling == "token" else 0.0,
                    "test_accuracy": 0.5,
                }
            )
        sources.append(
            {
                **key,
                "probe_seconds": 60.0,
                "feature_seconds": 120.0,
                "max_train_samples": 4000,
                "layer_stride": 1,
                "beside_run": None,
                "beside_trainable_parameters": None,
            }
        )
        predictions[tuple(key.values())] = {
            "best_layer": LAYER_PREDICTIONS,
            "final_layer": LAYER_PREDICTIONS,
            "aggregated": np.array(aggregated_predictions),
        }
    return StcResults(pd.DataFrame(layers), pd.DataFrame(aggregation), pd.DataFrame(sources), predictions)


def test_depth_curves_choose_on_validation_at_each_depth():
    curves = stc_report.depth_curves(results())
    single = curves[curves.curve == "single layer"]
    assert single.pooling.tolist() == ["token"] * 3  # higher validation everywhere, whatever test says
    aggregated = curves[curves.curve != "single layer"]
    assert aggregated.n_features.tolist() == [2, 3, 4] and set(aggregated.pooling) == {"token"}


def test_chosen_probes_and_the_claim_check_the_kept_predictions():
    chosen = stc_report.chosen_probes(results())
    stc = chosen[chosen.probe == "STC (aggregated)"].iloc[0]
    assert stc.pooling == "token" and stc.layer == 0  # tie in validation: fewest features
    claim = stc_report.aggregation_claim(chosen, {"sst2": (LABELS, 2)}, n_resamples=50)
    assert set(claim.baseline) == {"best single-layer probe", "final-layer probe"}
    assert claim.stc_test_macro_f1.iloc[0] == 1.0 and "decision" in claim
    wrong = stc_report.chosen_probes(results(aggregated_predictions=(1, 1, 1, 1, 1, 1)))
    with pytest.raises(ValueError, match="kept predictions give test macro-F1"):
        stc_report.aggregation_claim(wrong, {"sst2": (LABELS, 2)}, n_resamples=10)


def test_stage_costs_add_probe_time_and_count_features_once():
    costs = stc_report.stage_costs(results()).iloc[0]
    assert costs.feature_minutes == 2.0 and costs.probe_minutes == 2.0 and costs.cells == 2


def test_single_layer_probes_are_compared_with_plain_logistic_regression_layer_by_layer():
    labels = np.array([0, 1, 0, 1, 1, 0])
    predictions = {  # (layer, penalty): test predictions
        (0, "l1"): [0, 1, 0, 1, 1, 0],  # 6 right
        (0, "l2"): [0, 1, 0, 1, 0, 1],  # 4 right
        (1, "l1"): [0, 1, 0, 1, 0, 0],  # 5 right
        (1, "l2"): [0, 1, 0, 1, 0, 0],  # 5 right, the same samples
    }
    plain = pd.DataFrame(
        [
            {
                "backbone": "all-MiniLM-L6-v2",
                "dataset": "sst2",
                "layer": layer,
                "penalty": penalty,
                "test_predictions": list(values),
                "test_accuracy": float(np.mean(np.array(values) == labels)),
                "n_test": 6,
            }
            for (layer, penalty), values in predictions.items()
        ]
    )
    single = stc_report.single_layer_against_plain(plain, {"sst2": (labels, 2)})
    assert single.layer.tolist() == [0, 1]
    np.testing.assert_allclose(single.difference, [2 / 6, 0.0])
    np.testing.assert_allclose(single.se, [np.std([0, 0, 0, 0, 1, 1], ddof=1) / np.sqrt(6), 0.0])  # paired
    row = stc_report._single_layer_claim(plain, {"sst2": (labels, 2)})
    assert row["claimed"] == "no effect" and row["estimate"] == pytest.approx(1 / 6) and row["units"] == 1
    assert "L1 below plain at 0" in row["evidence"]
    wrong = plain.assign(test_accuracy=0.9)
    with pytest.raises(ValueError, match="do not give its accuracy"):
        stc_report.single_layer_against_plain(wrong, {"sst2": (labels, 2)})
    untested = stc_report._single_layer_claim(pd.DataFrame(), {})
    assert untested["verdict"] == "not tested" and "--part plain" in untested["rule"]


def test_stcs_claims_compare_each_gain_with_its_own_baseline():
    from lle.context.stc.report import claims as stc_claims

    claim = pd.DataFrame(
        [
            {
                "backbone": b,
                "baseline": base,
                "delta_macro_f1": d,
                "ci_low": d - 0.01,
                "ci_high": d + 0.01,
                "p_value": 0.001,
            }
            for b in ("m1", "m2")
            for base, d in (("best single-layer probe", -0.02), ("final-layer probe", 0.03))
        ]
    )
    table = registry.decide(stc_claims(claim)).set_index("claim")
    untested = table[table.verdict == "not tested"]
    assert len(untested) == 3 and untested.rule.str.startswith("not test").all()  # each with its reason
    table = table[table.verdict != "not tested"]
    assert table.estimate.tolist() == pytest.approx([-0.02, 0.03]) and (table.units == 2).all()
    # Two backbones give one degree of freedom: even identical, clear gains per backbone are too few to decide.
    assert table.verdict.tolist() == ["inconclusive", "inconclusive"] and (table.mde > 0.03).all()
    assert "Deviation" in table.loc["STC beats the sentence-embedding baseline", "rule"]
