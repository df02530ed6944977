"""The bot's database: versioned schema, WAL, owner-only file, and choices that survive reopening."""

from __future__ import annotations

import asyncio
import sqlite3
import stat
from pathlib import Path

from bot.chat.store import MIGRATIONS, LoggedQuestion, Store


def run(coroutine):
    return asyncio.run(coroutine)


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


def test_choices_and_chat_context_survive_reopening(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"

    async def write() -> None:
        store = await Store.open(path)
        await store.set_user_language(1, "da")
        await store.set_user_language(2, "it")
        await store.set_user_language(2, None)
        await store.record_answer(LoggedQuestion(10, 1, "maaş", "tr", "paragraph", "account-manager", "Roller", 0.9), "tr")
        await store.record_answer(LoggedQuestion(10, 1, "pizza", "tr", "none", None, None, 0.1), None)
        await store.remember_chat(10, "account-manager", "tr", "tr")
        await store.remember_chat(10, None, None, "ru")
        await store.close()

    async def read():
        store = await Store.open(path)
        try:
            return (
                await store.user_language(1),
                await store.user_language(2),
                await store.chat_state(10),
                await store.recent_questions(),
            )
        finally:
            await store.close()

    run(write())
    first, second, chat, questions = run(read())
    assert (first, second) == ("da", None)
    assert (chat.article_key, chat.article_lang, chat.language) == ("account-manager", "tr", "ru")
    assert questions == [("pizza", "none", 0), ("maaş", "paragraph", 1)]


def test_reopening_does_not_rerun_migrations(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"

    async def twice() -> None:
        for _ in range(2):
            store = await Store.open(path)
            await store.set_user_language(1, "ru")
            await store.close()

    run(twice())
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT count(*) FROM users").fetchone()[0] == 1


def test_stats_count_the_day_the_week_languages_and_repeated_unanswered_questions(tmp_path: Path) -> None:
    def asked(question: str, language: str, kind: str) -> LoggedQuestion:
        return LoggedQuestion(1, 1, question, language, kind, None, None, 0.0)

    async def scenario():
        store = await Store.open(tmp_path / "bot.sqlite3")
        for entry in [
            asked("maaş aralığı", "tr", "paragraph"),
            asked("Pizza tarifi?", "tr", "none"),
            asked("pizza  tarifi", "tr", "none"),
            asked("курс доллара", "ru", "none"),
            asked("диапазон зарплат", "ru", "paragraph"),
        ]:
            await store.record_answer(entry, None)
        await store._db.execute("UPDATE questions SET asked_at = '2000-01-01T00:00:00+00:00' WHERE question = 'курс доллара'")
        await store._db.commit()
        stats = await store.question_stats()
        await store.close()
        return stats

    stats = run(scenario())
    assert (stats.day.asked, stats.day.answered, stats.day.share) == (4, 2, 50)
    assert stats.by_language["tr"].asked == 3 and stats.by_language["tr"].share == 33
    assert stats.by_language["ru"].asked == 1
    assert stats.unanswered == [("pizza tarifi", 2)]


def test_concurrent_writes_all_land(tmp_path: Path) -> None:
    async def scenario() -> int:
        store = await Store.open(tmp_path / "bot.sqlite3")
        await asyncio.gather(
            *(store.record_answer(LoggedQuestion(i, i, f"q{i}", "it", "none", None, None, 0.0), None) for i in range(200)),
            *(store.remember_chat(i, f"a{i}", "it", "it") for i in range(200)),
        )
        count = len(await store.recent_questions(1000))
        await store.close()
        return count

    assert run(scenario()) == 200
