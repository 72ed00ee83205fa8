"""STC's feature cache (lle.context.stc.feature_cache): compact storage and the order of a paper split's labels."""

import numpy as np

from lle.context.stc import feature_cache as stc_features


def test_float16_is_used_only_when_every_value_fits():
    assert stc_features._compact(np.array([1.0, 2.5], dtype=np.float32)).dtype == np.float16
    assert stc_features._compact(np.array([1.0, 1e6], dtype=np.float32)).dtype == np.float32


def test_labels_of_a_paper_split_match_the_features_order(data_dir):
    source = stc_features.FeatureSource("all-MiniLM-L6-v2", "tweet_hate", max_train_samples=50)
    assert source.labels("train", data_dir=data_dir).tolist() == source.texts("train", data_dir=data_dir)[1].tolist()
