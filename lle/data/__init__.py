"""Datasets and text preprocessing: the paper's released splits (checksum-verified), their derivations from the
canonical sources, and the authors' preprocessing. Nothing here imports torch.

``tweet_emotion`` is the paper's 11-class single-label derivation of SemEval-2018 E-c, not TweetEval's 4-class
emotion task.
"""

from lle.data.files import FileDataset  # noqa: E402,F401
from lle.data.splits import (  # noqa: F401
    CHECKSUMS,
    DATASETS,
    GOEMOTIONS_LABELS,
    SPLITS,
    TWEET_EMOTION_LABELS,
    TWEET_EMOTION_NO_EMOTION_COUNTS,
    TWEET_HATE_LABELS,
    DatasetSpec,
    data_dir_candidates,
    find_file,
    first_positive_label,
    goemotions_multilabel_dataset,
    load_dataset,
    read_goemotions_multilabel,
    read_released_split,
    read_semeval_ec,
    single_label_goemotions,
    single_label_tweet_emotion,
    to_dataset,
    tweet_emotion_no_emotion_mask,
    verify_checksum,
)

_REGISTERED: dict = {}


class _PaperDataset:
    """One of the paper's datasets, seen through the same interface as a :class:`FileDataset`."""

    def __init__(self, spec: DatasetSpec):
        self.spec, self.name = spec, spec.name
        self.label_names, self.max_length = spec.label_names, spec.max_length

    def load(self, split: str, *, data_dir=None):
        return load_dataset(self.name, split, data_dir=data_dir)

    def checksum(self, split: str) -> str:
        return CHECKSUMS[self.spec.release_file(split)]


def register_dataset(dataset: FileDataset) -> FileDataset:
    """Make a dataset of your own known by its name to the pipeline (``Recipe(model, dataset.name)``)."""
    if dataset.name in DATASETS:
        raise ValueError(f"{dataset.name!r} is one of the paper's datasets; give yours another name")
    _REGISTERED[dataset.name] = dataset
    return dataset


def dataset_source(name: str):
    """The paper's dataset or a registered one, with ``label_names``, ``max_length``, ``load`` and ``checksum``."""
    if name in DATASETS:
        return _PaperDataset(DATASETS[name])
    if name in _REGISTERED:
        return _REGISTERED[name]
    raise ValueError(
        f"unknown dataset {name!r}; choose one of {sorted(DATASETS)} or register yours with "
        "lle.data.register_dataset(lle.data.FileDataset(...))"
    )
