"""Your own dataset: one CSV, TSV or JSON Lines file per split with a text column and a label column, or a split of
a Hugging Face Hub dataset written ``hub:<dataset id>[@<config>]:<split>`` (e.g. ``hub:stanfordnlp/sst2:train``).

Labels may be names or integers. Names become a ``ClassLabel`` built from the training split (sorted); integers
are class indices 0..K−1 with K from the training split. A label in validation or test that train does not have
is an error naming it, never a silent new class. Only Hub sources need the network; offline they fail at once.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from lle import network
from lle.integrity import sha256_file

SPLITS = ("train", "validation", "test")
FORMATS = {".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl", ".json": "jsonl"}


class DataFileError(ValueError):
    """A data file that cannot be read as the user meant it; the message names the file (and line) and the fix."""


DELIMITERS = {"csv": ",", "tsv": "\t"}
_DELIMITER_NAMES = {",": "commas", "\t": "tabs", ";": "semicolons", "|": "pipes"}


def decode_text(path: Path) -> str:
    """The file's text: UTF-8 (a byte-order mark is removed) or UTF-16 with its byte-order mark; anything else is an
    error naming the line of the first byte that is not UTF-8."""
    raw = Path(path).read_bytes()
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16")
    if b"\x00" in raw:
        line = raw[: raw.index(b"\x00")].count(b"\n") + 1
        count = raw.count(b"\x00")
        if count * 100 < len(raw) and _is_utf8(raw.replace(b"\x00", b"")):  # a stray NUL in UTF-8 text
            raise DataFileError(
                f"{path} holds {count} NUL byte(s) (the first on line {line}) in otherwise UTF-8 "
                f"text; remove them, e.g. tr -d '\\000' < {Path(path).name} > clean{Path(path).suffix}"
            )
        raise DataFileError(
            f"{path} holds a NUL byte on line {line}: it is binary, or UTF-16 without a byte-order "
            "mark; save it as UTF-8 text (CSV, TSV or JSON Lines)"
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise DataFileError(
            f"{path} is not UTF-8: byte {raw[error.start]:#04x} on line {line} cannot be decoded; save "
            "it as UTF-8 (e.g. iconv -f cp1252 -t utf-8 old.csv > new.csv, or choose UTF-8 when "
            "exporting from a spreadsheet)"
        ) from None


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return False
    return True


def read_delimited(path: Path, kind: str) -> pd.DataFrame:
    """A CSV or TSV file as strings, checked: the header uses the delimiter the file name promises, every row has
    the header's number of fields, and no quote swallows the rows after it. Blank lines are skipped; a row of
    empty fields is an error (it would become an empty label)."""
    text = decode_text(path)
    delimiter = DELIMITERS[kind]
    lines = text.splitlines()
    header_line = next((line for line in lines if line.strip()), "")
    if not header_line:
        raise DataFileError(f"{path} is empty; write a header line (e.g. text{delimiter}label) and one row per example")
    if delimiter not in header_line:
        found = [name for sep, name in _DELIMITER_NAMES.items() if sep != delimiter and sep in header_line]
        hint = (
            (
                f"its header is separated by {found[0]}: rename it to .{'tsv' if found[0] == 'tabs' else 'csv'} "
                "if that is its format, or re-save it with " + _DELIMITER_NAMES[delimiter]
            )
            if found
            else f"write a header naming the text and label columns, separated by {_DELIMITER_NAMES[delimiter]}"
        )
        raise DataFileError(
            f"{path}: the header line {header_line[:80]!r} has no {_DELIMITER_NAMES[delimiter]}, so "
            f"the file has one column; {hint}"
        )
    try:
        rows = _records(text, delimiter, csv.QUOTE_MINIMAL)
    except csv.Error as error:
        literal = _literal_rows(text, delimiter) if kind == "tsv" else None
        if literal is None:
            raise DataFileError(
                f"{path} line {error.args[1]}: the row starting here cannot be read ({error.args[0]}): "
                'a quote (") opened in it is not closed where its field ends; escape a quote inside '
                'a field by doubling it ("") or remove the stray quote'
            ) from None
        rows = literal  # a TSV whose quotes are literal characters (TSV has no quoting of its own)
    header = rows[0][1]
    _check_header(path, header)
    width = len(header)
    multiline = any("\n" in field for _, row in rows for field in row)
    if kind == "tsv" and multiline:
        rows = _literal_rows(text, delimiter) or rows  # a quote that opened a field was a literal character
    # A field spanning lines is rows merged by a stray quote only when every physical line is a whole row;
    # otherwise it is a quoted field that holds line breaks, as RFC 4180 allows. Decided once for the file.
    stray_quote_possible = multiline and _every_line_is_a_row(text, delimiter, width)
    data, empty = [], []
    for start, row in rows[1:]:
        if len(row) != width:
            raise DataFileError(
                f"{path} line {start}: {len(row)} fields, but the header has {width} ({header}); quote "
                f"fields that contain {_DELIMITER_NAMES[delimiter]}, or remove the extra ones"
            )
        if all(not field.strip() for field in row):
            empty.append(start)
            continue
        if stray_quote_possible:
            _check_swallowed_rows(path, start, row, delimiter, width)
        data.append(row)
    if empty:
        raise DataFileError(
            f"{path} has rows with every field empty on line(s) {_lines(empty)} (often trailing "
            "delimiters left by a spreadsheet); delete those rows"
        )
    frame = pd.DataFrame(data, columns=header, dtype=str)
    frame.attrs["lines"] = [start for start, row in rows[1:] if any(field.strip() for field in row)]
    return frame


def _records(text: str, delimiter: str, quoting: int) -> list[tuple[int, list[str]]]:
    """(first line, fields) of every non-blank row; a row that cannot be read raises ``csv.Error(message, line)``."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True, quoting=quoting)
    rows, previous_end = [], 0
    try:
        for row in reader:
            if row:  # blank lines are not rows
                rows.append((previous_end + 1, row))
            previous_end = reader.line_num
    except csv.Error as error:
        raise csv.Error(str(error), previous_end + 1) from None
    return rows


