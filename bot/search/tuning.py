"""Every number that tunes how content is indexed and how a question is matched, ranked and answered.

Two frozen objects, one per moment a number acts:

- `IndexConfig`: the numbers that shape the built index (BM25F's k1 and
  field weights, a compound part's share, the topic and restated-highlight
  rules, how much a stop word counts). The index is built from it and keeps
  it (`LanguageIndex.config`), as bm25s and rank_bm25 keep k1 and b on the
  index, so the question is read with the numbers its index was built with;
  its values are part of the cache's key (`index_cache.content_fingerprint`),
  so a changed number rebuilds the index.
- `RankingConfig`: the query-time numbers. `RankingConfig()` is what the bot
  runs with; a `Searcher` takes another one to try a different weight, or to
  switch a named signal or adjustment off (`disabled`) and measure what it
  earns (`benchmarks/ablation.py`).

Nothing in the search layer reads these numbers from module globals. What
stays in the language layer describes words of a language, the same for any
content and any weighing: how much a word says from how common it is
(`Analyzer.importance`, shared by the index and the question), what makes a
compound, and how many typos a word of a given length may hold (`spelling`).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..language.frequencies import APP_LANGUAGE_MARGIN
from .calibration import Calibration


@dataclass(frozen=True)
class BM25Field:
    """One field of BM25F: how much a word in it counts, and how much the field's length dilutes that."""

    weight: float
    """An occurrence's worth against one in the paragraph's own text."""
    b: float
    """Length normalisation: 0 ignores the field's length, 1 divides by it relative to the field's average."""


@dataclass(frozen=True)
class IndexConfig:
    """What the index is built with: saved with it, and part of its cache's key."""

    # -- BM25F (`index._FieldEntries.weights`, `build_language_index`) ----------

    k1: float = 1.2
    """Term-frequency saturation: a word's second and third occurrences in a unit add less and less (BM25's usual)."""
    body: BM25Field = BM25Field(1.0, 0.75)
    """The unit's own text, the reference: BM25's usual normalisation, as a long paragraph says many things."""
    heading: BM25Field = BM25Field(2.0, 0.3)
    """Its section heading, which states the question the section answers, so it weighs most; a heading is a line,
    so its length is normalised little."""
    title: BM25Field = BM25Field(0.4, 0.3)
    """Its article's title, description and keywords: what tells articles apart in a large knowledge base, but the
    same for every unit of the article, so it weighs least; short, so normalised little."""
    restated: BM25Field = BM25Field(1.0, 0.3)
    """A highlight that restates the paragraph (`restated_share`): the author has said in few words what the
    paragraph is about, as much as the paragraph itself."""
    part_weight: float = 0.5
    """A compound's parts ("løn" in "lønintervallet") count half a word each."""

    # -- what the index finds in an article (`index`) -----------------------------

    min_topic_headings: int = 3
    """Section headings an article needs before the words all of them repeat are its topic (`index._topic_terms`):
    with fewer, a shared word may be chance."""
    restated_share: float = 0.5
    """Share of a highlight's content words (by weight) a paragraph must have for the highlight to count as
    restating it."""

    # -- synonyms (`index._synonym_table`) ------------------------------------------

    min_importance: float = 0.5
    """Least importance (`Analyzer.importance`) a word of a synonym group counts with, a stop word's 0 included:
    as much as the commonest content word, so every word of a group leads to the others."""
    generic_importance: float = 2.0
    """Importance under which a word is generic: a Zipf frequency above 5, as "fare" or "gør". A synonym leads to a
    generic word only as strongly as that word says as much."""

    # -- stop words in headings and questions (`index.heading_weight`) --------------

    stopword_weight: float = 0.5
    """What a stop word counts for at most, against 1 for other words: in a heading, in a question compared with a
    heading, and in a question of stop words alone (`ranking.LanguageRanker`). Headings state intents in stop
    words ("cosa *fa*"), so they count, but less than the words that say what a question is about."""
    commonest_zipf: float = 7.5
    """Zipf frequency near which a stop word counts least: about that of a language's commonest words ("the" is 7.7,
    "di" 7.6)."""
    stopword_spread: float = 1.5
    """Zipf steps below `commonest_zipf` over which a stop word's weight grows to `stopword_weight`: "cosa" (what,
    6.2) counts nearly all of it, "di" (of, 7.6) the least (`min_stopword_share`)."""
    min_stopword_share: float = 0.2
    """Least share of `stopword_weight` a stop word counts for, however common ("di", "the"): a little, as it is
    still a word the question and the heading share."""


