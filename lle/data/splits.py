"""The paper's datasets: the released single-label splits, and how they derive from the canonical sources.

Files are read from a data directory (argument, then ``$LLE_DATA_DIR``, then ``../shared/data`` next to the
repository) and verified against SHA-256 checksums before use. An online user without local files gets the
same splits built from the Hugging Face Hub by the same derivation functions.

Layout of the data directory (see ``../shared/data/README.md``)::

    lle-paper/{goEmotions,tweet_emotions,tweet_hate}_{train,val,test}.csv, emotions.txt, slang.txt
    goemotions/{train,dev,test}.tsv                 # canonical GoEmotions (multi-label)
    semeval2018_ec/E-c-En-{train,dev,test-gold}.txt  # canonical SemEval-2018 Task 1 E-c
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from lle import (
    network,
    progress,  # noqa: F401 (quiets tqdm.auto's widget warning before datasets imports it)
)
from lle.integrity import sha256_file
from lle.paths import REPO_ROOT

SPLITS = ("train", "validation", "test")

GOEMOTIONS_LABELS = (
    "admiration amusement anger annoyance approval caring confusion curiosity desire disappointment disapproval "
    "disgust embarrassment excitement fear gratitude grief joy love nervousness optimism pride realization relief "
    "remorse sadness surprise neutral"
).split()
TWEET_EMOTION_LABELS = ("anger anticipation disgust fear joy love optimism pessimism sadness surprise trust").split()
TWEET_HATE_LABELS = (
    "hate_gender hate_race hate_sexuality hate_religion hate_origin hate_disability hate_age not_hate"
).split()

# Polarity groups: GoEmotions' own grouping (Demszky et al., 2020, sentiment-level taxonomy); for SemEval-2018
# E-c the analogous grouping of its 11 emotions (anticipation and surprise can go either way).
GOEMOTIONS_POLARITY = {
    **dict.fromkeys(
        "admiration amusement approval caring desire excitement gratitude joy love optimism pride relief".split(),
        "positive",
    ),
    **dict.fromkeys(
        "anger annoyance disappointment disapproval disgust embarrassment fear grief nervousness remorse "
        "sadness".split(),
        "negative",
    ),
    **dict.fromkeys("confusion curiosity realization surprise".split(), "ambiguous"),
    "neutral": "neutral",
}
TWEET_EMOTION_POLARITY = {
    **dict.fromkeys("joy love optimism trust".split(), "positive"),
    **dict.fromkeys("anger disgust fear pessimism sadness".split(), "negative"),
    **dict.fromkeys("anticipation surprise".split(), "ambiguous"),
}

# SHA-256 of every file this module reads (from ../shared/data/SHA256SUMS).
CHECKSUMS = {
    "lle-paper/emotions.txt": "45c3ef86782d2a4d7fedcd6d8c111aa0d0e94720689bd164fac94fefb4495a89",
    "lle-paper/slang.txt": "2ca70a6d28e18a8665b98d06d33d05aabac7686a54072c2026bf51709daef761",
    "lle-paper/goEmotions_train.csv": "954494b90e94b31ff03e35b46ce2713c63d70d8d310037570a01db498b375a03",
    "lle-paper/goEmotions_val.csv": "ed02f19269c318f0023eaf950b217642f171977ac7e220864986e060ae811c61",
    "lle-paper/goEmotions_test.csv": "275583931e16935b4c734819d98929848fa5872b78aa80458cc34c807f30bb26",
    "lle-paper/tweet_emotions_train.csv": "166f7f1a5a434a3f4ef4ca4f591eb9c883f4d68176e5ebfae62a3397d0da6305",
    "lle-paper/tweet_emotions_val.csv": "8b2cb74eab6daca661e7ee8efd2c857701fd19292ca5db9513ad950fde7bb6fc",
    "lle-paper/tweet_emotions_test.csv": "63bedcda4b0b7e10d1a47b900778e62e69119911e9f5d7ebf70af1b65a86acbc",
    "lle-paper/tweet_hate_train.csv": "dfee5742915a6a10ac0bb939d4de2f005d694c80d3af02a3dc4c4f0f68ba73e2",
    "lle-paper/tweet_hate_val.csv": "67594f48e6f00f83cc024509f11bd4b1933820bf7557674212f89fcaee8a4834",
    "lle-paper/tweet_hate_test.csv": "b7ef15a4684da2ec5002ab1cebc68496a2c0498aefe67d9f13dadc1b44f57bfb",
    "goemotions/emotions.txt": "45c3ef86782d2a4d7fedcd6d8c111aa0d0e94720689bd164fac94fefb4495a89",
    "goemotions/train.tsv": "1c254a142be5c00e80d819b9ae1bbd36d94b2eeb8f4b1271846508d57e57d9c5",
    "goemotions/dev.tsv": "575489c079c9de1097062a01738f998590d6b7ead66dd1c9fd1d2ba01fd8bc62",
    "goemotions/test.tsv": "0587b2dd8b27b97352adbfc3fb083d46005c8946657fdc2b1ca8b1cc7f1f8be4",
    "semeval2018_ec/E-c-En-train.txt": "498893ef1ecc5698d44ba9fd815d3ee88278f24fc549b202ddf36a4452f96675",
    "semeval2018_ec/E-c-En-dev.txt": "1124cf56bd255fadea9e734a13133a9bd2202022f6d8a0ea560f076d8562517f",
    "semeval2018_ec/E-c-En-test-gold.txt": "e2e1d2af0aeb381cd37c7c4fbbd833eed929cab610a7a027c80b8e4f7aa07df5",
    "sst2/train_full.tsv": "48eac26399f8456935f81dd9e3a745c1430adb6c62e233ccfe22db4a0d15d1d1",
    "sst2/dev.tsv": "54a9c12c77e402fc14d6a66a506f24d999f596b0176eb777c972cccc2f9cc4b0",
}


@dataclass(frozen=True)
class DatasetSpec:
    name: str
    file_stem: str  # lle-paper/<stem>_{train,val,test}.csv
    label_names: tuple[str, ...]
    counts: dict  # rows per split
    max_length: int  # tokens, as in the authors' notebooks
    hub_source: str  # where an online user's copy comes from
    polarity: dict | None = None  # label -> positive / negative / ambiguous / neutral, where a grouping exists
    reference_class: str | None = None  # the majority "no emotion / no hate" class, if the label set has one

    def release_file(self, split: str) -> str:
        return f"lle-paper/{self.file_stem}_{_SPLIT_SUFFIX[split]}.csv"


_SPLIT_SUFFIX = {"train": "train", "validation": "val", "test": "test"}

DATASETS = {
    spec.name: spec
    for spec in (
        DatasetSpec(
            "goemotions",
            "goEmotions",
            tuple(GOEMOTIONS_LABELS),
            {"train": 36308, "validation": 4548, "test": 4590},
            40,
            "go_emotions (config 'simplified'), rows with exactly one label",
            polarity=GOEMOTIONS_POLARITY,
            reference_class="neutral",
        ),
        DatasetSpec(
            "tweet_emotion",
            "tweet_emotions",
            tuple(TWEET_EMOTION_LABELS),
            {"train": 6838, "validation": 886, "test": 3259},
            50,
            "cardiffnlp/super_tweeteval (config 'tweet_emotion'), first positive label, none -> 0 (anger)",
            polarity=TWEET_EMOTION_POLARITY,
        ),
        DatasetSpec(
            "tweet_hate",
            "tweet_hate",
            tuple(TWEET_HATE_LABELS),
            {"train": 5019, "validation": 716, "test": 1433},
            70,
            "cardiffnlp/super_tweeteval (config 'tweet_hate')",
            reference_class="not_hate",
        ),
    )
}

# Tweets of SemEval-2018 E-c with no emotion at all; the released data labels them 0 (anger).
TWEET_EMOTION_NO_EMOTION_COUNTS = {"train": 204, "validation": 14, "test": 75}


# --- locating and verifying files -------------------------------------------------------------------


def data_dir_candidates(data_dir=None) -> list[Path]:
    """Where the data are looked for: ``data_dir`` alone when given, else ``$LLE_DATA_DIR`` when set, else
    ../shared/data beside the repository. A directory that was asked for but does not exist is an error,
    never a silent fall-back."""
    if data_dir is not None:
        if not Path(data_dir).is_dir():
            raise FileNotFoundError(
                f"data_dir={str(data_dir)!r} is not a directory; pass the folder that holds "
                "lle-paper/ (see ../shared/data/README.md), or leave data_dir out"
            )
        return [Path(data_dir)]
    if os.environ.get("LLE_DATA_DIR"):
        directory = Path(os.environ["LLE_DATA_DIR"])
        if not directory.is_dir():
            raise FileNotFoundError(
                f"LLE_DATA_DIR={str(directory)!r} is not a directory; point it at the folder "
                "that holds lle-paper/ (see ../shared/data/README.md), or unset it"
            )
        return [directory]
    return [REPO_ROOT.parent / "shared" / "data"]


def find_file(relative: str, data_dir=None, *, required: bool = True) -> Path | None:
    """The first candidate data directory holding ``relative``, verified against its checksum."""
    for directory in data_dir_candidates(data_dir):
        path = directory / relative
        if path.is_file():
            verify_checksum(path, relative)
            return path
    if not required:
        return None
    looked = ", ".join(str(d) for d in data_dir_candidates(data_dir))
    raise FileNotFoundError(
        f"{relative} not found (looked in: {looked}). Put the data directory described in "
        "../shared/data/README.md there, or pass data_dir=... or set LLE_DATA_DIR. The released splits come "
        "from the authors' repository 04mayukh/contrastive-classification (data/*.csv); online, "
        "lle.data.load_dataset(..., source='hub') builds them from the Hugging Face Hub."
    )


_VERIFIED: dict[Path, tuple[int, float]] = {}


def verify_checksum(path: Path, relative: str) -> None:
    """Compare the file's SHA-256 with the expected one (cached per path, size and modification time)."""
    stat = path.stat()
    if _VERIFIED.get(path) == (stat.st_size, stat.st_mtime):
        return
    expected = CHECKSUMS.get(relative)
    if expected is None:
        raise KeyError(f"no checksum known for {relative}; add it to lle.data.CHECKSUMS")
    actual = sha256_file(path)
    if actual != expected:
        root = Path(str(path)[: -len(relative)])
        raise ValueError(
            f"checksum mismatch for {path}: expected {expected}, got {actual}. The file is corrupt or a "
            f"different version; replace it in {root} with a verified copy (a copy of ../shared/data; check with "
            "sha256sum -c SHA256SUMS there)."
        )
    _VERIFIED[path] = (stat.st_size, stat.st_mtime)