def _literal_rows(text: str, delimiter: str):
    """The rows read with quotes as plain characters, if every line then has the header's number of fields."""
    rows = _records(text, delimiter, csv.QUOTE_NONE)
    return rows if rows and all(len(row) == len(rows[0][1]) for _, row in rows) else None


def _every_line_is_a_row(text: str, delimiter: str, width: int) -> bool:
    """Whether every non-blank physical line splits into ``width`` fields: then a field spanning lines can only be
    rows merged by a stray quote; otherwise it is a quoted field that holds line breaks, as RFC 4180 allows."""
    lines = [line for line in text.splitlines() if line.strip()]
    return all(len(next(csv.reader([line], delimiter=delimiter, quoting=csv.QUOTE_NONE))) == width for line in lines)


def _check_header(path: Path, header: list[str]) -> None:
    duplicates = sorted({name for name in header if header.count(name) > 1})
    if duplicates:
        raise DataFileError(
            f"{path}: the header names columns {duplicates} more than once; give each column its own name"
        )


def _check_swallowed_rows(path: Path, start: int, row: list[str], delimiter: str, width: int) -> None:
    """A field that spans lines, one of which splits into a whole row, is rows merged by an unmatched quote."""
    for cell in row:
        inner = cell.split("\n")[1:]
        if any(line.count(delimiter) >= width - 1 for line in inner):
            end = start + cell.count("\n")
            raise DataFileError(
                f'{path} line {start}: a quote (") opened in this row closes only on line {end} or '
                f"later, so the rows in between were read as part of one field; escape a quote "
                'inside a field by doubling it ("") or remove the stray quote'
            )


def _lines(numbers: list[int]) -> str:
    shown = ", ".join(str(n) for n in numbers[:8])
    return shown + (f" and {len(numbers) - 8} more" if len(numbers) > 8 else "")


def read_jsonl(path: Path) -> pd.DataFrame:
    """A JSON Lines file: one JSON object per non-blank line; its line numbers kept for messages."""
    records, lines = [], []
    text = decode_text(path)
    if text.lstrip().startswith("[") and _is_json_array(text):
        raise DataFileError(
            f"{path} is one JSON array, not JSON Lines; write one object per line (e.g. with pandas: "
            "frame.to_json(path, orient='records', lines=True)) and name the file .jsonl"
        )
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise DataFileError(
                f"{path} line {number} is not JSON ({error.msg}); write one JSON object per line, "
                'e.g. {"text": "...", "label": "joy"}'
            ) from None
        if not isinstance(record, dict):
            raise DataFileError(
                f"{path} line {number} is a JSON {type(record).__name__}, not an object; write one "
                'object per line, e.g. {"text": "...", "label": "joy"}'
            )
        records.append(record)
        lines.append(number)
    frame = pd.DataFrame(records)
    frame.attrs["lines"] = lines
    return frame


