"""An answer quoted from the articles → the paragraph it quotes: how `learn` reads a help desk's history.

A help desk's answers were pasted from the articles, markdown and all, wrapped
and spaced anew, now and then with a word changed on one side or the other,
often only the sentences that answered, or with a greeting around them. So an
answer is read as the reader sees it (`parsing.plain_text`) and compared word
for word, case- and markup-blind (`taught.words_of`), as `questions.yml`'s
openings are. Its exact sequence of words is looked up first; else the
paragraphs sharing most of its word trigrams are compared with it whole
(rapidfuzz), and the one close enough is the answer, when no other is; else
the one that holds the answer, or that the answer holds, close enough, in a
stretch of at least `PART_WORDS` words.

Each answer costs a few lookups whatever the size of the knowledge base: an
index built once holds a hash of every paragraph's words and a sample of its
word trigrams, in sorted arrays. The sample is the paragraph's winnowing
fingerprints (Schleimer, Wilkerson and Aiken, 2003, as MOSS finds copied
code): the smallest hash of every `WINDOW` trigrams in a row, so any stretch
of `PART_WORDS` words the answer shares with it shares a fingerprint, and an
edited copy shares most. The hashes are the same in every run (CRC-32 of the
trigram, not Python's salted `hash`), so an answer finds the same paragraph
whenever it is taught.
"""

from __future__ import annotations

import zlib
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz

from .articles import HIGHLIGHTS, Article, KnowledgeBase, Located
from .parsing import plain_text
from .taught import words_of

CLOSE_QUOTE = 85
"""How alike (rapidfuzz's ratio of the word sequences, 0 to 100) an answer and a paragraph must be for the answer to
quote it: a few words changed, added or dropped; not a neighbouring paragraph on the same subject."""

NEAR_QUOTE = 60
"""How alike a paragraph must be to be named as the closest to an answer that quotes none: below, the name would
mislead more than help."""

CANDIDATES = 8
"""Paragraphs compared whole with an answer not found word for word: those sharing most of its trigrams."""

PART_WORDS = 6
"""The fewest words of a quote of part of a paragraph (or of a paragraph inside a longer answer): a shorter stretch
("the salary range is") could be lifted from many paragraphs."""

WINDOW = PART_WORDS - 2
"""Trigrams per winnowing window: a stretch of `PART_WORDS` words is `WINDOW` trigrams, and holds a fingerprint."""

COMMON = 1000
"""A trigram sampled from more paragraphs than this says little about which one is quoted, and is passed over."""


@dataclass(frozen=True)
class Quoted:
    """The paragraph an answer quotes, and how alike they are (100: word for word)."""

    target: Located
    alike: int
    part: bool = False
    """The answer quotes part of the paragraph, or holds it among words of its own."""


def place_name(kb: KnowledgeBase, place: Located) -> str:
    """A paragraph as the owner finds it: article [language] § section ¶ number, or ★ and the key points' heading."""
    article = kb.article(place.article, place.lang)
    assert article is not None, place
    where = f"{place.article} [{place.lang}]"
    if place.section == HIGHLIGHTS:
        return f"{where} ★ {article.highlights_heading}"
    return f"{where} § {article.sections[place.section].heading} ¶{place.paragraph + 1}"


def _units(article: Article) -> list[tuple[int, int, str]]:
    """(section, paragraph, text) of each paragraph of `article`, its key points last as one."""
    units = [(s, p, text) for s, section in enumerate(article.sections) for p, text in enumerate(section.paragraphs)]
    if article.highlights:
        units.append((HIGHLIGHTS, 0, " ".join(article.highlights)))
    return units


def _trigrams(words: Sequence[str]) -> np.ndarray:
    """The hash of each trigram of `words`, in order: CRC-32, the same in every process. Two trigrams that share one
    cost a paragraph compared for nothing, once in millions of lookups."""
    return np.array([zlib.crc32("\x1f".join(words[i : i + 3]).encode()) for i in range(len(words) - 2)], dtype=np.uint32)


def _fingerprints(words: Sequence[str]) -> np.ndarray:
    """A paragraph's winnowing fingerprints: the smallest trigram hash of every `WINDOW` in a row (of them all, in a
    paragraph shorter than that)."""
    hashes = _trigrams(words)
    if len(hashes) <= WINDOW:
        return hashes.min(keepdims=True) if len(hashes) else hashes
    return np.unique(np.lib.stride_tricks.sliding_window_view(hashes, WINDOW).min(axis=1))


