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

from collections.abc import Callable, Iterable, Iterator

from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein

from .textnorm import fold

MIN_LENGTH = 4


def typo_budget(length: int) -> int:
    """Edits allowed in a word of `length` letters: none below 4, then 1, and 2 from 8 (between Typesense and Meilisearch)."""
    return 0 if length < MIN_LENGTH else 1 if length < 8 else 2


class WordBuckets:
    """Words bucketed by first letter and length, for finding those within a few edits of a typed word.

    A typo on the first letter is not corrected, as in Meilisearch: it is
    rare, and scanning one bucket per length keeps a lookup to a few hundred
    comparisons in a large knowledge base.
    """

    def __init__(self, keys: Iterable[str]) -> None:
        self._buckets: dict[tuple[str, int], list[str]] = {}
        for key in keys:
            self._buckets.setdefault((key[:1], len(key)), []).append(key)

    def within(self, word: str, reach: int, budget: Callable[[int], int]) -> Iterator[tuple[int, str, int]]:
        """(edits, key, its place in its bucket) of every key within `budget(length)` edits of `word`, over lengths up to `reach` away."""
        for length in range(len(word) - reach, len(word) + reach + 1):
            bucket = self._buckets.get((word[:1], length))
            if bucket:
                for key, distance, at in process.extract(
                    word, bucket, scorer=DamerauLevenshtein.distance, score_cutoff=budget(length), limit=None
                ):
                    yield int(distance), key, at


class Speller:
    """The words of one language a reader may have meant, compared without diacritics.

    Held for every word of the content and the language's commonest words, so
    it stores each word once: as its folded key (the very string given, where
    folding leaves it unchanged), plus the written form only where folding
    changed it.
    """

    def __init__(self, words: Iterable[str]) -> None:
        keys: dict[str, None] = {}
        self._written: dict[str, str] = {}
        for word in words:
            key = fold(word)
            if len(key) >= MIN_LENGTH - 1 and key not in keys:
                if key == word:
                    key = word
                else:
                    self._written[key] = word
                keys[key] = None
        self._buckets = WordBuckets(keys)

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
            written = self._written.get(near, near)
            found.append((distance, DamerauLevenshtein.distance(word, written), at, written))
        return min(found)[3] if found else None