def _is_json_array(text: str) -> bool:
    try:
        return isinstance(json.loads(text), list)
    except json.JSONDecodeError:
        return False


@dataclass(frozen=True)
class FileDataset:
    name: str
    files: dict = field(default_factory=dict)  # split -> path
    text_column: str = "text"
    label_column: str = "label"
    max_length: int | None = None  # None: chosen from the tokenized training split by the pipeline

    def __post_init__(self):
        for name in ("text_column", "label_column"):
            if not isinstance(getattr(self, name), str) or not getattr(self, name):
                raise ValueError(f"{name} must be a column name, got {getattr(self, name)!r}")
        if self.text_column == self.label_column:
            raise ValueError(
                f"the text and label columns are both {self.text_column!r}; name two different "
                "columns (--text-column, --label-column)"
            )
        unknown = sorted(set(self.files) - set(SPLITS))
        if unknown:
            raise ValueError(f"dataset {self.name!r} has files for unknown splits {unknown}; the splits are {SPLITS}")
        missing = [split for split in SPLITS if split not in self.files]
        if missing:
            raise ValueError(f"dataset {self.name!r} needs a file for every split; missing {missing}")
        for split, path in self.files.items():
            if str(path).startswith("hub:"):
                hub_source(path)  # checks the form
                continue
            if Path(path).is_dir():
                raise FileNotFoundError(
                    f"the {split} file {path} is a folder; pass the path of the {split} split's "
                    ".csv, .tsv or .jsonl file"
                )
            if not Path(path).is_file():
                raise FileNotFoundError(f"{split} file {path} does not exist; pass the path of your {split} split")
            if Path(path).suffix.lower() not in FORMATS:
                raise ValueError(
                    f"{split} file {path} has an unknown format ({Path(path).suffix or 'no extension'}); "
                    "use .csv, .tsv or .jsonl (save a spreadsheet as CSV UTF-8)"
                )
        object.__setattr__(self, "_frames", {})

    def frame(self, split: str) -> pd.DataFrame:
        """The split's rows as read from its file (read once), with the text and label columns checked."""
        if split not in self._frames:
            source = self.files[split]
            if str(source).startswith("hub:"):
                frame = _hub_frame(source)
            else:
                path = Path(source)
                kind = FORMATS[path.suffix.lower()]
                frame = read_jsonl(path) if kind == "jsonl" else read_delimited(path, kind)
            self._frames[split] = self._checked(frame, source, split)
        return self._frames[split]

    def _checked(self, frame: pd.DataFrame, path, split: str) -> pd.DataFrame:
        missing = [c for c in (self.text_column, self.label_column) if c not in frame.columns]
        if missing:
            near = {
                c: [col for col in frame.columns if str(col).strip().casefold() == c.strip().casefold()]
                for c in missing
            }
            hint = "; ".join(f"{c!r} is written {near[c][0]!r} there" for c in missing if near[c])
            raise ValueError(
                f"{path} has no column {missing} (it has {list(frame.columns)}); "
                + (
                    f"{hint}: fix the header or pass that exact name"
                    if hint
                    else "name the right ones with --text-column / --label-column"
                )
            )
        if frame.empty:
            raise ValueError(f"{path} ({split}) has no rows; every split needs at least one example")
        lines = frame.attrs.get("lines") or list(range(2, len(frame) + 2))
        texts = frame[self.text_column]
        not_text = [line for line, value in zip(lines, texts) if not isinstance(value, str)]
        if not_text:
            raise ValueError(
                f"{path}: the text column {self.text_column!r} holds no text on line(s) "
                f"{_lines(not_text)} (null, a number or a list); give every row a text"
            )
        blank = [line for line, value in zip(lines, texts) if not value.strip()]
        if blank:
            raise ValueError(
                f"{path}: the text column {self.text_column!r} is empty on line(s) {_lines(blank)}; "
                "give every row a text, or delete those rows"
            )
        frame = frame.assign(
            **{
                self.label_column: [
                    _label_text(path, line, value, self.label_column)
                    for line, value in zip(lines, frame[self.label_column])
                ]
            }
        )
        return frame

    @cached_property
    def _label_kind(self):
        train = self.frame("train")
        return label_classes(
            train[self.label_column].tolist(), self.files["train"], texts=train[self.text_column].tolist()
        )

    @property
    def label_names(self) -> tuple[str, ...]:
        return tuple(self._label_kind[1])

    def validate(self) -> list[str]:
        """Read and check every split now (a bad file fails before any model is loaded); returns warnings about
        legal but suspicious data, to be shown to the user."""
        loaded = {split: self.texts_and_labels(split) for split in SPLITS}
        return list(self._label_kind[2]) + overlap_warnings(loaded, self.files)

    def texts_and_labels(self, split: str) -> tuple[list[str], np.ndarray]:
        frame = self.frame(split)
        kind, names, _ = self._label_kind
        raw = frame[self.label_column]
        if kind == "index":  # " 1" and "1" are the same class index; padding is not a distinct class
            raw = raw.map(lambda v: str(int(v.strip())) if re.fullmatch(r"\s*[+-]?\d+\s*", v) else v)
        unknown = sorted(set(raw) - set(names))
        if unknown:
            folded = {name.strip().casefold(): name for name in names}
            near = [
                f"{u!r} (train writes {folded[u.strip().casefold()]!r})"
                for u in unknown
                if u.strip().casefold() in folded
            ]
            hint = (
                (f"; {', '.join(near[:5])} differ only by case or spaces: write each class the same way in every split")
                if near
                else "; fix the labels or add training examples of them"
            )
            raise ValueError(
                f"{self.files[split]} ({split}) has labels {unknown[:5]} that the training split does not "
                f"have (known: {names[:10]}{'...' if len(names) > 10 else ''}){hint}"
            )
        index = {name: i for i, name in enumerate(names)}
        return frame[self.text_column].tolist(), np.array([index[v] for v in raw], dtype=np.int64)

    def load(self, split: str, *, data_dir=None):
        """The split as a ``datasets.Dataset`` (``text``, ``label`` as ClassLabel), like the paper's datasets."""
        if data_dir is not None:
            raise ValueError(f"data_dir does not apply to {self.name!r}, whose files are given directly")
        import datasets

        texts, labels = self.texts_and_labels(split)
        features = datasets.Features(
            {"text": datasets.Value("string"), "label": datasets.ClassLabel(names=list(self.label_names))}
        )
        return datasets.Dataset.from_dict({"text": texts, "label": labels.tolist()}, features=features)

    def checksum(self, split: str) -> str:
        """The file's SHA-256; for a Hub split, that of its rows as read (so a changed Hub dataset is noticed)."""
        source = self.files[split]
        if str(source).startswith("hub:"):
            import hashlib

            return hashlib.sha256(self.frame(split).to_csv(index=False).encode()).hexdigest()
        return sha256_file(source)


