"""Ranking one language's paragraphs for a question, and how sure the best one is.

A question is read in one language at a time (`searcher` decides which):

1. typos: a word neither the content nor the language knows is corrected
   first (`spelling`), as a stemmer reads a typo wrongly;
2. words: each content word is *resolved* to index terms, strictest first
   (`matching`): the exact term, the word typed without diacritics, the parts
   of a compound, a longer inflection of a known stem, a typo, the content
   owner's synonyms; looser matches count for less;
3. ranking: BM25F over paragraph, heading, title and restating highlight,
   then a rerank of the top candidates by how much of the question they
   cover and how closely the question restates their section heading
   (question words such as "what does ... do" live in headings, not in
   paragraphs);
4. confidence: the share of the question's meaning (word weights from
   general word frequency) that the best candidate accounts for.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import chain, combinations

import numpy as np

from ..language.analysis import STOPWORD_WEIGHT, Analyzer, Token
from ..language.cues import cues
from ..language.spelling import Speller
from ..language.textnorm import normalize
from .index import LanguageIndex
from .matching import ALIAS, MIN_PREFIX, PART, PREFIX, TermMatcher

CUE_KEYS = ("summary_cues", "quantity_cues", "question_words")
CANDIDATES = 24
MAX_QUESTION_WORDS = 40
"""Words of a message that are searched; a pasted essay is not a question, and its tail is ignored."""
MAX_WORD_LETTERS = 64
"""Letters of a question word that are read: no word of any language is longer, and every step that reads
a word (typo lookup, prefix and compound matching) then costs at most a bounded amount, whatever is sent."""

COVERAGE_WEIGHT, RELEVANCE_WEIGHT, HEADING_WEIGHT = 1.0, 0.35, 0.6
HEADING_BETA = 2.0
UNKNOWN_BESIDE_TOPIC = 0.5
"""How much a word the content lacks counts against an answer whose article the question's other words are central to."""
FIGURE_WEIGHT = 0.5
"""Bonus of a paragraph that states a figure when the question asks how much, or about pay or prices.

Such a question wants an amount, so among paragraphs that match it about as
well, the one with the amount is the answer: large enough to outweigh a
paragraph that names pay twice in passing ("salary levels vary ... a higher
salary") over the one that gives the range."""
PROXIMITY_WEIGHT, PROXIMITY_CANDIDATES, WINDOW = 0.2, 6, 2
"""Bonus for the question's words standing close together, how many leading candidates get it, how close is close."""
_UNIT_TERMS_CACHE = 512
ELSEWHERE_WEIGHT = 0.5
"""How much a question word counts against an answer when the knowledge base has it elsewhere.

A word found nowhere ("pizza") suggests the question is out of scope and
counts in full; a word found in other paragraphs ("necessary") only shows the
answer is not a perfect fit."""


@dataclass
class Group:
    """One word of the question and the index terms it resolved to."""

    token: Token
    weight: float
    terms: list[tuple[int, float]] = field(default_factory=list)


@dataclass(frozen=True)
class QuestionWords:
    """A question's words as heading matching needs them, worked out once per question rather than per heading."""

    each: list[tuple[set[int], float]]
    """Per word: the index terms it may stand for, and its weight."""
    ids: set[int]
    total: float


@dataclass
class Ranked:
    """One language's reading of a question: its best unit, how sure, and the runners-up."""

    lang: str
    unit: int | None
    confidence: float
    summary: bool
    groups: list[Group]
    candidates: list[int]