class QuoteIndex:
    """Every paragraph of a knowledge base, found from text that quotes it (`find`)."""

    def __init__(self, kb: KnowledgeBase, guess_language: Callable[[str], str | None]) -> None:
        """`guess_language` names the language of an answer that two translations share word for word (a name, a
        figure), when the line does not say."""
        self.kb = kb
        self._guess = guess_language
        articles, sections, paragraphs = array("i"), array("i"), array("i")
        self._exact: dict[int, list[int]] = {}
        postings = array("Q")
        """Each fingerprint with its unit, packed into one number (hash above, unit below) to be sorted in place."""
        for article_id, article in enumerate(kb.articles):
            for section, paragraph, text in _units(article):
                unit = len(articles)
                articles.append(article_id)
                sections.append(section)
                paragraphs.append(paragraph)
                words = words_of(text)
                self._exact.setdefault(hash(tuple(words)), []).append(unit)
                postings.extend(((_fingerprints(words).astype(np.uint64) << np.uint64(32)) | np.uint64(unit)).tolist())
            for item in article.highlights:  # one of the key points, pasted alone, names them all
                self._exact.setdefault(hash(tuple(words_of(item))), []).append(len(articles) - 1)
        self._articles = np.frombuffer(articles, dtype=np.int32) if articles else np.zeros(0, np.int32)
        self._sections = np.frombuffer(sections, dtype=np.int32) if sections else np.zeros(0, np.int32)
        self._paragraphs = np.frombuffer(paragraphs, dtype=np.int32) if paragraphs else np.zeros(0, np.int32)
        packed = np.sort(np.frombuffer(postings, dtype=np.uint64)) if postings else np.zeros(0, np.uint64)
        del postings
        self._grams = (packed >> np.uint64(32)).astype(np.uint32)
        self._owners = (packed & np.uint64(0xFFFFFFFF)).astype(np.int32)

    def __len__(self) -> int:
        return len(self._articles)

    def find(self, text: str, language: str | None = None) -> Quoted | str:
        """The paragraph `text` quotes, or why none is named: no paragraph close enough, or several.

        Where several paragraphs are quoted alike (translations sharing a
        sentence, a paragraph repeated in two articles), `language`'s are
        preferred, then those in the language of `text`.
        """
        words = words_of(plain_text(text))
        if not words:
            return 'the answer has no words (null, not text, says "no answer")'
        exact = self._exact.get(hash(tuple(words)), [])
        if exact:
            chosen = self._prefer(exact, language, text)
            if len(chosen) == 1:
                return Quoted(self._located(chosen[0]), 100)
            return f"the answer is, word for word, in {self._names(chosen)}; teach it by hand in questions.yml"
        scored = self._closest(words)
        close = self._prefer([unit for unit, alike in scored if alike >= CLOSE_QUOTE], language, text)
        if len(close) == 1:
            return Quoted(self._located(close[0]), next(alike for unit, alike in scored if unit == close[0]))
        if close:
            return f"the answer is as close to {self._names(close)}; quote one of them as the article has it"
        parts = [(unit, alike) for unit, _ in scored if (alike := self._part(words, unit)) >= CLOSE_QUOTE]
        holding = self._prefer([unit for unit, _ in parts], language, text)
        if len(holding) == 1:
            return Quoted(self._located(holding[0]), dict(parts)[holding[0]], part=True)
        if holding:
            return f"the answer quotes part of {self._names(holding)} alike; quote one of them whole, as the article has it"
        if scored and scored[0][1] >= NEAR_QUOTE:
            unit, alike = scored[0]
            return f"the answer matches no paragraph; the closest, {self._names([unit])}, is {alike}% alike"
        return "the answer matches no paragraph (it should quote one whole, as the article has it)"

    def _closest(self, words: list[str]) -> list[tuple[int, int]]:
        """(unit, how alike) of the `CANDIDATES` paragraphs sharing most fingerprints with `words`, most alike first."""
        grams = np.unique(_trigrams(words))
        starts = np.searchsorted(self._grams, grams, side="left")
        ends = np.searchsorted(self._grams, grams, side="right")
        kept = [(start, end) for start, end in zip(starts.tolist(), ends.tolist(), strict=True) if 0 < end - start <= COMMON]
        if not kept:
            return []
        owners = np.concatenate([self._owners[start:end] for start, end in kept])
        units, shared = np.unique(owners, return_counts=True)
        best = units[np.argsort(-shared, kind="stable")[:CANDIDATES]]
        quoted = " ".join(words)
        scored = [(int(unit), round(fuzz.ratio(quoted, " ".join(self._words(int(unit)))))) for unit in best]
        return sorted(scored, key=lambda pair: -pair[1])

    def _part(self, words: list[str], unit: int) -> int:
        """How alike (0 to 100) the shorter of an answer and a paragraph is to its best-matching stretch of the other:
        0 when the shorter has fewer than `PART_WORDS` words."""
        theirs = self._words(unit)
        shorter, longer = sorted((words, theirs), key=len)
        if len(shorter) < PART_WORDS:
            return 0
        return round(fuzz.partial_ratio(" ".join(shorter), " ".join(longer)))

    def _words(self, unit: int) -> list[str]:
        article = self.kb.articles[int(self._articles[unit])]
        section, paragraph = int(self._sections[unit]), int(self._paragraphs[unit])
        if section == HIGHLIGHTS:
            return words_of(" ".join(article.highlights))
        return words_of(article.sections[section].paragraphs[paragraph])

    def _lang(self, unit: int) -> str:
        return self.kb.articles.langs[int(self._articles[unit])]

    def _prefer(self, units: list[int], language: str | None, text: str) -> list[int]:
        units = list(dict.fromkeys(units))
        if len(units) > 1 and language:
            units = [unit for unit in units if self._lang(unit) == language] or units
        if len(units) > 1:
            guessed = self._guess(text)
            units = [unit for unit in units if self._lang(unit) == guessed] or units
        return units

    def _located(self, unit: int) -> Located:
        article_id = int(self._articles[unit])
        return Located(
            self.kb.articles.keys[article_id],
            self.kb.articles.langs[article_id],
            int(self._sections[unit]),
            int(self._paragraphs[unit]),
        )

    def _names(self, units: list[int]) -> str:
        names = [place_name(self.kb, self._located(unit)) for unit in units[:3]]
        more = f" and {len(units) - 3} more" if len(units) > 3 else ""
        return f"{len(units)} paragraphs: {'; '.join(names)}{more}" if len(units) > 1 else names[0]
