"""The knowledge base as the rest of the bot sees it: articles, sections, paragraphs.

Plain data with no Telegram or search concerns, so that parsing, indexing,
the CLI and the bot all speak about the same things.
"""

from __future__ import annotations

import marshal
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import overload

import numpy as np

from ..language.packed import position

HIGHLIGHTS = -1
"""The section index that stands for an article's highlights (its key points) wherever a unit is named by place."""


@dataclass(frozen=True)
class Section:
    heading: str
    paragraphs: tuple[str, ...]
    links: tuple[tuple[int, str], ...] = ()
    """(paragraph, target) of each link a paragraph has, as written ("/accountmanager"): the reader sees only the
    link's text, but where one article links to another its writer relates the two (see `index.cross_references`)."""


@dataclass(frozen=True)
class Article:
    key: str
    """Shared by all translations of one article (`translationKey` or the file's slug)."""
    lang: str
    title: str
    description: str
    keywords: tuple[str, ...]
    sections: tuple[Section, ...]
    highlights: tuple[str, ...]
    highlights_heading: str
    path: Path

    @property
    def paragraph_count(self) -> int:
        return sum(len(s.paragraphs) for s in self.sections)

    @property
    def shape(self) -> tuple[int, ...]:
        """Its sections' numbers of paragraphs: two translations of one shape are parallel, paragraph for paragraph, so
        a paragraph's place in one names the same paragraph in the other."""
        return tuple(len(s.paragraphs) for s in self.sections)


@dataclass(frozen=True)
class LoadIssue:
    """Something wrong with one content file, said so the content owner can fix it."""

    path: Path
    reason: str
    skipped: bool
    """True when the file was left out of the knowledge base altogether."""

    def __str__(self) -> str:
        verdict = "skipped" if self.skipped else "warning"
        return f"{self.path}: {verdict}: {self.reason}"


def _record(article: Article) -> bytes:
    fields = (
        article.key,
        article.lang,
        article.title,
        article.description,
        article.keywords,
        tuple((s.heading, s.paragraphs, s.links) for s in article.sections),
        article.highlights,
        article.highlights_heading,
        str(article.path),
    )
    return marshal.dumps(fields)


def _article(record: bytes | memoryview) -> Article:
    key, lang, title, description, keywords, sections, highlights, highlights_heading, path = marshal.loads(record)
    return Article(
        key,
        lang,
        title,
        description,
        keywords,
        tuple(Section(h, p, links) for h, p, links in sections),
        highlights,
        highlights_heading,
        Path(path),
    )


_RECENT = 256
"""Decoded articles kept at hand: a conversation returns to the same few articles."""


RecordReader = Callable[[int, int], bytes]
"""Reads `size` bytes at `start` of the records' byte array from where it is stored: see `read_records_with`."""


class _PackedRecords(Sequence["memoryview | bytes"]):
    """Article records as one byte array (from the index cache, memory-mapped) and each record's end.

    With a `read` function a record is read through it (the index cache's
    file by `pread`) rather than from the array.
    """

    def __init__(self, blob: np.ndarray, ends: np.ndarray) -> None:
        self.blob = blob
        self._bytes = memoryview(blob)
        self._ends = ends
        self.read: RecordReader | None = None

    def __len__(self) -> int:
        return len(self._ends)

    @overload
    def __getitem__(self, at: int) -> memoryview | bytes: ...
    @overload
    def __getitem__(self, at: slice) -> list[memoryview | bytes]: ...
    def __getitem__(self, at: int | slice) -> memoryview | bytes | list[memoryview | bytes]:
        if isinstance(at, slice):
            return [self[i] for i in range(*at.indices(len(self)))]
        if at < 0:
            at += len(self)
        if not 0 <= at < len(self):
            raise IndexError(at)
        start = int(self._ends[at - 1]) if at > 0 else 0
        end = int(self._ends[at])
        return self.read(start, end - start) if self.read is not None else self._bytes[start:end]


