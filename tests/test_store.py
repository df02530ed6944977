"""The bot's database on both backends: versioned schema, choices that survive reopening, stats, concurrent writes.

Every test taking `backend` runs against SQLite and against a real PostgreSQL
server (`tests/pg.py`); the SQLite file's own properties (WAL, owner-only) are
tested on SQLite alone.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import sqlite3
import stat
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from bot.chat.pgstore import PostgresStore, safe_address
from bot.chat.storage import Storage
from bot.chat.store import MIGRATIONS, LoggedQuestion, Store, StoreError, check_database

from .pg import pg_url, postgres_server  # noqa: F401  (fixtures)

Opener = Callable[[], Awaitable[Storage]]


def run(coroutine):
    return asyncio.run(coroutine)


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Opener:
    """Opens the test's database, the same one at every call: a file, or a database of its own on the server."""
    if request.param == "sqlite":
        path = tmp_path / "bot.sqlite3"
        return lambda: Store.open(path)
    url = request.getfixturevalue("pg_url")
    return lambda: PostgresStore.open(url)


async def execute(store: Storage, statement: str) -> list[tuple]:
    """A statement written for both backends, run directly: what the tests set up or check behind the interface."""
    if isinstance(store, Store):
        async with store._db.execute(statement) as cursor:
            rows = await cursor.fetchall()
        await store._db.commit()
        return [tuple(row) for row in rows]
    assert isinstance(store, PostgresStore)
    return [tuple(row) for row in await store._pool.fetch(statement)]


def test_schema_is_created_versioned_and_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "data" / "bot.sqlite3"

    async def scenario() -> int:
        store = await Store.open(path)
        version = await store.schema_version()
        await store.close()
        return version

    assert run(scenario()) == len(MIGRATIONS)
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_processes_opening_a_new_database_at_once_create_it_once(backend: Opener) -> None:
    """Webhook workers, or instances started together, all find version 0; one migrates, the others wait and use it."""

    async def scenario() -> list[int]:
        stores = await asyncio.gather(*(backend() for _ in range(4)))
        try:
            return [await store.schema_version() for store in stores]
        finally:
            for store in stores:
                await store.close()

    assert run(scenario()) == [len(MIGRATIONS)] * 4


def _check_database(path: str) -> str | None:
    try:
        check_database(Path(path))
    except StoreError as error:
        return str(error)
    return None


def test_processes_creating_a_sqlite_file_together_all_start(tmp_path: Path) -> None:
    """Eight processes checking one new file at once: none is refused with "database is locked" (SQLite's switch
    to WAL gives up at once, without its busy timeout, when another process is reading the new file too)."""
    with multiprocessing.get_context("fork").Pool(8) as pool:
        refusals = [
            refusal
            for attempt in range(20)
            for refusal in pool.map(_check_database, [str(tmp_path / f"{attempt}.sqlite3")] * 8)
            if refusal is not None
        ]
    assert refusals == []


def test_schema_version_counts_every_migration(backend: Opener) -> None:
    async def scenario() -> tuple[int, int]:
        first = await backend()
        await first.close()
        store = await backend()
        try:
            return await store.schema_version(), len(await execute(store, "SELECT user_id FROM users"))
        finally:
            await store.close()

    assert run(scenario()) == (len(MIGRATIONS), 0)


def test_choices_and_chat_context_survive_reopening(backend: Opener) -> None:
    async def write() -> None:
        store = await backend()
        await store.set_user_language(1, "da")
        await store.set_user_language(2, "it")
        await store.set_user_language(2, None)
        await store.record_answer(LoggedQuestion(10, 1, "maaş", "tr", "paragraph", "account-manager", "Roller", 0.9), "tr")
        await store.record_answer(LoggedQuestion(10, 1, "pizza", "tr", "none", None, None, 0.1), None)
        await store.remember_chat(10, "account-manager", "tr", "tr")
        await store.remember_chat(10, None, None, "ru")
        await store.close()

    async def read():
        store = await backend()
        try:
            return (
                await store.user_language(1),
                await store.user_language(2),
                await store.chat_state(10),
                await store.recent_questions(),
                await store.recent_questions(unanswered=True),
            )
        finally:
            await store.close()

    run(write())
    first, second, chat, questions, unanswered = run(read())
    assert (first, second) == ("da", None)
    assert (chat.article_key, chat.article_lang, chat.language) == ("account-manager", "tr", "ru")
    assert questions == [("pizza", "none", 0), ("maaş", "paragraph", 1)]
    assert unanswered == [("pizza", "none", 0)]


