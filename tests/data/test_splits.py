"""The paper's datasets: counts, labels, checksums, and their derivation from the canonical sources."""

import re
import shutil

import numpy as np
import pytest

from lle import data


@pytest.mark.parametrize("name", sorted(data.DATASETS))
@pytest.mark.parametrize("split", data.SPLITS)
def test_released_split_counts_and_label_names(data_dir, name, split):
    dataset = data.load_dataset(name, split, data_dir=data_dir)
    spec = data.DATASETS[name]
    assert dataset.num_rows == spec.counts[split]
    assert dataset.column_names == ["text", "label"]
    assert dataset.features["label"].names == list(spec.label_names)
    labels = np.asarray(dataset["label"])
    assert labels.min() >= 0 and labels.max() < len(spec.label_names)
    assert all(isinstance(t, str) and t for t in dataset["text"][:50])


def test_label_names_match_the_released_emotions_file(data_dir):
    assert (data_dir / "lle-paper" / "emotions.txt").read_text().split() == data.GOEMOTIONS_LABELS


@pytest.mark.parametrize("split", data.SPLITS)
def test_goemotions_single_label_derivation_reproduces_the_release_exactly(data_dir, split):
    multilabel = data.read_goemotions_multilabel(split, data_dir=data_dir)
    assert len(multilabel) == {"train": 43410, "validation": 5426, "test": 5427}[split]
    derived = data.single_label_goemotions(multilabel)
    released = data.read_released_split("goemotions", split, data_dir=data_dir)
    assert derived["text"].tolist() == released["text"].tolist()
    assert derived["label"].tolist() == released["label"].tolist()


def _anonymize(text):
    """SuperTweetEval's anonymization of user handles, plus whitespace normalization."""
    return re.sub(r"\s+", " ", re.sub(r"@\S+", "@user", text.replace("\xa0", " "))).strip()


@pytest.mark.parametrize("split", data.SPLITS)
def test_tweet_emotion_derivation_reproduces_labels_and_the_no_emotion_quirk(data_dir, split):
    derived = data.single_label_tweet_emotion(data.read_semeval_ec(split, data_dir=data_dir))
    released = data.read_released_split("tweet_emotion", split, data_dir=data_dir)
    assert derived["label"].tolist() == released["label"].tolist()
    # tweets with no emotion at all are labelled 0 (anger) in the release
    assert derived["no_emotion"].sum() == data.TWEET_EMOTION_NO_EMOTION_COUNTS[split]
    assert (released["label"].to_numpy()[derived["no_emotion"].to_numpy()] == 0).all()
    # texts differ only by the anonymization of user handles in the released (SuperTweetEval) copy
    assert [_anonymize(t) for t in derived["text"]] == [_anonymize(t) for t in released["text"]]
    np.testing.assert_array_equal(data.tweet_emotion_no_emotion_mask(split, data_dir=data_dir), derived["no_emotion"])


def test_tweet_emotion_train_anger_count_includes_the_quirk(data_dir):
    labels = np.asarray(data.load_dataset("tweet_emotion", "train", data_dir=data_dir)["label"])
    assert (labels == 0).sum() == 2748  # 2,544 true anger + 204 with no emotion
    assert (labels == 10).sum() == 0  # trust never occurs in train


def test_first_positive_label_rule():
    multi_hot = np.array([[0, 1, 1], [0, 0, 0], [1, 0, 0], [0, 0, 1]])
    np.testing.assert_array_equal(data.first_positive_label(multi_hot), [1, 0, 0, 2])


def test_multilabel_goemotions_dataset(data_dir):
    dataset = data.goemotions_multilabel_dataset("validation", data_dir=data_dir)
    assert dataset.num_rows == 5426
    assert dataset.features["labels"].feature.names == data.GOEMOTIONS_LABELS
    assert sum(len(labels) > 1 for labels in dataset["labels"]) == 5426 - 4548


def test_every_file_passes_its_checksum(data_dir):
    for relative in data.CHECKSUMS:
        data.verify_checksum(data_dir / relative, relative)


def _copy_release(data_dir, tmp_path):
    target = tmp_path / "data"
    shutil.copytree(data_dir / "lle-paper", target / "lle-paper")
    for path in (target / "lle-paper").iterdir():
        path.chmod(0o644)
    return target


def test_checksum_mismatch_is_an_error(data_dir, tmp_path):
    copy = _copy_release(data_dir, tmp_path)
    with open(copy / "lle-paper" / "tweet_hate_val.csv", "a") as handle:
        handle.write("extra row,7\n")
    with pytest.raises(ValueError, match="checksum mismatch.*sha256sum -c"):
        data.load_dataset("tweet_hate", "validation", data_dir=copy)


def test_data_dir_from_environment(data_dir, tmp_path, monkeypatch):
    copy = _copy_release(data_dir, tmp_path)
    monkeypatch.setenv("LLE_DATA_DIR", str(copy))
    assert data.find_file("lle-paper/tweet_hate_test.csv") == copy / "lle-paper" / "tweet_hate_test.csv"


def test_missing_files_say_where_to_put_them(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(FileNotFoundError, match=r"looked in: .*LLE_DATA_DIR.*04mayukh/contrastive-classification"):
        data.load_dataset("goemotions", "test", data_dir=tmp_path)


@pytest.mark.parametrize(
    "name, split, message",
    [
        ("goemotion", "test", "unknown dataset"),
        ("goemotions", "val", "unknown split.*'val'"),
        ("goemotions", "dev", "unknown split"),
    ],
)
def test_unknown_dataset_or_split(name, split, message):
    with pytest.raises(ValueError, match=message):
        data.load_dataset(name, split)


def test_unknown_source():
    with pytest.raises(ValueError, match="source must be"):
        data.load_dataset("goemotions", "test", source="web")


def test_hub_source_runs_the_same_derivations(monkeypatch):
    """Online users get the splits from the Hub; here the Hub is stubbed with the public schemas."""
    import datasets

    hub = {
        ("go_emotions", "simplified"): {"text": ["a", "b", "c"], "labels": [[1], [2, 3], [27]], "id": ["x", "y", "z"]},
        ("cardiffnlp/super_tweeteval", "tweet_emotion"): {
            "text": ["a", "b"],
            "gold_label_list": [[0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0], [0] * 11],
        },
        ("cardiffnlp/super_tweeteval", "tweet_hate"): {"text": ["a"], "gold_label": [7]},
    }
    monkeypatch.setattr(datasets, "load_dataset", lambda path, name, split: datasets.Dataset.from_dict(hub[path, name]))
    goemotions = data.load_dataset("goemotions", "test", source="hub")
    assert goemotions["text"] == ["a", "c"] and goemotions["label"] == [1, 27]
    assert data.load_dataset("tweet_emotion", "test", source="hub")["label"] == [1, 0]  # none -> anger
    assert data.load_dataset("tweet_hate", "test", source="hub")["label"] == [7]
