"""Per-language search index over paragraphs and highlights, and its cache on disk.

A *unit* is what an answer can be: one paragraph, or an article's highlights.
Each unit is scored with BM25F over three fields: its own text, its section
heading (headings state the question a section answers, so they weigh most),
and its article's title, description and keywords (what tells articles apart
in a large knowledge base). Weights are computed once at build time and kept in
compressed-sparse-row numpy arrays, so a query touches only the postings of
its own terms: a few array operations, however large the knowledge base.

Every number that shapes the index is a field of the `IndexConfig` it is
built from (`tuning`), which it keeps. Building from thousands of files takes
seconds; `index_cache` keeps the built index on disk.
"""

from __future__ import annotations

import hashlib
import json
import re
import zlib
from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from itertools import chain

import numpy as np

from ..content.articles import HIGHLIGHTS, Article, CompactArticles, KnowledgeBase
from ..language.analysis import Analyzer, Token
from ..language.cues import ENGLISH, cues
from ..language.frequencies import WordFrequencies
from ..language.packed import PackedStrings, StringIds, StringToIds
from ..language.spelling import Speller, WordBuckets
from ..language.textnorm import fold, normalize
from .similarity import UnitVectors
from .tuning import INDEX_DEFAULT, BM25Field, IndexConfig

FORMAT = 40
"""Bump when analysis or layout changes, so old caches are rebuilt rather than misread."""

_DIGIT = re.compile(r"\d")
CUE_KEYS = ("summary_cues", "quantity_cues", "question_words")
"""The cue phrases whose words a reader may misspell, besides the content's own words."""


class TermLookup:
    """Lookups over one language's terms that a dict cannot answer: typos and shared prefixes (see `matching`).

    Built with the index and cached with it.
    """

    def __init__(self, keys: Sequence[str]) -> None:
        self._buckets = WordBuckets(keys)
        self._sorted = PackedStrings(sorted(keys))

    def extensions(self, prefix: str, limit: int) -> list[str]:
        """Terms that begin with `prefix` ("diplo" → "diploma"), none if more than `limit` do."""
        keys = self._sorted
        start = bisect_left(keys, prefix)
        found: list[str] = []
        for at in range(start, min(start + limit + 1, len(keys))):
            key = keys[at]
            if not key.startswith(prefix):
                break
            found.append(key)
        return found if len(found) <= limit else []

    def nearest(self, term: str, budget: int) -> tuple[list[str], int]:
        """The terms fewest edits from `term`, within `budget`, and how many edits that is."""
        found = list(self._buckets.within(term, budget, lambda _: budget))
        if not found:
            return [], 0
        fewest = min(distance for distance, _, _ in found)
        return [key for distance, key, _ in found if distance == fewest], fewest


