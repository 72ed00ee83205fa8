"""A user's own dataset files (lle.data.files): every standard form read as written, and what is only worth a
warning (few-shot label sets, a class missing from train, leakage) reported as such."""

from pathlib import Path

import pytest
from own_data import GOOD, own_dataset


@pytest.mark.parametrize(
    "kind, text, expected",
    [
        # TSV has no quoting of its own: a quote is a literal character, even one that opens a field.
        (
            "tsv",
            "text\tlabel\n" + '"i am so sad\tsad\n' + 'so "happy" text\thappy\n' + "fine\tsad\n",
            ['"i am so sad', 'so "happy" text', "fine"],
        ),
        ("tsv", "text\tlabel\n" + '"i am so sad\tsad\n' + 'so happy"\thappy\n', ['"i am so sad', 'so happy"']),
        # RFC 4180: a quoted field may hold line breaks, blank lines and the delimiter.
        (
            "csv",
            'text,label\n"first line\n\nsecond, with a comma",sad\n"she said ""hi""",happy\n',
            ["first line\n\nsecond, with a comma", 'she said "hi"'],
        ),
    ],
)
def test_valid_standard_files_are_read_as_written(tmp_path, kind, text, expected):
    from lle.data.files import read_delimited

    path = tmp_path / f"data.{kind}"
    path.write_text(text)
    assert read_delimited(path, kind).text.tolist() == expected


def test_a_few_shot_label_set_is_accepted_with_a_warning_and_padded_indices_are_one_class(tmp_path):
    few = "text,label\n" + "".join(f"a text about topic {i} here,topic{i}\n" for i in range(24))
    dataset = own_dataset(tmp_path, {"train": few, "validation": few, "test": few})
    warnings = dataset.validate()
    assert len(dataset.label_names) == 24 and any("a few-shot set" in w for w in warnings)
    padded = "text,label\n" + "".join(f"text {i}, {i % 2}\n" for i in range(10))  # " 0" and " 1" everywhere
    (tmp_path / "padded").mkdir()
    dataset = own_dataset(tmp_path / "padded", {"train": padded, "validation": padded, "test": padded})
    assert dataset.label_names == ("0", "1") and dataset.texts_and_labels("test")[1].tolist() == [0, 1] * 5


def test_a_stray_nul_byte_in_utf8_text_is_named_as_such(tmp_path):
    from lle.data.files import DataFileError, decode_text

    path = tmp_path / "train.csv"
    path.write_bytes(b"text,label\nso happy,happy\nso\x00 sad,sad\n" + b"fine,happy\n" * 20)
    with pytest.raises(DataFileError, match=r"holds 1 NUL byte\(s\) \(the first on line 3\) in otherwise UTF-8 text"):
        decode_text(path)


def test_utf8_and_utf16_byte_order_marks_are_read():
    import tempfile

    for encoding in ("utf-8-sig", "utf-16"):
        with tempfile.TemporaryDirectory() as folder:
            dataset = own_dataset(Path(folder), {"train": GOOD["train"].encode(encoding)})
            assert not [w for w in dataset.validate() if "train.csv" in w and "occur" not in w]
            assert dataset.label_names == ("angry", "happy", "sad")
            assert dataset.texts_and_labels("train")[0][0] == "i am so happy text"


def test_quoted_multiline_texts_and_quoted_delimiters_are_kept(tmp_path):
    """A legal quoted field may hold the delimiter and a line break; it is one text, never rows merged."""
    train = GOOD["train"] + '"i am, so happy\nand glad",happy\n'
    texts, labels = own_dataset(tmp_path, {"train": train}).texts_and_labels("train")
    assert len(texts) == 13 and texts[-1] == "i am, so happy\nand glad" and labels[-1] == 1


def test_a_class_missing_from_train_is_a_warning(tmp_path):
    rows = "text,label\n" + "a,0\nb,2\nc,0\nd,2\n"
    dataset = own_dataset(tmp_path, {split: rows for split in ("train", "validation", "test")})
    warnings = dataset.validate()
    assert "classes [1] have no training example" in warnings[0] and dataset.label_names == ("0", "1", "2")
    assert [w for w in warnings[1:] if "also occur in the training split" in w] == warnings[1:]


def test_leakage_conflicting_labels_and_boolean_labels_are_reported(tmp_path):
    train = "text,label\n" + "".join(f"text {i},{'yes' if i % 2 else 'no'}\n" for i in range(10)) + "text 1,no\n"
    test = "text,label\n" + "text 3,yes\nnew text,no\n"
    warnings = own_dataset(tmp_path, {"train": train, "validation": test, "test": test}).validate()
    assert any("test.csv: 1 of its 2 texts also occur in the training split" in w for w in warnings)
    assert any("train.csv: 1 texts occur with different labels" in w for w in warnings)
    jsonl = "".join(f'{{"text": "t{i}", "label": {"true" if i % 2 else "false"}}}\n' for i in range(6))
    dataset = own_dataset(
        tmp_path / "b" if (tmp_path / "b").mkdir() is None else None,
        {s: (".jsonl", jsonl) for s in ("train", "validation", "test")},
    )
    assert dataset.label_names == ("false", "true")
