"""Your own dataset: one CSV, TSV or JSON Lines file per split with a text column and a label column.

Labels may be names or integers. Names become a ``ClassLabel`` built from the training split (sorted); integers
are class indices 0..K−1 with K from the training split. A label in validation or test that train does not have
is an error naming it, never a silent new class. Nothing here needs the network.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from lle.integrity import sha256_file

SPLITS = ("train", "validation", "test")
FORMATS = {".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl", ".json": "jsonl"}


@dataclass(frozen=True)
class FileDataset:
    name: str
    files: dict = field(default_factory=dict)  # split -> path
    text_column: str = "text"
    label_column: str = "label"
    max_length: int | None = None  # None: chosen from the tokenized training split by the pipeline

    def __post_init__(self):
        missing = [split for split in SPLITS if split not in self.files]
        if missing:
            raise ValueError(f"dataset {self.name!r} needs a file for every split; missing {missing}")
        for split, path in self.files.items():
            if Path(path).suffix.lower() not in FORMATS:
                raise ValueError(f"{split} file {path} has an unknown format; use .csv, .tsv or .jsonl")
            if not Path(path).is_file():
                raise FileNotFoundError(f"{split} file {path} does not exist; pass the path of your {split} split")

    def frame(self, split: str) -> pd.DataFrame:
        path = Path(self.files[split])
        kind = FORMATS[path.suffix.lower()]
        if kind == "jsonl":
            try:
                frame = pd.DataFrame([json.loads(line) for line in path.read_text().splitlines() if line.strip()])
            except json.JSONDecodeError as error:
                raise ValueError(f"{path} is not JSON Lines ({error}); write one JSON object per line") from None
        else:
            frame = pd.read_csv(path, sep="\t" if kind == "tsv" else ",", dtype=str, keep_default_na=False)
        missing = [c for c in (self.text_column, self.label_column) if c not in frame.columns]
        if missing:
            raise ValueError(f"{path} has no column {missing} (it has {list(frame.columns)}); name the right ones "
                             "with --text-column / --label-column")
        if frame.empty:
            raise ValueError(f"{path} ({split}) has no rows; every split needs at least one example")
        return frame

    @cached_property
    def _label_kind(self):
        labels = self.frame("train")[self.label_column].astype(str)
        if labels.str.fullmatch(r"\d+").all():
            return "index", [str(i) for i in range(int(labels.astype(int).max()) + 1)]
        return "name", sorted(labels.unique())

    @property
    def label_names(self) -> tuple[str, ...]:
        return tuple(self._label_kind[1])

    def texts_and_labels(self, split: str) -> tuple[list[str], np.ndarray]:
        frame = self.frame(split)
        kind, names = self._label_kind
        raw = frame[self.label_column].astype(str)
        unknown = sorted(set(raw) - set(names))
        if unknown:
            raise ValueError(f"{self.files[split]} ({split}) has labels {unknown[:5]} that the training split does not "
                             f"have (known: {names[:10]}{'...' if len(names) > 10 else ''}); fix the labels or add "
                             "training examples of them")
        index = {name: i for i, name in enumerate(names)}
        return frame[self.text_column].astype(str).tolist(), np.array([index[v] for v in raw], dtype=np.int64)

    def load(self, split: str, *, data_dir=None):
        """The split as a ``datasets.Dataset`` (``text``, ``label`` as ClassLabel), like the paper's datasets."""
        if data_dir is not None:
            raise ValueError(f"data_dir does not apply to {self.name!r}, whose files are given directly")
        import datasets

        texts, labels = self.texts_and_labels(split)
        features = datasets.Features({"text": datasets.Value("string"),
                                      "label": datasets.ClassLabel(names=list(self.label_names))})
        return datasets.Dataset.from_dict({"text": texts, "label": labels.tolist()}, features=features)

    def checksum(self, split: str) -> str:
        return sha256_file(self.files[split])
