"""Taught questions as the ranking reads them: where each points in every language, and how near a reader's is.

A content owner's `questions.yml` (`content.taught`) pairs questions readers
asked with the paragraph that answers them, or with "no answer". A reader's
question near a taught one is likely asked for the same paragraph: the
`taught` signal (`signals.taught`) votes for that paragraph, and a near "no
answer" pair lowers the answer's confidence (`signals.taught_no_answer`).
How near, from 0 to 1 (`Near`):

- by words, within one language, with the bot's own analysis (the reader's
  words as its ranker reads them, typos corrected, each weighed by how much
  it says): the share of both questions' weight they have in common (Dice),
  counted from `RankingConfig.taught_word_floor`;
- by meaning, the model's similarity between the two questions, both
  embedded as a reader's question is (`embedding.question_keys`: their
  vectors are kept in the vector store beside the paragraphs'). Questions of
  one subject are about as similar to a reader's as its paraphrases, so what
  counts is how far the nearest taught question stands out from the nearest
  pointing elsewhere (`RankingConfig.taught_margin`); and the model rates
  questions of the reader's language nearer than translations, so each
  language's taught questions are compared apart, each language's nearest a
  vote of its own, the reader's own language's standing out by a wider
  margin (`taught_own_margin`): its questions of one subject crowd nearest.

A paragraph taught in one language points to the same paragraph in every
translation: translations share their structure (sections and paragraphs in
the same order), which is checked article by article; where a translation is
shaped otherwise, its paragraph nearest in meaning to the taught one stands
in, and without vectors none does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import numpy as np

from ..content.articles import HIGHLIGHTS, TaughtPair
from ..language.analysis import Analyzer, Token
from .index import LanguageIndex, SearchIndex
from .similarity import SCALE
from .tuning import RankingConfig

NO_UNIT = -1
"""Where a pair points in a language when it points nowhere there: "no answer", or an article that language lacks."""
BY_MEANING = -2
"""Where a pair points in a language whose translation of the article is shaped otherwise: found by meaning."""
NO_ANSWER = -3
"""Where a "no answer" pair points, among the places taught questions point to (`TaughtQuestions._nearest_by_meaning`)."""
NEAREST_WALK = 64
"""Taught questions looked at, nearest first, for one pointing elsewhere than the nearest: beyond them, the nearest
counts as standing out from `taught_floor`."""

Words = dict[str, float]
"""A question's content words as compared (`Analyzer.folded_term`), each with its weight."""


Position = tuple[str, int, int]
"""A paragraph in every translation at once: its article's key, section and place in it (translations are parallel)."""

K = TypeVar("K", int, Position)


@dataclass(frozen=True)
class Near(Generic[K]):
    """How near one reading of a question is to the taught questions, per place (a unit of its language, or a
    `Position` across languages) and for "no answer"."""

    units: dict[K, float]
    """Per place taught questions near the reader's point to (at most `taught_candidates`), the closeness (0 to 1) of
    the nearest of them."""
    none: float
    """The closeness of the nearest taught question the knowledge base has no answer to (0 if none is near)."""

    def kept(self, place: K | None) -> float:
        """The share of an answer's confidence (or probability) a near "no answer" question leaves it: none when the
        question asked is nearer a taught "no answer" than any taught question pointing to `place`, by a full step.

        Asked again, such a question gets "no answer", however well the content
        seems to answer it; one only somewhat like it is answered less surely.
        """
        pointing = self.units.get(place, 0.0) if place is not None else 0.0
        return 1 - min(1.0, max(0.0, self.none - pointing))

    def of(self: Near[int], units: np.ndarray) -> np.ndarray:
        """The closeness of each of `units`, 0 where no taught question near the reader's points."""
        return np.array([self.units.get(unit, 0.0) for unit in units.tolist()], dtype=np.float64)


NOWHERE: Near[int] = Near({}, 0.0)
NOWHERE_ACROSS: Near[Position] = Near({}, 0.0)


def content_words(analyzer: Analyzer, tokens: Sequence[Token]) -> Words:
    """A question's content words, compared folded as typed ("araligi" meets "aralığı"), each with its importance."""
    words: Words = {}
    for token in tokens:
        if token.stop:
            continue
        key = analyzer.folded_term(token.surface)
        words[key] = max(words.get(key, 0.0), analyzer.importance(token.surface))
    return words


