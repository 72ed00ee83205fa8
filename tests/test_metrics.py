"""Metrics (lle.metrics): the SuperTweetEval hate score against its definition."""

import numpy as np
import pytest
from sklearn.metrics import f1_score

from lle.metrics import supertweeteval_hate_score


def test_supertweeteval_score_matches_its_definition():
    rng = np.random.default_rng(0)
    labels, predictions = rng.integers(0, 8, 500), rng.integers(0, 8, 500)
    binary = f1_score(labels != 7, predictions != 7, average="macro")
    micro = f1_score(labels, predictions, labels=list(range(7)), average="micro")
    assert supertweeteval_hate_score(labels, predictions) == pytest.approx((binary + micro) / 2)