def overlap_warnings(loaded: dict, files: dict) -> list[str]:
    """Texts of validation or test that also occur in train (leakage), and training texts given different labels."""
    warnings = []
    train_texts, train_labels = loaded["train"]
    seen = set(train_texts)
    for split in ("validation", "test"):
        shared = sum(text in seen for text in loaded[split][0])
        if shared:
            warnings.append(
                f"{files[split]}: {shared} of its {len(loaded[split][0])} texts also occur in the training "
                f"split, so {split} scores partly measure memorisation; remove them for a clean estimate"
            )
    labels_of: dict = {}
    for text, label in zip(train_texts, train_labels):
        labels_of.setdefault(text, set()).add(int(label))
    conflicting = sum(len(labels) > 1 for labels in labels_of.values())
    if conflicting:
        warnings.append(
            f"{files['train']}: {conflicting} texts occur with different labels; a classifier cannot fit "
            "both, so check them"
        )
    return warnings


def _label_text(path, line: int, value, column: str) -> str:
    """A label as text: a string, or a whole number; anything else (null, lists, fractions, booleans) is an error."""
    if isinstance(value, str):
        if not value.strip():
            raise ValueError(
                f"{path} line {line}: the label column {column!r} is empty; give every row a label, or delete the row"
            )
        return value
    if value is None or (isinstance(value, float) and np.isnan(value)):
        raise ValueError(f"{path} line {line}: the label is missing (null); give every row a label, or delete the row")
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"  # a JSON boolean label: the class names JSON writes
    if isinstance(value, (list, dict)) or (
        isinstance(value, float) and (not np.isfinite(value) or value != int(value))
    ):
        raise ValueError(
            f"{path} line {line}: the label {value!r} is not a class; write one class per row, as a "
            "name or a whole number (multi-label rows are not supported: pick one label per row)"
        )
    return str(int(value))


