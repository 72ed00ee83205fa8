"""The authors' preprocessing runs offline and does what their pipeline does."""

from unittest import mock

import pytest

from lle.data.preprocess import TextPreprocessor


@pytest.fixture(scope="module")
def preprocessor(data_dir):
    with mock.patch("urllib.request.urlretrieve", side_effect=AssertionError("tried to download")):
        processor = TextPreprocessor(data_dir=data_dir, force_offline_statistics=True)
        processor("warm up #start")  # builds ekphrasis' TextPreProcessor inside the no-download guard
    return processor


def test_slang_is_expanded(preprocessor):
    assert preprocessor.expand_slang("afaik it works ASAP") == "As Far As I Know it works As Soon As Possible"


def test_emojis_become_words(preprocessor):
    assert preprocessor.demojize("so good 😀").split() == ["so", "good", "grinning", "face"]


def test_social_normalization(preprocessor):
    out = preprocessor("@john LOL see http://example.com #bestdayever 100 times!!!").split()
    assert out[0] == "<user>"
    assert "<url>" in out and "<number>" in out
    assert out[out.index("<hashtag>") + 1 : out.index("</hashtag>")] == ["best", "day", "ever"]
    assert "laughing" in out  # LOL expanded by slang first
    assert all(token == token.lower() for token in out)


def test_steps_can_be_switched_off(data_dir):
    raw = "AFAIK 😀 #HappyDay"
    assert TextPreprocessor(slang=False, emojis=False, social=False, data_dir=data_dir)(raw) == raw
    assert TextPreprocessor(emojis=False, social=False, data_dir=data_dir)(raw).startswith("As Far As I Know")
    assert TextPreprocessor(slang=False, emojis=False, social=False).describe() == "none"


def test_lists_are_processed_in_order(preprocessor):
    assert preprocessor(["a #b", "c"]) == [preprocessor("a #b"), preprocessor("c")]


def test_description_records_the_statistics_used(preprocessor):
    assert preprocessor.describe() == "slang+demojize+ekphrasis+wordsegment-stats"