@dataclass
class LanguageIndex:
    lang: str
    unit_article: np.ndarray
    """Index into `SearchIndex.articles` of each unit's article."""
    unit_section: np.ndarray
    unit_paragraph: np.ndarray
    unit_figures: np.ndarray
    """Per unit, whether its text states a figure (a digit): what a "how much" question wants."""
    terms: StringIds
    """Each index term → its id (the postings' row); in arrays the cache maps, as a dict of 150,000 stems per
    language was the largest part of a serving process's own heap."""
    offsets: np.ndarray
    post_units: np.ndarray
    post_weights: np.ndarray
    aliases: StringToIds
    """Terms reachable from the folded-then-stemmed form of a word, for input typed without diacritics."""
    synonyms: dict[str, tuple[tuple[int, float], ...]]
    """Term (stemmed and folded) of a word readers use → index terms of the words it stands for."""
    surface_hashes: np.ndarray
    """Sorted CRC32 of every word of the content as written (folded), a compact set: see `has_surface`."""
    surfaces: PackedStrings
    """Every word of the content as written (lowered), sorted, so it can be bisected: see `TermMatcher`."""
    unit_heading: np.ndarray
    """Per unit, its section heading's slot in `heading_offsets`."""
    heading_offsets: np.ndarray
    heading_terms: np.ndarray
    heading_weights: np.ndarray
    """Per heading word: its term and how much it counts (stop words half), for matching questions to headings."""
    topics: dict[int, frozenset[int]]
    """Per article (of those with enough sections), the terms all its headings repeat: see `_topic_terms`."""
    restates: dict[int, tuple[int, ...]]
    """Per article, for each highlight, the unit of the paragraph it restates (-1 if none clearly does).

    Such a highlight also counts as a field of that paragraph: the article's
    author has said in few words what the paragraph is about.
    """
    frequencies: WordFrequencies
    """The word frequencies the index was analysed with, so questions are weighed alike without loading wordfreq."""
    kept_words: frozenset[str]
    """Words of the synonym groups (folded), never stop words: see `Analyzer`."""
    config: IndexConfig
    """The numbers it was built with, which a question is read with too (`heading_weight`)."""
    cross_references: dict[int, tuple[frozenset[int], frozenset[int]]] = field(default_factory=dict)
    """Per paragraph that links to another article of its language: the terms that name its own article and
    those that name the linked one (each article's title and topic). A writer who mentions another article's
    subject links to it, and that paragraph is where the two are related (see `signals.cross_reference`)."""
    unit_keys: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.uint64))
    """Per unit, the key of its embedded text in the vector store (see `vectors`)."""
    figure_words: tuple[str, ...] = ()
    """Words of the content's subject that ask for a figure ("salary", "price"), the English ones with this
    language's, as the content owner lists them (`synonyms.yml`'s `figures`): see `signals.figure`."""
    unit_vectors: UnitVectors | None = None
    """Per unit, its embedding, when every unit has one; attached from the vector store when loaded (float16, mapped
    from a file every process serving the index shares: see `vectors.attach`)."""
    speller: Speller | None = None
    """What a reader may have meant by a word nobody knows: the content's words, the synonyms, stop words and
    cue phrases (see `content_speller`); built with the index, so a start-up loads it rather than rebuilds it."""
    lexicon: Speller | None = None
    """The same over the language's commonest words (`WordFrequencies.lexicon`), for words the content lacks."""
    term_lookup: TermLookup | None = None
    """Typo and prefix lookups over the terms and aliases (see `matching`), built with the index."""

    @property
    def term_names(self) -> Sequence[str]:
        """Each term by its id."""
        return self.terms.names

    @property
    def unit_count(self) -> int:
        return len(self.unit_article)

    def postings(self, term_id: int) -> tuple[np.ndarray, np.ndarray]:
        """Units that have the term, and its weight in each (stored as float16, computed with as float32)."""
        start, end = self.offsets[term_id], self.offsets[term_id + 1]
        return self.post_units[start:end], self.post_weights[start:end].astype(np.float32)

    def document_frequency(self, term_id: int) -> int:
        return int(self.offsets[term_id + 1] - self.offsets[term_id])

    def has_surface(self, folded_word: str) -> bool:
        """Whether the content has this word as written; a question word outside it is a reader's word.

        A hash collision only makes a reader's word look like the content's,
        which weakens its synonyms; it never adds a wrong match.
        """
        key = zlib.crc32(folded_word.encode())
        at = int(np.searchsorted(self.surface_hashes, key))
        return at < len(self.surface_hashes) and int(self.surface_hashes[at]) == key

    def lead_unit(self, article_id: int) -> int:
        """The article's first unit: its opening paragraph (units are stored article by article)."""
        return int(np.searchsorted(self.unit_article, article_id))

    def heading_words(self, unit: int) -> tuple[np.ndarray, np.ndarray]:
        slot = self.unit_heading[unit]
        start, end = self.heading_offsets[slot], self.heading_offsets[slot + 1]
        return self.heading_terms[start:end], self.heading_weights[start:end]