class LanguageRanker:
    """Ranks the units of one language's index for a question.

    It knows the rankers of the content's other languages (`others`, set by
    the searcher) only to recognise words borrowed from them.
    """

    def __init__(self, index: LanguageIndex, unit_text: Callable[[int], str]) -> None:
        self.lang = index.lang
        self.unit_text = unit_text
        self.index = index
        self.analyzer = Analyzer(index.lang, index.frequencies, index.kept_words)
        self.matcher = TermMatcher(index, self.analyzer)
        self.term_names = list(index.terms)
        self.summary_cues = self._cue_tokens("summary_cues")
        self.quantity_cues = self._cue_tokens("quantity_cues")
        self.speller = self._speller()
        self.lexicon = Speller(self.analyzer.frequencies.lexicon)
        self.others: Sequence[LanguageRanker] = ()
        self._unit_terms = lru_cache(maxsize=_UNIT_TERMS_CACHE)(self._terms_of_unit)

    def _terms_of_unit(self, unit: int) -> tuple[str, ...]:
        """A unit's words as terms, in order: where the question's words stand in it (see `_proximity`)."""
        term = self.analyzer.term
        return tuple(term(word) for word in normalize(self.unit_text(unit), self.lang))

    def _speller(self) -> Speller:
        """What a reader may have meant: the content's words, the synonyms, stop words and cue phrases."""
        lang, idx = self.lang, self.index
        cue_words = (word for key in CUE_KEYS for phrase in cues(lang, key) for word in normalize(phrase, lang))
        return Speller(chain(idx.surfaces, idx.kept_words, self.analyzer.stopwords, cue_words))

    def _cue_tokens(self, key: str) -> list[set[str]]:
        """Each cue phrase as the terms a question must have; its stop words only where they carry it.

        "de vigtigste punkter" is found in "vigtigste punkter" too, but "самое
        важное" (the most important) stays two words: "важное" alone is in
        "почему важно удерживать клиентов", which asks no summary.
        """
        found = []
        for cue in cues(self.lang, key):
            tokens = self.analyzer.tokens(cue)
            content = {t.term for t in tokens if not t.stop}
            found.append(content if len(content) >= 2 else {t.term for t in tokens})
        return found

    def knows_words(self, question: str) -> bool:
        """Whether any content word of the question is, or is a typo of, a word of this language's content."""
        return any(
            self.matcher.knows(t) or self.speller.correct(t.surface) is not None
            for t in self._question_tokens(question)
            if not t.stop and len(t.folded) > 1
        )

    def matched(self, ranked: Ranked) -> frozenset[str]:
        """The index terms the question's words resolved to."""
        return frozenset(self.term_names[term_id] for g in ranked.groups for term_id, _ in g.terms)

    def content_terms(self, text: str) -> dict[str, float]:
        """The terms of a text's content words, each with its weight."""
        analyzer = self.analyzer
        return {t.term: analyzer.importance(t.surface) for t in analyzer.tokens(text) if not t.stop}

    # -- reading the question ----------------------------------------------

    def _question_tokens(self, question: str) -> list[Token]:
        """The words of a question that are read: the first `MAX_QUESTION_WORDS`, each cut to `MAX_WORD_LETTERS`."""
        analyzer = self.analyzer
        words = normalize(question, self.lang)[:MAX_QUESTION_WORDS]
        return [analyzer.token(word[:MAX_WORD_LETTERS]) for word in words]

    def _spelled(self, tokens: list[Token]) -> list[Token]:
        """The question's words with typos corrected: see `spelling`. Known and foreign words stay as typed.

        The words the bot knows come first, then the language's common words:
        "bollumden" is "bölümden" (from which department), a word the content
        lacks but the stemmer then reads well.
        """
        analyzer, matcher = self.analyzer, self.matcher
        spelled = []
        for token in tokens:
            if token.stop or analyzer.zipf(token.surface) > 0 or matcher.knows(token) or self._foreign(token):
                spelled.append(token)
                continue
            meant = self.speller.correct(token.surface) or self.lexicon.correct(token.surface)
            spelled.append(analyzer.token(meant) if meant else token)
        return spelled

    def _borrowed(self, token: Token) -> bool:
        """Whether a word this language's content lacks is one the content of another language has.

        Readers borrow the name of a subject from another language ("account
        manager" in a Turkish question about "hesap yöneticisi"): such a word
        tells nothing about whether the question is in scope, unlike "pizza".
        """
        for other in self.others:
            borrowed = other.analyzer.token(token.surface)
            if not borrowed.stop and other.matcher.knows(borrowed):
                return True
        return False

    def _foreign(self, token: Token) -> bool:
        """Whether a word is one of another of the content's languages ("nedir" read as Italian): no typo to correct."""
        return any(other.analyzer.zipf(token.surface) > 0 for other in self.others) or self._borrowed(token)

    def _groups(self, tokens: list[Token]) -> list[Group]:
        """The question's content words (all words, if it has only stop words), each with its matches.

        A compound the content lacks is matched by its parts, unless the
        content owner listed it, or the word it is built on, as a synonym
        ("videregående" is no "vid" + "ere" + "gående").
        """
        analyzer, matcher = self.analyzer, self.matcher
        content = [t for t in tokens if not t.stop] or tokens
        groups: list[Group] = []
        for token in content:
            weight = analyzer.importance(token.surface) or STOPWORD_WEIGHT
            terms = matcher.resolve(token)
            whole = any(strength >= ALIAS for _, strength in terms) or bool(matcher.synonyms(token))
            parts = () if whole else analyzer.compound_parts(token.surface)
            if parts:
                for part in parts:
                    part_token = analyzer.token(part)
                    part_terms = [(t, s * PART) for t, s in matcher.resolve(part_token)]
                    groups.append(Group(part_token, weight / len(parts), part_terms))
                continue
            groups.append(Group(token, weight, terms))
        return groups

    def _is_summary(self, tokens: list[Token]) -> tuple[bool, list[Token]]:
        """Whether the question asks for the key points, and its words other than the cue.

        A one-word cue also matches a word built on it ("riassumimi",
        summarise for me, on "riassumi"), as readers inflect and attach.
        """
        terms = {t.term for t in tokens}
        for cue in self.summary_cues:
            if cue and cue <= terms:
                return True, [t for t in tokens if t.term not in cue]
            if len(cue) == 1 and len(cue_term := next(iter(cue))) >= MIN_PREFIX:
                rest = [t for t in tokens if not t.term.startswith(cue_term)]
                if len(rest) < len(tokens):
                    return True, rest
        return False, tokens

    # -- ranking -------------------------------------------------------------

    def rank(self, question: str) -> Ranked:
        """This language's best unit for `question`, with its confidence and the other candidates in order."""
        idx = self.index
        tokens = self._spelled(self._question_tokens(question))
        summary, rest = self._is_summary(tokens)
        groups = self._groups(rest) if rest else []
        scores, covered, hit_weight = _evidence(idx, groups)
        unresolved = sum(g.weight for g in groups if not g.terms and not self._borrowed(g.token))
        elsewhere = ELSEWHERE_WEIGHT * sum(g.weight for g in groups if g.terms)
        nonzero = int(np.count_nonzero(scores))
        if not nonzero:
            return Ranked(self.lang, None, 0.0, summary, groups, [])
        k = min(CANDIDATES, nonzero)
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        peak = float(scores[top[0]])
        finals: list[tuple[float, int]] = []
        confidences: dict[int, float] = {}
        words = self._word_ids(tokens, groups)
        terms = {t.term for t in tokens}
        wants_figure = any(cue and cue <= terms for cue in self.quantity_cues)
        heading_scores: dict[int, float] = {}
        for unit in top.tolist():
            slot = int(idx.unit_heading[unit])
            if slot not in heading_scores:
                heading_scores[slot] = _heading_match(words, *idx.heading_words(unit))
            heading = heading_scores[slot]
            denominator = unresolved + elsewhere + (1 - ELSEWHERE_WEIGHT) * float(hit_weight[unit])
            coverage = float(covered[unit]) / denominator if denominator else 0.0
            final = COVERAGE_WEIGHT * coverage + RELEVANCE_WEIGHT * float(scores[unit]) / peak + HEADING_WEIGHT * heading
            if wants_figure and idx.unit_figures[unit]:
                final += FIGURE_WEIGHT
            finals.append((final, unit))
            confidences[unit] = max(coverage, heading)
        ordered = self._with_proximity(finals, groups)
        best_unit = ordered[0]
        best_conf = confidences[best_unit]
        if self._names_only_topic(groups, int(idx.unit_article[best_unit])):
            lead = idx.lead_unit(int(idx.unit_article[best_unit]))
            if _heading_match(words, *idx.heading_words(lead)) >= heading_scores[int(idx.unit_heading[best_unit])]:
                best_unit = lead
        if unresolved and self._on_topic(groups, int(idx.unit_article[best_unit])):
            denominator = UNKNOWN_BESIDE_TOPIC * unresolved + elsewhere + (1 - ELSEWHERE_WEIGHT) * float(hit_weight[best_unit])
            best_conf = max(best_conf, float(covered[best_unit]) / denominator)
        return Ranked(self.lang, best_unit, min(1.0, best_conf), summary, groups, ordered)

    def _with_proximity(self, finals: list[tuple[float, int]], groups: list[Group]) -> list[int]:
        """The candidate units best first, the leading few raised by how close together they have the question's words.

        "perché è importante mantenere i clienti" is the paragraph that says
        "mantenere i clienti", not the one that says "mantenere" in one clause
        and "cliente" in another.
        """
        ranked = sorted(finals, key=lambda item: -item[0])
        named = [(g.weight, {self.term_names[t] for t, _ in g.terms}) for g in groups if g.terms]
        if len(named) >= 2:
            head = [
                (final + PROXIMITY_WEIGHT * self._proximity(unit, named), unit) for final, unit in ranked[:PROXIMITY_CANDIDATES]
            ]
            ranked = sorted(head, key=lambda item: -item[0]) + ranked[PROXIMITY_CANDIDATES:]
        return [unit for _, unit in ranked]

    def _proximity(self, unit: int, named: list[tuple[float, set[str]]]) -> float:
        """Share of the question's word pairs (by weight) that the unit has within `WINDOW` words of each other."""
        positions: list[list[int]] = [[] for _ in named]
        for at, term in enumerate(self._unit_terms(unit)):
            for i, (_, names) in enumerate(named):
                if term in names:
                    positions[i].append(at)
        total = near = 0.0
        for i, j in combinations(range(len(named)), 2):
            weight = min(named[i][0], named[j][0])
            total += weight
            if any(abs(a - b) <= WINDOW for a in positions[i] for b in positions[j]):
                near += weight
        return near / total if total else 0.0

    def _names_only_topic(self, groups: list[Group], article_id: int) -> bool:
        """Whether every word of the question that the content has names the article's topic.

        Such a question ("account manager definition", "what is an account
        manager") asks about the topic itself, which the opening paragraph
        introduces; every paragraph mentions the topic, so none other is a
        better answer, unless the question restates another section's
        heading better (its stop words and their synonyms: "hvad laver en
        account manager", what does one do).
        """
        topic = self.index.topics.get(article_id)
        matched = [g for g in groups if g.terms]
        return bool(topic and matched) and all(any(t in topic for t, _ in g.terms) for g in matched)

    def _on_topic(self, groups: list[Group], article_id: int) -> bool:
        """Whether every word of the question that the content has is one the answer's article keeps coming back to.

        The word must be in two or more of the article's paragraphs (its title
        and headings count for each paragraph they cover). "carriera" in "ci
        sono possibilità di fare carriera?" is; "dollar" in "what is the dollar
        rate", found once in a sentence on pay, is not. A question on the
        article's own topic is not out of scope for one word the article
        lacks ("possibilità"). A word that meets the content only by a short
        stem ("partita", a match, and "parte", part, both "part") may be
        another word altogether, and proves nothing.
        """
        idx, names = self.index, self.term_names
        matched = [g for g in groups if g.terms]
        return bool(matched) and all(
            any(
                np.count_nonzero(idx.unit_article[idx.postings(term_id)[0]] == article_id) >= 2
                for term_id, strength in g.terms
                if strength >= PREFIX and (len(names[term_id]) >= MIN_PREFIX or idx.has_surface(g.token.folded))
            )
            for g in matched
        )

    def _word_ids(self, tokens: list[Token], groups: list[Group]) -> QuestionWords:
        """Each question word's index terms and weight, for matching headings.

        Stop words count here ("cosa *fa*"), and so do synonyms of every word
        and terms sharing its prefix: a heading states an intent, "laver" asks
        what "gør" does, and "yöneticisi" restates "Yöneticisinin" although
        Snowball stems them apart.
        """
        idx, analyzer, matcher = self.index, self.analyzer, self.matcher
        resolved = {g.token.surface: {t for t, _ in g.terms} for g in groups}
        words = []
        for token in tokens:
            ids = set(resolved.get(token.surface, ())) | matcher.synonyms(token).keys()
            ids.update(idx.aliases.get(analyzer.folded_term(token.surface), ()))
            if token.term in idx.terms:
                ids.add(idx.terms[token.term])
            ids.update(t for t, _ in matcher.relatives(token.term))
            words.append((ids, analyzer.heading_weight(token)))
        return QuestionWords(words, set().union(*(ids for ids, _ in words)), sum(w for _, w in words))