class TaughtQuestions:
    """The knowledge base's taught questions, as one searcher compares readers' questions with them.

    `words` reads a question in a content language as that language's ranker
    does (`LanguageRanker.question_words`); one in a language the content
    lacks (an owner's English help desk over Danish articles) is read by that
    language's own analysis (`Analyzer`: stop words, stems, word frequencies),
    without typo correction, which needs the content's words. `language` names
    the language of a question taught without one (lingua, among the
    content's). Built with the searcher: 200 questions take some 40 ms.
    """

    def __init__(
        self,
        index: SearchIndex,
        config: RankingConfig,
        words: Callable[[str, str], Words],
        language: Callable[[str], str | None],
    ) -> None:
        self.index = index
        self.config = config
        self.pairs: list[TaughtPair] = list(index.kb.taught)
        self.langs = [pair.lang or language(pair.question) or "" for pair in self.pairs]
        """Each question's language, as given or detected ("" when lingua names none)."""
        self._article_ids = {
            (key, lang): article_id
            for article_id, (key, lang) in enumerate(zip(index.articles.keys, index.articles.langs, strict=True))
        }
        self.targets = {lang: self._targets(lang) for lang in index.by_lang}
        """Per content language, the unit each pair points to there (`NO_UNIT`, `BY_MEANING`)."""
        self.none = np.array([pair.target is None for pair in self.pairs], dtype=bool)
        self._totals = np.zeros(len(self.pairs))
        """Per pair, the weight of its question's words."""
        self._words_in = words
        self._analyzers: dict[str, Analyzer] = {}
        self._pointing: dict[Position, int] = {}
        """A pair pointing to each position a reader's question was found near (`translations`)."""
        gathered: dict[str, dict[str, tuple[list[int], list[float]]]] = {}
        for i, (pair, lang) in enumerate(zip(self.pairs, self.langs, strict=True)):
            if not lang:
                continue
            found = self.words(pair.question, lang)
            self._totals[i] = sum(found.values())
            for key, weight in found.items():
                pairs, weights = gathered.setdefault(lang, {}).setdefault(key, ([], []))
                pairs.append(i)
                weights.append(weight)
        self._words = {
            lang: {key: (np.array(pairs, dtype=np.int64), np.array(weights)) for key, (pairs, weights) in postings.items()}
            for lang, postings in gathered.items()
        }
        """Per language, each word's taught questions and its weight in each: compared as a search engine's postings."""
        self._by_meaning: dict[tuple[int, str], int] = {}
        by_language: dict[str, list[int]] = {}
        for i, lang in enumerate(self.langs):
            by_language.setdefault(lang, []).append(i)
        self._by_language = {lang: np.array(members, dtype=np.int64) for lang, members in sorted(by_language.items())}
        """The taught questions of each language, compared with a reader's a language at a time."""

    def words(self, question: str, lang: str) -> Words:
        """A question's content words in `lang`: as its ranker reads them, or, in a language the content lacks, as that
        language's analysis does."""
        if lang in self.index.by_lang:
            return self._words_in(question, lang)
        if lang not in self._analyzers:
            self._analyzers[lang] = Analyzer(lang)
        analyzer = self._analyzers[lang]
        return content_words(analyzer, analyzer.tokens(question))

    # -- where each pair points ---------------------------------------------------

    def _shape(self, article_id: int) -> tuple[tuple[int, ...], bool]:
        article = self.index.articles[article_id]
        return article.shape, bool(article.highlights)

    def _targets(self, lang: str) -> np.ndarray:
        idx = self.index.by_lang[lang]
        shapes: dict[int, tuple[tuple[int, ...], bool]] = {}

        def shape(article_id: int) -> tuple[tuple[int, ...], bool]:
            if article_id not in shapes:
                shapes[article_id] = self._shape(article_id)
            return shapes[article_id]

        out = np.full(len(self.pairs), NO_UNIT, dtype=np.int64)
        for i, pair in enumerate(self.pairs):
            target = pair.target
            if target is None:
                continue
            here = self._article_ids.get((target.article, lang))
            source = self._article_ids.get((target.article, target.lang))
            if here is None or source is None:
                continue
            if target.section == HIGHLIGHTS:
                unit = unit_at(idx, here, HIGHLIGHTS, HIGHLIGHTS) if shape(here)[1] else None
            elif here == source or shape(here)[0] == shape(source)[0]:
                unit = unit_at(idx, here, target.section, target.paragraph)
            else:
                unit = BY_MEANING
            out[i] = NO_UNIT if unit is None else unit
        return out

    def target(self, i: int, lang: str) -> int:
        """The unit pair `i` points to in `lang`, resolving a translation shaped otherwise by meaning."""
        unit = int(self.targets[lang][i])
        if unit != BY_MEANING:
            return unit
        if (i, lang) not in self._by_meaning:
            self._by_meaning[(i, lang)] = self._nearest_translation(i, lang)
        return self._by_meaning[(i, lang)]

    def _nearest_translation(self, i: int, lang: str) -> int:
        """The paragraph of the article's translation in `lang` nearest in meaning to the one pair `i` was taught with."""
        target = self.pairs[i].target
        assert target is not None
        source_idx, idx = self.index.by_lang.get(target.lang), self.index.by_lang[lang]
        source = self._article_ids[(target.article, target.lang)]
        here = self._article_ids[(target.article, lang)]
        if source_idx is None or source_idx.unit_vectors is None or idx.unit_vectors is None:
            return NO_UNIT
        taught = unit_at(source_idx, source, target.section, target.paragraph)
        start, end = idx.lead_unit(here), int(np.searchsorted(idx.unit_article, here, side="right"))
        if taught is None or start == end:
            return NO_UNIT
        vector = source_idx.unit_vectors.rows[taught].astype(np.float32) / np.float32(SCALE)
        similarity = idx.unit_vectors.similarity(vector)[start:end]
        return start + int(np.argmax(similarity))

    # -- how near a question is -------------------------------------------------

    def near(self, lang: str, words: Words, vector: np.ndarray | None) -> Near[int]:
        """How near a question read in `lang` (its `words`, and its embedding when there is one) is to each taught one."""
        if not self.pairs:
            return NOWHERE
        by_words = self._word_votes(lang, words, lambda i: self.target(i, lang))
        by_meaning = self._meaning_votes(lang, vector, lambda i: self.target(i, lang))
        return self._nearest(by_words, by_meaning)

    def near_across(self, question: str, reader: str, vector: np.ndarray | None) -> Near[Position]:
        """How near a question in a language the content lacks is to the taught questions, per position.

        Its words are compared with the questions taught in its language (an
        owner's English help-desk history over Danish and Turkish articles),
        and its meaning with every language's, as for any reader; each points
        to its paragraph in every translation at once (`Position`), as the
        answer across languages is found.
        """
        if not self.pairs:
            return NOWHERE_ACROSS
        words = self.words(question, reader) if reader in self._words else {}
        by_words = self._word_votes(reader, words, self._position)
        return self._nearest(by_words, self._meaning_votes(reader, vector, self._position))

    def _position(self, i: int) -> Position | int:
        """Where pair `i` points, named as the answer across languages names paragraphs (the highlights' unit is
        `HIGHLIGHTS` twice, as `unit_at` finds it), or `NO_UNIT` for "no answer"."""
        target = self.pairs[i].target
        if target is None:
            return NO_UNIT
        section, paragraph = (HIGHLIGHTS, HIGHLIGHTS) if target.section == HIGHLIGHTS else (target.section, target.paragraph)
        position = (target.article, section, paragraph)
        self._pointing.setdefault(position, i)
        return position

    def translations(self, position: Position) -> dict[str, int]:
        """The unit of a position taught questions point to (`near_across`) in each content language that has it: the
        paragraph taught, or its translation's, found by meaning where that translation is shaped otherwise."""
        i = self._pointing[position]
        return {lang: unit for lang in self.index.by_lang if (unit := self.target(i, lang)) >= 0}

    def _nearest(self, *votes: Near[Any]) -> Near[Any]:
        """The places the nearest taught questions point to by any of `votes`, at most `taught_candidates` of them."""
        places: dict[Any, float] = {}
        for vote in votes:
            for place, value in vote.units.items():
                places[place] = max(places.get(place, 0.0), value)
        nearest = sorted(places.items(), key=lambda item: -item[1])[: self.config.taught_candidates]
        return Near({place: value for place, value in nearest if value > 0}, max(vote.none for vote in votes))

    def _word_votes(self, lang: str, words: Words, place: Callable[[int], Any]) -> Near[Any]:
        """How near a question read in `lang` is by its `words` to each taught question of that language: the share of
        both questions' word weight they have in common (Dice), from `taught_word_floor`; each pointing to its `place`."""
        shared = np.zeros(len(self.pairs))
        postings = self._words.get(lang, {})
        for key, weight in words.items():
            if key in postings:
                pairs, weights = postings[key]
                shared[pairs] += np.minimum(weight, weights)
        alike = np.divide(2 * shared, sum(words.values()) + self._totals, out=np.zeros_like(shared), where=shared > 0)
        floor = self.config.taught_word_floor
        closeness = np.maximum(0.0, (alike - floor) / (1 - floor))
        places: dict[Any, float] = {}
        for i in np.flatnonzero((closeness > 0) & ~self.none).tolist():
            target = place(i)
            if target != NO_UNIT and closeness[i] > places.get(target, 0.0):
                places[target] = float(closeness[i])
        return Near(places, float(closeness[self.none].max(initial=0.0)))

    def _meaning_votes(self, reader: str, vector: np.ndarray | None, place: Callable[[int], Any]) -> Near[Any]:
        """Each taught language's vote by meaning for a reader of `reader`: where its taught question nearest the
        reader's points (`place` of a pair: a unit, a position or `NO_UNIT`), and how far that one stands out."""
        vectors = self.index.taught_vectors
        if vector is None or vectors is None:
            return Near({}, 0.0)
        config = self.config
        similarity = vectors.similarity(vector).astype(np.float64)
        places: dict[Any, float] = {}
        none = 0.0
        for taught_lang, members in self._by_language.items():
            own = taught_lang == reader
            floor = config.taught_floor - (0.0 if own else config.taught_across)
            margin = config.taught_own_margin if own else config.taught_margin
            target, near = self._nearest_by_meaning(place, similarity, members, floor, margin)
            if target == NO_ANSWER:
                none = max(none, near)
            elif target != NO_UNIT:
                places[target] = max(places.get(target, 0.0), near)
        return Near(places, none)

    def _nearest_by_meaning(
        self, place: Callable[[int], Any], similarity: np.ndarray, members: np.ndarray, floor: float, margin: float
    ) -> tuple[Any, float]:
        """Where the taught question of `members` (one language's) nearest in meaning points (its `place`, or
        `NO_ANSWER`), and its closeness: how far it stands out from the nearest of them pointing elsewhere, and from
        `floor`, in `margin` steps, up to 1.

        Two questions of one subject ("how much does a fund cost", "how much
        can a fund lose") are about as similar to a third as paraphrases are:
        the model tells needs apart by a margin, not by a level.
        """
        first: Any = NO_UNIT
        best, runner_up = 0.0, floor
        near = similarity[members]
        if len(members) > NEAREST_WALK:
            kept = np.argpartition(-near, NEAREST_WALK - 1)[:NEAREST_WALK]
            members, near = members[kept], near[kept]
        nearest = members[np.argsort(-near, kind="stable")]
        for i in nearest.tolist():
            target = NO_ANSWER if self.none[i] else place(i)
            if target == NO_UNIT:
                continue
            if first == NO_UNIT:
                first, best = target, float(similarity[i])
            elif target != first:
                runner_up = max(runner_up, float(similarity[i]))
                break
        return first, min(1.0, max(0.0, (best - runner_up) / margin))


def unit_at(idx: LanguageIndex, article_id: int, section: int, paragraph: int) -> int | None:
    """The unit of one article's paragraph (with `HIGHLIGHTS` twice, its highlights) in a language's index: units are
    stored article by article, in order."""
    start = idx.lead_unit(article_id)
    end = int(np.searchsorted(idx.unit_article, article_id, side="right"))
    found = np.flatnonzero((idx.unit_section[start:end] == section) & (idx.unit_paragraph[start:end] == paragraph))
    return start + int(found[0]) if len(found) else None