def test_reopening_does_not_rerun_migrations(backend: Opener) -> None:
    async def twice() -> list[tuple]:
        for _ in range(2):
            store = await backend()
            await store.set_user_language(1, "ru")
            await store.close()
        store = await backend()
        try:
            return await execute(store, "SELECT count(*) FROM users")
        finally:
            await store.close()

    assert run(twice()) == [(1,)]


def test_stats_count_the_day_the_week_languages_and_repeated_unanswered_questions(backend: Opener) -> None:
    def asked(question: str, language: str, kind: str) -> LoggedQuestion:
        return LoggedQuestion(1, 1, question, language, kind, None, None, 0.0)

    async def scenario():
        store = await backend()
        for entry in [
            asked("maaş aralığı", "tr", "paragraph"),
            asked("Pizza tarifi?", "tr", "none"),
            asked("pizza  tarifi", "tr", "none"),
            asked("курс доллара", "ru", "none"),
            asked("диапазон зарплат", "ru", "paragraph"),
        ]:
            await store.record_answer(entry, None)
        await execute(store, "UPDATE questions SET asked_at = '2000-01-01T00:00:00+00:00' WHERE question = 'курс доллара'")
        stats = await store.question_stats()
        await store.close()
        return stats

    stats = run(scenario())
    assert (stats.day.asked, stats.day.answered, stats.day.share) == (4, 2, 50)
    assert stats.by_language["tr"].asked == 3 and stats.by_language["tr"].share == 33
    assert stats.by_language["ru"].asked == 1
    assert stats.unanswered == [("pizza tarifi", 2)]


def test_concurrent_writes_all_land(backend: Opener) -> None:
    async def scenario() -> int:
        store = await backend()
        await asyncio.gather(
            *(store.record_answer(LoggedQuestion(i, i, f"q{i}", "it", "none", None, None, 0.0), None) for i in range(200)),
            *(store.remember_chat(i, f"a{i}", "it", "it") for i in range(200)),
        )
        count = len(await store.recent_questions(1000))
        await store.close()
        return count

    assert run(scenario()) == 200


def test_two_instances_starting_together_migrate_once(pg_url: str) -> None:  # noqa: F811
    async def scenario() -> list[tuple]:
        stores = await asyncio.gather(*(PostgresStore.open(pg_url) for _ in range(4)))
        try:
            await stores[0].set_user_language(7, "tr")
            assert [await store.user_language(7) for store in stores] == ["tr"] * 4
            return await execute(stores[0], "SELECT version FROM schema_migrations ORDER BY version")
        finally:
            for store in stores:
                await store.close()

    assert run(scenario()) == [(number,) for number in range(1, len(MIGRATIONS) + 1)]


def test_an_unreachable_server_is_one_line_without_the_password() -> None:
    from .pg import free_port

    url = f"postgresql://bot:hunter2@127.0.0.1:{free_port()}/kb"
    with pytest.raises(StoreError) as caught:
        run(PostgresStore.open(url))
    assert "hunter2" not in str(caught.value) and "DATABASE_URL" in str(caught.value)
    assert safe_address(url) == f"postgresql://bot@127.0.0.1:{url.split(':')[3].split('/')[0]}/kb"


def test_a_vote_is_kept_per_reader_and_answer_and_a_second_press_changes_it(backend: Opener) -> None:
    """Readers mark answers helpful or not; `/stats` and `log --unhelpful` read what they said."""

    async def scenario() -> tuple:
        store = await backend()
        try:
            answered = await store.record_answer(LoggedQuestion(1, 1, "maas nedir", "tr", "paragraph", "k", "Maaş", 1.0), "tr")
            other = await store.record_answer(LoggedQuestion(1, 1, "terfi", "tr", "paragraph", "k", "Terfi", 1.0), "tr")
            unanswered = await store.record_answer(LoggedQuestion(1, 1, "pizza", "tr", "none", None, None, 0.0), None)
            votes = [
                await store.vote(answered, 7, True),
                await store.vote(answered, 7, False),
                await store.vote(answered, 8, False),
                await store.vote(other, 7, True),
                await store.vote(unanswered, 7, False),
                await store.vote(10**12, 7, False),
            ]
            return votes, await store.question_stats(), await store.unhelpful_answers()
        finally:
            await store.close()

    votes, stats, unhelpful = run(scenario())
    assert votes == [True, True, True, True, False, False]
    assert (stats.votes.asked, stats.votes.answered, stats.votes.share) == (3, 1, 33)
    assert stats.unhelpful == [("maas nedir", "Maaş", 2)] == unhelpful