@dataclass
class SearchIndex:
    """The knowledge base together with one `LanguageIndex` per language it has."""

    kb: KnowledgeBase
    by_lang: dict[str, LanguageIndex]
    fingerprint: str
    config: IndexConfig
    """What every language's index was built with; part of `fingerprint` (`index_cache.content_fingerprint`)."""
    taught_keys: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.uint64))
    """Per taught question (`kb.taught`), the key of its embedding in the vector store (see `vectors`)."""
    taught_vectors: UnitVectors | None = None
    """Per taught question, its embedding, once every one has its own (see `vectors.attach`)."""
    layout: str = ""
    """A digest of where every paragraph is (each article's id, key, language, headings and paragraphs per section,
    written as JSON, the same bytes on every Python): what a button's place names (`generation`)."""

    @property
    def articles(self) -> CompactArticles:
        return self.kb.articles

    @property
    def generation(self) -> str:
        """A short tag of where this version of the content has its paragraphs, carried by buttons so that one whose
        place may now name another paragraph is recognised as outdated. Only the articles' layout counts (a
        paragraph, section or article added, moved or removed, anywhere, dates every button): teaching a question
        (`questions.yml`), a synonym, or an edit inside a paragraph leaves every button working."""
        return (self.layout or self.fingerprint)[:8]


def unit_text(article: Article, section: int, paragraph: int) -> str:
    if section == HIGHLIGHTS:
        return "\n".join(article.highlights)
    return article.sections[section].paragraphs[paragraph]


def unit_heading(article: Article, section: int) -> str:
    return article.highlights_heading if section == HIGHLIGHTS else article.sections[section].heading


class _Vocabulary:
    """Each distinct word of one language's content, analysed once; texts become arrays of word ids.

    A corpus repeats its words many times, so counting happens on word ids in
    numpy (`_FieldEntries.weights`) and each word's analysis (its term, and
    the parts of a compound) is looked up there by id rather than per
    occurrence in Python.
    """

    def __init__(self, analyzer: Analyzer, config: IndexConfig) -> None:
        self.analyzer = analyzer
        self.config = config
        self.terms: dict[str, int] = {}
        self.ids: dict[str, int] = {}
        self.heading_weight: list[float] = []
        self.content_weight: list[float] = []
        """Per word: how much it says (`Analyzer.importance`), 0 for stop words."""
        self.expand_offsets = array("q", [0])
        self.expand_terms = array("i")
        self.expand_weights = array("f")
        """Per word: its own term (weight 1), then its compound parts' terms (`IndexConfig.part_weight` each)."""

    def encode(self, text: str) -> list[int]:
        words = normalize(text, self.analyzer.lang)
        for word in sorted(set(words).difference(self.ids)):
            self._add(word)
        return list(map(self.ids.__getitem__, words))

    def _add(self, word: str) -> None:
        analyzer, terms = self.analyzer, self.terms
        self.ids[word] = len(self.ids)
        token = analyzer.token(word)
        self.heading_weight.append(heading_weight(self.config, analyzer, token))
        self.content_weight.append(0.0 if token.stop else analyzer.importance(word))
        self.expand_terms.append(terms.setdefault(analyzer.term(word), len(terms)))
        self.expand_weights.append(1.0)
        for part in analyzer.compound_parts(word):
            self.expand_terms.append(terms.setdefault(analyzer.term(part), len(terms)))
            self.expand_weights.append(self.config.part_weight)
        self.expand_offsets.append(len(self.expand_terms))

    def term_id(self, word_id: int) -> int:
        return self.expand_terms[self.expand_offsets[word_id]]

    def content_terms(self, word_ids: list[int]) -> dict[int, float]:
        """The terms of a text's content words, each with its weight."""
        return {self.term_id(w): self.content_weight[w] for w in word_ids if self.content_weight[w]}


def heading_weight(config: IndexConfig, analyzer: Analyzer, token: Token) -> float:
    """How much a word counts when a question is compared with a heading, the same for the heading's words and the question's.

    Stop words count, as headings state intents in them ("cosa fa",
    what it does), but the commoner the less: "cosa" (what) tells more
    than "di" (of), which every heading has.
    """
    if not token.stop:
        return 1.0
    spread = (config.commonest_zipf - analyzer.zipf(token.surface)) / config.stopword_spread
    return config.stopword_weight * min(1.0, max(config.min_stopword_share, spread))


