"""What LLE changes (lle.study.changes): neutral bias, label changes, polarity and layer trajectories on small arrays."""

import numpy as np
import pytest

from lle.method.metrics import per_class_metrics
from lle.study import changes


def test_reference_bias_counts_and_binomial_test():
    standard = np.array([0, 0, 0, 1, 2, 0, 1, 1])
    new = np.array([1, 2, 0, 1, 2, 1, 1, 2])
    labels = np.array([1, 0, 0, 1, 2, 1, 2, 2])
    result = changes.reference_bias(standard, new, labels, reference=0)
    assert result["n_changed"] == 4 and result["changed_from_reference"] == 3
    assert result["share_reference_in_standard_predictions"] == 0.5
    assert (result["wrong_to_right"], result["right_to_wrong"], result["wrong_to_wrong"]) == (3, 1, 0)
    assert result["p_value"] == pytest.approx(10 / 16)  # two-sided: P(X >= 3) + P(X <= 1), X ~ Bin(4, 1/2)


def test_label_changes_and_polarity():
    names = ["joy", "love", "anger", "neutral"]
    polarity = {"joy": "positive", "love": "positive", "anger": "negative", "neutral": "neutral"}
    standard = np.array([0, 0, 0, 2, 3, 1])
    new = np.array([1, 1, 2, 0, 0, 1])
    labels = np.array([1, 0, 2, 2, 0, 1])
    table = changes.label_changes(standard, new, labels, names, polarity)
    assert table.iloc[0][["standard", "lle", "count"]].tolist() == ["joy", "love", 2]
    assert table.iloc[0].lle_accuracy == 0.5 and bool(table.iloc[0].keeps_polarity)
    assert changes.same_polarity_rate(polarity) == pytest.approx(1 / 3)  # of joy-love, joy-anger, love-anger
    stats = changes.polarity_statistics(standard, new, labels, names, polarity)
    assert (stats["n_emotion_changes"], stats["kept_polarity"], stats["n_all_changes"]) == (4, 2, 5)
    assert (stats["wrong_to_right"], stats["right_to_wrong"]) == (2, 2) and stats["p_corrections"] == 1.0


def test_layer_trajectories_follow_each_corrected_sample_from_its_amateur_to_the_final_layer():
    # 3 layers, 3 classes (2 = the reference class); probabilities written out, then logged
    probs = np.array(
        [
            [[0.2, 0.2, 0.6], [0.3, 0.1, 0.6], [0.4, 0.1, 0.5]],  # corrected to 0; amateur 0: gold +0.2, ref -0.1
            [[0.1, 0.5, 0.4], [0.1, 0.3, 0.6], [0.2, 0.4, 0.4]],  # corrected to 1; amateur 1: gold +0.1, ref -0.2
            [[0.3, 0.3, 0.4], [0.3, 0.3, 0.4], [0.3, 0.3, 0.4]],  # unchanged
            [[0.1, 0.1, 0.8], [0.1, 0.1, 0.8], [0.1, 0.1, 0.8]],  # corrected, but its gold class is the reference
            [[0.5, 0.2, 0.3], [0.5, 0.2, 0.3], [0.5, 0.2, 0.3]],  # changed and wrong: not a correction
        ]
    )
    standard, new, labels = [2, 2, 2, 0, 0], [0, 1, 2, 2, 1], [0, 1, 2, 2, 0]
    result = changes.layer_trajectories(np.log(probs), [0, 1, 0, 0, 0], standard, new, labels, reference=2)
    assert result["n_corrected"] == 2
    assert result["gold_rise_mean"] == pytest.approx(0.15) and result["gold_rise_sd"] == pytest.approx(np.sqrt(0.005))
    assert result["reference_change_mean"] == pytest.approx(-0.15)
    assert result["reference_final_mean"] == pytest.approx(0.45)
    none = changes.layer_trajectories(np.log(probs), [0] * 5, standard, standard, labels, reference=2)
    assert none["n_corrected"] == 0 and np.isnan(none["gold_rise_mean"])


def test_per_class_changes_agree_with_per_class_metrics():
    standard, new, labels = np.array([0, 1, 1, 2]), np.array([0, 0, 1, 2]), np.array([0, 0, 1, 1])
    table = changes.per_class_changes(standard, new, labels, ["a", "b", "c"])
    assert table.precision_lle.tolist() == [1.0, 1.0, 0.0] and table.recall_lle.tolist() == [1.0, 0.5, 0.0]
    assert per_class_metrics(standard, labels, 3)["support"].tolist() == [2, 2, 0]
    with pytest.raises(ValueError, match="equal-length"):
        changes.flip_counts([0, 1], [0], [0, 1])
    none_changed = changes.polarity_statistics(
        [0, 1], [0, 1], [0, 1], ["joy", "anger"], {"joy": "positive", "anger": "negative"}
    )
    assert none_changed["n_emotion_changes"] == 0 and none_changed["share_kept"] is None
