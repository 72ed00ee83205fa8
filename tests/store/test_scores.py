"""The per-layer score cache (lle.store.scores): loading pairs and its errors."""

import numpy as np
import pytest

from lle.integrity import CacheMismatchError
from lle.store.scores import load_layer_scores, load_pairs, save_layer_scores, score_path


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


LABELS = np.array([i % 3 for i in range(40)])


def test_cache_round_trip_and_refusals(tmp_path):
    logits = np.random.default_rng(0).normal(size=(10, 4, 3)).astype(np.float32)
    scores = logits - np.log(np.exp(logits).sum(-1, keepdims=True))  # per-layer log-probabilities
    path = score_path("tiny-bert", "tweet_hate", "validation", tmp_path)
    save_layer_scores(path, scores, LABELS[:10], {"model_id": "tiny-bert", "dataset": "tweet_hate", "seed": 0})
    loaded = load_layer_scores(path, model_id="tiny-bert", dataset="tweet_hate")
    np.testing.assert_array_equal(loaded.log_probs, scores)
    np.testing.assert_array_equal(loaded.labels, LABELS[:10])
    assert loaded.log_probs.dtype == np.float32 and loaded.labels.dtype == np.int64
    assert loaded.provenance["n_layers"] == 4 and loaded.provenance["package_version"]

    with pytest.raises(CacheMismatchError, match="made with model_id='tiny-bert', expected 'other'"):
        load_layer_scores(path, model_id="other")
    path.write_bytes(path.read_bytes()[:-10])  # truncate: corrupt
    with pytest.raises(CacheMismatchError, match="corrupt"):
        load_layer_scores(path)
    with pytest.raises(FileNotFoundError, match="missing; rerun the lle run command that made it .*recomputes"):
        load_layer_scores(tmp_path / "nothing.npz")
    with pytest.raises(ValueError, match="non-finite"):
        save_layer_scores(path, np.full((2, 3, 4), np.nan), np.zeros(2), {})


def test_git_commit_is_dirty_only_for_code_changes(tmp_path, monkeypatch):
    import subprocess

    from lle.store import scores

    def git(*args):
        subprocess.run(
            ["git", "-c", "user.email=t@t", "-c", "user.name=t", *args], cwd=tmp_path, check=True, capture_output=True
        )

    (tmp_path / "lle").mkdir()
    (tmp_path / "lle" / "core.py").write_text("x = 1\n")
    (tmp_path / "notebook.ipynb").write_text("{}\n")
    git("init", "-q")
    git("add", ".")
    git("commit", "-qm", "init")
    monkeypatch.setattr(scores, "REPO_ROOT", tmp_path)
    clean = scores.git_commit()
    assert len(clean) == 40
    (tmp_path / "notebook.ipynb").write_text('{"cells": []}\n')
    assert scores.git_commit() == clean
    (tmp_path / "lle" / "core.py").write_text("x = 2\n")
    assert scores.git_commit() == clean + "-dirty"
