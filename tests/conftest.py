"""Shared fixtures: the seed knowledge base, and a factory for small ones written per test."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.chat.messages import available
from bot.content.parsing import load_knowledge_base
from bot.language.langdetect import guess_article_language
from bot.search.index import build_index
from bot.search.searcher import Searcher

from .fake_telegram import FakeTelegram

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
DATA = Path(__file__).resolve().parent / "data"

WriteFile = Callable[[str, str], Path]


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    return SEEDS


@pytest.fixture(scope="session")
def searcher() -> Searcher:
    """The seed articles, indexed without a cache so every run tests the build."""
    index = build_index(load_knowledge_base(SEEDS, guess_article_language))
    return Searcher(index, default_language="en", reply_languages=available())


@pytest.fixture
def content(tmp_path: Path) -> Path:
    folder = tmp_path / "content"
    folder.mkdir()
    return folder


@pytest.fixture
def write(content: Path) -> WriteFile:
    """Write an article file (dedented) into the test's content folder."""

    def _write(name: str, text: str) -> Path:
        path = content / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
        return path

    return _write


def unit_id(searcher: Searcher, answer) -> str:
    """The answer as the eval names it: P1.. in reading order, or H for highlights."""
    if answer.kind == "highlights":
        return "H"
    if answer.kind == "none":
        return "none"
    before = sum(len(s.paragraphs) for s in answer.article.sections[: answer.section])
    return f"P{before + answer.paragraph + 1}"


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeTelegram]:
    """A fake Bot API on 127.0.0.1, shared by the bot processes of one test module."""
    server = FakeTelegram().start()
    yield server
    server.stop()
