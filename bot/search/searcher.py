"""Answering a question: in which language, from which paragraph, and what the reader is shown.

1. language: lingua among the content's languages; when it is unsure, every
   plausible language is read (`ranking`) and the best answer wins, ties going
   to the caller's fallback order (chosen language, hint, previous, default);
2. decision: below `RankingConfig.threshold` confidence the reply is "no answer" with
   suggestions, so an out-of-scope question is not answered with the least
   bad paragraph;
3. the answer: the paragraph, or the article's highlights for a summary
   request, with the paragraphs about as likely to be the right one
   (`calibration`: offered one tap away, or with a "no answer") and the
   sections worth asking about next.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np

from ..content.articles import Article
from ..language.analysis import stop_words
from ..language.frequencies import commoner_in, frequencies_of
from ..language.langdetect import LanguageGuess, QuestionLanguageDetector, pick_fallback
from ..language.respelling import accented_spellings, respell
from ..language.small_talk import small_talk
from ..language.textnorm import asked, clean, fits, lower, normalize, unshouted, word_spans
from .calibration import AcrossFirst, AcrossNext, Features, First, Next, decide, points_to
from .embedding import MAX_EMBEDDED_CHARS, E5Embedder, Embedder, QuestionCache, question_text
from .index import HIGHLIGHTS, SearchIndex, unit_heading, unit_text
from .positions import Positions, mean_with_prior
from .ranking import MAX_QUESTION_WORDS, LanguageRanker, Ranked
from .reading import SEMANTIC, TAUGHT
from .signals import SWITCHES as RANKING_SWITCHES
from .taught import NOWHERE_ACROSS, Near, Position, TaughtQuestions, unit_at
from .tuning import DEFAULT, RankingConfig

MAX_QUESTION_CHARS = 4096
"""Characters of a question that are read: Telegram's own limit for a message, so only text that did not come
through Telegram as one message (a forged webhook update, a file piped to `ask`) is cut."""
RESPELLING = "respelling"
"""Embedding the question with its bare words spelled as the content spells them (`Searcher._as_meant`)."""
SWITCHES = (*RANKING_SWITCHES, RESPELLING)
"""Everything `RankingConfig.disabled` can switch off: the signals and adjustments in the order they apply, then respelling."""


@dataclass(frozen=True)
class Suggestion:
    article_id: int
    section: int
    heading: str


@dataclass(frozen=True)
class Alternative:
    """A paragraph offered one tap away from the answer, or with a "no answer": about as likely to be the right one."""

    article: Article
    article_id: int
    section: int
    """Section index, or `HIGHLIGHTS`."""
    paragraph: int
    heading: str
    """Its section's heading: what the button says."""
    text: str
    """What the reader sees after the tap: the paragraph, or the article's highlights."""
    probability: float


@dataclass(frozen=True)
class Found:
    """A paragraph found by meaning across languages: its similarity to the question, where it was found, and its
    position in every translation."""

    similarity: float
    """The mean similarity of its translations (`positions`), with the vote of a taught question pointing to it
    (`Searcher._nearest_positions`): what orders the positions."""
    nearest: float
    """Its most similar translation's similarity, with the same vote: what the decision reads (`AcrossFirst`), as
    calibrated."""
    lang: str
    unit: int
    """The most similar translation, where it is shown from unless the reader's language has it."""
    key: Position


@dataclass(frozen=True)
class Weighed:
    """One candidate as the decision weighed it: where it is, what its model read, and how likely it is right."""

    article_id: int
    """The article it was found in (for a question in a language the content lacks, before it is shown translated)."""
    section: int
    paragraph: int
    features: Features
    probability: float


@dataclass(frozen=True)
class Weighing:
    """Every candidate the decision weighed for one question, the first first: what `benchmarks/calibration.py` refits on."""

    across: bool
    """Found by meaning across languages: the question is in a language the content lacks."""
    answerable: bool
    """Whether the question is answered at all (a content language's confidence, else `Calibration.across_answer`)."""
    candidates: tuple[Weighed, ...]
    kept: float = 1.0
    """The share of the first candidate's probability a near taught "no answer" question left it (`taught.Near.kept`):
    what a refit multiplies its model's probability by."""

    @property
    def pointed(self) -> list[bool]:
        """Per candidate, whether a taught question near the reader's points to it rather than the first."""
        return [points_to(w.features) for w in self.candidates]

    @property
    def probabilities(self) -> list[float]:
        return [w.probability for w in self.candidates]