def _topic_terms(vocabulary: _Vocabulary, headings: list[str]) -> set[int]:
    """Terms every section heading of an article repeats: its topic, which tells none of its sections apart.

    Headings such as "What is an account manager?", "What an account manager
    does" and "Examples of account manager roles" all name the topic; a
    question naming it ("why do companies use account managers") restates
    each of them equally, and the shortest heading would otherwise win on
    those words alone. With fewer than `IndexConfig.min_topic_headings`
    headings a shared word may be chance.
    """
    if len(headings) < vocabulary.config.min_topic_headings:
        return set()
    per_heading = [{vocabulary.term_id(w) for w in vocabulary.encode(text)} for text in headings]
    return set.intersection(*per_heading)


def _article_key(key: str) -> str:
    """An article's key reduced to its letters and digits, as sites spell slugs in many ways."""
    return "".join(ch for ch in key.casefold() if ch.isalnum())


def _link_key(target: str) -> str:
    """The key of the article a link points to: its last path segment, without extension, query or fragment.

    Sites link to an article by its slug, written as they like ("/accountmanager",
    "../account-manager.html"), while the content folder names it by file or
    translation key ("account-manager").
    """
    path = target.split("#", 1)[0].split("?", 1)[0].rstrip("/")
    return _article_key(path.rsplit("/", 1)[-1].split(".", 1)[0])


def _cross_references(
    links: list[tuple[int, int, str]], keys: dict[str, int], names: dict[int, frozenset[int]]
) -> dict[int, tuple[frozenset[int], frozenset[int]]]:
    """Per linking paragraph (unit, its article, a link target), the terms naming its article and the one it links to.

    A link to an article of another language or to a page outside the
    knowledge base, or one naming no article by its terms, relates nothing.
    """
    found: dict[int, tuple[frozenset[int], frozenset[int]]] = {}
    for unit, article_id, target in links:
        linked = keys.get(_link_key(target))
        if linked is not None and linked != article_id and names[article_id] and names[linked]:
            found.setdefault(unit, (names[article_id], names[linked]))
    return found


def _restated(bullet: dict[int, float], paragraphs: list[dict[int, float]], share_needed: float) -> int | None:
    """Which of an article's paragraphs a highlight restates, if one clearly does (`IndexConfig.restated_share`)."""
    total = sum(bullet.values())
    best, best_share = None, share_needed
    for p, paragraph in enumerate(paragraphs):
        share = sum(w for t, w in bullet.items() if t in paragraph) / total if total else 0.0
        if share > best_share:
            best, best_share = p, share
    return best


def _article_fields(article: Article) -> str:
    return " ".join([article.title, article.description, *article.keywords])


