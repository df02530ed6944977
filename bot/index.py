"""Per-language search index over paragraphs and highlights, and its cache on disk.

A *unit* is what an answer can be: one paragraph, or an article's highlights.
Each unit is scored with BM25F over three fields: its own text, its section
heading (headings state the question a section answers, so they weigh most),
and its article's title, description and keywords (what tells articles apart
in a large knowledge base). Weights are computed once at build time and kept in
compressed-sparse-row numpy arrays, so a query touches only the postings of
its own terms: a few array operations, however large the knowledge base.

Building from thousands of files takes seconds, so the built index is pickled
under the cache folder, keyed by a fingerprint of every content file's name,
size and modification time; any change to the content rebuilds it.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import tempfile
import zlib
from array import array
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .analysis import Analyzer
from .articles import Article, KnowledgeBase
from .parsing import SYNONYMS_FILE, LanguageGuesser, content_files, load_knowledge_base
from .textnorm import fold, normalize

log = logging.getLogger(__name__)

FORMAT = 7
"""Bump when analysis or layout changes, so old caches are rebuilt rather than misread."""

HIGHLIGHTS = -1
"""`section` and `paragraph` value of a highlights unit."""

K1 = 1.2
STOPWORD_WEIGHT = 0.5
"""What a stop word counts for in a heading or question, against 1 for other words."""
PART_WEIGHT = 0.5
"""A compound's parts ("løn" in "lønintervallet") count half a word each."""


@dataclass(frozen=True)
class _Field:
    weight: float
    b: float


_BODY = _Field(1.0, 0.75)
_HEADING = _Field(2.0, 0.3)
_TITLE = _Field(0.4, 0.3)


@dataclass
class LanguageIndex:
    lang: str
    unit_article: np.ndarray
    """Index into `SearchIndex.articles` of each unit's article."""
    unit_section: np.ndarray
    unit_paragraph: np.ndarray
    terms: dict[str, int]
    offsets: np.ndarray
    post_units: np.ndarray
    post_weights: np.ndarray
    aliases: dict[str, tuple[int, ...]]
    """Terms reachable from the folded-then-stemmed form of a word, for input typed without diacritics."""
    synonyms: dict[str, tuple[int, ...]]
    """Term (stemmed and folded) of a word readers use → index terms of the words it stands for."""
    surface_hashes: np.ndarray
    """Sorted CRC32 of every word of the content as written (folded), a compact set: see `has_surface`."""
    unit_heading: np.ndarray
    """Per unit, its section heading's slot in `heading_offsets`."""
    heading_offsets: np.ndarray
    heading_terms: np.ndarray
    heading_weights: np.ndarray
    """Per heading word: its term and how much it counts (stop words half), for matching questions to headings."""

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

    @property
    def articles(self) -> list[Article]:
        return self.kb.articles


def unit_text(article: Article, section: int, paragraph: int) -> str:
    if section == HIGHLIGHTS:
        return "\n".join(article.highlights)
    return article.sections[section].paragraphs[paragraph]


def unit_heading(article: Article, section: int) -> str:
    return article.highlights_heading if section == HIGHLIGHTS else article.sections[section].heading


class _TermCounter:
    """Counts terms of texts in one language.

    Each distinct word is analysed once (a corpus repeats its words many
    times); the cache's keys double as the vocabulary for the alias table.
    """

    def __init__(self, analyzer: Analyzer) -> None:
        self.analyzer = analyzer
        self.words: dict[str, tuple[str, tuple[str, ...]]] = {}

    def _analyse(self, word: str) -> tuple[str, tuple[str, ...]]:
        parts = tuple(self.analyzer.term(p) for p in self.analyzer.compound_parts(word))
        entry = self.words[word] = (self.analyzer.term(word), parts)
        return entry

    def count(self, text: str) -> tuple[dict[str, float], int]:
        counts: dict[str, float] = {}
        words = normalize(text, self.analyzer.lang)
        for word, n in Counter(words).items():
            term, parts = self.words.get(word) or self._analyse(word)
            counts[term] = counts.get(term, 0.0) + n
            for part in parts:
                counts[part] = counts.get(part, 0.0) + n * PART_WEIGHT
        return counts, len(words)


def _article_fields(article: Article) -> str:
    return " ".join([article.title, article.description, *article.keywords])


