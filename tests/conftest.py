"""Shared fixtures: the seed knowledge base, and a factory for small ones written per test."""

from __future__ import annotations

import functools
import multiprocessing
import shutil
import tempfile
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.chat.messages import available
from bot.language.frequencies import WordFrequencies
from bot.language.langdetect import guess_article_language
from bot.search import index_cache
from bot.search.embedding import MODEL_NAME
from bot.search.index_cache import Semantic, load_index
from bot.search.searcher import Searcher

from .fake_telegram import FakeTelegram
from .query_vectors import RememberedQueries

ROOT = Path(__file__).resolve().parent.parent
SHARED_VECTORS = Path(tempfile.gettempdir()) / "kb-bot-test-vectors"
"""One vector store for every index the tests build and every bot they start: keyed by the embedded text, it is
safe to share, and the seed articles are then embedded once per machine rather than once per test."""
SHARED_CACHE = Path(tempfile.mkdtemp(prefix="kb-bot-test-cache-"))
"""One index cache for the bots and `ask` runs of one test session: the seed index is built once per session, not once
per process. New every session (and removed after it), so an index built by older code is never read."""
SEEDS = ROOT / "seeds"
DATA = Path(__file__).resolve().parent / "data"

WriteFile = Callable[[str, str], Path]


LONGEST_FIRST = (
    "test_faults.py",
    "test_workers.py",
    "test_content_limits.py",
    "test_storage_faults.py",
    "test_bot.py",
    "test_operations.py",
    "test_pg_outage.py",
    "test_instances.py",
    "test_config.py",
    "test_semantic.py",
    "test_connections.py",
    "test_flood.py",
    "test_webhook.py",
    "test_store.py",
    "test_background.py",
    "test_cli.py",
    "test_index.py",
    "test_health.py",
    "test_local_trial.py",
)
"""The files that take longest, longest first (`--durations=0`, summed per file): those waiting on real time (back-off,
retries, timeouts, bot processes) and those running many commands."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Start the longest files first: pytest-xdist hands whole files (`--dist loadfile`) to its workers in
    collection order (`--no-loadscope-reorder`: by default it orders them by their number of tests), each worker
    taking the next when it is nearly done, so the short files at the end even out the workers' time. The fault
    tests taken up last left one worker waiting on the other for a minute."""
    rank = {name: place for place, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    shutil.rmtree(SHARED_CACHE, ignore_errors=True)


@pytest.fixture(scope="session", autouse=True)
def build_children_from_a_forkserver() -> Iterator[None]:
    """Index builds in this process fork their child from a forkserver that has imported the bot once.

    A spawned child imports it anew for every build, a second each, and the
    tests build dozens of indexes; the forkserver has also read the word
    frequencies once (`tests/forkserver_preload.py`). The child runs the same
    code under the same memory limit either way; the bots the tests start as
    processes still spawn.
    """
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([f"{__package__}.forkserver_preload"])
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(index_cache, "BUILD_CONTEXT", context)
        yield


@pytest.fixture(scope="session", autouse=True)
def word_frequencies_read_once() -> Iterator[None]:
    """A language's word frequencies are read from wordfreq once per session, not once per index built in this process.

    Reading and hashing a language's list takes a quarter of a second, most of
    what building an index of a few articles costs, and the tests build over a
    hundred. The tables depend on the language alone and are never changed.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(WordFrequencies, "of", classmethod(functools.cache(WordFrequencies.of.__func__)))
        yield


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    return SEEDS


@pytest.fixture(scope="session")
def searcher() -> Iterator[Searcher]:
    """The seed articles as the bot serves them, semantic signal included, indexed without a cache so every run tests the build.

    Their vectors come from the store every test shares (`SHARED_VECTORS`), and
    the questions' vectors from the file beside it: each embedded once per machine.
    """
    index = load_index(SEEDS, None, guess_article_language, semantic=Semantic(SHARED_VECTORS, embed_limit=10_000))
    questions = RememberedQueries(SHARED_VECTORS / f"{MODEL_NAME}-questions.npz")
    yield Searcher(index, default_language="en", reply_languages=available(), embedder=questions)
    questions.save()


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
