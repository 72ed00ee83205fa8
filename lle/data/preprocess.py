"""The authors' text preprocessing, switchable and offline-safe.

Pipeline (as in their ``utils.pre_process_text``): expand chat slang from ``slang.txt``; ``emoji.demojize`` with
spaces as delimiters (and ``_``/``-`` turned into spaces); then ekphrasis' social-media normalization (users, URLs,
numbers, ... replaced by ``<user>``, ``<url>``, ``<number>``; hashtags unpacked and tagged; all-caps, elongated,
repeated and emphasized tokens tagged; contractions unpacked; emoticons replaced; lower-case).

ekphrasis' ``TextPreProcessor`` downloads its Twitter word statistics when constructed, which fails offline.
When those statistics are absent we build the *same* ``TextPreProcessor`` (same regexes, tags, tokenizer and
emoticon dictionary) but give it word statistics from ``wordsegment``, whose counts ship in its wheel: a Viterbi
segmenter (wordsegment's) for hashtags and ekphrasis' own spell corrector over wordsegment's unigram counts for
elongated words. The difference is the corpus (English web text vs Twitter): a few hashtags split differently
and a few elongated words normalize differently. ``describe()`` records which variant ran.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Iterable
from unittest import mock

from lle.data.splits import find_file
from lle.progress import tqdm

_EKPHRASIS_OPTIONS = dict(
    normalize=["url", "email", "percent", "money", "phone", "user", "time", "url", "date", "number"],
    annotate={"hashtag", "allcaps", "elongated", "repeated", "emphasis", "censored"},
    fix_html=True,
    segmenter="twitter",
    corrector="twitter",
    unpack_hashtags=True,
    unpack_contractions=True,
    spell_correct_elong=True,
)


def ekphrasis_statistics_available(corpus: str = "twitter") -> bool:
    """Whether ekphrasis' own word statistics are on disk (checked without triggering its download)."""
    stats = Path.home() / ".ekphrasis" / "stats" / corpus
    return any((stats / f"counts_1grams.{ext}").is_file() for ext in ("txt", "json"))


class _WordsegmentSegmenter:
    """Stands in for ekphrasis' Segmenter: same interface, wordsegment's unigram/bigram counts."""

    def __init__(self, corpus: str = "twitter", max_split_length: int = 20):
        import wordsegment

        wordsegment.load()
        self._segment = wordsegment.segment

    def segment(self, text: str) -> str:
        return " ".join(self._segment(text))


def _wordsegment_spell_corrector():
    """ekphrasis' own SpellCorrector with wordsegment's unigram counts instead of downloaded statistics."""
    import wordsegment
    from ekphrasis.classes.spellcorrect import SpellCorrector

    class WordsegmentSpellCorrector(SpellCorrector):
        def __init__(self, corpus: str = "twitter"):
            wordsegment.load()
            self.WORDS = Counter(wordsegment.UNIGRAMS)
            self.N = sum(self.WORDS.values())

    return WordsegmentSpellCorrector


@lru_cache(maxsize=2)
def _ekphrasis_processor(offline_statistics: bool):
    """ekphrasis' processor, built once per process: building it parses word statistics for seconds, and its
    output depends only on those statistics (its internal caches are memoization)."""
    from ekphrasis.classes import preprocessor as ekphrasis_preprocessor
    from ekphrasis.classes.tokenizer import SocialTokenizer
    from ekphrasis.dicts.emoticons import emoticons

    options = dict(_EKPHRASIS_OPTIONS, tokenizer=SocialTokenizer(lowercase=True).tokenize, dicts=[emoticons])
    if not offline_statistics:
        return ekphrasis_preprocessor.TextPreProcessor(**options)
    with (
        mock.patch.object(ekphrasis_preprocessor, "Segmenter", _WordsegmentSegmenter),
        mock.patch.object(ekphrasis_preprocessor, "SpellCorrector", _wordsegment_spell_corrector()),
    ):
        return ekphrasis_preprocessor.TextPreProcessor(**options)


class TextPreprocessor:
    """Callable on a string or a list of strings. Each step can be switched off."""

    def __init__(
        self,
        *,
        slang: bool = True,
        emojis: bool = True,
        social: bool = True,
        data_dir=None,
        force_offline_statistics: bool = False,
    ):
        self.slang, self.emojis, self.social = slang, emojis, social
        self.data_dir = data_dir
        self.offline_statistics = force_offline_statistics or not ekphrasis_statistics_available()

    def describe(self) -> str:
        steps = [name for name, on in (("slang", self.slang), ("demojize", self.emojis)) if on]
        if self.social:
            steps.append("ekphrasis+wordsegment-stats" if self.offline_statistics else "ekphrasis-twitter-stats")
        return "+".join(steps) or "none"

    @cached_property
    def _slang_map(self) -> dict[str, str]:
        lines = find_file("lle-paper/slang.txt", self.data_dir).read_text().splitlines()
        return dict(line.split("=", 1) for line in lines if line.strip())

    @property
    def _ekphrasis(self):
        return _ekphrasis_processor(self.offline_statistics)

    def expand_slang(self, text: str) -> str:
        return " ".join(self._slang_map.get(word.upper(), word) for word in text.split())

    @staticmethod
    def demojize(text: str) -> str:
        import emoji

        return re.sub("_|-", " ", emoji.demojize(text, delimiters=(" ", " ")))

    def process_one(self, text: str) -> str:
        if self.slang:
            text = self.expand_slang(text)
        if self.emojis:
            text = self.demojize(text)
        if self.social:
            text = " ".join(self._ekphrasis.pre_process_doc(text))
        return text

    def __call__(self, texts: str | Iterable[str], *, progress: bool = False):
        if isinstance(texts, str):
            return self.process_one(texts)
        texts = list(texts)
        return [self.process_one(t) for t in tqdm(texts, desc="preprocessing", disable=not progress)]