def _ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Concatenated `range(start, start + length)` for each pair, without a Python loop."""
    ends = np.cumsum(lengths)
    return np.repeat(starts - ends + lengths, lengths) + np.arange(int(ends[-1]) if len(ends) else 0)


class _FieldEntries:
    """The texts of one field as word ids, each text applying to a run of units (a heading to its section's)."""

    def __init__(self) -> None:
        self.tokens = array("i")
        self.lengths = array("i")
        self.first_units = array("i")
        self.unit_spans = array("i")

    def add(self, word_ids: list[int], units: range) -> None:
        self.tokens.extend(word_ids)
        self.lengths.append(len(word_ids))
        self.first_units.append(units.start)
        self.unit_spans.append(len(units))

    def weights(self, vocabulary: _Vocabulary, spec: BM25Field, unit_count: int) -> tuple[np.ndarray, np.ndarray]:
        """(term × unit_count + unit, BM25F pseudo term frequency) of every term in every unit the field reaches."""
        word_count, term_count = len(vocabulary.ids), max(1, len(vocabulary.terms))
        lengths = np.frombuffer(self.lengths, dtype=np.int32).astype(np.int64)
        entries = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)
        pairs, occurrences = np.unique(entries * word_count + np.frombuffer(self.tokens, dtype=np.int32), return_counts=True)
        entry, word = pairs // word_count, pairs % word_count

        offsets = np.frombuffer(vocabulary.expand_offsets, dtype=np.int64)
        expansions = offsets[word + 1] - offsets[word]
        at = _ranges(offsets[word], expansions)
        expanded_entry = np.repeat(entry, expansions)
        term = np.frombuffer(vocabulary.expand_terms, dtype=np.int32)[at]
        counts = np.frombuffer(vocabulary.expand_weights, dtype=np.float32)[at] * np.repeat(occurrences, expansions)
        keys, inverse = np.unique(expanded_entry * term_count + term, return_inverse=True)
        tf = np.bincount(inverse, weights=counts)
        entry, term = keys // term_count, keys % term_count

        spans = np.frombuffer(self.unit_spans, dtype=np.int32).astype(np.int64)
        average = max(1.0, float((lengths * spans).sum()) / max(1, int(spans.sum())))
        pseudo_tf = (tf * spec.weight / (1 - spec.b + spec.b * lengths[entry] / average)).astype(np.float32)
        reach = spans[entry]
        units = _ranges(np.frombuffer(self.first_units, dtype=np.int32).astype(np.int64)[entry], reach)
        return np.repeat(term, reach) * unit_count + units, np.repeat(pseudo_tf, reach)


def _synonym_table(
    analyzer: Analyzer, groups: list[tuple[str, ...]], terms: dict[str, int], config: IndexConfig
) -> dict[str, tuple[tuple[int, float], ...]]:
    """Every word of a group leads to the index terms of the group's other words, each with a strength factor.

    Keyed by each word's term, its term typed without diacritics, and the word
    itself folded, so a reader's derivation of it can be found by prefix
    ("laureati" by "laurea", which Snowball stems apart).

    A word leads to a generic word of its group only weakly, in proportion
    to how much less the generic word says: "mansioni" (duties) stands for
    "fare" (to do) in "cosa fa", but a paragraph that says "fare" in passing
    is not about duties. Any word leads fully to a word at least as rare as
    itself, and a rare word to any word that is not generic ("arbejdsopgaver"
    to "opgaver"): see `IndexConfig.generic_importance`.
    """
    table: dict[str, dict[int, float]] = {}
    for group in groups:
        words: list[tuple[str, set[str], float]] = []
        for entry in group:
            for t in analyzer.tokens(entry):
                if len(entry.split()) == 1 or not t.stop:
                    keys = {t.term, analyzer.folded_term(t.surface), t.folded}
                    words.append((t.term, keys, max(analyzer.importance(t.surface), config.min_importance)))
        for source, keys, importance in words:
            for target, _, target_importance in words:
                if target == source or target not in terms:
                    continue
                factor = min(1.0, target_importance / min(importance, config.generic_importance))
                for key in keys:
                    found = table.setdefault(key, {})
                    found[terms[target]] = max(found.get(terms[target], 0.0), factor)
    return {key: tuple(sorted(found.items())) for key, found in table.items()}