def _check_split(name: str, split: str) -> DatasetSpec:
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; choose one of {sorted(DATASETS)}")
    if split not in SPLITS:
        hint = " (the released files call it 'val')" if split in ("val", "dev") else ""
        raise ValueError(f"unknown split {split!r}; choose one of {SPLITS}{hint}")
    return DATASETS[name]


# --- the public loader ----------------------------------------------------------------------------


def load_dataset(name: str, split: str, *, data_dir=None, source: str = "auto"):
    """The paper's single-label split as a ``datasets.Dataset`` with ``text`` and ``label`` (ClassLabel).

    ``source``: ``"local"`` (the released CSVs, checksum-verified), ``"hub"`` (built from the Hugging Face Hub
    by the same derivations) or ``"auto"`` (local when found, else the Hub unless ``HF_HUB_OFFLINE`` is set).
    """
    spec = _check_split(name, split)
    if source not in ("auto", "local", "hub"):
        raise ValueError(f"source must be 'auto', 'local' or 'hub', got {source!r}")
    if source == "hub" or (
        source == "auto" and not _local_available(spec, split, data_dir) and not network.hub_offline_by_setting()
    ):
        if source == "auto" and not network.hub_reachable():
            looked = ", ".join(str(d) for d in data_dir_candidates(data_dir))
            raise FileNotFoundError(
                f"{spec.release_file(split)} is not in {looked}, and the Hugging Face Hub cannot "
                "be reached; put the data there (../shared/data/README.md), pass data_dir=..., "
                "or set LLE_DATA_DIR"
            )
        frame = _HUB_BUILDERS[name](split)
    else:
        frame = read_released_split(name, split, data_dir=data_dir)
    return to_dataset(frame, spec.label_names)


