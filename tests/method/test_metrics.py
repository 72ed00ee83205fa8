"""Metrics (lle.method.metrics) against scikit-learn, and the SuperTweetEval hate score against its definition."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score

import lle
from lle.method.metrics import supertweeteval_hate_score


def test_supertweeteval_score_matches_its_definition():
    rng = np.random.default_rng(0)
    labels, predictions = rng.integers(0, 8, 500), rng.integers(0, 8, 500)
    binary = f1_score(labels != 7, predictions != 7, average="macro")
    micro = f1_score(labels, predictions, labels=list(range(7)), average="micro")
    assert supertweeteval_hate_score(labels, predictions) == pytest.approx((binary + micro) / 2)


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 60), st.integers(2, 7), st.integers(1, 4), st.data())
def test_metrics_match_sklearn(n, n_classes, n_rows, data):
    labels = np.asarray(data.draw(st.lists(st.integers(0, n_classes - 1), min_size=n, max_size=n)))
    predictions = np.asarray(
        data.draw(
            st.lists(st.lists(st.integers(0, n_classes - 1), min_size=n, max_size=n), min_size=n_rows, max_size=n_rows)
        )
    )
    metrics = lle.classification_metrics(predictions, labels, n_classes)
    for i, predicted in enumerate(predictions):
        kw = dict(average="macro", zero_division=0)
        assert metrics["macro_f1"][i] == pytest.approx(f1_score(labels, predicted, **kw), abs=1e-12)
        assert metrics["macro_precision"][i] == pytest.approx(precision_score(labels, predicted, **kw), abs=1e-12)
        assert metrics["macro_recall"][i] == pytest.approx(recall_score(labels, predicted, **kw), abs=1e-12)
        assert metrics["accuracy"][i] == pytest.approx(accuracy_score(labels, predicted), abs=1e-12)


def test_per_class_metrics_refuses_several_prediction_vectors_by_name():
    import numpy as np
    import pytest

    from lle.method.metrics import per_class_metrics

    with pytest.raises(ValueError, match=r"^per_class_metrics takes one prediction vector \(n_samples,\)$"):
        per_class_metrics(np.zeros((2, 3), dtype=int), [0, 1, 0], 2)