class _FieldEntries:
    """(term, unit, tf, field length) entries of one field, in typed arrays: millions of them at scale."""

    def __init__(self) -> None:
        self.terms = array("i")
        self.units = array("i")
        self.tfs = array("f")
        self.lengths = array("i")
        self.total_length = 0
        self.count = 0

    def add(self, counted: tuple[list[int], list[float], int], units: range) -> None:
        term_ids, tfs, length = counted
        for unit in units:
            self.terms.extend(term_ids)
            self.tfs.extend(tfs)
            self.units.extend([unit] * len(term_ids))
            self.lengths.extend([length] * len(term_ids))
        self.total_length += length * len(units)
        self.count += len(units)

    def keys(self, unit_count: int) -> np.ndarray:
        """One int64 per entry that sorts by term, then unit."""
        return np.frombuffer(self.terms, dtype=np.int32).astype(np.int64) * unit_count + np.frombuffer(self.units, dtype=np.int32)

    def pseudo_tf(self, spec: _Field) -> np.ndarray:
        average = max(1.0, self.total_length / max(1, self.count))
        lengths = np.frombuffer(self.lengths, dtype=np.int32).astype(np.float32)
        return np.frombuffer(self.tfs, dtype=np.float32) * spec.weight / (1 - spec.b + spec.b * lengths / average)


def _synonym_table(analyzer: Analyzer, groups: list[tuple[str, ...]], terms: dict[str, int]) -> dict[str, tuple[int, ...]]:
    """Every word of a group leads to the index terms of the group's other words."""
    table: dict[str, set[int]] = {}
    for group in groups:
        group_terms: set[str] = set()
        keys: set[str] = set()
        for entry in group:
            tokens = [t for t in analyzer.tokens(entry) if len(entry.split()) == 1 or not t.stop]
            group_terms |= {t.term for t in tokens}
            keys |= {t.term for t in tokens} | {analyzer.folded_term(t.surface) for t in tokens}
        for key in keys:
            others = {terms[o] for o in group_terms - {key} if o in terms}
            if others:
                table.setdefault(key, set()).update(others)
    return {term: tuple(sorted(ids)) for term, ids in table.items()}