def _heading_match(words: QuestionWords, heading_terms: np.ndarray, heading_weights: np.ndarray) -> float:
    """How fully the question restates a section heading: F-beta of shared words, stop words included.

    Recall (the question's words found in the heading) weighs more than
    precision, so "hvad laver en account manager" prefers "Forstå, hvad en
    Account Manager gør" to the shorter "Hvad er en Account Manager?".
    """
    if not words.total or not len(heading_terms):
        return 0.0
    heading = dict(zip(heading_terms.tolist(), heading_weights.tolist(), strict=True))
    recall = sum(weight for ids, weight in words.each if not ids.isdisjoint(heading)) / words.total
    precision = sum(w for term_id, w in heading.items() if term_id in words.ids) / sum(heading.values())
    if not recall or not precision:
        return 0.0
    return (1 + HEADING_BETA**2) * precision * recall / (HEADING_BETA**2 * precision + recall)


def _evidence(idx: LanguageIndex, groups: list[Group]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per unit: BM25F relevance, the question's weight it covers, and the weight of the words it has at all.

    A word that resolved to several terms (a synonym group, the parts of a
    compound) counts once per unit, by its best term there.
    """
    scores = np.zeros(idx.unit_count, dtype=np.float32)
    covered = np.zeros(idx.unit_count, dtype=np.float32)
    hit_weight = np.zeros(idx.unit_count, dtype=np.float32)
    for group in groups:
        if len(group.terms) == 1:
            term_id, strength = group.terms[0]
            units, weights = idx.postings(term_id)
            scores[units] += group.weight * strength * weights
            covered[units] += group.weight * min(1.0, strength / PREFIX)
            hit_weight[units] += group.weight
        elif group.terms:
            best = np.zeros(idx.unit_count, dtype=np.float32)
            hit = np.zeros(idx.unit_count, dtype=np.float32)
            for term_id, strength in group.terms:
                units, weights = idx.postings(term_id)
                best[units] = np.maximum(best[units], strength * weights)
                hit[units] = np.maximum(hit[units], min(1.0, strength / PREFIX))
            scores += group.weight * best
            covered += group.weight * hit
            hit_weight += group.weight * (hit > 0)
    return scores, covered, hit_weight
