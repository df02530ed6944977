"""How common each word is in a language, in a form small enough for every serving process.

wordfreq knows this well, but it keeps each word list as a Python dict of
strings and floats: about 35 MB for five languages, loaded with the first
questions and never released. Analysis needs one number per word, so the
index keeps each list as sorted arrays of 64-bit word hashes and Zipf values
in hundredths: about 2.5 MB for five languages, built with the index and
cached with it.
"""

from __future__ import annotations

import hashlib
import math
from array import array
from bisect import bisect_left
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache

import numpy as np
import wordfreq
from wordfreq.numbers import digit_freq, smash_numbers

from .textnorm import fold, normalize

_WORDLIST = "small"
"""wordfreq's lists of words with a frequency of at least one per million: all a question needs."""


_TOP = 900
"""Zipf 9 in hundredths: one occurrence per word (wordfreq's bucket 0)."""
_LEXICON_SIZE = 20_000
"""Commonest words of four letters or more kept as strings, for correcting typos in words the content lacks."""


def _hash(word: str) -> int:
    """A hash that is the same in every process (Python's `hash` of a str is not)."""
    return int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "little")


@dataclass(frozen=True)
class _ZipfTable:
    """Sorted hashes and their Zipf values in hundredths; `array` and `bisect` because lookups come one word at a time."""

    keys: array
    centi_zipfs: array

    @classmethod
    def of(cls, centi_zipfs: dict[str, int]) -> _ZipfTable:
        keys = np.fromiter(map(_hash, centi_zipfs), dtype=np.uint64, count=len(centi_zipfs))
        order = np.argsort(keys)
        zipfs = np.fromiter(centi_zipfs.values(), dtype=np.uint16, count=len(centi_zipfs))
        return cls(array("Q", keys[order].tobytes()), array("H", zipfs[order].tobytes()))

    def get(self, word: str) -> float:
        key = _hash(word)
        i = bisect_left(self.keys, key)
        return self.centi_zipfs[i] / 100 if i < len(self.keys) and self.keys[i] == key else 0.0


@dataclass(frozen=True)
class WordFrequencies:
    """Zipf frequency (log10 of occurrences per billion words) of the common words of one language."""

    exact: _ZipfTable
    folded: _ZipfTable
    """Under the folded spelling of accented words, the frequency of the most common of them."""
    lexicon: tuple[str, ...] = ()
    """The language's commonest words, most common first: what a reader who misspelt a word may have meant."""
    by_word: tuple[dict[str, int], dict[str, int]] | None = field(default=None, compare=False, repr=False)
    """While an index is built: the same values as `exact` and `folded`, by word, in dicts.

    A build looks up millions of words (a Danish word's compound parts are
    tried at every cut), and hashing each with blake2b to bisect the tables
    was most of a cold build's time; a dict answers the same in a tenth of
    it. `of` fills them; they are never pickled (see `__getstate__`), so a
    cached index and a serving process keep only the compact tables.
    """

    def __getstate__(self) -> dict[str, object]:
        return {**self.__dict__, "by_word": None}

    def _exact(self, word: str) -> float:
        return self.by_word[0].get(word, 0) / 100 if self.by_word is not None else self.exact.get(word)

    def _folded(self, key: str) -> float:
        return self.by_word[1].get(key, 0) / 100 if self.by_word is not None else self.folded.get(key)

    @classmethod
    def of(cls, lang: str) -> WordFrequencies:
        """The table for `lang`, empty when wordfreq does not cover it.

        Read straight from wordfreq's data file rather than through its cached
        dicts, which would stay in the building process for good. The file
        lists words in buckets of one centibel: bucket i holds the words of
        Zipf value 9 - i/100.
        """
        path = wordfreq.available_languages(_WORDLIST).get(lang)
        exact: dict[str, int] = {}
        folded: dict[str, int] = {}
        lexicon: list[str] = []
        for bucket, words in enumerate(wordfreq.read_cBpack(path) if path else []):
            for word in words:
                exact[word] = _TOP - bucket
                key = fold(word)
                if key != word:
                    folded.setdefault(key, _TOP - bucket)
                if len(lexicon) < _LEXICON_SIZE and len(word) >= 4 and word.isalpha():
                    lexicon.append(word)
        return cls(_ZipfTable.of(exact), _ZipfTable.of(folded), tuple(lexicon), (exact, folded))

    def __contains__(self, word: str) -> bool:
        """Whether `word` is one the language commonly uses (on wordfreq's list at all)."""
        if self.by_word is not None:  # as `_exact`, one call fewer: a Danish build asks this millions of times
            return self.by_word[0].get(word, 0) > 0
        return self.exact.get(word) > 0.0

    def _number_zipf(self, word: str) -> float:
        """A number is as common as wordfreq says numbers of its shape and value are ("45" like "00", scaled)."""
        shape = self._exact(smash_numbers(word))
        return round(shape + math.log10(digit_freq(word)), 2) if shape else 0.0

    def zipf(self, word: str) -> float:
        """How common `word` is, 0 when unknown or uncommon.

        A word typed without its diacritics ("imkani" for "imkanı", "kac" for
        "kaç") is as common as the word it stands for, not rarer.
        """
        if not word.isalpha() and smash_numbers(word) != word:
            return self._number_zipf(word)
        return max(self._exact(word), self._folded(fold(word)))


APP_LANGUAGE_MARGIN = 1.0
"""How much commoner (mean Zipf) a question's words must be in a language the bot speaks than in the one they were
read in for the question to be in it (`commoner_in`): the default of `RankingConfig.app_language_margin`, and what
`learn` uses for a question taught without a language."""


@cache
def frequencies_of(lang: str) -> WordFrequencies:
    """A language's word frequencies read once per process, for a language no index holds (one the bot speaks but the
    content lacks): the first reader, or the first taught question, to write in it reads them."""
    return WordFrequencies.of(lang)


def commoner_in(question: str, ours: Callable[[str], float], others: Sequence[str], margin: float) -> str | None:
    """The one of `others` whose words the question's are commonest in, when clearly commoner there (mean Zipf at
    least `margin` higher, each language reading the words its own way) than `ours` says they are in the language they
    were read in; on a tie the first of `others`.

    lingua knows only the content's languages, so it takes "what is the
    capital of France" for Italian; the words' frequencies in the languages
    the bot speaks tell English from Italian, and the commonest tells Spanish
    from Portuguese rather than whichever is tried first.
    """
    best, most = None, margin
    for lang in others:
        words = normalize(question, lang)
        if not words:
            continue
        theirs = frequencies_of(lang)
        commoner = sum(theirs.zipf(word) - ours(word) for word in words) / len(words)
        if commoner > most or (best is None and commoner >= most):
            best, most = lang, commoner
    return best
