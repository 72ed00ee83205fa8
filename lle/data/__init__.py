"""Datasets and text preprocessing: the paper's released splits (checksum-verified), their derivations from the
canonical sources, and the authors' preprocessing. Nothing here imports torch.

``tweet_emotion`` is the paper's 11-class single-label derivation of SemEval-2018 E-c, not TweetEval's 4-class
emotion task.
"""
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