class CompactArticles(Sequence[Article]):
    """The articles of a knowledge base, each kept as one serialized record and rebuilt when read.

    Ten thousand articles are some 100 MB as Python objects (a string object
    per paragraph, two bytes per character for Turkish), yet a question reads
    one or two of them: the index, not the text, finds the answer. As
    `marshal` records (UTF-8, no per-object overhead) they take half that, and
    rebuilding one costs about 40 microseconds. zlib would halve them again but
    costs 150 microseconds per article to compress here, a tenth of a cold
    start. Each article's key, language and section headings stay at hand for
    the lookups that run over many articles.
    """

    def __init__(self, articles: Iterable[Article] = ()) -> None:
        self._records: list[bytes] | _PackedRecords = []
        self.keys: list[str] = []
        """Per article id, its translation key."""
        self.langs: list[str] = []
        """Per article id, its language."""
        self.headings: list[tuple[str, ...]] = []
        """Per article id, its section headings: what suggestions offer, read without decoding articles."""
        self._recent = lru_cache(maxsize=_RECENT)(self._decode)
        for article in articles:
            self.append(article)

    def append(self, article: Article) -> None:
        if not isinstance(self._records, list):
            self._records = [bytes(record) for record in self._records]
        self._records.append(_record(article))
        self.keys.append(article.key)
        self.langs.append(sys.intern(article.lang))
        self.headings.append(tuple(s.heading for s in article.sections))

    def _decode(self, article_id: int) -> Article:
        return _article(self._records[article_id])

    def __len__(self) -> int:
        return len(self._records)

    @overload
    def __getitem__(self, index: int) -> Article: ...
    @overload
    def __getitem__(self, index: slice) -> list[Article]: ...
    def __getitem__(self, index: int | slice) -> Article | list[Article]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        return self._recent(position(index, len(self)))

    def __iter__(self) -> Iterator[Article]:
        """Every article in order, decoded one at a time and not kept."""
        return (_article(record) for record in self._records)

    def __getstate__(self) -> tuple[np.ndarray, np.ndarray, list[str], list[str], list[tuple[str, ...]]]:
        """The records as one byte array and each one's end: pickled out of band, the index cache maps them."""
        ends = np.cumsum(np.fromiter(map(len, self._records), dtype=np.int64, count=len(self._records)))
        return np.frombuffer(b"".join(self._records), dtype=np.uint8), ends, self.keys, self.langs, self.headings

    @property
    def records(self) -> np.ndarray | None:
        """The records' byte array, as loaded from a cache; None while articles are being added."""
        return self._records.blob if isinstance(self._records, _PackedRecords) else None

    def read_records_with(self, read: RecordReader) -> None:
        """Read each record through `read` rather than from the loaded byte array.

        The index cache maps its file, and the kernel maps a page cache's
        large folios whole, so a process that had read a few hundred articles
        from the mapping held nearly all 60 MB of a large knowledge base's
        records in its resident set. A question reads one or two articles:
        `pread` of a few kilobytes costs microseconds and keeps none of it.
        """
        if isinstance(self._records, _PackedRecords):
            self._records.read = read

    def __setstate__(self, state: tuple[np.ndarray, np.ndarray, list[str], list[str], list[tuple[str, ...]]]) -> None:
        blob, ends, self.keys, langs, self.headings = state
        self._records = _PackedRecords(blob, ends)
        self.langs = [sys.intern(lang) for lang in langs]
        self._recent = lru_cache(maxsize=_RECENT)(self._decode)


@dataclass(frozen=True)
class Located:
    """A paragraph found in the knowledge base: its article's key and language, its section and place there."""

    article: str
    lang: str
    section: int
    """Index into the article's sections, or `HIGHLIGHTS`."""
    paragraph: int


@dataclass(frozen=True)
class TaughtPair:
    """One taught question and the paragraph it points to (None: no answer), as the index takes them in."""

    question: str
    lang: str | None
    """The question's language when known (given, or the paragraph's); None leaves it to the detector."""
    target: Located | None


@dataclass
class KnowledgeBase:
    """All articles that loaded, and what went wrong with the rest."""

    articles: CompactArticles = field(default_factory=CompactArticles)
    issues: list[LoadIssue] = field(default_factory=list)
    synonyms: dict[str, list[tuple[str, ...]]] = field(default_factory=dict)
    """Per language, groups of words readers use for the same thing (from `synonyms.yml`)."""
    figure_words: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Per language, words of the content's subject that ask for a figure (`synonyms.yml`'s `figures`)."""
    taught: list[TaughtPair] = field(default_factory=list)
    """Questions the content owner taught, each with the paragraph that answers it (`questions.yml`)."""

    @property
    def languages(self) -> list[str]:
        return sorted(set(self.articles.langs))

    @cached_property
    def _by_key(self) -> dict[str, dict[str, int]]:
        grouped: dict[str, dict[str, int]] = {}
        for article_id, (key, lang) in enumerate(zip(self.articles.keys, self.articles.langs, strict=True)):
            grouped.setdefault(key, {})[lang] = article_id
        return grouped

    def translations(self, key: str) -> dict[str, Article]:
        """The article `key` in every language it exists in."""
        return {lang: self.articles[article_id] for lang, article_id in self._by_key.get(key, {}).items()}

    def article(self, key: str, lang: str) -> Article | None:
        """The article `key` in `lang`, if it exists: one decoded, where `translations` decodes every language's."""
        article_id = self._by_key.get(key, {}).get(lang)
        return None if article_id is None else self.articles[article_id]