def build_language_index(
    lang: str,
    articles: Iterable[tuple[int, Article]],
    synonyms: list[tuple[str, ...]] | None = None,
    figure_words: Sequence[str] = (),
    config: IndexConfig = INDEX_DEFAULT,
) -> LanguageIndex:
    kept_words = frozenset(fold(word) for group in synonyms or [] for entry in group for word in normalize(entry, lang))
    analyzer = Analyzer(lang, keep=kept_words)
    vocabulary = _Vocabulary(analyzer, config)
    units: list[tuple[int, int, int]] = []
    figures: list[bool] = []
    body, heading, title, restated = _FieldEntries(), _FieldEntries(), _FieldEntries(), _FieldEntries()
    unit_heading: list[int] = []
    heading_offsets: list[int] = [0]
    heading_words: dict[int, float] = {}
    heading_terms: list[int] = []
    heading_weights: list[float] = []
    topics: dict[int, frozenset[int]] = {}
    restates: dict[int, tuple[int, ...]] = {}
    names: dict[int, frozenset[int]] = {}
    keys: dict[str, int] = {}
    links: list[tuple[int, int, str]] = []
    for article_id, article in articles:
        first_unit = len(units)
        paragraph_ids: list[list[int]] = []
        parts = [(s, section.heading, section.paragraphs) for s, section in enumerate(article.sections)]
        topic = _topic_terms(vocabulary, [section.heading for section in article.sections])
        if topic:
            topics[article_id] = frozenset(topic)
        names[article_id] = frozenset(vocabulary.content_terms(vocabulary.encode(article.title))) | topic
        keys.setdefault(_article_key(article.key), article_id)
        if article.highlights:
            parts.append((HIGHLIGHTS, article.highlights_heading, ("\n".join(article.highlights),)))
        for s, heading_text, paragraphs in parts:
            section_start = len(units)
            if s != HIGHLIGHTS:
                links.extend((section_start + p, article_id, target) for p, target in article.sections[s].links)
            for p, text in enumerate(paragraphs):
                ids = vocabulary.encode(text)
                if s != HIGHLIGHTS:
                    paragraph_ids.append(ids)
                body.add(ids, range(len(units), len(units) + 1))
                figures.append(_DIGIT.search(text) is not None)
                units.append((article_id, s, p if s != HIGHLIGHTS else HIGHLIGHTS))
            heading_ids = vocabulary.encode(heading_text)
            heading.add(heading_ids, range(section_start, len(units)))
            heading_words.clear()
            for word_id in heading_ids:
                term_id = vocabulary.term_id(word_id)
                if term_id in topic:
                    continue
                weight = vocabulary.heading_weight[word_id]
                heading_words[term_id] = max(heading_words.get(term_id, 0.0), weight)
            heading_terms.extend(heading_words)
            heading_weights.extend(heading_words.values())
            unit_heading.extend([len(heading_offsets) - 1] * (len(units) - section_start))
            heading_offsets.append(len(heading_terms))
        title.add(vocabulary.encode(_article_fields(article)), range(first_unit, len(units)))
        paragraph_terms = [vocabulary.content_terms(ids) for ids in paragraph_ids]
        targets = []
        for item in article.highlights:
            ids = vocabulary.encode(item)
            at = _restated(vocabulary.content_terms(ids), paragraph_terms, config.restated_share)
            targets.append(-1 if at is None else first_unit + at)
            if at is not None:
                restated.add(ids, range(first_unit + at, first_unit + at + 1))
        if any(unit >= 0 for unit in targets):
            restates[article_id] = tuple(targets)

    terms, unit_count = vocabulary.terms, max(1, len(units))
    weighted = [
        f.weights(vocabulary, spec, unit_count)
        for f, spec in ((body, config.body), (heading, config.heading), (title, config.title), (restated, config.restated))
    ]
    unique_keys, inverse = np.unique(np.concatenate([keys for keys, _ in weighted]), return_inverse=True)
    tf = np.bincount(inverse, weights=np.concatenate([values for _, values in weighted])).astype(np.float32)
    term_ids = (unique_keys // unit_count).astype(np.int32)
    df = np.bincount(term_ids, minlength=len(terms))
    idf = np.log1p((unit_count - df + 0.5) / (df + 0.5)).astype(np.float32)
    offsets = np.zeros(len(terms) + 1, dtype=np.int64)
    np.cumsum(df, out=offsets[1:])

    aliases: dict[str, set[int]] = {}
    for surface in vocabulary.ids:
        term = analyzer.term(surface)
        key = analyzer.folded_term(surface)
        if key != term and term in terms:
            aliases.setdefault(key, set()).add(terms[term])

    unit_array = np.asarray(units, dtype=np.int32).reshape(-1, 3)
    surfaces = PackedStrings(sorted(vocabulary.ids))
    alias_table = {k: tuple(sorted(v)) for k, v in aliases.items()}
    return LanguageIndex(
        lang=lang,
        unit_article=unit_array[:, 0].copy(),
        unit_section=unit_array[:, 1].astype(np.int16),
        unit_paragraph=unit_array[:, 2].astype(np.int16),
        unit_figures=np.asarray(figures, dtype=bool),
        terms=StringIds(terms),
        offsets=offsets,
        post_units=(unique_keys % unit_count).astype(np.uint16 if unit_count <= 1 << 16 else np.int32),
        post_weights=(idf[term_ids] * tf * (config.k1 + 1) / (config.k1 + tf)).astype(np.float16),
        aliases=StringToIds(alias_table),
        synonyms=_synonym_table(analyzer, synonyms or [], terms, config),
        surface_hashes=np.unique(np.fromiter((zlib.crc32(fold(w).encode()) for w in vocabulary.ids), dtype=np.uint32)),
        surfaces=surfaces,
        unit_heading=np.asarray(unit_heading, dtype=np.int32),
        heading_offsets=np.asarray(heading_offsets, dtype=np.int64),
        heading_terms=np.asarray(heading_terms, dtype=np.int32),
        heading_weights=np.asarray(heading_weights, dtype=np.float32),
        topics=topics,
        restates=restates,
        cross_references=_cross_references(links, keys, names),
        frequencies=replace(analyzer.frequencies, lexicon=(), by_word=None),  # the lexicon is in `lexicon`, as a speller
        kept_words=kept_words,
        config=config,
        speller=content_speller(analyzer, surfaces, kept_words, figure_words),
        lexicon=Speller(analyzer.frequencies.lexicon),
        term_lookup=TermLookup([*terms, *alias_table]),
        figure_words=tuple(figure_words),
    )


def content_speller(
    analyzer: Analyzer, surfaces: Iterable[str], kept_words: Iterable[str], figure_words: Iterable[str] = ()
) -> Speller:
    """What a reader may have meant: the content's words, the synonyms, stop words, cue phrases and figure words.

    The sets are taken in sorted order, so the speller (and its choice between
    equally near words) is the same in every process.
    """
    lang = analyzer.lang
    cue_words = (word for key in CUE_KEYS for phrase in cues(lang, key) for word in normalize(phrase, lang))
    figures = (word for phrase in figure_words for word in normalize(phrase, lang))
    return Speller(chain(surfaces, sorted(kept_words), sorted(analyzer.stopwords), cue_words, figures))


def figure_words_in(kb: KnowledgeBase, lang: str) -> tuple[str, ...]:
    """The words that ask for a figure in `lang`: its own, then the English ones, which count in every language as
    English cue phrases do (`language.cues`)."""
    english = kb.figure_words.get(ENGLISH, ()) if lang != ENGLISH else ()
    return kb.figure_words.get(lang, ()) + english


def build_index(
    kb: KnowledgeBase,
    fingerprint: str = "",
    progress: Callable[[int, int], None] | None = None,
    config: IndexConfig = INDEX_DEFAULT,
) -> SearchIndex:
    """Each language's articles are decoded as its index reads them, so the whole knowledge base is never in memory as text.

    `progress` is told (articles indexed, articles) after each article.
    """
    ids_by_lang: dict[str, list[int]] = {}
    for article_id, lang in enumerate(kb.articles.langs):
        ids_by_lang.setdefault(lang, []).append(article_id)
    total, done = len(kb.articles.langs), 0
    layout = hashlib.blake2b(digest_size=16)

    def articles(ids: list[int]) -> Iterator[tuple[int, Article]]:
        nonlocal done
        for i in ids:
            article = kb.articles[i]
            headings = tuple(section.heading for section in article.sections)
            layout.update(json.dumps([i, article.key, article.lang, headings, article.shape, len(article.highlights)]).encode())
            yield i, article
            done += 1
            if progress is not None:
                progress(done, total)

    indexes = {
        lang: build_language_index(lang, articles(ids), kb.synonyms.get(lang), figure_words_in(kb, lang), config)
        for lang, ids in sorted(ids_by_lang.items())
    }
    return SearchIndex(kb, indexes, fingerprint, config, layout=layout.hexdigest())
