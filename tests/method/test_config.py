"""A method's configuration (lle.method.config): table rows, validation, and classify's use of it."""

import numpy as np
import pandas as pd
import pytest

import lle
from lle.method.config import Config, describe_layers, parse_layers


def test_config_round_trips_through_a_table_row_and_drives_classify():
    scores = np.random.default_rng(0).normal(size=(50, 6, 3))
    config = Config("dynamic", (3, 1, 2, 2), 0.2, target_layer=8)
    assert config.candidate_layers == (1, 2, 3)
    row = config.to_row()
    assert row["candidate_layers"] == "1-3" and Config.from_row(pd.Series(row)) == config
    expected = lle.classify(scores, candidate_layers=[1, 2, 3], alpha=0.2, target_layer=8)
    np.testing.assert_array_equal(lle.classify(scores, config), expected)
    np.testing.assert_array_equal(lle.classify(scores, Config("standard")), lle.classify(scores))
    assert Config.from_row({"method": "standard", "alpha": float("nan")}) == Config("standard")


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(method="extrapolate"), "method must be one of"),
        (dict(method="standard", alpha=0.1), "takes no"),
        (dict(method="static", candidate_layers=(1,), alpha=0.1), "needs beta"),
        (dict(method="dynamic", candidate_layers=(1,), alpha=0.1, target_layer=9, beta=1.0), "not beta"),
    ],
)
def test_config_refuses_inconsistent_fields(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Config(**kwargs)


def test_classify_refuses_config_and_keywords_together_and_ignored_options():
    scores = np.zeros((2, 3, 2))
    with pytest.raises(TypeError, match="both config and"):
        lle.classify(scores, Config("standard"), alpha=0.1)
    with pytest.raises(ValueError, match="only apply to contrastive"):
        lle.classify(scores, alpha=0.5)


def test_layers_describe_and_parse():
    assert describe_layers([4, 5, 6]) == "4-6" and describe_layers([2, 5]) == "2,5"
    assert parse_layers("4-6") == [4, 5, 6] and parse_layers("2,5") == [2, 5]
    with pytest.raises(ValueError, match="first-last"):
        parse_layers("a-b")


def test_config_refusals_name_the_argument_and_an_example_of_its_kind():
    from lle import Config

    with pytest.raises(TypeError, match=r"^alpha must be a number, got '0\.1'; pass e\.g\. 0\.1$"):
        Config("static", candidate_layers=(0, 1), alpha="0.1", beta=1.0)
    with pytest.raises(TypeError, match=r"^beta must be a number, got 'x'; pass e\.g\. 1\.0$"):
        Config("static", candidate_layers=(0, 1), alpha=0.1, beta="x")
    with pytest.raises(ValueError, match=r"alpha must lie in \(0, 1\], got 0\.0"):
        Config("static", candidate_layers=(0, 1), alpha=0, beta=1.0)
    with pytest.raises(ValueError, match="argmax; use method='static' or 'dynamic' for contrastive classification$"):
        Config("standard", beta=1.0)
    with pytest.raises(TypeError, match=r"got \[0\.5, 1\.5, 2\.5\]; pass ints"):  # the first three bad ones
        Config("static", candidate_layers=(0.5, 1.5, 2.5, 3.5), alpha=0.1, beta=1.0)