@dataclass(frozen=True)
class RankingConfig:
    """How strictly words match, how much each signal weighs, and how sure an answer must be."""

    # -- matching a question word to index terms (`matching`) -----------------

    exact: float = 1.0
    """Strength of the content's own term: the reference every looser match is measured against."""
    alias: float = 0.95
    """The same word typed without its diacritics ("araligi"): almost surely meant, a shade less certain."""
    synonym: float = 0.9
    """A content owner's synonym standing in for a word the content lacks: meant, but not the reader's word."""
    weak_synonym: float = 0.5
    """A synonym of a word the content has: enough to reach its other forms and break ties, not to outrank it."""
    part: float = 0.8
    """A compound's part ("løn" of "lønintervallet"): the compound says more than any one part."""
    prefix: float = 0.8
    """A longer or shorter word sharing the stem: also the strength from which a match covers a word fully."""
    typo_strength: tuple[float, ...] = (0.85, 0.7)
    """Strength of a typo match at one and two edits: each edit makes another word likelier."""
    min_prefix: int = 5
    """Letters a shared stem needs to count: shorter stems are shared by unrelated words."""
    max_extensions: int = 8
    """Most terms a prefix may extend to; more means the prefix is too general to say which was meant."""
    min_proclitic_word: int = 4
    """Letters a word needs for a leading proclitic ("al-", "l'") to be cut off it: short words are the proclitic's own."""

    # -- ranking one language's units (`ranking`, `signals`) ---------------------

    candidates: int = 24
    """Units by BM25F relevance that the signals rerank: the right one is nearly always among them."""
    coverage_weight: float = 1.0
    """Weight of the share of the question's meaning a unit covers: the main signal, and the confidence."""
    relevance_weight: float = 0.35
    """Weight of BM25F relevance relative to the best: it breaks ties between units covering as much."""
    heading_weight: float = 0.6
    """Weight of the question restating a unit's section heading, where questions' intents ("what does") live."""
    heading_beta: float = 2.0
    """F-beta of heading matching: recall (the question's words in the heading) weighs this much more than precision."""
    figure_weight: float = 0.5
    """Bonus of a unit stating a figure when the question asks how much: outweighs a unit naming pay twice in passing."""
    section_lead_weight: float = 0.2
    """Bonus of a paragraph that opens its section: a tie-breaker, as the first paragraph answers the heading."""
    cross_reference_weight: float = 0.5
    """Bonus of a paragraph that links to another article when the question names both articles: as much as a
    figure's, enough to beat a paragraph of either article that covers the question's words as well."""
    elsewhere_weight: float = 0.5
    """How much a question word the answer lacks counts against it when other units have it: a word found
    nowhere ("pizza") says the question is out of scope and counts in full."""
    unknown_beside_topic: float = 0.5
    """How much a word the content lacks counts when the question's other words run through the answer's article."""
    on_topic_units: int = 2
    """Units of an article a word must be in to be one the article keeps coming back to (its title and headings
    count for each unit they cover): once may be a passing mention."""
    semantic_weight: float = 1.0
    """Weight of the semantic signal: a unit's embedding similarity to the question, below the best unit's, in
    `semantic_scale` steps."""
    semantic_scale: float = 0.02
    """Similarity difference that costs a unit one unit of rank score: multilingual-e5's similarities between a
    question and the paragraphs of one knowledge base spread over only about 0.8 to 0.95."""
    semantic_yield: float = 0.8
    """How much the semantic signal gives way where the question's words single out one candidate: at a decisive
    lexical lead it weighs `1 - semantic_yield` of itself. Words the question shares with a paragraph are exact
    evidence; a vector is a paraphrase's only evidence."""
    semantic_lead: float = 0.3
    """Lead in lexical rank score over the runner-up at which the words alone are decisive (see `semantic_yield`)."""
    skip_decisive: bool = True
    """Leave the question's embedding (tens of milliseconds) out where the words alone decide (`Ranked.decisive`)."""
    semantic_candidates: int = 5
    """Units most similar to the question that join the lexical candidates: a paraphrase shares no word with its
    answer, so relevance alone would never offer it."""
    semantic_threshold: float = 0.86
    """Similarity at which the semantic evidence alone is as sure as `threshold`; out-of-scope questions reach
    about 0.81 to 0.88 with this model, answerable ones 0.85 to 0.95."""
    across_threshold: float = 0.80
    """Similarity at which a question in a language the content lacks is as sure as `threshold`: the origin of the
    scale its calibrated decision reads similarities on (`calibration.AcrossFirst.similarity`) and its score maps
    them to. Across languages this model's similarities run lower than within one."""
    across_floor: float = 0.81
    """Similarity below which such a question gets "no answer" whatever the decision would say: against the
    multi-article set, 2 of the 94 answerable questions of the blind German and English sets stay below 0.81, 8 of
    their 30 out-of-scope ones, and everyday questions nothing answers ("how do I fix my bike") reach 0.80 to 0.81.
    Until the sixth session of 2026-12-07 the floor was `across_threshold`, 0.80, which answered those."""
    translation_prior: float = 1.0
    """Translations counted at the question's average similarity in a position's mean (`positions`), so that one held
    by a single translation (a paragraph the others lack, an article in one language) is not first on one chance
    high. `python benchmarks/positions_study.py`: by meaning alone, with one article left in one language, 1 keeps
    about as many right as the plain mean (176, 163, 167 of 275 against 177, 161, 168), and with one translation given
    an extra opening paragraph, more (183, 179, 179 against 174, 163, 169); every position all languages hold keeps its
    order."""
    informative_zipf: float = 5.5
    """How common a word may be and still say what a question asks (Zipf; "salary" is 4.3, "help" 5.6). A question
    in a content language made of stop words alone is searched only by those rarer than this (stop-word lists carry
    nouns such as "город"), so "bir", "che cosa" or "и в на" get no answer; its content words are searched whatever
    their frequency ("lavoro", work, is as common as "help", and "citta con piu lavoro" asks something). A question in
    a language the content lacks needs a word rarer than this that is no stop word: "help" or "who are you" are near a
    paragraph in meaning but ask nothing of it."""
    respelling_units: int = 5
    """Best lexical candidates whose words spell back what the question typed without diacritics, for the embedding
    model (`searcher.Searcher._as_meant`): the words a question found are in its first few."""
    semantic_slope: float = 10.0
    """Confidence per unit of similarity above or below `semantic_threshold`: 0.04 more similar is sure."""
    taught_weight: float = 3.0
    """Weight of a taught question's closeness to the reader's (0 to 1, raised to `taught_power`) for the paragraph it
    points to (`taught`): asked again, it outweighs any lead the other signals give another paragraph."""
    taught_power: float = 3.0
    """How steeply a taught question's vote grows with its closeness: a question asked again (closeness 1) decides, one
    only somewhat like the reader's (two in five of them point elsewhere) tips a near tie at most."""
    taught_floor: float = 0.86
    """Similarity to the reader's question (of a question taught in their language) from which the nearest taught
    question may count as near it: it must stand out from this level as from the nearest pointing elsewhere."""
    taught_margin: float = 0.04
    """How far the nearest taught question must stand out (its similarity less that of the nearest pointing elsewhere, or
    `taught_floor`) to count fully (closeness 1); less, it counts in proportion. Questions of one subject are about as
    similar to a reader's as its paraphrases: on the public set asked across languages and the two blind sets, 72 of
    73 nearest taught questions standing out by 0.04 or more pointed to a right paragraph, 66 of 226 of those standing
    out by less than 0.01 (the reader's language's and the others' compared apart)."""
    taught_own_margin: float = 0.12
    """`taught_margin` for questions taught in the reader's own language: the model rates same-language questions of one
    subject as near a reader's as its paraphrases, so their nearest must stand out three times as far. Taught half of
    the public set (every language), its other half lost 15 answers to such questions with 0.04 (153 of 200 against
    168 untaught), one with 0.12 (167); the blind sets taught the public set: 83 and 90 (89 with 0.04)."""
    taught_across: float = 0.04
    """How much lower `taught_floor` is for questions taught in another language than the reader's: this model rates a
    question and its translation about as similar as two paraphrases of one language rated this much lower."""
    taught_word_floor: float = 0.5
    """Share of two questions' word weight in common (Dice) from which a taught one counts as near the reader's by its
    words (closeness 0; all its words and no other, 1): sharing the name of a subject, as half the questions about it
    do, says nothing of which paragraph is wanted."""
    taught_candidates: int = 3
    """Paragraphs the nearest taught questions point to that join the candidates (their nearest first)."""
    taught_threshold: float = 0.5
    """Closeness of a taught question at which its paragraph is answered as surely as `threshold`."""
    taught_slope: float = 1.0
    """Confidence per unit of closeness above or below `taught_threshold`."""

    # -- the answer decision (`searcher`) ---------------------------------------

    threshold: float = 0.6
    """Minimum confidence to answer a question in a content language; below it the reply is "no answer". Calibrated
    on the question sets: every stricter rule measured (`benchmarks/calibration.py`) cost more right answers than
    it caught questions the content cannot answer."""
    confident: float = 0.8
    """lingua confidence in its first language from which only that language is searched; below it, every plausible
    language is, and any whose content knows the question's words, and the best-supported answer settles which."""
    tie: float = 0.05
    """Confidences this close are a tie between languages, settled by the reader's preferences, not the score."""
    plausible: float = 0.05
    """Lingua confidence from which a language is searched when detection is unsure."""
    clear_lead: float = 0.2
    """Lead of lingua's first language over its second that settles the language of an unanswered question."""
    app_language_margin: float = APP_LANGUAGE_MARGIN
    """How much commoner (mean Zipf) a question's words must be in the app's language than in the detected one
    to be read as the app's."""
    suggestions: int = 3
    """Other sections offered beside an answer or a "no answer": enough to choose from, few enough to read."""
    calibration: Calibration = Calibration()
    """How sure the first answer is, and which other paragraphs are offered with it (`calibration`)."""

    disabled: frozenset[str] = frozenset()
    """Signals and adjustments switched off by name (see `searcher.SWITCHES`), to measure each alone."""

    def on(self, name: str) -> bool:
        """Whether the signal or adjustment `name` is in use."""
        return name not in self.disabled


DEFAULT = RankingConfig()
INDEX_DEFAULT = IndexConfig()