def build_language_index(
    lang: str, articles: list[tuple[int, Article]], synonyms: list[tuple[str, ...]] | None = None
) -> LanguageIndex:
    analyzer = Analyzer(lang)
    counter = _TermCounter(analyzer)
    terms: dict[str, int] = {}

    def counted(text: str) -> tuple[list[int], list[float], int]:
        counts, length = counter.count(text)
        return [terms.setdefault(t, len(terms)) for t in counts], list(counts.values()), length

    units: list[tuple[int, int, int]] = []
    body, heading, title = _FieldEntries(), _FieldEntries(), _FieldEntries()
    unit_heading: list[int] = []
    heading_offsets: list[int] = [0]
    heading_words: dict[int, float] = {}
    heading_terms: list[int] = []
    heading_weights: list[float] = []
    for article_id, article in articles:
        first_unit = len(units)
        parts = [(s, section.heading, section.paragraphs) for s, section in enumerate(article.sections)]
        if article.highlights:
            parts.append((HIGHLIGHTS, article.highlights_heading, ("\n".join(article.highlights),)))
        for s, heading_text, paragraphs in parts:
            section_start = len(units)
            for p, text in enumerate(paragraphs):
                body.add(counted(text), range(len(units), len(units) + 1))
                units.append((article_id, s, p if s != HIGHLIGHTS else HIGHLIGHTS))
            heading.add(counted(heading_text), range(section_start, len(units)))
            heading_words.clear()
            for token in analyzer.tokens(heading_text):
                term_id = terms[token.term]
                heading_words[term_id] = max(heading_words.get(term_id, 0.0), STOPWORD_WEIGHT if token.stop else 1.0)
            heading_terms.extend(heading_words)
            heading_weights.extend(heading_words.values())
            unit_heading.extend([len(heading_offsets) - 1] * (len(units) - section_start))
            heading_offsets.append(len(heading_terms))
        title.add(counted(_article_fields(article)), range(first_unit, len(units)))

    unit_count = len(units)
    keys = np.concatenate([f.keys(unit_count) for f in (body, heading, title)])
    values = np.concatenate([body.pseudo_tf(_BODY), heading.pseudo_tf(_HEADING), title.pseudo_tf(_TITLE)])
    unique_keys, inverse = np.unique(keys, return_inverse=True)
    tf = np.bincount(inverse, weights=values).astype(np.float32)
    term_ids = (unique_keys // unit_count).astype(np.int32)
    df = np.bincount(term_ids, minlength=len(terms))
    idf = np.log1p((unit_count - df + 0.5) / (df + 0.5)).astype(np.float32)
    offsets = np.zeros(len(terms) + 1, dtype=np.int64)
    np.cumsum(df, out=offsets[1:])

    aliases: dict[str, set[int]] = {}
    for surface in counter.words:
        term = analyzer.term(surface)
        key = analyzer.folded_term(surface)
        if key != term and term in terms:
            aliases.setdefault(key, set()).add(terms[term])

    unit_array = np.asarray(units, dtype=np.int32).reshape(-1, 3)
    return LanguageIndex(
        lang=lang,
        unit_article=unit_array[:, 0].copy(),
        unit_section=unit_array[:, 1].astype(np.int16),
        unit_paragraph=unit_array[:, 2].astype(np.int16),
        terms=terms,
        offsets=offsets,
        post_units=(unique_keys % unit_count).astype(np.uint16 if unit_count <= 1 << 16 else np.int32),
        post_weights=(idf[term_ids] * tf * (K1 + 1) / (K1 + tf)).astype(np.float16),
        aliases={k: tuple(sorted(v)) for k, v in aliases.items()},
        synonyms=_synonym_table(analyzer, synonyms or [], terms),
        surface_hashes=np.unique(np.fromiter((zlib.crc32(fold(w).encode()) for w in counter.words), dtype=np.uint32)),
        unit_heading=np.asarray(unit_heading, dtype=np.int32),
        heading_offsets=np.asarray(heading_offsets, dtype=np.int64),
        heading_terms=np.asarray(heading_terms, dtype=np.int32),
        heading_weights=np.asarray(heading_weights, dtype=np.float32),
    )


def build_index(kb: KnowledgeBase, fingerprint: str = "") -> SearchIndex:
    by_lang: dict[str, list[tuple[int, Article]]] = {}
    for article_id, article in enumerate(kb.articles):
        by_lang.setdefault(article.lang, []).append((article_id, article))
    indexes = {lang: build_language_index(lang, items, kb.synonyms.get(lang)) for lang, items in sorted(by_lang.items())}
    return SearchIndex(kb, indexes, fingerprint)


def content_fingerprint(content_dir: Path) -> str:
    """Changes whenever a content file is added, removed, renamed or modified."""
    digest = hashlib.sha256(f"format {FORMAT}\n".encode())
    files = content_files(content_dir) if content_dir.is_dir() else []
    synonyms = content_dir / SYNONYMS_FILE
    for path in files + ([synonyms] if synonyms.is_file() else []):
        stat = path.stat()
        digest.update(f"{path.relative_to(content_dir)}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def _cache_path(cache_dir: Path, content_dir: Path) -> Path:
    name = hashlib.sha256(str(content_dir.resolve()).encode()).hexdigest()[:16]
    return cache_dir / f"index-{name}.pickle"


def _read_cache(path: Path, fingerprint: str) -> SearchIndex | None:
    try:
        with path.open("rb") as handle:
            cached = pickle.load(handle)
    except FileNotFoundError:
        return None
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError) as error:
        log.warning("index cache %s unreadable (%s); rebuilding", path, error)
        return None
    if isinstance(cached, SearchIndex) and cached.fingerprint == fingerprint:
        return cached
    return None


def _write_cache(path: Path, index: SearchIndex) -> None:
    """Write atomically, so a concurrent reader never sees half a file; failure only costs speed."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False, suffix=".tmp") as handle:
            pickle.dump(index, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(handle.name, path)
    except OSError as error:
        log.warning("could not write index cache %s: %s", path, error)


def load_index(
    content_dir: Path,
    cache_dir: Path | None,
    guess_language: LanguageGuesser,
) -> SearchIndex:
    """The index of `content_dir`, from the cache when it is still current."""
    fingerprint = content_fingerprint(content_dir)
    path = _cache_path(cache_dir, content_dir) if cache_dir else None
    if path and (cached := _read_cache(path, fingerprint)):
        for issue in cached.kb.issues:
            log.warning("%s", issue)
        return cached
    index = build_index(load_knowledge_base(content_dir, guess_language), fingerprint)
    if path:
        _write_cache(path, index)
    return index