def _local_available(spec: DatasetSpec, split: str, data_dir) -> bool:
    return any((d / spec.release_file(split)).is_file() for d in data_dir_candidates(data_dir))


def read_released_split(name: str, split: str, *, data_dir=None) -> pd.DataFrame:
    """The released CSV of ``split`` of dataset ``name`` (text, label), checked for its row count."""
    spec = _check_split(name, split)
    frame = pd.read_csv(find_file(spec.release_file(split), data_dir), dtype={"text": str}, keep_default_na=False)
    if len(frame) != spec.counts[split]:
        raise ValueError(f"{spec.release_file(split)} has {len(frame)} rows, expected {spec.counts[split]}")
    return frame[["text", "label"]].astype({"label": np.int64})


def to_dataset(frame: pd.DataFrame, label_names):
    """A ``datasets.Dataset`` with text and a ClassLabel named by ``label_names``."""
    import datasets

    features = datasets.Features(
        {"text": datasets.Value("string"), "label": datasets.ClassLabel(names=list(label_names))}
    )
    return datasets.Dataset.from_dict(
        {"text": frame["text"].tolist(), "label": frame["label"].astype(int).tolist()}, features=features
    )


# --- derivations from the canonical sources --------------------------------------------------------

_GOEMOTIONS_FILES = {"train": "goemotions/train.tsv", "validation": "goemotions/dev.tsv", "test": "goemotions/test.tsv"}
_SEMEVAL_FILES = {
    "train": "semeval2018_ec/E-c-En-train.txt",
    "validation": "semeval2018_ec/E-c-En-dev.txt",
    "test": "semeval2018_ec/E-c-En-test-gold.txt",
}