@dataclass(frozen=True)
class Answer:
    question: str
    language: str
    kind: str
    """"paragraph", "highlights" or "none"; "greeting" or "thanks" for a message that only greets or thanks, which the
    conversation answers in `language` (`language.small_talk`)."""
    text: str
    """The paragraph or highlights the reader is shown; empty for "none", which the conversation says in `language`."""
    article_id: int | None = None
    article: Article | None = None
    section: int | None = None
    """Section index in `article`, or `HIGHLIGHTS`."""
    paragraph: int | None = None
    score: float = 0.0
    suggestions: tuple[Suggestion, ...] = ()
    matched_terms: frozenset[str] = frozenset()
    """Index terms the question's words resolved to, so a reply can emphasise them in the text."""
    read_as: str | None = None
    """The language the question was written in, when the content lacks it and the answer was found by meaning
    in another: the reply says so, in `language`."""
    alternatives: tuple[Alternative, ...] = ()
    """The paragraphs about as likely as the answer (or, with "none", plausible), best first, at most two."""
    probability: float | None = None
    """How likely the answer's paragraph is the right one (`calibration`); None where the words alone decide,
    for the key points, and for a paragraph shown on request."""
    weighing: Weighing | None = field(default=None, compare=False, repr=False)
    """What the decision read, for refitting it."""

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


