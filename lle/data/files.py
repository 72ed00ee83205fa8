"""Your own dataset: one CSV, TSV or JSON Lines file per split with a text column and a label column, or a split of
a Hugging Face Hub dataset written ``hub:<dataset id>[@<config>]:<split>`` (e.g. ``hub:stanfordnlp/sst2:train``).

Labels may be names or integers. Names become a ``ClassLabel`` built from the training split (sorted); integers
are class indices 0..K−1 with K from the training split. A label in validation or test that train does not have
is an error naming it, never a silent new class. Only Hub sources need the network; offline they fail at once.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from lle import network
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
            if str(path).startswith("hub:"):
                hub_source(path)  # checks the form
                continue
            if Path(path).suffix.lower() not in FORMATS:
                raise ValueError(f"{split} file {path} has an unknown format; use .csv, .tsv or .jsonl")
            if not Path(path).is_file():
                raise FileNotFoundError(f"{split} file {path} does not exist; pass the path of your {split} split")

    def frame(self, split: str) -> pd.DataFrame:
        if str(self.files[split]).startswith("hub:"):
            return self._checked(_hub_frame(self.files[split]), self.files[split], split)
        path = Path(self.files[split])
        kind = FORMATS[path.suffix.lower()]
        if kind == "jsonl":
            try:
                frame = pd.DataFrame([json.loads(line) for line in path.read_text().splitlines() if line.strip()])
            except json.JSONDecodeError as error:
                raise ValueError(f"{path} is not JSON Lines ({error}); write one JSON object per line") from None
        else:
            frame = pd.read_csv(path, sep="\t" if kind == "tsv" else ",", dtype=str, keep_default_na=False)
        return self._checked(frame, path, split)

    def _checked(self, frame: pd.DataFrame, path, split: str) -> pd.DataFrame:
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
        """The file's SHA-256; for a Hub split, that of its rows as read (so a changed Hub dataset is noticed)."""
        source = self.files[split]
        if str(source).startswith("hub:"):
            import hashlib

            return hashlib.sha256(_hub_frame(source).to_csv(index=False).encode()).hexdigest()
        return sha256_file(source)


def hub_source(text: str) -> tuple[str, str | None, str]:
    """``hub:<id>[@<config>]:<split>`` as (id, config, split)."""
    body = str(text)[len("hub:"):]
    name, _, split = body.rpartition(":")
    if not name or not split:
        raise ValueError(f"{text!r} is not a Hub source; write hub:<dataset id>[@<config>]:<split>, "
                         "e.g. hub:stanfordnlp/sst2:train")
    dataset_id, _, config = name.partition("@")
    return dataset_id, config or None, split


def _hub_frame(text: str) -> pd.DataFrame:
    dataset_id, config, split = hub_source(text)
    if not network.hub_reachable():
        raise FileNotFoundError(f"{text} needs the Hugging Face Hub, which cannot be reached; download the split to "
                                "a CSV/TSV/JSON Lines file and pass its path instead")
    import datasets

    return datasets.load_dataset(dataset_id, config, split=split).to_pandas()
