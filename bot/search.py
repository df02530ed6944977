"""Answering a question from the index: detect, normalise, match, decide.

The path a question takes:

1. language: lingua among the content's languages; when it is unsure, every
   plausible language is searched and the best answer wins, ties going to the
   caller's fallback order (chosen language, hint, previous, default);
2. words: each content word is *resolved* to index terms, strictest first:
   the exact term, the same word typed without diacritics, the parts of a
   compound, a longer inflection of a known stem, then a typo within a budget
   that grows with word length (none up to 4 letters, 1 up to 8, then 2, as
   Meilisearch does); looser matches count for less;
3. ranking: BM25F over paragraph, heading and title, then a rerank of the top
   candidates by how much of the question they cover and how closely the
   question restates their section heading (question words such as "what
   does ... do" live in headings, not in paragraphs);
4. decision: the answer's *confidence* is the share of the question's meaning
   (word weights from general word frequency) that the answer accounts for;
   below `THRESHOLD` the reply is "no answer" with suggestions, so an
   out-of-scope question is not answered with the least bad paragraph.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from itertools import chain

import numpy as np

from .analysis import STOPWORD_WEIGHT, Analyzer, Token
from .articles import Article
from .frequencies import WordFrequencies
from .index import HIGHLIGHTS, LanguageIndex, SearchIndex, unit_heading, unit_text
from .langdetect import LanguageGuess, QuestionLanguageDetector, pick_fallback
from .matching import ALIAS, MIN_PREFIX, PART, PREFIX, TermMatcher
from .messages import available, cues, message
from .spelling import Speller
from .textnorm import clean, lower, normalize, word_spans

CUE_KEYS = ("summary_cues", "quantity_cues", "question_words")
THRESHOLD = 0.6
APP_LANGUAGE_MARGIN = 1.0
"""How much commoner (mean Zipf) a question's words must be in the app's language than in the detected one to be read as the app's."""
"""Minimum confidence to answer; calibrated on the project's own question sets (see README)."""
CANDIDATES = 24
PLAUSIBLE = 0.05
"""Lingua confidence from which a language is searched when detection is unsure."""
TIE = 0.05
CLEAR_LEAD = 0.2
"""Lead of lingua's first language over its second that settles the language of an unanswered question."""

MAX_QUESTION_WORDS = 40
"""Words of a message that are searched; a pasted essay is not a question, and its tail is ignored."""

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
ELSEWHERE_WEIGHT = 0.5
"""How much a question word counts against an answer when the knowledge base has it elsewhere.

A word found nowhere ("pizza") suggests the question is out of scope and
counts in full; a word found in other paragraphs ("necessary") only shows the
answer is not a perfect fit."""


@dataclass(frozen=True)
class Suggestion:
    article_id: int
    section: int
    heading: str


@dataclass(frozen=True)
class Answer:
    question: str
    language: str
    kind: str
    """"paragraph", "highlights" or "none"."""
    text: str
    """Exactly what the reader is shown."""
    article_id: int | None = None
    article: Article | None = None
    section: int | None = None
    """Section index in `article`, or `HIGHLIGHTS`."""
    paragraph: int | None = None
    score: float = 0.0
    suggestions: tuple[Suggestion, ...] = ()
    matched_terms: frozenset[str] = frozenset()
    """Index terms the question's words resolved to, so a reply can emphasise them in the text."""

    @property
    def section_heading(self) -> str | None:
        if self.article is None or self.section is None:
            return None
        return unit_heading(self.article, self.section)


@dataclass
class Conversation:
    """What one asker said before: the fallbacks for short, ambiguous follow-ups."""

    language: str | None = None
    article_id: int | None = None


@dataclass
class _Group:
    """One word of the question and the index terms it resolved to."""

    token: Token
    weight: float
    terms: list[tuple[int, float]] = field(default_factory=list)


@dataclass(frozen=True)
class _QuestionWords:
    """A question's words as heading matching needs them, worked out once per question rather than per heading."""

    each: list[tuple[set[int], float]]
    """Per word: the index terms it may stand for, and its weight."""
    ids: set[int]
    total: float


