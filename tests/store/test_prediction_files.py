"""Stored predictions (lle.store.prediction_files): written with their checksum, read back exactly, refused when
changed, listed by run and dataset."""

import numpy as np
import pytest

from lle.integrity import CacheMismatchError
from lle.store.prediction_files import load_predictions, predictions_path, save_predictions, stored_pairs


def test_predictions_round_trip_with_their_record_and_are_listed(tmp_path):
    path = predictions_path(tmp_path, "run-a", "tweet_hate")
    arrays = {"labels": np.array([0, 1, 2]), "standard": np.array([0, 1, 1]), "validation.dynamic": [0, 2, 2]}
    save_predictions(path, arrays, {"run": "run-a", "scores_sha256": {"test": "abc"}})
    loaded, record = load_predictions(path)
    assert sorted(loaded) == sorted(arrays) and all(loaded[k].dtype == np.int64 for k in loaded)
    np.testing.assert_array_equal(loaded["validation.dynamic"], [0, 2, 2])
    assert record["run"] == "run-a" and record["arrays"] == sorted(arrays) and len(record["file_sha256"]) == 64
    first = path.read_bytes()
    save_predictions(path, arrays, {"run": "run-a", "scores_sha256": {"test": "abc"}})
    assert path.read_bytes() == first  # the same predictions give the same bytes
    (tmp_path / "predictions" / "run-a" / ".tmp.npz").write_bytes(b"")  # a writer's temporary file: never listed
    assert stored_pairs(tmp_path) == [("run-a", "tweet_hate")]


def test_predictions_of_unequal_lengths_are_refused_and_a_changed_file_is_named(tmp_path):
    path = predictions_path(tmp_path, "run-a", "goemotions")
    with pytest.raises(ValueError, match="1-d arrays of one length"):
        save_predictions(path, {"labels": [0, 1], "standard": [0]}, {})
    save_predictions(path, {"labels": [0, 1], "standard": [1, 1]}, {})
    sidecar = path.with_suffix(".json")
    sidecar.write_text(sidecar.read_text().replace('"standard"', '"other"'))
    with pytest.raises(CacheMismatchError, match="its sidecar names"):
        load_predictions(path)
    sidecar.write_text("{not json")
    with pytest.raises(CacheMismatchError, match="not valid JSON"):
        load_predictions(path)
    path.unlink()
    with pytest.raises(FileNotFoundError, match="is missing"):
        load_predictions(path)