def read_goemotions_multilabel(split: str, *, data_dir=None) -> pd.DataFrame:
    """Canonical GoEmotions: columns ``text``, ``labels`` (list of ints), ``comment_id``."""
    _check_split("goemotions", split)
    frame = pd.read_csv(
        find_file(_GOEMOTIONS_FILES[split], data_dir),
        sep="\t",
        header=None,
        names=["text", "ids", "comment_id"],
        dtype=str,
        keep_default_na=False,
    )
    frame["labels"] = [[int(i) for i in ids.split(",")] for ids in frame["ids"]]
    return frame[["text", "labels", "comment_id"]]


def single_label_goemotions(multilabel: pd.DataFrame) -> pd.DataFrame:
    """The paper's goEmotions: the rows that carry exactly one label."""
    single = multilabel[multilabel["labels"].map(len) == 1]
    return pd.DataFrame({"text": single["text"].to_numpy(), "label": single["labels"].map(lambda ls: ls[0]).to_numpy()})


def first_positive_label(multi_hot: np.ndarray) -> np.ndarray:
    """Index of the first positive column; rows with none get 0 (the released tweet_emotion quirk)."""
    return np.argmax(np.asarray(multi_hot) > 0, axis=1).astype(np.int64)


def read_semeval_ec(split: str, *, data_dir=None) -> pd.DataFrame:
    """Canonical SemEval-2018 E-c: ``ID``, ``Tweet`` and one 0/1 column per emotion."""
    _check_split("tweet_emotion", split)
    return pd.read_csv(
        find_file(_SEMEVAL_FILES[split], data_dir),
        sep="\t",
        quoting=csv.QUOTE_NONE,
        dtype={"Tweet": str},
        keep_default_na=False,
    )


def single_label_tweet_emotion(ec: pd.DataFrame) -> pd.DataFrame:
    """The paper's tweet_emotion labels: first positive emotion; tweets with none become 0 (anger).

    Adds ``no_emotion`` to flag those rows (204 train / 14 validation / 75 test).
    """
    multi_hot = ec[TWEET_EMOTION_LABELS].to_numpy()
    return pd.DataFrame(
        {"text": ec["Tweet"].to_numpy(), "label": first_positive_label(multi_hot), "no_emotion": multi_hot.sum(1) == 0}
    )


def goemotions_multilabel_dataset(split: str, *, data_dir=None):
    """Multi-label GoEmotions as a ``datasets.Dataset`` (``text``, ``labels`` = sequence of ClassLabel)."""
    import datasets

    frame = read_goemotions_multilabel(split, data_dir=data_dir)
    features = datasets.Features(
        {"text": datasets.Value("string"), "labels": datasets.Sequence(datasets.ClassLabel(names=GOEMOTIONS_LABELS))}
    )
    return datasets.Dataset.from_dict(
        {"text": frame["text"].tolist(), "labels": frame["labels"].tolist()}, features=features
    )


def tweet_emotion_no_emotion_mask(split: str, *, data_dir=None) -> np.ndarray:
    """Which rows of the released tweet_emotion split had no emotion in SemEval-2018 (and so read 'anger')."""
    return single_label_tweet_emotion(read_semeval_ec(split, data_dir=data_dir))["no_emotion"].to_numpy()


# --- the same derivations from the Hugging Face Hub (online users) ---------------------------------

_HUB_SPLIT = {"train": "train", "validation": "validation", "test": "test"}


def _hub_goemotions(split: str) -> pd.DataFrame:
    import datasets

    hub = datasets.load_dataset("go_emotions", "simplified", split=_HUB_SPLIT[split]).to_pandas()
    return single_label_goemotions(hub.rename(columns={"id": "comment_id"}))


def _hub_tweet_emotion(split: str) -> pd.DataFrame:
    import datasets

    hub = datasets.load_dataset("cardiffnlp/super_tweeteval", "tweet_emotion", split=_HUB_SPLIT[split]).to_pandas()
    multi_hot = np.stack(hub["gold_label_list"].to_numpy())
    return pd.DataFrame({"text": hub["text"].to_numpy(), "label": first_positive_label(multi_hot)})


def _hub_tweet_hate(split: str) -> pd.DataFrame:
    import datasets

    hub = datasets.load_dataset("cardiffnlp/super_tweeteval", "tweet_hate", split=_HUB_SPLIT[split]).to_pandas()
    return pd.DataFrame({"text": hub["text"].to_numpy(), "label": hub["gold_label"].to_numpy()})


_HUB_BUILDERS = {"goemotions": _hub_goemotions, "tweet_emotion": _hub_tweet_emotion, "tweet_hate": _hub_tweet_hate}
