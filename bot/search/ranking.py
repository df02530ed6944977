"""Ranking one language's paragraphs for a question, and how sure the best one is.

A question is read in one language at a time (`searcher` decides which):

1. typos: a word neither the content nor the language knows is corrected
   first (`spelling`), as a stemmer reads a typo wrongly;
2. words: each content word is *resolved* to index terms, strictest first
   (`matching`): the exact term, the word typed without diacritics, the parts
   of a compound, a longer inflection of a known stem, a typo, the content
   owner's synonyms; looser matches count for less;
3. reading: the words' matches give every unit its evidence (`reading`),
   and BM25F relevance picks the candidates;
4. ranking: the candidates are scored by named signals and the best is
   adjusted by named rules (`signals`): coverage, relevance, heading,
   figure, section lead, cross reference and semantic similarity, then
   topic lead and on-topic; the confidence is the share of the question's meaning (word
   weights from general word frequency) that the best candidate accounts
   for, or, if surer, what its similarity in meaning says.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ..language.analysis import Analyzer, Token
from ..language.cues import cues
from ..language.spelling import Speller
from ..language.textnorm import normalize
from .index import LanguageIndex, content_speller, heading_weight
from .matching import TermMatcher
from .reading import TAUGHT, Evidence, Group, QuestionWords, Reading
from .signals import SIGNALS, Pick, adjust, confidence, lexical_confidence, lexical_lead, order, score
from .taught import NOWHERE, Near, TaughtQuestions, Words, content_words
from .tuning import DEFAULT, RankingConfig

MAX_QUESTION_WORDS = 40
"""Words of a message that are searched; a pasted essay is not a question, and its tail is ignored."""
MAX_WORD_LETTERS = 64
"""Letters of a question word that are read: no word of any language is longer, and every step that reads
a word (typo lookup, prefix and compound matching) then costs at most a bounded amount, whatever is sent."""


@dataclass
class Ranked:
    """One language's reading of a question: its best unit, how sure, and the runners-up."""

    lang: str
    unit: int | None
    confidence: float
    summary: bool
    groups: list[Group]
    candidates: list[int]
    lexical: float = 0.0
    """How sure the question's words alone make the best unit: what tells which language a question is written in,
    since a question's meaning is as near a paragraph in one language as in its translation."""
    decisive: bool = False
    """Whether the words alone answer, with a clear lead over the runner-up: the question's meaning need not be read."""
    scores: np.ndarray = field(default_factory=lambda: np.zeros(0))
    """Each candidate's rank score, in the order of `candidates`."""
    coverage: np.ndarray = field(default_factory=lambda: np.zeros(0))
    """Each candidate's lexical confidence, in the order of `candidates`."""
    lead: float = 0.0
    """How clearly the words alone single out one candidate (`signals.lexical_lead`)."""
    taught: Near[int] = NOWHERE
    """How near the question is to the taught ones, and where they point (`taught`)."""


