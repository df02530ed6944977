"""Turning text in one language into the terms the index and the query share.

A word becomes `fold(stem(lower(word)))`: stemmed while it still has its
diacritics (Snowball needs them), folded after, so that "aralığı" and an
unaccented "araligi" can meet. Stop words and word frequencies come from
stopwordsiso and wordfreq rather than hand-made lists: frequency says how much
a word tells about a question ("nedir" little, "maaş" a lot) in any language
those libraries cover.

The numbers here describe words of a language, the same whatever the content
and however ranking weighs its evidence: what a compound is, and how much a
word says from how common it is. The numbers that weigh evidence are the
search layer's (`search.tuning`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache

import Stemmer
import stopwordsiso

from .cues import cues
from .frequencies import WordFrequencies
from .languages import profile
from .textnorm import fold, normalize

_MIN_COMPOUND = 8
"""Shortest word tried as a compound: shorter words are seldom two words glued, and more often split wrongly."""
MAX_COMPOUND = 48
"""Longest word tried as a compound: the longest compounds in real use have about 40 letters.

Every cut of a word is tried, and the tail's cuts in turn, so the work grows
with the square of the length; a 4,000-letter "word" would hold the bot for
seconds. A longer word is left whole."""
_MIN_PART = 3
"""Fewest letters of a compound's part: shorter heads and tails ("er", "in") are words by chance in most languages."""
_KNOWN_ZIPF = 3.0
"""How common (Zipf) each part of a compound must be: a word in common use, not a rare form that happens to fit."""
_LINKS = ("s", "e")
"""Letters that join the parts of a compound ("administration*s*job")."""
_MOST_IMPORTANT, _LEAST_IMPORTANT, _ZIPF_OF_NONE = 4.0, 0.5, 7.0
"""The range of `Analyzer.importance`, and the Zipf frequency at which a word would say nothing (one word in a hundred).

A word's importance is how many Zipf steps rarer than that it is: a property
of the word in its language, the same in every knowledge base, which the
index (its synonyms and restated highlights) and the question (the share of
its meaning an answer covers) read alike."""


@dataclass(frozen=True)
class Token:
    surface: str
    """The word lowered but not folded, as stemmers want it."""
    folded: str
    term: str
    """The index term: stemmed, then folded."""
    stop: bool


@cache
def stop_words(lang: str) -> frozenset[str]:
    """A language's stop words (stopwordsiso's; none for a language it lacks), read once: the library copies its set
    on every call, and questions ask for them on every message."""
    return frozenset(stopwordsiso.stopwords(lang)) if stopwordsiso.has_lang(lang) else frozenset()


class Analyzer:
    """Everything language-specific about turning words into terms, for one language."""

    def __init__(self, lang: str, frequencies: WordFrequencies | None = None, keep: Iterable[str] = ()) -> None:
        """`frequencies` come with a built index; without them they are read from wordfreq.

        `keep` are words never to treat as stop words: stopwordsiso's lists
        merge many sources and carry nouns ("città", "город"), and a word the
        content owner lists as a synonym is evidently one that matters.
        """
        self.lang = lang
        self.frequencies = frequencies or WordFrequencies.of(lang)
        self._profile = profile(lang)
        self.proclitics = self._profile.proclitics
        algorithm = self._profile.snowball
        self._stemmer = Stemmer.Stemmer(algorithm, 50_000) if algorithm else None
        self.stopwords = frozenset(fold(w) for w in stop_words(self.lang) | self._question_words()) - {fold(w) for w in keep}
        self.term = lru_cache(maxsize=100_000)(self._term)
        self.importance = lru_cache(maxsize=50_000)(self._importance)
        self.zipf = lru_cache(maxsize=200_000)(self.frequencies.zipf)
        self.compound_parts = lru_cache(maxsize=100_000)(self._compound_parts)

    def _question_words(self) -> set[str]:
        """Words that frame a question ("lazım", "нужен", "kræver") rather than say what it is about.

        Stop-word lists cover interrogatives but not these modals of need and
        possibility; left in, they weigh as much as the topic and make an
        answerable question look out of scope. Kept per language in `cues`,
        beside the other phrases that steer intent.
        """
        return {word for phrase in cues(self.lang, "question_words", with_english=False) for word in normalize(phrase, self.lang)}

    def stem(self, word: str) -> str:
        return self._stemmer.stemWord(word) if self._stemmer else word

    def _term(self, word: str) -> str:
        return fold(self.stem(word))

    def tokens(self, text: str) -> list[Token]:
        return [self.token(w) for w in normalize(text, self.lang)]

    def token(self, word: str) -> Token:
        """A word with its term; it is a stop word also when it inflects one ("nedir" → "ne")."""
        folded = fold(word)
        term = self.term(word)
        return Token(word, folded, term, folded in self.stopwords or term in self.stopwords)

    def folded_term(self, word: str) -> str:
        """The term of a word after folding: how an unaccented inflected word ("araligi") stems."""
        return fold(self.stem(fold(word)))

    def _importance(self, word: str) -> float:
        """How much `word` says about what a question is after, from 0.5 (very common) to 4 (rare); 0 for a stop word."""
        if self.token(word).stop:
            return 0.0
        return min(_MOST_IMPORTANT, max(_LEAST_IMPORTANT, _ZIPF_OF_NONE - self.zipf(word)))

    def _compound_parts(self, word: str, depth: int = 2) -> tuple[str, ...]:
        """The parts of a compound: "lønintervallet" → (løn, intervallet), else ().

        Only for languages that write compounds as one word. Every part must be
        a word the language commonly uses and no stop word ("stillingen" is no
        "still" + "ingen"), a linking "s" or "e" is allowed, and
        the tail may itself be a compound ("kontoadministrationsjob" → konto,
        administration, job).
        """
        if not self._profile.compounds or not _MIN_COMPOUND <= len(word) <= MAX_COMPOUND:
            return ()
        best: tuple[float, tuple[str, ...]] = (0.0, ())
        common = self.frequencies
        for cut in range(_MIN_PART, len(word) - _MIN_PART + 1):
            head, tail = word[:cut], word[cut:]
            tails = [(tail,)] if tail in common else []
            if not tails and depth == 1:
                continue  # the cheapest way out first: without a word at the end, no head is tried
            # Then the heads: most cuts begin with no word at all, and then the tail's cuts need no trying.
            heads = [head] + [head[:-1] for link in _LINKS if head.endswith(link) and len(head) > _MIN_PART]
            heads = [h for h in heads if h in common]
            if not heads:
                continue
            if not tails:
                tails = [parts for parts in [self.compound_parts(tail, depth - 1)] if parts]
            if not tails:
                continue
            for h in heads:
                if any(fold(p) in self.stopwords for p in (h, *tails[0])):
                    continue
                parts = (h, *tails[0])
                strength = min(self.zipf(p) for p in parts)
                if strength >= _KNOWN_ZIPF and strength > best[0]:
                    best = (strength, parts)
        return best[1]
