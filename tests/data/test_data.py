"""The datasets the pipeline knows (lle.data): the paper's, seen through a dataset's interface, and your own,
registered by name; a name that is neither is refused with the choices."""

import dataclasses

import pytest
from own_data import own_dataset

from lle import data


def test_a_paper_dataset_answers_like_a_dataset_of_your_own():
    source = data.dataset_source("goemotions")
    assert source.name == "goemotions" and list(source.label_names) == list(data.GOEMOTIONS_LABELS)
    assert source.max_length == data.DATASETS["goemotions"].max_length
    assert source.checksum("test") == data.CHECKSUMS[data.DATASETS["goemotions"].release_file("test")]


def test_a_paper_dataset_loads_its_verified_split(data_dir):
    split = data.dataset_source("tweet_hate").load("validation", data_dir=data_dir)
    assert len(split) > 0 and set(split.column_names) >= {"text", "label"}


def test_a_registered_dataset_is_found_by_its_name(tmp_path, monkeypatch):
    monkeypatch.setattr(data, "_REGISTERED", {})
    mine = data.register_dataset(own_dataset(tmp_path, {}))
    assert data.dataset_source("mine") is mine


def test_a_dataset_of_your_own_may_not_take_a_papers_name(tmp_path, monkeypatch):
    monkeypatch.setattr(data, "_REGISTERED", {})
    theirs = dataclasses.replace(own_dataset(tmp_path, {}), name="goemotions")
    with pytest.raises(ValueError, match="one of the paper's datasets; give yours another name"):
        data.register_dataset(theirs)
    assert data._REGISTERED == {}


def test_an_unknown_name_lists_the_choices_and_how_to_register():
    with pytest.raises(ValueError, match=r"unknown dataset 'nope'; choose one of \[.*'goemotions'.*register_dataset"):
        data.dataset_source("nope")