class Searcher:
    """Answers questions against one `SearchIndex`; safe to share, holds no per-user state."""

    def __init__(
        self,
        index: SearchIndex,
        default_language: str = "en",
        detector: QuestionLanguageDetector | None = None,
        reply_languages: Collection[str] = (),
        config: RankingConfig = DEFAULT,
        embedder: Embedder | None = None,
    ) -> None:
        """`embedder` embeds questions when the index has unit vectors, remembering the last ones (`QuestionCache`;
        a reload passes the previous one on)."""
        unknown = config.disabled - set(SWITCHES)
        if unknown:
            raise ValueError(f"no signal or adjustment named {', '.join(sorted(unknown))}; known: {', '.join(SWITCHES)}")
        self.index = index
        self.config = config
        self.languages = sorted(index.by_lang)
        self.default_language = default_language
        self.reply_languages = frozenset(reply_languages)
        """Languages the conversation can say "no answer" in (its UI catalogues), though the content may lack them."""
        self.detector = detector or QuestionLanguageDetector(self.languages)
        self.rankers = {lang: LanguageRanker(idx, config) for lang, idx in index.by_lang.items()}
        for lang, ranker in self.rankers.items():
            ranker.others = [other for other_lang, other in self.rankers.items() if other_lang != lang]
        self.taught: TaughtQuestions | None = None
        if index.kb.taught:
            self.taught = TaughtQuestions(
                index, config, lambda question, lang: self.rankers[lang].question_words(question), self._taught_language
            )
            for ranker in self.rankers.values():
                ranker.taught = self.taught
        semantic = any(idx.unit_vectors is not None for idx in index.by_lang.values()) and config.on(SEMANTIC)
        self.embedder = QuestionCache.around(embedder or E5Embedder()) if semantic else None
        self._main_article = self._pick_main_articles()
        self._article_ids = {
            identity: i for i, identity in enumerate(zip(index.articles.keys, index.articles.langs, strict=True))
        }

    def _taught_language(self, question: str) -> str | None:
        """The language of a question taught without one: lingua's best guess among the content's languages."""
        return self.detector.guess(question).best

    def preload_language_models(self) -> None:
        """Load the language models questions will need now, in a process about to fork workers that share them, and
        work out the paragraphs' positions across translations.

        Each content language's first article's headings stand for the questions
        asked in it (see `QuestionLanguageDetector.preload`).
        """
        articles = self.index.articles
        first: dict[str, int] = {}
        for article_id, lang in enumerate(articles.langs):
            first.setdefault(lang, article_id)
        self.detector.preload(" ".join(articles.headings[article_id]) for article_id in first.values())
        _ = self._positions  # the first question read across languages would pay for them (0.7 s at 10,000 articles)

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
        """The answer to `question`; `language` and `hint` only settle ambiguous questions. Of a long message, the
        part that asks is read (`asked`).

        A question nothing answers and with no word of the language it was read
        in ("blorf quux", "🙂") is in no language: lingua's guess for it is
        noise, and its "no answer" is in the reader's language (`_reader_language`).
        """
        message = question[:MAX_QUESTION_CHARS]
        conversation = conversation or Conversation()
        preferences = (language, hint, conversation.language, self.default_language)
        reader = self._reader_language(language, hint, conversation)
        if talk := small_talk(message, preferences, self._spoken):
            kind, conversation.language = talk
            return Answer(message, conversation.language, kind, "")
        question = self._asked(message)
        meant = self._on_the_subject(question, conversation)
        guess = self.detector.guess(question)
        if guess.top >= self.config.confident:
            candidates = [guess.best]
        else:
            plausible = [lang for lang, value in guess.ranked if value >= self.config.plausible]
            candidates = [lang for lang in self.languages if lang in plausible or self.rankers[lang].knows_words(question)]
        results = [self.rankers[lang].rank(question) for lang in candidates if lang]
        chosen = self._choose(results, guess, preferences)
        vector = None
        if self.embedder and not (chosen and chosen.decisive and self.config.skip_decisive and meant == question):
            vector = self.embedder.query(self._as_meant(meant, chosen)[:MAX_EMBEDDED_CHARS])
            results = [self.rankers[lang].rank(question, vector) for lang in candidates if lang]
            chosen = self._choose(results, guess, preferences)
        if chosen is None or not (self._answers(chosen) or self.rankers[chosen.lang].reads(question)):
            lang = reader or (chosen.lang if chosen else guess.best)
            if chosen is None or lang != chosen.lang:
                chosen = self.rankers[lang].rank(question, vector) if lang in self.rankers else None
        borrowing = chosen is not None and not chosen.summary and chosen.lexical >= self.config.threshold
        if chosen is not None and chosen.summary:
            foreign = None
        elif borrowing:
            foreign = self._borrowing_from(question, chosen.lang, hint)
        else:
            foreign = self._written_in_another_language(question, chosen.lang if chosen else None, hint)
        answer = None
        if foreign:
            preferences = (language, hint, self._last_read(conversation), self.default_language)
            answer = self.across_languages(question, foreign, preferences, vector)
            if borrowing and answer.weighing is None:
                # Meaning could not weigh it (no vectors yet, as while a new bot embeds): its words still answer.
                answer = None
        if answer is None:
            answer = self._compose(question, chosen, conversation, fallback_language=reader, vector=vector)
            if language is None and self._said_in_the_app_language(answer, hint):
                answer = Answer(question, hint, "none", "", score=answer.score)
        conversation.language = answer.read_as or answer.language
        if answer.article_id is not None:
            conversation.article_id = answer.article_id
        return replace(answer, question=message)

    @cached_property
    def _spoken(self) -> list[str]:
        """The languages the content has and the bot speaks, in one order: where small talk is looked for."""
        return sorted({*self.languages, *self.reply_languages})

    def _asked(self, message: str) -> str:
        """The part of a message that is read (`textnorm.asked`): of a long one, its question, not a pleasantry that
        ends in a question mark ("Merhaba, nasılsınız?") or one that asks nothing ("can you help me?")."""
        if fits(message, MAX_QUESTION_WORDS, MAX_EMBEDDED_CHARS):
            return message
        lang = self.detector.guess(message).best

        def asks(sentence: str) -> bool:
            return lang is not None and self._says_something(sentence, lang) and small_talk(sentence, [lang], ()) is None

        return asked(message, MAX_QUESTION_WORDS, MAX_EMBEDDED_CHARS, asks)

    def _on_the_subject(self, question: str, conversation: Conversation) -> str:
        """A follow-up ("ya riskleri?", "а сколько стоит?", "and the fees?") as the reader means it, with the title
        of the article the conversation is on: alone, its words could be any article's ("risks" are a fund's and a
        budget's), and it got "no answer" or another article's paragraph. Only its meaning is read so (the model's
        question): the title's words would find the article's opening paragraph, whatever was asked of it."""
        if conversation.article_id is None:
            return question
        article = self.index.articles[conversation.article_id]
        ranker = self.rankers.get(article.lang)
        if ranker is None or not ranker.follows_up(question, self._subjects[article.lang]):
            return question
        return f"{question} {article.title}"

    @cached_property
    def _subjects(self) -> dict[str, frozenset[str]]:
        """Per language, the terms of its articles' titles: what a question names its subject by."""
        subjects: dict[str, set[str]] = {lang: set() for lang in self.languages}
        for article in self.index.articles:
            analyzer = self.rankers[article.lang].analyzer
            words = normalize(article.title, article.lang)
            subjects[article.lang].update(analyzer.term(word) for word in words if not analyzer.token(word).stop)
        return {lang: frozenset(terms) for lang, terms in subjects.items()}

    def _last_read(self, conversation: Conversation) -> str | None:
        """The language of the article the conversation was last answered from: a reader of a language the content
        lacks, who chose none, keeps reading answers in it rather than in each question's nearest translation."""
        return self.index.articles[conversation.article_id].lang if conversation.article_id is not None else None

    def _reader_language(self, language: str | None, hint: str | None, conversation: Conversation) -> str | None:
        """The language the conversation speaks to the reader in, as `chat.dialogue.Dialogue.ui_language` picks it.

        Their choice, else their last question's, else their app's when the
        content has it, else the default; the last and the default may be a
        language the bot speaks but the content lacks (English asked of Danish
        articles), whose "no answer" then offers the content's languages.
        """
        spoken = {*self.languages, *self.reply_languages}
        return pick_fallback(spoken, language, conversation.language) or pick_fallback(
            spoken, hint if hint in self.languages else None, self.default_language
        )

    def _as_meant(self, question: str, ranked: Ranked | None) -> str:
        """The question for the embedding model, its words typed without diacritics spelled as the content spells them.

        The spellings come from the paragraphs its words found (`respelling_units`
        of them, best first): a word the reader typed bare ("yoneticisi") is one
        the matcher found in them by its folded form. A question typed in
        capitals is read in small letters (`unshouted`), and without the marks
        matching drops too (`clean`: Arabic tashkeel, which content seldom
        writes, makes "مُدِيرُ" another word to the model).
        """
        question = unshouted(clean(question), ranked.lang if ranked else "")
        if ranked is None or not self.config.on(RESPELLING):
            return question
        idx, articles = self.index.by_lang[ranked.lang], self.index.articles
        texts = (
            unit_text(articles[int(idx.unit_article[unit])], int(idx.unit_section[unit]), int(idx.unit_paragraph[unit]))
            for unit in ranked.candidates[: self.config.respelling_units]
        )
        spellings = accented_spellings(word for text in texts for word in normalize(text, ranked.lang))
        return respell(question, ranked.lang, spellings)

    def _written_in_another_language(
        self, question: str, detected: str | None, hint: str | None, compared: str | None = None
    ) -> str | None:
        """The language the content lacks that the question is written in, if it is one the bot speaks.

        lingua knows only the content's languages, so it takes "what is the
        capital of France" for Italian; and the meaning of "how much does an
        account manager earn" is near a paragraph of every language. So a
        question its words do not answer is checked against the languages the
        bot has UI strings for but the content lacks: it is written in the
        one its words are commonest in (wordfreq; the reader's app language
        on a tie) when clearly commoner there than in the language detected. A question
        no content language reads at all (`detected` None: Arabic script asked
        of articles in Latin and Cyrillic ones) is in one whose words it
        clearly has. A message of stop words and single letters ("a", "la",
        "no") is in a language only if it is the reader's app's: such a message
        moved a Turkish reader's chat to Portuguese. `compared`: the words
        whose frequencies tell the language, when not all the question's.
        """
        others = sorted(self.reply_languages - set(self.languages), key=lambda lang: (lang != hint, lang))
        ours = _unknown if detected is None else self.rankers[detected].analyzer.zipf
        found = commoner_in(compared or question, ours, others, self.config.app_language_margin)
        return found if found and (found == hint or self._has_content_word(question, found)) else None

    def _said_in_the_app_language(self, answer: Answer, hint: str | None) -> bool:
        """Whether a "no answer" that offers nothing is better said in the reader's app language, one the content
        lacks: when the question's words are at least as common there as in the language it was read in.

        "how do I cook pasta" asked of Italian articles by an English reader is
        read as Italian ("do", "i" and "pasta" are Italian words too), and its
        words are not clearly commoner in English, which answering across
        languages needs; but nothing answers it, and telling them so is better
        done in English. A question clearly in the content's language ("quanto
        costa la pasta") keeps it.
        """
        if answer.kind != "none" or answer.alternatives or not hint or hint in self.languages:
            return False
        if hint not in self.reply_languages or answer.language not in self.rankers:
            return False
        return commoner_in(answer.question, self.rankers[answer.language].analyzer.zipf, [hint], 0.0) == hint

    def _has_content_word(self, question: str, lang: str) -> bool:
        """Whether a word of the question, of more than one letter, is no stop word of `lang`."""
        stop = stop_words(lang)
        return any(len(word) > 1 and word not in stop for word in normalize(question, lang))

    def _borrowing_from(self, question: str, lang: str, hint: str | None) -> str | None:
        """The language the content lacks that a question its words answer in `lang` is written in, if any.

        "What is an account manager?" shares "account manager" with the Danish
        articles, and "50 30 20 rule explained" its figures with the Turkish
        ones: their words answer there, but the rest is English. Read so when at
        least half the question's words are words that language's content
        lacks, and those are clearly commoner in a language the bot speaks;
        a Danish question with a borrowed word or two ("lønintervallet for
        account managers", "... i London") stays Danish.
        """
        unknown, words = self.rankers[lang].unknown_words(question)
        if not unknown or 2 * len(unknown) < words:
            return None
        return self._written_in_another_language(question, lang, hint, compared=" ".join(unknown))

    def across_languages(
        self, question: str, foreign: str, preferences: tuple[str | None, ...], vector: np.ndarray | None
    ) -> Answer:
        """A question in a language the content lacks, answered by meaning from the articles, in a language the reader can use.

        The multilingual model places "how much does an account manager earn"
        near the salary paragraph of every translation; translations are
        parallel, so each position (article, section, paragraph) is ordered by
        the mean similarity of its translations (`positions`), and read by its
        most similar one's. Below `across_floor` (this
        model's answers across languages were hardly ever right there) the reply
        is "no answer", in the question's own language. Above it, whether the
        best is the answer is the calibrated decision's
        (`calibration.AcrossFirst`): how similar it is, and how far it stands
        out from the next position and from every paragraph; below
        `Calibration.across_answer`, "no answer" with the plausible
        paragraphs. Every paragraph is shown in the reader's chosen language,
        else their app language, else the default one, when the article is
        written in it; else the paragraphs offered with the answer are in its
        language where their article has it, so one reply reads in one
        language rather than in each paragraph's nearest translation.
        """
        refused = Answer(question, foreign, "none", "", score=0.0)
        if self.embedder is None or not self._says_something(question, foreign):
            return refused
        if vector is None:
            vector = self.embedder.query(question_text(question))
        near = self.taught.near_across(question, foreign, vector) if self.taught and self.config.on(TAUGHT) else NOWHERE_ACROSS
        positions, spread = self._nearest_positions(vector, near)
        if not positions:
            return refused
        config, calibration = self.config, self.config.calibration
        best = positions[0].nearest
        if best < config.across_floor:
            return refused
        second = positions[1].nearest if len(positions) > 1 else best
        first = AcrossFirst(
            (best - config.across_threshold) / config.semantic_scale,
            (best - second) / config.semantic_scale,
            spread,
            near.units.get(positions[0].key, 0.0),
        )
        others = [
            AcrossNext((found.nearest - best) / config.semantic_scale, near.units.get(found.key, 0.0))
            for found in positions[1:]
        ]
        features: list[Features] = [first, *others]
        kept = near.kept(positions[0].key)
        probabilities = [
            calibration.across_first.probability(first) * kept,
            *map(calibration.across_next.probability, others),
        ]
        answerable = probabilities[0] >= calibration.across_answer
        weighed = []
        for found, values, probability in zip(positions, features, probabilities, strict=True):
            idx = self.index.by_lang[found.lang]
            position = (int(idx.unit_article[found.unit]), int(idx.unit_section[found.unit]), int(idx.unit_paragraph[found.unit]))
            weighed.append(Weighed(*position, values, probability))
        weighing = Weighing(True, answerable, tuple(weighed), kept)
        decision = decide(probabilities, answerable, calibration, across=True, taught=weighing.pointed)
        answer = self.paragraph(*self._translated(weighed[decision.chosen], preferences))
        together = (*preferences, answer.language)
        shown = [self._translated(w, together) for w in weighed]
        alternatives = self._alternatives(
            shown, decision.offered, probabilities, exclude=_position(answer) if answerable else None
        )
        similarity = positions[decision.chosen].nearest
        score = round(max(0.0, min(1.0, config.threshold + (similarity - config.across_threshold) * config.semantic_slope)), 3)
        if not answerable:
            return Answer(question, foreign, "none", "", score=score, alternatives=alternatives, weighing=weighing)
        return replace(
            answer,
            question=question,
            score=score,
            read_as=foreign,
            alternatives=alternatives,
            probability=round(probabilities[decision.chosen], 3),
            weighing=weighing,
        )

    def _nearest_positions(self, vector: np.ndarray, taught: Near[Position]) -> tuple[list[Found], float]:
        """The positions most similar to the question across the translations, best first, and how far the best stands
        out.

        Each position (article, section, paragraph) counts once, ordered by the
        mean similarity of its translations (`positions`), and is shown from its
        most similar one, whose similarity the decision reads; at most
        `Calibration.pool` of them, and those taught questions near the reader's
        point to. A taught question votes for its position as it does in a
        content language's rank score (`signals.taught`), one rank step being one
        `semantic_scale` step of similarity: asked again, it decides. How far the
        best stands out is its nearest translation's similarity less the mean
        over every paragraph of every language, in their standard deviations.
        """
        config = self.config
        similarities = {
            lang: idx.unit_vectors.similarity(vector) for lang, idx in self.index.by_lang.items() if idx.unit_vectors is not None
        }
        table = self._positions
        values = np.concatenate(list(similarities.values())) if similarities else np.zeros(0)
        average = float(values.mean()) if len(values) else 0.0
        means = table.mean_similarity(similarities, config.translation_prior, average)
        known = np.isfinite(means)
        if not known.any():
            return [], 0.0
        pool = min(config.calibration.pool, int(known.sum()))
        top = np.argpartition(-np.where(known, means, -np.inf), pool - 1)[:pool]
        shown = table.best_translations(top, similarities)
        positions: dict[Position, Found] = {}
        for position in top.tolist():
            lang, unit = shown[position]
            key = table.keys[position]
            positions[key] = Found(float(means[position]), float(similarities[lang][unit]), lang, unit, key)
        questions = self.taught
        for key in [key for key in taught.units if key not in positions] if questions is not None else []:
            units = {lang: unit for lang, unit in questions.translations(key).items() if lang in similarities}
            if units:
                lang, unit = max(units.items(), key=lambda item: similarities[item[0]][item[1]])
                found = [float(similarities[lang][unit]) for lang, unit in units.items()]
                mean = mean_with_prior(found, config.translation_prior, average)
                positions[key] = Found(mean, float(similarities[lang][unit]), lang, unit, key)
        vote = config.taught_weight * config.semantic_scale
        voted = []
        for key, found in positions.items():
            voice = vote * taught.units.get(key, 0.0) ** config.taught_power
            voted.append(replace(found, similarity=found.similarity + voice, nearest=found.nearest + voice))
        voted.sort(key=lambda found: -found.similarity)
        deviation = float(values.std())
        return voted, (voted[0].nearest - average) / deviation if deviation else 0.0

    @cached_property
    def _positions(self) -> Positions:
        """Every paragraph's position in every translation, worked out on the first question read across languages."""
        return Positions.of(self.index)

    def _translated(self, weighed: Weighed, preferences: tuple[str | None, ...]) -> tuple[int, int, int]:
        """The position of a paragraph found in any language, in the first preferred language its article is written in
        with the same paragraph at the same place (the same shape; the key points where it has them)."""
        articles = self.index.articles
        found = articles[weighed.article_id]
        for target in preferences:
            translated = self.translation(weighed.article_id, target) if target else None
            if translated is None:
                continue
            other = articles[translated]
            if (other.highlights if weighed.section == HIGHLIGHTS else other.shape == found.shape):
                return translated, weighed.section, weighed.paragraph
        return weighed.article_id, weighed.section, weighed.paragraph

    def _alternatives(
        self,
        positions: list[tuple[int, int, int]],
        offered: tuple[int, ...],
        probabilities: list[float],
        exclude: tuple[int, int, int] | None,
    ) -> tuple[Alternative, ...]:
        """The offered candidates as the reader will see them after a tap, each position once and none the answer's."""
        out: list[Alternative] = []
        seen = {exclude} if exclude else set()
        for at in offered:
            shown = self.paragraph(*positions[at])
            position = _position(shown)
            if position is None or position in seen:
                continue
            seen.add(position)
            article_id, section, paragraph = position
            assert shown.article is not None
            heading, probability = shown.section_heading or "", round(probabilities[at], 3)
            out.append(Alternative(shown.article, article_id, section, paragraph, heading, shown.text, probability))
        return tuple(out)

    def _weigh(self, ranked: Ranked, vector: np.ndarray | None, answerable: bool) -> Weighing | None:
        """A content language's candidates, the answer's first, each with the probability that it is the right one.

        At most `Calibration.pool` of them, in rank order after the first (see
        `calibration.First` and `calibration.Next` for what is read), and
        beyond them those a taught question near the reader's points to.
        """
        if ranked.unit is None or not ranked.candidates:
            return None
        calibration, idx = self.config.calibration, self.index.by_lang[ranked.lang]
        units, scores, coverage = list(ranked.candidates), ranked.scores.tolist(), ranked.coverage.tolist()
        if ranked.unit in units:
            at = units.index(ranked.unit)
            order = [at, *(i for i in range(len(units)) if i != at)]
            units, scores, coverage = [units[i] for i in order], [scores[i] for i in order], [coverage[i] for i in order]
        else:  # the topic's opening paragraph (`signals.topic_lead`), which relevance may not have offered
            units, scores, coverage = [ranked.unit, *units], [max(scores), *scores], [ranked.lexical, *coverage]
        near = ranked.taught
        kept = [i for i, unit in enumerate(units) if i < calibration.pool or unit in near.units]
        units, scores, coverage = [units[i] for i in kept], [scores[i] for i in kept], [coverage[i] for i in kept]
        translations = self._translation_similarity(ranked.lang, units, vector)
        ranks = [float(np.log1p(np.count_nonzero(translations > value))) for value in translations]
        articles, sections = idx.unit_article[units], idx.unit_section[units]
        features: list[Features] = [
            First(
                min(1.0, ranked.confidence),
                min(1.0, ranked.lexical),
                ranked.lead,
                scores[0] - max(scores[1:], default=scores[0]),
                ranks[0],
                near.units.get(units[0], 0.0),
                max(near.none, max((v for unit, v in near.units.items() if unit != units[0]), default=0.0)),
            )
        ]
        features += [
            Next(
                min(1.0, ranked.confidence),
                scores[i] - scores[0],
                min(1.0, coverage[i]),
                float(articles[i] == articles[0] and sections[i] == sections[0]),
                float(articles[i] == articles[0]),
                ranks[i],
                near.units.get(units[i], 0.0),
            )
            for i in range(1, len(units))
        ]
        weighed = tuple(
            Weighed(
                int(articles[i]),
                int(sections[i]),
                int(idx.unit_paragraph[unit]),
                features[i],
                (calibration.first if i == 0 else calibration.next).probability(features[i]),
            )
            for i, unit in enumerate(units)
        )
        return Weighing(False, answerable, weighed)

    def _translation_similarity(self, lang: str, units: list[int], vector: np.ndarray | None) -> np.ndarray:
        """Per unit, the mean similarity to the question of the same paragraph in the content's other languages.

        The meaning of a paragraph's translations is a second reading of it,
        with other words: where they agree with the ranking, the ranking is
        likelier right. A paragraph no other language has counts its own
        similarity; without vectors every unit counts 0.
        """
        own = self.index.by_lang[lang]
        if vector is None or own.unit_vectors is None:
            return np.zeros(len(units))
        out = []
        for unit in units:
            article_id, section, paragraph = (
                int(own.unit_article[unit]),
                int(own.unit_section[unit]),
                int(own.unit_paragraph[unit]),
            )
            found = []
            for other_lang, other in self.index.by_lang.items():
                translated = self.translation(article_id, other_lang) if other_lang != lang else None
                if translated is None or other.unit_vectors is None:
                    continue
                at = unit_at(other, translated, section, paragraph)
                if at is not None:
                    found.append(float(other.unit_vectors.similarity(vector)[at]))
            out.append(sum(found) / len(found) if found else float(own.unit_vectors.similarity(vector)[unit]))
        return np.array(out)

    def _says_something(self, question: str, lang: str) -> bool:
        """Whether a question in a language the content lacks has a word the articles could answer it on.

        "help", "what" or "who are you" say nothing a paragraph could answer,
        yet their meaning is as near one as any: a word must be neither a stop
        word nor one of the language's commonest (`informative_zipf`).
        """
        stop = stop_words(lang)
        frequencies = frequencies_of(lang)
        return any(
            word not in stop and frequencies.zipf(word) < self.config.informative_zipf for word in normalize(question, lang)
        )

    def _choose(self, results: list[Ranked], guess: LanguageGuess, preferences: tuple[str | None, ...]) -> Ranked | None:
        """The reading of the question that answers it best; a summary request counts as answered.

        Among readings that answer, the question's words decide (`Ranked.lexical`):
        its meaning is as near a paragraph as near that paragraph's translation.
        When no reading answers, near misses say nothing about the language
        (a stray Italian "la" is a Danish word too): lingua's guess decides if
        it leads clearly, else the preference order.
        """
        threshold = self.config.threshold

        def strength(r: Ranked) -> float:
            return max(r.confidence, threshold) if r.summary else r.confidence

        detected = guess.best
        answered = [r for r in results if (r.unit is not None or r.summary) and strength(r) >= threshold]
        if not answered:
            by_lang = {r.lang: r for r in results}
            lead = guess.ranked[0][1] - (guess.ranked[1][1] if len(guess.ranked) > 1 else 0.0) if guess.ranked else 0.0
            lang = detected if lead >= self.config.clear_lead and detected in by_lang else pick_fallback(by_lang, *preferences)
            return by_lang.get(lang or detected or "") or (results[0] if results else None)
        pool = answered
        top = max(r.lexical for r in pool)
        tied = [r for r in pool if r.lexical >= top - self.config.tie]
        if len(tied) == 1:
            return tied[0]
        by_lang = {r.lang: r for r in tied}
        lang = pick_fallback(by_lang, *preferences) or (detected if detected in by_lang else tied[0].lang)
        return by_lang[lang]

    def _answers(self, ranked: Ranked) -> bool:
        """Whether a reading answers the question: a paragraph sure enough, or a request for the key points."""
        return ranked.summary or (ranked.unit is not None and ranked.confidence >= self.config.threshold)

    # -- the reply --------------------------------------------------------

    def _compose(
        self,
        question: str,
        ranked: Ranked | None,
        conversation: Conversation,
        fallback_language: str | None,
        vector: np.ndarray | None = None,
    ) -> Answer:
        """The reply to a question in a content language: the answer and what is offered with it (`calibration.decide`).

        Where the words alone decide (`Ranked.decisive`, the question not
        embedded) and for the key points, the answer stands alone.
        """
        if ranked is None:
            lang = fallback_language or self.languages[0]
            return Answer(question, lang, "none", "", suggestions=self._suggest(lang, [], None, conversation))
        lang = ranked.lang
        idx = self.index.by_lang[lang]
        answered = ranked.unit is not None and ranked.confidence >= self.config.threshold
        if ranked.summary:
            if answered:
                article_id = int(idx.unit_article[ranked.unit])
            else:
                article_id = self._context_article(lang, conversation)
            if article_id is not None and self.index.articles[article_id].highlights:
                return self._highlights(question, lang, article_id, ranked)
        weighing = None if ranked.decisive and vector is None else self._weigh(ranked, vector, answered)
        probabilities = weighing.probabilities if weighing else []
        decision = decide(probabilities, answered, self.config.calibration, taught=weighing.pointed if weighing else ())
        positions = [(w.article_id, w.section, w.paragraph) for w in weighing.candidates] if weighing else []
        if not answered:
            alternatives = self._alternatives(positions, decision.offered, probabilities, exclude=None)
            return Answer(
                question,
                lang,
                "none",
                "",
                score=round(ranked.confidence, 3),
                suggestions=() if alternatives else self._suggest(lang, ranked.candidates, None, conversation),
                alternatives=alternatives,
                weighing=weighing,
            )
        moved = weighing.candidates[decision.chosen] if weighing and decision.chosen else None
        if moved is not None:
            article_id, section, paragraph = moved.article_id, moved.section, moved.paragraph
        else:
            unit = ranked.unit
            article_id = int(idx.unit_article[unit])
            section, paragraph = int(idx.unit_section[unit]), int(idx.unit_paragraph[unit])
        exclude = (article_id, section, paragraph)
        alternatives = self._alternatives(positions, decision.offered, probabilities, exclude=exclude)
        taken = {(a.article_id, a.section) for a in alternatives}
        if section == HIGHLIGHTS:
            answer = self._highlights(question, lang, article_id, ranked, taken)
        else:
            answer = self._unit_answer(
                article_id,
                section,
                paragraph,
                question=question,
                score=round(ranked.confidence, 3),
                suggestions=self._suggest(lang, ranked.candidates, (article_id, section), conversation, taken),
                matched_terms=self.rankers[ranked.lang].matched(ranked),
            )
        probability = round(probabilities[decision.chosen], 3) if probabilities else None
        return replace(answer, alternatives=alternatives, probability=probability, weighing=weighing)

    def _highlights(
        self, question: str, lang: str, article_id: int, ranked: Ranked, taken: Collection[tuple[int, int]] = ()
    ) -> Answer:
        return self._unit_answer(
            article_id,
            HIGHLIGHTS,
            question=question,
            score=round(max(ranked.confidence, self.config.threshold if ranked.summary else 0.0), 3),
            suggestions=self._suggest(lang, ranked.candidates, (article_id, HIGHLIGHTS), Conversation(), taken),
            matched_terms=self.rankers[ranked.lang].matched(ranked),
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

    def matched(self, question: str, lang: str) -> frozenset[str]:
        """The index terms of `lang` that the question's words resolve to: what a paragraph shown for it emphasises."""
        ranker = self.rankers.get(lang)
        if ranker is None:
            return frozenset()
        return frozenset(
            ranker.term_names[term_id]
            for group in ranker.read(question[:MAX_QUESTION_CHARS]).groups
            for term_id, _ in group.terms
        )

    def emphasis(self, answer: Answer) -> list[tuple[int, int]]:
        """Spans of `answer.text` that hold words the question matched, for the reply to emphasise."""
        if not answer.matched_terms or answer.language not in self.rankers:
            return []
        analyzer = self.rankers[answer.language].analyzer
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

    def _suggest(
        self,
        lang: str,
        candidates: list[int],
        exclude: tuple[int, int] | None,
        conversation: Conversation,
        taken: Collection[tuple[int, int]] = (),
    ) -> tuple[Suggestion, ...]:
        """Up to three other sections worth asking about: the nearest misses first, then the article's own.

        Sections in `taken` (the alternatives') are offered already.
        """
        idx = self.index.by_lang.get(lang)
        if idx is None:
            return ()
        seen: set[tuple[int, int]] = {*taken, exclude} if exclude else set(taken)
        out: list[Suggestion] = []

        def add(article_id: int, section: int) -> None:
            if (article_id, section) in seen or len(out) >= self.config.suggestions:
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


def _unknown(word: str) -> float:
    """The Zipf frequency of any word in a language nothing was read in: none."""
    return 0.0


def _position(answer: Answer) -> tuple[int, int, int] | None:
    """Where a shown answer is: (article, section, paragraph), the highlights' paragraph being `HIGHLIGHTS`."""
    if answer.article_id is None or answer.section is None:
        return None
    return answer.article_id, answer.section, HIGHLIGHTS if answer.paragraph is None else answer.paragraph


def highlights_text(article: Article) -> str:
    return "\n".join(f"• {item}" for item in article.highlights)
