"""Correcting a misspelt question word to a word the bot knows, before the word is analysed.

A typo breaks more than the word: Snowball stems "diiploma" to "diiplo", not
"diploma", and a misspelt "сколько" (how much) or "riassunto" (summary) is
no longer recognised as a question word or a summary request. So a word that
neither the content nor the language knows is replaced by the nearest word of
the content, of the synonyms, of the stop words or of the locale's cue
phrases, within a budget that grows with the word's length, as search engines
allow (see `typo_budget`). A word the language knows ("posti", "usano") is
never corrected: it is no typo, only a word the content lacks.
"""

from __future__ import annotations

from collections.abc import Iterable

from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein

from .textnorm import fold

MIN_LENGTH = 4


def typo_budget(length: int) -> int:
    """Edits allowed in a word of `length` letters: none below 4, then 1, and 2 from 8 (between Typesense and Meilisearch)."""
    return 0 if length < MIN_LENGTH else 1 if length < 8 else 2


class Speller:
    """The words of one language a reader may have meant, bucketed by first letter and length.

    A typo on the first letter is not corrected, as in Meilisearch: it is
    rare, and scanning one bucket per length keeps a lookup to a few hundred
    comparisons in a large knowledge base.
    """

    def __init__(self, words: Iterable[str]) -> None:
        by_key: dict[tuple[str, int], dict[str, str]] = {}
        for word in words:
            key = fold(word)
            if len(key) >= MIN_LENGTH - 1:
                by_key.setdefault((key[:1], len(key)), {}).setdefault(word if key == word else key, word)
        self._buckets = {slot: (list(found), list(found.values())) for slot, found in by_key.items()}

    def correct(self, word: str) -> str | None:
        """The known word nearest to `word` within its budget, as the content writes it; None if there is none.

        A deletion makes a word shorter than the one meant ("maşı" for
        "maaşı"), so the budget follows the longer of the two. Between words
        as near without diacritics, the one nearer as typed wins: "maşı" is
        "maaşı" rather than "mali"; then the word given first (the commoner,
        for a frequency list).
        """
        key = fold(word)
        reach = typo_budget(len(key) + 1)
        found: list[tuple[float, float, int, str]] = []
        for length in range(len(key) - reach, len(key) + reach + 1):
            bucket = self._buckets.get((key[:1], length))
            if not bucket:
                continue
            keys, words = bucket
            budget = typo_budget(max(length, len(key)))
            for _, distance, at in process.extract(
                key, keys, scorer=DamerauLevenshtein.distance, score_cutoff=budget, limit=None
            ):
                found.append((distance, DamerauLevenshtein.distance(word, words[at]), at, words[at]))
        return min(found)[3] if found else None
