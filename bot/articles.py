"""The knowledge base as the rest of the bot sees it: articles, sections, paragraphs.

Plain data with no Telegram or search concerns, so that parsing, indexing,
the CLI and the bot all speak about the same things.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path


@dataclass(frozen=True)
class Section:
    heading: str
    paragraphs: tuple[str, ...]


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


@dataclass
class KnowledgeBase:
    """All articles that loaded, and what went wrong with the rest."""

    articles: list[Article] = field(default_factory=list)
    issues: list[LoadIssue] = field(default_factory=list)
    synonyms: dict[str, list[tuple[str, ...]]] = field(default_factory=dict)
    """Per language, groups of words readers use for the same thing (from `synonyms.yml`)."""

    @property
    def languages(self) -> list[str]:
        return sorted({a.lang for a in self.articles})

    @cached_property
    def _by_key(self) -> dict[str, dict[str, Article]]:
        grouped: dict[str, dict[str, Article]] = {}
        for article in self.articles:
            grouped.setdefault(article.key, {})[article.lang] = article
        return grouped

    def translations(self, key: str) -> dict[str, Article]:
        """The article `key` in every language it exists in."""
        return self._by_key.get(key, {})