class LanguageRanker:
    """Ranks the units of one language's index for a question.

    It knows the rankers of the content's other languages (`others`, set by
    the searcher) only to recognise words borrowed from them.
    """

    def __init__(self, index: LanguageIndex, config: RankingConfig = DEFAULT) -> None:
        self.lang = index.lang
        self.index = index
        self.config = config
        self.analyzer = Analyzer(index.lang, index.frequencies, index.kept_words)
        self.matcher = TermMatcher(index, self.analyzer, config)
        self.term_names = index.term_names
        self.summary_cues = self._cue_tokens(cues(self.lang, "summary_cues"))
        self.quantity_cues = self._cue_tokens([*cues(self.lang, "quantity_cues"), *index.figure_words])
        self.follow_up_cues = [tuple(normalize(cue, self.lang)) for cue in cues(self.lang, "follow_ups")]
        """How a question that goes on from the last answer opens ("ya", "and what about"): words as typed, since
        folded the Italian "è" (is) would be "e" (and)."""
        """What asks for a figure: the language's "how much" and the content's own words for amounts ("salary")."""
        self.speller = index.speller or content_speller(self.analyzer, index.surfaces, index.kept_words, index.figure_words)
        self.lexicon = index.lexicon or Speller(self.analyzer.frequencies.lexicon)
        self.others: Sequence[LanguageRanker] = ()
        self.taught: TaughtQuestions | None = None
        """The knowledge base's taught questions, set by the searcher once every language's ranker is made."""

    def _cue_tokens(self, phrases: Sequence[str]) -> list[set[str]]:
        """Each cue phrase as the terms a question must have; its stop words only where they carry it.

        "de vigtigste punkter" is found in "vigtigste punkter" too, but "самое
        важное" (the most important) stays two words: "важное" alone is in
        "почему важно удерживать клиентов", which asks no summary.
        """
        found = []
        for cue in phrases:
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

    def unknown_words(self, question: str) -> tuple[list[str], int]:
        """The question's words of letters this language's content does not have, and how many words of letters it has."""
        tokens = [t for t in self._question_tokens(question) if t.surface.isalpha()]
        return [t.surface for t in tokens if not self.matcher.knows(t)], len(tokens)

    def follows_up(self, question: str, subjects: frozenset[str]) -> bool:
        """Whether the question goes on from the last answer without naming its subject: it opens as a follow-up does
        ("ya riskleri?", "and the fees?") and none of its words stands for one of `subjects`' terms (the words of the
        articles' titles: "and what is a mutual fund?" names one)."""
        words = tuple(normalize(question, self.lang))
        if not any(len(words) > len(cue) and words[: len(cue)] == cue for cue in self.follow_up_cues):
            return False
        tokens = [t for t in self._question_tokens(question) if not t.stop]
        return not any(self.term_names[term] in subjects for token in tokens for term, _ in self.matcher.resolve(token))

    def reads(self, question: str) -> bool:
        """Whether any word of the question is one this language commonly uses, or builds of them, or its content has.

        lingua names a language for anything ("blorf quux" is Danish to it, with
        a clear lead); a question with no word of the language it was read in is
        in no language, and its "no answer" belongs in the reader's (`Searcher.answer`).
        """
        analyzer = self.analyzer
        return any(
            analyzer.zipf(t.surface) > 0 or analyzer.compound_parts(t.surface) or self.matcher.knows(t)
            for t in self._question_tokens(question)
        )

    def question_words(self, question: str) -> Words:
        """A question's content words as they are compared with taught questions' (`taught.content_words`)."""
        return content_words(self.analyzer, self._spelled(self._question_tokens(question)))

    def matched(self, ranked: Ranked) -> frozenset[str]:
        """The index terms the question's words resolved to."""
        return frozenset(self.term_names[term_id] for g in ranked.groups for term_id, _ in g.terms)

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
        """The question's content words, each with its matches; none when it says nothing (`_content_words`).

        A compound the content lacks is matched by its parts, unless the
        content owner listed it, or the word it is built on, as a synonym
        ("videregående" is no "vid" + "ere" + "gående").
        """
        analyzer, matcher = self.analyzer, self.matcher
        groups: list[Group] = []
        for token in self._content_words(tokens):
            weight = analyzer.importance(token.surface) or self.index.config.stopword_weight
            terms = matcher.resolve(token)
            whole = any(strength >= self.config.alias for _, strength in terms) or bool(matcher.synonyms(token))
            parts = () if whole else analyzer.compound_parts(token.surface)
            if parts:
                for part in parts:
                    part_token = analyzer.token(part)
                    part_terms = [(t, s * self.config.part) for t, s in matcher.resolve(part_token)]
                    groups.append(Group(part_token, weight / len(parts), part_terms))
                continue
            groups.append(Group(token, weight, terms))
        return groups

    def _content_words(self, tokens: list[Token]) -> list[Token]:
        """The words a question is searched by: its content words, else its stop words rarer than the commonest.

        Stop-word lists carry nouns ("город", city), so a question of stop
        words alone may still name something; but "bir", "che cosa" or "и в
        на" are the language's commonest words (`informative_zipf`), and every
        paragraph has them: they ask nothing, and get no answer. A word of one
        letter is neither: a formula's variable ("A = P(1 + r)^n"), an
        initial or a stray key, it found the formula for the question "a".
        """
        words = [t for t in tokens if not (len(t.folded) == 1 and t.folded.isalpha())]
        content = [t for t in words if not t.stop]
        if content:
            return content
        return [t for t in words if self.analyzer.zipf(t.surface) < self.config.informative_zipf]

    def _is_summary(self, tokens: list[Token]) -> tuple[bool, list[Token]]:
        """Whether the question asks for the key points, and its words other than the cue.

        A one-word cue also matches a word built on it ("riassumimi",
        summarise for me, on "riassumi"), as readers inflect and attach.
        """
        terms = {t.term for t in tokens}
        for cue in self.summary_cues:
            if cue and cue <= terms:
                return True, [t for t in tokens if t.term not in cue]
            if len(cue) == 1 and len(cue_term := next(iter(cue))) >= self.config.min_prefix:
                rest = [t for t in tokens if not t.term.startswith(cue_term)]
                if len(rest) < len(tokens):
                    return True, rest
        return False, tokens

    # -- ranking -------------------------------------------------------------

    def rank(self, question: str, vector: np.ndarray | None = None) -> Ranked:
        """This language's best unit for `question`, with its confidence and the other candidates in order.

        `vector` is the question's embedding, for the semantic signal (see `signals.semantic`).
        """
        reading = self.read(question, vector)
        if not reading.groups and not reading.summary:
            return Ranked(self.lang, None, 0.0, False, [], [])
        if not len(reading.candidates):
            return Ranked(self.lang, None, 0.0, reading.summary, reading.groups, [])
        totals = score(reading, SIGNALS)
        positions = order(totals)
        best = positions[0]
        first = Pick(int(reading.candidates[best]), float(confidence(reading)[best]), float(lexical_confidence(reading)[best]))
        pick = adjust(reading, first)
        ordered = reading.candidates[positions].tolist()
        lexical = min(1.0, pick.lexical)
        lead = lexical_lead(reading)
        decisive = pick.confidence >= self.config.threshold and lead >= 1.0 and not self._taught_elsewhere(reading, pick.unit)
        scores = totals[positions]
        coverage = lexical_confidence(reading)[positions]
        return Ranked(
            self.lang,
            pick.unit,
            min(1.0, pick.confidence),
            reading.summary,
            reading.groups,
            ordered,
            lexical,
            decisive,
            scores,
            coverage,
            lead,
            reading.taught,
        )

    @staticmethod
    def _taught_elsewhere(reading: Reading, unit: int) -> bool:
        """Whether a taught question near the reader's points elsewhere than `unit`, or to no answer: then the words
        alone do not decide, and the question's meaning is read too (`Ranked.decisive`)."""
        near = reading.taught
        return bool(near.none) or any(other != unit for other in near.units)

    def read(self, question: str, vector: np.ndarray | None = None) -> Reading:
        """What every signal reads: the words as meant, their evidence in each unit, and the candidates."""
        tokens = self._spelled(self._question_tokens(question))
        taught = NOWHERE
        if self.taught is not None and self.config.on(TAUGHT):
            taught = self.taught.near(self.lang, content_words(self.analyzer, tokens), vector)
        summary, rest = self._is_summary(tokens)
        groups = self._groups(rest) if rest else []
        terms = {t.term for t in tokens}
        return Reading(
            question=question,
            index=self.index,
            config=self.config,
            tokens=tokens,
            summary=summary,
            groups=groups,
            words=self._word_ids(tokens, groups),
            wants_figure=any(cue and cue <= terms for cue in self.quantity_cues),
            evidence=Evidence.of(self.index, groups, self.config.prefix),
            unresolved=sum(g.weight for g in groups if not g.terms and not self._borrowed(g.token)),
            term_names=self.term_names,
            vector=vector if self.index.unit_vectors is not None else None,
            taught=taught,
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
            words.append((ids, heading_weight(idx.config, analyzer, token)))
        return QuestionWords(words, set().union(*(ids for ids, _ in words)), sum(w for _, w in words))
