"""Correcting a misspelt question word to a word the bot knows, before the word is analysed.

A typo breaks more than the word: Snowball stems "diiploma" to "diiplo", not
"diploma", and a misspelt "сколько" (how much) or "riassunto" (summary) is
no longer recognised as a question word or a summary request. So a word that
neither the content nor the language knows is replaced by the nearest word of
the content, of the synonyms, of the stop words or of the language's cue
phrases, within a budget that grows with the word's length, as search engines
allow (see `typo_budget`). A word the language knows ("posti", "usano") is
never corrected: it is no typo, only a word the content lacks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein, Indel

from .textnorm import fold

MIN_LENGTH = 4
"""Letters from which a word may hold a typo (and two from 8, `typo_budget`): a shorter word is one edit from too
many others. It describes how words are spelt, not how a match is weighed (that is `RankingConfig.typo_strength`),
and the speller built with the index and the matcher reading a question share it."""


def typo_budget(length: int) -> int:
    """Edits allowed in a word of `length` letters: none below 4, then 1, and 2 from 8 (between Typesense and Meilisearch)."""
    return 0 if length < MIN_LENGTH else 1 if length < 8 else 2


def _packed(buckets: Mapping[tuple[str, int], list[str]]) -> tuple[dict[tuple[str, int], tuple[int, int]], np.ndarray]:
    """Each bucket's words joined by newlines (no word has one), all in one UTF-8 array, and where each bucket is."""
    spans: dict[tuple[str, int], tuple[int, int]] = {}
    parts: list[bytes] = []
    at = 0
    for bucket, words in buckets.items():
        part = "\n".join(words).encode()
        spans[bucket] = (at, at + len(part))
        parts.append(part)
        at += len(part)
    return spans, np.frombuffer(b"".join(parts), dtype=np.uint8)


class WordBuckets:
    """Words bucketed by first letter and length, for finding those within a few edits of a typed word.

    A typo on the first letter is not corrected, as in Meilisearch: it is
    rare, and scanning one bucket per length keeps a lookup to a few hundred
    comparisons in a large knowledge base.

    Built once with the index and cached with it, so it is kept packed: a
    bucket is its words joined by newlines, as UTF-8 in one byte array for
    all buckets (a numpy array, which the index cache maps rather than
    reads, so processes serving one index share it), split into words each
    time a lookup reaches it and let go after. Keeping the split buckets made
    a long-running process's heap grow towards the whole lexicon as Python
    strings (16 MiB after 200 questions at 10,005 files, a copy in each
    worker), and saved no time measurable per question: splitting a bucket
    costs far less than comparing the typed word with its words. Each word
    may carry a note (the written form of a folded key), kept the same way
    in a second array, in the same order.
    """

    def __init__(self, keys: Iterable[str], notes: Mapping[str, str] | None = None) -> None:
        buckets: dict[tuple[str, int], list[str]] = {}
        for key in keys:
            buckets.setdefault((key[:1], len(key)), []).append(key)
        self._spans, self._words = _packed({bucket: words for bucket, words in buckets.items()})
        self._note_spans, self._notes = _packed(
            {
                bucket: [notes.get(word, "") for word in words]
                for bucket, words in buckets.items()
                if notes and any(word in notes for word in words)
            }
        )
        self._views()

    def _views(self) -> None:
        self._word_bytes = memoryview(self._words).cast("B")
        self._note_bytes = memoryview(self._notes).cast("B")

    def __getstate__(self) -> dict[str, object]:
        return {"_spans": self._spans, "_words": self._words, "_note_spans": self._note_spans, "_notes": self._notes}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)
        self._views()

    def bucket(self, first: str, length: int) -> list[str]:
        """The words of one bucket, in the order they were given."""
        start, end = self._spans.get((first, length), (0, -1))
        return str(self._word_bytes[start:end], "utf-8").split("\n") if end >= 0 else []

    def note(self, key: str, at: int) -> str:
        """The note of the word `key` at place `at` of its bucket, "" if it has none."""
        span = self._note_spans.get((key[:1], len(key)))
        notes = str(self._note_bytes[span[0] : span[1]], "utf-8").split("\n") if span is not None else []
        return notes[at] if at < len(notes) else ""

    def within(self, word: str, reach: int, budget: Callable[[int], int]) -> Iterator[tuple[int, str, int]]:
        """(edits, key, its place in its bucket) of every key within `budget(length)` edits of `word`, over lengths up to `reach` away.

        Per bucket, fewest edits first, then in bucket order. Damerau-Levenshtein
        over a whole bucket was most of the slowest questions' time (an Arabic
        bucket holds 9,000 words that begin with alef), so a bucket is first
        sifted with the Indel distance (insertions and deletions only), which
        rapidfuzz computes bit-parallel several times faster. Every edit
        Damerau-Levenshtein counts (insertion, deletion, substitution, swap of
        neighbours) is at most two insertions and deletions, so a key within
        `budget` edits is within twice as many Indel edits: the sieve drops no
        key that the full distance would keep.
        """
        for length in range(len(word) - reach, len(word) + reach + 1):
            bucket = self.bucket(word[:1], length) if (word[:1], length) in self._spans else None
            if bucket:
                cutoff = budget(length)
                near = []
                for key, _, at in process.extract(word, bucket, scorer=Indel.distance, score_cutoff=2 * cutoff, limit=None):
                    distance = DamerauLevenshtein.distance(word, key, score_cutoff=cutoff)
                    if distance <= cutoff:
                        near.append((distance, at, key))
                near.sort()
                for distance, at, key in near:
                    yield distance, key, at


class Speller:
    """The words of one language a reader may have meant, compared without diacritics.

    Held for every word of the content and the language's commonest words, so
    it stores each word once: as its folded key, plus the written form only
    where folding changed it (as the key's note in `WordBuckets`).
    """

    def __init__(self, words: Iterable[str]) -> None:
        keys: dict[str, None] = {}
        written: dict[str, str] = {}
        for word in words:
            key = fold(word)
            if len(key) >= MIN_LENGTH - 1 and key not in keys:
                if key != word:
                    written[key] = word
                keys[key] = None
        self._buckets = WordBuckets(keys, written)

    def correct(self, word: str) -> str | None:
        """The known word nearest to `word` within its budget, as the content writes it; None if there is none.

        A deletion makes a word shorter than the one meant ("maşı" for
        "maaşı"), so the budget follows the longer of the two. Between words
        as near without diacritics, the one nearer as typed wins: "maşı" is
        "maaşı" rather than "mali"; then the word given first (the commoner,
        for a frequency list).
        """
        key = fold(word)
        found = []
        for distance, near, at in self._buckets.within(
            key, typo_budget(len(key) + 1), lambda length: typo_budget(max(length, len(key)))
        ):
            written = self._buckets.note(near, at) or near
            found.append((distance, DamerauLevenshtein.distance(word, written), at, written))
        return min(found)[3] if found else None
