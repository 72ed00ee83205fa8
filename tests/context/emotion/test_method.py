"""Emotion vectors and separation: known answers on constructed states, and extraction on a tiny random decoder."""

import numpy as np
import pytest
import tiny_models

from lle.context.emotion import method as emotion


def clustered(n_per=5, k=3, width=8, spread=0.1, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(k, width)) * 3
    labels = np.repeat(np.arange(k), n_per)
    return centres[labels] + spread * rng.normal(size=(len(labels), width)), labels


def test_vectors_are_emotion_means_minus_the_mean_of_means():
    states = np.array([[[1.0, 0.0]], [[3.0, 0.0]], [[0.0, 4.0]]])  # (3 texts, 1 layer, 2)
    labels = np.array([0, 0, 1])
    vectors = emotion.emotion_vectors(states, labels)
    np.testing.assert_allclose(vectors[:, 0], [[1.0, -2.0], [-1.0, 2.0]])  # means (2,0), (0,4); their mean (1,2)
    np.testing.assert_allclose(vectors.sum(axis=0), 0.0)


def test_centroid_accuracy_is_one_on_separated_clusters_and_near_chance_on_noise():
    states, labels = clustered()
    assert emotion.loo_centroid_accuracy(states - states.mean(0), labels) == 1.0
    noise = np.random.default_rng(1).normal(size=(300, 16))
    chance = emotion.loo_centroid_accuracy(noise, np.repeat(np.arange(3), 100))
    assert 0.2 < chance < 0.47


def test_leave_one_out_excludes_the_text_from_its_own_centroid():
    """Two texts per emotion, each alone closer to the other emotion: in-sample centroids would score 1, LOO 0."""
    states = np.array([[1.0, 0.1], [0.1, 1.0], [0.9, 0.0], [0.0, 0.9]])
    labels = np.array([0, 0, 1, 1])  # text 0 is nearest to emotion 1's other text, and so on
    assert emotion.loo_centroid_accuracy(states, labels) == 0.0
    with pytest.raises(ValueError, match="at least two texts"):
        emotion.loo_centroid_accuracy(states[:3], np.array([0, 0, 1]))


def test_cosines_and_anisotropy_on_known_geometry():
    states = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
    within, between = emotion.mean_cosines(states, np.array([0, 0, 1, 1]))
    assert within == pytest.approx(1.0) and between == pytest.approx(0.0)
    shifted = states + 10.0  # a common offset: everything looks alike (anisotropy)
    assert emotion.anisotropy(shifted) > 0.99
    rows = emotion.separation(np.stack([shifted, states], axis=1), np.array([0, 0, 1, 1]))
    assert rows[0]["anisotropy"] > 0.99 and rows[0]["within_cosine"] == pytest.approx(1.0)  # centring removes it
    assert [r["relative_depth"] for r in rows] == [0.0, 1.0]


def test_peak_and_inverted_u_rule():
    depth = np.linspace(0, 1, 5)
    assert emotion.peak_depth(depth, [0.1, 0.3, 0.5, 0.3, 0.2]) == 0.5
    assert emotion.is_inverted_u(depth, [0.1, 0.3, 0.5, 0.3, 0.2])
    assert not emotion.is_inverted_u(depth, [0.1, 0.2, 0.3, 0.4, 0.5])  # peaks at the end
    assert not emotion.is_inverted_u(depth, [0.48, 0.49, 0.5, 0.3, 0.2])  # the first layer is within the margin


def test_clean_generation_stops_at_the_closing_quote_or_line_break():
    assert emotion.clean_generation(' I am thrilled!" she said') == "I am thrilled!"
    assert emotion.clean_generation("So happy\nNext") == "So happy"
    assert emotion.clean_generation('"') == ""


def test_empty_texts_are_refused_not_dropped():
    with pytest.raises(ValueError, match="an empty text for 'joy'"):
        emotion.stacked({"joy": [{"text": ""}], "anger": ["grr"]})
    texts, labels, names = emotion.stacked({"joy": ["yay", {"text": "hooray"}], "anger": ["grr"]})
    assert texts == ["yay", "hooray", "grr"] and labels.tolist() == [0, 0, 1] and names == ["joy", "anger"]


def test_generation_is_seeded_and_keeps_every_sample():
    model, tokenizer = tiny_models.build("llama", causal_lm=True), tiny_models.tiny_tokenizer()
    first = emotion.generate_texts(
        model, tokenizer, 3, emotions=("joy", "anger"), sampling={"max_new_tokens": 4}, progress=False
    )
    second = emotion.generate_texts(
        model, tokenizer, 3, emotions=("joy", "anger"), sampling={"max_new_tokens": 4}, progress=False
    )
    assert first == second and [len(v) for v in first.values()] == [3, 3]
    summary = emotion.generation_summary(first)
    assert summary["joy"]["n"] == 3 and 0 <= summary["joy"]["empty"] <= 3


def test_comprehension_texts_are_single_label_goemotions(data_dir):
    from lle import data

    texts = emotion.comprehension_texts(4, emotions=("joy", "fear"), data_dir=data_dir)
    train = data.load_dataset("goemotions", "train", data_dir=data_dir)
    label_of = dict(zip(train["text"], train["label"]))
    assert [data.GOEMOTIONS_LABELS[label_of[t]] for t in texts["fear"]] == ["fear"] * 4
    assert texts == emotion.comprehension_texts(4, emotions=("joy", "fear"), data_dir=data_dir)
    with pytest.raises(ValueError, match="'grief' has 39 single-label training texts"):
        emotion.comprehension_texts(50, emotions=("grief",), data_dir=data_dir)
    assert len(emotion.EMOTIONS) >= 20