def label_classes(labels: list[str], path, *, texts=None) -> tuple[str, list[str], list[str]]:
    """(kind, class names, warnings) from the training split's labels. Whole numbers are class indices 0..K−1 and
    must start at 0; names are sorted. Names that differ only by case or surrounding spaces, a single class, a mix
    of numbers and names, and numbers written as fractions are errors naming the fix."""
    distinct = sorted(set(labels))
    if len(distinct) < 2:
        raise ValueError(
            f"{path}: the training split has one class ({distinct[0]!r}); a classifier needs at least "
            "two: check --label-column, or that the file is the right one"
        )
    words = np.mean([len(label.split()) for label in distinct])
    # Swapped columns: labels as long as sentences, or labels more varied than the texts. A few-shot set (about one
    # short label per row, texts all different) is neither, and gets a warning instead.
    texts_repeat = texts is not None and len(set(texts)) < len(distinct) / 2
    about_one_per_class = len(labels) >= 20 and len(distinct) > len(labels) / 2
    if about_one_per_class and (words > 3 or texts_repeat):
        raise ValueError(
            f"{path}: the label column has {len(distinct)} different values in {len(labels)} rows, "
            f"{words:.1f} words long on average{', more varied than the texts' if texts_repeat else ''}: "
            "more like text than classes; check --label-column and --text-column (swapped?)"
        )
    groups: dict = {}
    for label in distinct:
        groups.setdefault(label.strip().casefold(), []).append(label)
    variants = [group for group in groups.values() if len(group) > 1]
    if variants:
        raise ValueError(
            f"{path}: labels {', '.join(' / '.join(map(repr, g)) for g in variants[:5])} differ only by "
            "case or spaces, so they would be separate classes; write each class one way"
        )
    numeric = [label for label in distinct if re.fullmatch(r"[+-]?\d+", label.strip())]
    if numeric and len(numeric) < len(distinct):
        names = [label for label in distinct if label not in numeric]
        raise ValueError(
            f"{path}: labels mix numbers ({numeric[:3]}) and names ({names[:3]}); write every label as "
            "a class name, or every label as a class index"
        )
    few = (
        [
            f"{path}: {len(distinct)} classes in {len(labels)} training rows ({len(labels) / len(distinct):.1f} per "
            "class): a few-shot set; the head and the selection of hyperparameters rest on very few examples"
        ]
        if about_one_per_class
        else []
    )
    if not numeric:
        fractions = [label for label in distinct if re.fullmatch(r"[+-]?\d+\.0+", label.strip())]
        if len(fractions) == len(distinct):
            raise ValueError(
                f"{path}: labels are written as fractions ({fractions[:3]}), as a spreadsheet or pandas "
                "may export integers; write them as whole numbers (0, 1, ...)"
            )
        return "name", distinct, few
    values = sorted(int(label) for label in numeric)
    if values[0] < 0:
        raise ValueError(f"{path}: label {values[0]} is negative; class indices run 0..K-1 (or write class names)")
    if values[0] != 0:
        raise ValueError(
            f"{path}: integer labels run {values[0]}..{values[-1]}, so class 0 would have no example; "
            f"class indices start at 0: subtract {values[0]} from every label in every split, or write "
            "class names"
        )
    warnings = list(few)
    absent = sorted(set(range(values[-1] + 1)) - set(values))
    if absent:
        warnings.append(
            f"{path}: classes {absent[:10]} have no training example (labels run 0..{values[-1]}); "
            "the classifier will never predict them"
        )
    if len({int(label) for label in numeric}) < len(numeric):
        raise ValueError(
            f"{path}: labels {numeric[:5]} write the same class index in different ways (e.g. 1 and 01); "
            "write each index one way"
        )
    return "index", [str(i) for i in range(values[-1] + 1)], warnings


def hub_source(text: str) -> tuple[str, str | None, str]:
    """``hub:<id>[@<config>]:<split>`` as (id, config, split)."""
    body = str(text)[len("hub:") :]
    name, _, split = body.rpartition(":")
    if not name or not split:
        raise ValueError(
            f"{text!r} is not a Hub source; write hub:<dataset id>[@<config>]:<split>, e.g. hub:stanfordnlp/sst2:train"
        )
    dataset_id, _, config = name.partition("@")
    return dataset_id, config or None, split


def _hub_frame(text: str) -> pd.DataFrame:
    dataset_id, config, split = hub_source(text)
    if not network.hub_reachable():
        raise FileNotFoundError(
            f"{text} needs the Hugging Face Hub, which cannot be reached; download the split to "
            "a CSV/TSV/JSON Lines file and pass its path instead"
        )
    import datasets

    return datasets.load_dataset(dataset_id, config, split=split).to_pandas()