@dataclass
class _Ranked:
    lang: str
    unit: int | None
    confidence: float
    summary: bool
    groups: list[_Group]
    candidates: list[int]


class Searcher:
    """Answers questions against one `SearchIndex`; safe to share, holds no per-user state."""

    def __init__(
        self, index: SearchIndex, default_language: str = "en", detector: QuestionLanguageDetector | None = None
    ) -> None:
        self.index = index
        self.languages = sorted(index.by_lang)
        self.default_language = default_language
        self.detector = detector or QuestionLanguageDetector(self.languages)
        self.analyzers = {lang: Analyzer(lang, idx.frequencies, idx.kept_words) for lang, idx in index.by_lang.items()}
        self.matchers = {lang: TermMatcher(idx, self.analyzers[lang]) for lang, idx in index.by_lang.items()}
        self._summary_cues = {lang: self._cue_tokens(lang, "summary_cues") for lang in self.languages}
        self._quantity_cues = {lang: self._cue_tokens(lang, "quantity_cues") for lang in self.languages}
        self._main_article = self._pick_main_articles()
        self._article_ids = {
            identity: i for i, identity in enumerate(zip(index.articles.keys, index.articles.langs, strict=True))
        }
        self._term_names = {lang: list(idx.terms) for lang, idx in index.by_lang.items()}
        self.spellers = {lang: self._speller(lang) for lang in self.languages}
        self.lexicons = {lang: Speller(self.analyzers[lang].frequencies.lexicon) for lang in self.languages}
        self._app_frequencies: dict[str, WordFrequencies] = {}
        """Word frequencies of app languages the content lacks, read when a reader first writes in one."""

    def _speller(self, lang: str) -> Speller:
        """What a reader may have meant in `lang`: the content's words, the synonyms, stop words and cue phrases."""
        idx, analyzer = self.index.by_lang[lang], self.analyzers[lang]
        cue_words = (word for key in CUE_KEYS for phrase in cues(lang, key) for word in normalize(phrase, lang))
        return Speller(chain(idx.surfaces, idx.kept_words, analyzer.stopwords, cue_words))

    def _spelled(self, lang: str, tokens: list[Token]) -> list[Token]:
        """The question's words with typos corrected: see `spelling`. Known and foreign words stay as typed.

        The words the bot knows come first, then the language's common words:
        "bollumden" is "bölümden" (from which department), a word the content
        lacks but the stemmer then reads well.
        """
        analyzer, matcher = self.analyzers[lang], self.matchers[lang]
        spelled = []
        for token in tokens:
            if token.stop or analyzer.zipf(token.surface) > 0 or matcher.knows(token) or self._foreign(lang, token):
                spelled.append(token)
                continue
            meant = self.spellers[lang].correct(token.surface) or self.lexicons[lang].correct(token.surface)
            spelled.append(analyzer.token(meant) if meant else token)
        return spelled

    def _cue_tokens(self, lang: str, key: str) -> list[set[str]]:
        """Each cue phrase as the terms a question must have; its stop words only where they carry it.

        "de vigtigste punkter" is found in "vigtigste punkter" too, but "самое
        важное" (the most important) stays two words: "важное" alone is in
        "почему важно удерживать клиентов", which asks no summary.
        """
        analyzer = self.analyzers[lang]
        found = []
        for cue in cues(lang, key):
            tokens = analyzer.tokens(cue)
            content = {t.term for t in tokens if not t.stop}
            found.append(content if len(content) >= 2 else {t.term for t in tokens})
        return found

    def _pick_main_articles(self) -> dict[str, int]:
        """Per language, the article with the most translations (then the first by key)."""
        identities = list(zip(self.index.articles.keys, self.index.articles.langs, strict=True))
        languages_of = Counter(key for key, _ in set(identities))
        best: dict[str, tuple[int, str, int]] = {}
        for article_id, (key, lang) in enumerate(identities):
            rank = (-languages_of[key], key, article_id)
            if lang not in best or rank < best[lang]:
                best[lang] = rank
        return {lang: rank[2] for lang, rank in best.items()}

    def main_article(self, lang: str) -> int | None:
        return self._main_article.get(lang)

    def article_id(self, key: str | None, lang: str | None) -> int | None:
        """The id of article `key` in `lang`, as stored between conversations."""
        return self._article_ids.get((key, lang)) if key and lang else None

    def translation(self, article_id: int, lang: str) -> int | None:
        """The id of the same article in `lang`, if it was written in that language."""
        return self._article_ids.get((self.index.articles.keys[article_id], lang))

    # -- language ---------------------------------------------------------

    def answer(
        self,
        question: str,
        *,
        language: str | None = None,
        hint: str | None = None,
        conversation: Conversation | None = None,
    ) -> Answer:
        """The answer to `question`; `language` and `hint` only settle ambiguous questions."""
        conversation = conversation or Conversation()
        preferences = (language, hint, conversation.language, self.default_language)
        guess = self.detector.guess(question)
        if guess.confident:
            candidates = [guess.best]
        else:
            plausible = [lang for lang, value in guess.ranked if value >= PLAUSIBLE]
            candidates = [lang for lang in self.languages if lang in plausible or self._knows_words(lang, question)]
        results = [self._rank(lang, question) for lang in candidates if lang]
        chosen = self._choose(results, guess, preferences)
        if chosen is None:
            fallback = pick_fallback(self.languages, *preferences) or guess.best or self.languages[0]
            chosen = self._rank(fallback, question) if fallback in self.index.by_lang else None
        answer = self._compose(question, chosen, conversation, fallback_language=pick_fallback(self.languages, *preferences))
        if answer.kind == "none" and hint:
            answer = self._in_app_language(answer, hint)
        conversation.language = answer.language
        if answer.article_id is not None:
            conversation.article_id = answer.article_id
        return answer

    def _in_app_language(self, answer: Answer, hint: str) -> Answer:
        """A "no answer" in the reader's app language, when the question is written in it and the content is not.

        lingua knows only the content's languages, so it takes "what is the
        capital of France" for Italian, and an English reader would be told
        in Italian that there is no answer. The question is taken to be in the
        app's language when its words are clearly commoner there (wordfreq)
        than in the language detected.
        """
        if hint in self.languages or hint not in available():
            return answer
        words = normalize(answer.question, hint)
        if hint not in self._app_frequencies:
            self._app_frequencies[hint] = WordFrequencies.of(hint)
        theirs, ours = self._app_frequencies[hint], self.analyzers[answer.language]
        if not words or sum(theirs.zipf(w) - ours.zipf(w) for w in words) / len(words) < APP_LANGUAGE_MARGIN:
            return answer
        return replace(answer, language=hint, text=message(hint, "no_answer"))

    def _knows_words(self, lang: str, question: str) -> bool:
        """Whether any content word of the question is, or is a typo of, a word of this language's content."""
        matcher = self.matchers[lang]
        return any(
            matcher.knows(t) or self.spellers[lang].correct(t.surface) is not None
            for t in self.analyzers[lang].tokens(question)
            if not t.stop and len(t.folded) > 1
        )

    def _choose(self, results: list[_Ranked], guess: LanguageGuess, preferences: tuple[str | None, ...]) -> _Ranked | None:
        """The reading of the question that answers it best; a summary request counts as answered.

        When no reading answers, near misses say nothing about the language
        (a stray Italian "la" is a Danish word too): lingua's guess decides if
        it leads clearly, else the preference order.
        """

        def strength(r: _Ranked) -> float:
            return max(r.confidence, THRESHOLD) if r.summary else r.confidence

        detected = guess.best
        answered = [r for r in results if (r.unit is not None or r.summary) and strength(r) >= THRESHOLD]
        if not answered:
            by_lang = {r.lang: r for r in results}
            lead = guess.ranked[0][1] - (guess.ranked[1][1] if len(guess.ranked) > 1 else 0.0) if guess.ranked else 0.0
            lang = detected if lead >= CLEAR_LEAD and detected in by_lang else pick_fallback(by_lang, *preferences)
            return by_lang.get(lang or detected or "") or (results[0] if results else None)
        pool = answered
        top = max(map(strength, pool))
        tied = [r for r in pool if strength(r) >= top - TIE]
        if len(tied) == 1:
            return tied[0]
        by_lang = {r.lang: r for r in tied}
        lang = pick_fallback(by_lang, *preferences) or (detected if detected in by_lang else tied[0].lang)
        return by_lang[lang]

    # -- matching ---------------------------------------------------------

    def _groups(self, lang: str, tokens: list[Token]) -> list[_Group]:
        """The question's content words (all words, if it has only stop words), each with its matches.

        A compound the content lacks is matched by its parts, unless the
        content owner listed it, or the word it is built on, as a synonym
        ("videregående" is no "vid" + "ere" + "gående").
        """
        analyzer, matcher = self.analyzers[lang], self.matchers[lang]
        content = [t for t in tokens if not t.stop] or tokens
        groups: list[_Group] = []
        for token in content:
            weight = analyzer.importance(token.surface) or STOPWORD_WEIGHT
            terms = matcher.resolve(token)
            whole = any(strength >= ALIAS for _, strength in terms) or bool(matcher.synonyms(token))
            parts = () if whole else analyzer.compound_parts(token.surface)
            if parts:
                for part in parts:
                    part_token = analyzer.token(part)
                    part_terms = [(t, s * PART) for t, s in matcher.resolve(part_token)]
                    groups.append(_Group(part_token, weight / len(parts), part_terms))
                continue
            groups.append(_Group(token, weight, terms))
        return groups

    def _is_summary(self, lang: str, tokens: list[Token]) -> tuple[bool, list[Token]]:
        """Whether the question asks for the key points, and its words other than the cue.

        A one-word cue also matches a word built on it ("riassumimi",
        summarise for me, on "riassumi"), as readers inflect and attach.
        """
        terms = {t.term for t in tokens}
        for cue in self._summary_cues[lang]:
            if cue and cue <= terms:
                return True, [t for t in tokens if t.term not in cue]
            if len(cue) == 1 and len(cue_term := next(iter(cue))) >= MIN_PREFIX:
                rest = [t for t in tokens if not t.term.startswith(cue_term)]
                if len(rest) < len(tokens):
                    return True, rest
        return False, tokens

    def _rank(self, lang: str, question: str) -> _Ranked:
        idx, analyzer = self.index.by_lang[lang], self.analyzers[lang]
        tokens = self._spelled(lang, analyzer.tokens(question)[:MAX_QUESTION_WORDS])
        summary, rest = self._is_summary(lang, tokens)
        groups = self._groups(lang, rest) if rest else []
        scores, covered, hit_weight = _evidence(idx, groups)
        unresolved = sum(g.weight for g in groups if not g.terms and not self._loanword(lang, g.token))
        elsewhere = ELSEWHERE_WEIGHT * sum(g.weight for g in groups if g.terms)
        nonzero = int(np.count_nonzero(scores))
        if not nonzero:
            return _Ranked(lang, None, 0.0, summary, groups, [])
        k = min(CANDIDATES, nonzero)
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        peak = float(scores[top[0]])
        best_unit, best_final, best_conf = None, -1.0, 0.0
        finals: list[tuple[float, int]] = []
        words = self._word_ids(lang, tokens, groups)
        terms = {t.term for t in tokens}
        wants_figure = any(cue and cue <= terms for cue in self._quantity_cues[lang])
        heading_scores: dict[int, float] = {}
        for unit in top.tolist():
            slot = int(idx.unit_heading[unit])
            if slot not in heading_scores:
                heading_scores[slot] = self._heading_match(words, *idx.heading_words(unit))
            heading = heading_scores[slot]
            denominator = unresolved + elsewhere + (1 - ELSEWHERE_WEIGHT) * float(hit_weight[unit])
            coverage = float(covered[unit]) / denominator if denominator else 0.0
            final = COVERAGE_WEIGHT * coverage + RELEVANCE_WEIGHT * float(scores[unit]) / peak + HEADING_WEIGHT * heading
            if wants_figure and idx.unit_figures[unit]:
                final += FIGURE_WEIGHT
            finals.append((final, unit))
            if final > best_final:
                best_unit, best_final, best_conf = unit, final, max(coverage, heading)
        ordered = [u for _, u in sorted(finals, key=lambda item: -item[0])]
        if best_unit is not None and self._names_only_topic(idx, groups, int(idx.unit_article[best_unit])):
            lead = idx.lead_unit(int(idx.unit_article[best_unit]))
            if self._heading_match(words, *idx.heading_words(lead)) >= heading_scores[int(idx.unit_heading[best_unit])]:
                best_unit = lead
        if best_unit is not None and unresolved and self._on_topic(idx, groups, int(idx.unit_article[best_unit])):
            denominator = UNKNOWN_BESIDE_TOPIC * unresolved + elsewhere + (1 - ELSEWHERE_WEIGHT) * float(hit_weight[best_unit])
            best_conf = max(best_conf, float(covered[best_unit]) / denominator)
        return _Ranked(lang, best_unit, min(1.0, best_conf), summary, groups, ordered)

    @staticmethod
    def _names_only_topic(idx: LanguageIndex, groups: list[_Group], article_id: int) -> bool:
        """Whether every word of the question that the content has names the article's topic.

        Such a question ("account manager definition", "what is an account
        manager") asks about the topic itself, which the opening paragraph
        introduces; every paragraph mentions the topic, so none other is a
        better answer, unless the question restates another section's
        heading better (its stop words and their synonyms: "hvad laver en
        account manager", what does one do).
        """
        topic = idx.topics.get(article_id)
        matched = [g for g in groups if g.terms]
        return bool(topic and matched) and all(any(t in topic for t, _ in g.terms) for g in matched)

    def _on_topic(self, idx: LanguageIndex, groups: list[_Group], article_id: int) -> bool:
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
        names = self._term_names[idx.lang]
        matched = [g for g in groups if g.terms]
        return bool(matched) and all(
            any(
                np.count_nonzero(idx.unit_article[idx.postings(term_id)[0]] == article_id) >= 2
                for term_id, strength in g.terms
                if strength >= PREFIX and (len(names[term_id]) >= MIN_PREFIX or idx.has_surface(g.token.folded))
            )
            for g in matched
        )

    def _loanword(self, lang: str, token: Token) -> bool:
        """Whether a word this language's content lacks is one the content of another language has.

        Readers borrow the name of a subject from another language ("account
        manager" in a Turkish question about "hesap yöneticisi"): such a word
        tells nothing about whether the question is in scope, unlike "pizza".
        """
        for other in self.languages:
            borrowed = self.analyzers[other].token(token.surface)
            if other != lang and not borrowed.stop and self.matchers[other].knows(borrowed):
                return True
        return False

    def _foreign(self, lang: str, token: Token) -> bool:
        """Whether a word is one of another of the content's languages ("nedir" read as Italian): no typo to correct."""
        return any(
            self.analyzers[other].zipf(token.surface) > 0 or self._loanword(lang, token)
            for other in self.languages
            if other != lang
        )

    def _word_ids(self, lang: str, tokens: list[Token], groups: list[_Group]) -> _QuestionWords:
        """Each question word's index terms and weight, for matching headings.

        Stop words count here ("cosa *fa*"), and so do synonyms of every word
        and terms sharing its prefix: a heading states an intent, "laver" asks
        what "gør" does, and "yöneticisi" restates "Yöneticisinin" although
        Snowball stems them apart.
        """
        idx, analyzer, matcher = self.index.by_lang[lang], self.analyzers[lang], self.matchers[lang]
        resolved = {g.token.surface: {t for t, _ in g.terms} for g in groups}
        words = []
        for token in tokens:
            ids = set(resolved.get(token.surface, ())) | matcher.synonyms(token).keys()
            ids.update(idx.aliases.get(analyzer.folded_term(token.surface), ()))
            if token.term in idx.terms:
                ids.add(idx.terms[token.term])
            ids.update(t for t, _ in matcher.relatives(token.term))
            words.append((ids, analyzer.heading_weight(token)))
        return _QuestionWords(words, set().union(*(ids for ids, _ in words)), sum(w for _, w in words))

    @staticmethod
    def _heading_match(words: _QuestionWords, heading_terms: np.ndarray, heading_weights: np.ndarray) -> float:
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

    # -- the reply --------------------------------------------------------

    def _compose(
        self, question: str, ranked: _Ranked | None, conversation: Conversation, fallback_language: str | None
    ) -> Answer:
        if ranked is None:
            lang = fallback_language or self.languages[0]
            return Answer(
                question, lang, "none", message(lang, "no_answer"), suggestions=self._suggest(lang, [], None, conversation)
            )
        lang = ranked.lang
        idx = self.index.by_lang[lang]
        answered = ranked.unit is not None and ranked.confidence >= THRESHOLD
        if ranked.summary:
            if answered:
                article_id = int(idx.unit_article[ranked.unit])
            else:
                article_id = self._context_article(lang, conversation)
            if article_id is not None and self.index.articles[article_id].highlights:
                return self._highlights(question, lang, article_id, ranked)
        if not answered:
            return Answer(
                question,
                lang,
                "none",
                message(lang, "no_answer"),
                score=round(ranked.confidence, 3),
                suggestions=self._suggest(lang, ranked.candidates, None, conversation),
            )
        unit = ranked.unit
        article_id = int(idx.unit_article[unit])
        section, paragraph = int(idx.unit_section[unit]), int(idx.unit_paragraph[unit])
        if section == HIGHLIGHTS:
            restated = self._restated_paragraph(lang, article_id, ranked)
            if restated is None:
                return self._highlights(question, lang, article_id, ranked)
            section, paragraph = int(idx.unit_section[restated]), int(idx.unit_paragraph[restated])
        return self._unit_answer(
            article_id,
            section,
            paragraph,
            question=question,
            score=round(ranked.confidence, 3),
            suggestions=self._suggest(lang, ranked.candidates, (article_id, section), conversation),
            matched_terms=self._matched(ranked),
        )

    def _restated_paragraph(self, lang: str, article_id: int, ranked: _Ranked) -> int | None:
        """The unit of the paragraph that the highlight best matching the question restates, if one does.

        Highlights repeat the article's main points in a few words, so a
        question about one point often matches its bullet best; but the reader
        asked about that point, not for the summary, and the paragraph is what
        explains it.
        """
        targets = self.index.by_lang[lang].restates.get(article_id)
        if not targets:
            return None
        asked = self._matched(ranked)
        highlights = self.index.articles[article_id].highlights
        share, unit = max(
            (_overlap(self._content_terms(lang, item), asked), unit) for item, unit in zip(highlights, targets, strict=True)
        )
        return unit if share and unit >= 0 else None

    def _content_terms(self, lang: str, text: str) -> dict[str, float]:
        """The terms of a text's content words, each with its weight."""
        analyzer = self.analyzers[lang]
        return {t.term: analyzer.importance(t.surface) for t in analyzer.tokens(text) if not t.stop}

    def _highlights(self, question: str, lang: str, article_id: int, ranked: _Ranked) -> Answer:
        return self._unit_answer(
            article_id,
            HIGHLIGHTS,
            question=question,
            score=round(max(ranked.confidence, THRESHOLD if ranked.summary else 0.0), 3),
            suggestions=self._suggest(lang, ranked.candidates, (article_id, HIGHLIGHTS), Conversation()),
            matched_terms=self._matched(ranked),
        )

    def _unit_answer(
        self,
        article_id: int,
        section: int,
        paragraph: int = 0,
        *,
        question: str = "",
        score: float = 1.0,
        suggestions: tuple[Suggestion, ...] | None = None,
        matched_terms: frozenset[str] = frozenset(),
    ) -> Answer:
        """A paragraph, or with `section` = HIGHLIGHTS the article's highlights (its description if it has none)."""
        article = self.index.articles[article_id]
        if suggestions is None:
            suggestions = self._suggest(article.lang, [], (article_id, section), Conversation())
        highlights = section == HIGHLIGHTS
        return Answer(
            question,
            article.lang,
            "highlights" if highlights else "paragraph",
            (highlights_text(article) or article.description) if highlights else unit_text(article, section, paragraph),
            article_id=article_id,
            article=article,
            section=section,
            paragraph=None if highlights else paragraph,
            score=score,
            suggestions=suggestions,
            matched_terms=matched_terms,
        )

    def emphasis(self, answer: Answer) -> list[tuple[int, int]]:
        """Spans of `answer.text` that hold words the question matched, for the reply to emphasise."""
        if not answer.matched_terms or answer.language not in self.analyzers:
            return []
        analyzer = self.analyzers[answer.language]
        spans = []
        for start, end, word in word_spans(answer.text):
            token = analyzer.token(lower(clean(word), answer.language))
            if token.stop:
                continue
            terms = {token.term, *(analyzer.term(part) for part in analyzer.compound_parts(token.surface))}
            if not terms.isdisjoint(answer.matched_terms):
                spans.append((start, end))
        return spans

    def paragraph(self, article_id: int, section: int, paragraph: int = 0) -> Answer:
        """One given paragraph as an answer: what a button for a section or a translation shows.

        Translations are parallel, so the same position names the same
        paragraph in every language; a shorter translation gives its nearest one.
        """
        article = self.index.articles[article_id]
        if section == HIGHLIGHTS or not article.sections:
            return self.highlights(article_id)
        section = min(section, len(article.sections) - 1)
        paragraph = min(paragraph, len(article.sections[section].paragraphs) - 1)
        return self._unit_answer(article_id, section, paragraph)

    def highlights(self, article_id: int) -> Answer:
        """An article's highlights as an answer (for `/highlights` and its buttons)."""
        return self._unit_answer(article_id, HIGHLIGHTS)

    def _context_article(self, lang: str, conversation: Conversation) -> int | None:
        """The article the asker was last reading, in `lang` if it exists there, else the main one."""
        if conversation.article_id is not None:
            translated = self.translation(conversation.article_id, lang)
            if translated is not None:
                return translated
        return self.main_article(lang)

    def _matched(self, ranked: _Ranked) -> frozenset[str]:
        names = self._term_names[ranked.lang]
        return frozenset(names[term_id] for g in ranked.groups for term_id, _ in g.terms)

    def _suggest(
        self, lang: str, candidates: list[int], exclude: tuple[int, int] | None, conversation: Conversation
    ) -> tuple[Suggestion, ...]:
        """Up to three other sections worth asking about: the nearest misses first, then the article's own."""
        idx = self.index.by_lang.get(lang)
        if idx is None:
            return ()
        seen: set[tuple[int, int]] = {exclude} if exclude else set()
        out: list[Suggestion] = []

        def add(article_id: int, section: int) -> None:
            if (article_id, section) in seen or len(out) >= 3:
                return
            seen.add((article_id, section))
            out.append(Suggestion(article_id, section, self.index.articles.headings[article_id][section]))

        for unit in candidates:
            section = int(idx.unit_section[unit])
            if section != HIGHLIGHTS:
                add(int(idx.unit_article[unit]), section)
        fallback = exclude[0] if exclude else self._context_article(lang, conversation)
        if fallback is not None:
            for section in range(len(self.index.articles.headings[fallback])):
                add(fallback, section)
        return tuple(out)


def _evidence(idx: LanguageIndex, groups: list[_Group]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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


def _overlap(weighted: dict[str, float], terms: Collection[str]) -> float:
    return sum(weight for term, weight in weighted.items() if term in terms)


def highlights_text(article: Article) -> str:
    return "\n".join(f"• {item}" for item in article.highlights)
