"""The per-layer score cache (lle.store.scores): loading pairs and its errors."""

import pytest

from lle.store.scores import load_pairs


def test_missing_pairs_and_splits_are_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no cached scores for runs") as raised:
        load_pairs(runs=["no-such-run"])
    assert "git checkout" not in str(raised.value)  # a run that was never cached cannot be restored
    with pytest.raises(FileNotFoundError, match=r"no cached scores for datasets \['sst2'\].*the runs .* have "):
        load_pairs(runs=["all-MiniLM-L6-v2-finetuned"], datasets=["sst2"])
    with pytest.raises(FileNotFoundError, match=r"did you mean tweet_hate for tweet_hat\?"):
        load_pairs(runs=["all-MiniLM-L6-v2-finetuned"], datasets=["tweet_hat"])
    with pytest.raises(FileNotFoundError, match=r"did you mean all-MiniLM-L6-v2-finetuned for all-MiniLM-L6-finetuned"):
        load_pairs(runs=["all-MiniLM-L6-finetuned"])
