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
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.storage import Storage, retention
from bot.storage.migrations import MIGRATIONS
from bot.storage.postgres import PostgresStore, safe_address
from bot.storage.records import Choice, LoggedQuestion, StoreError, question_key
from bot.storage.sqlite import Store, check_database

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
                await store.vote(answered, 1, 7, True),
                await store.vote(answered, 1, 7, False),
                await store.vote(answered, 1, 8, False),
                await store.vote(other, 1, 7, True),
                await store.vote(unanswered, 1, 7, False),
                await store.vote(10**12, 1, 7, False),
            ]
            return votes, await store.question_stats(), await store.unhelpful_answers()
        finally:
            await store.close()

    votes, stats, unhelpful = run(scenario())
    assert votes == [True, True, True, True, False, False]
    assert (stats.votes.asked, stats.votes.answered, stats.votes.share) == (3, 1, 33)
    assert stats.unhelpful == [("maas nedir", "Maaş", 2)] == unhelpful


def test_a_vote_counts_only_in_the_chat_the_answer_was_given_in(backend: Opener) -> None:
    """Log ids are sequential and button data is whatever a client sends: an id from elsewhere is no answer of the voter's."""

    async def scenario() -> tuple[list[bool], list[tuple]]:
        store = await backend()
        try:
            private = await store.record_answer(LoggedQuestion(5, 5, "maas", "tr", "paragraph", "k", "Maaş", 1.0), "tr")
            group = await store.record_answer(LoggedQuestion(-100, 6, "terfi", "tr", "paragraph", "k", "Terfi", 1.0), "tr")
            votes = [
                await store.vote(private, 9, 9, True),  # someone else's private answer, from their own chat
                await store.vote(private, -100, 9, True),  # ... or from a group
                await store.vote(group, -100, 9, False),  # any member of the group the answer was given in
                await store.vote(private, 5, 5, True),  # the reader it was given to
            ]
            return votes, await execute(store, "SELECT question_id, user_id FROM votes ORDER BY question_id, user_id")
        finally:
            await store.close()

    votes, stored = run(scenario())
    assert votes == [False, False, True, True]
    assert len(stored) == 2 and {row[1] for row in stored} == {5, 9}


def test_a_readers_choice_among_the_offered_paragraphs_is_kept_with_the_question(backend: Opener) -> None:
    """The paragraph tapped is recorded with the question's log entry, answered or not; a later tap replaces it,
    each reader's apart. The question comes back, for the paragraph to emphasise its words."""
    duties = Choice("account-manager", "it", "Capire cosa fa un account manager", 2)
    what = Choice("account-manager", "it", "Che cos'è un account manager?", 0)

    async def scenario() -> tuple:
        store = await backend()
        try:
            answered = await store.record_answer(
                LoggedQuestion(1, 7, "di cosa si occupa", "it", "paragraph", "account-manager", "Capire", 0.8), "it"
            )
            unanswered = await store.record_answer(LoggedQuestion(1, 7, "che tempo fa", "it", "none", None, None, 0.3), None)
            recorded = [
                await store.record_choice(answered, 1, 7, what),
                await store.record_choice(answered, 1, 7, duties),
                await store.record_choice(answered, 1, 8, what),
                await store.record_choice(unanswered, 1, 7, duties),
                await store.record_choice(10**12, 1, 7, duties),
            ]
            rows = await execute(
                store,
                "SELECT question_id, user_id, article_key, article_lang, section, paragraph FROM choices ORDER BY question_id, user_id",
            )
            return recorded, rows, answered, unanswered
        finally:
            await store.close()

    recorded, rows, answered, unanswered = run(scenario())
    assert recorded == ["di cosa si occupa", "di cosa si occupa", "di cosa si occupa", "che tempo fa", None]
    assert rows == [
        (answered, 7, "account-manager", "it", "Capire cosa fa un account manager", 2),
        (answered, 8, "account-manager", "it", "Che cos'è un account manager?", 0),
        (unanswered, 7, "account-manager", "it", "Capire cosa fa un account manager", 2),
    ]


def test_a_choice_counts_only_in_the_chat_the_question_was_asked_in(backend: Opener) -> None:
    """As votes: a log id from another chat is no question of the reader's, records nothing and reveals nothing."""
    chosen = Choice("account-manager", "tr", "Maaş", 4)

    async def scenario() -> tuple[list[str | None], list[tuple]]:
        store = await backend()
        try:
            private = await store.record_answer(LoggedQuestion(5, 5, "maas", "tr", "paragraph", "k", "Maaş", 1.0), "tr")
            group = await store.record_answer(LoggedQuestion(-100, 6, "terfi", "tr", "paragraph", "k", "Terfi", 1.0), "tr")
            recorded = [
                await store.record_choice(private, 9, 9, chosen),
                await store.record_choice(private, -100, 9, chosen),
                await store.record_choice(group, -100, 9, chosen),
                await store.record_choice(private, 5, 5, chosen),
            ]
            return recorded, await execute(store, "SELECT user_id FROM choices ORDER BY user_id")
        finally:
            await store.close()

    recorded, stored = run(scenario())
    assert recorded == [None, None, "terfi", "maas"]
    assert stored == [(5,), (9,)]


def test_readers_evidence_counts_each_reader_once_for_or_against_a_question_and_paragraph(backend: Opener) -> None:
    """For: a tapped alternative, a suggestion tapped after 👎, a 👍; against: a 👎. A pair the owner decided on is
    gone from the list, and the evidence goes with the question log."""
    salary = Choice("account-manager", "tr", "Roller", 4)
    what = Choice("account-manager", "tr", "Nedir?", 0, "suggestion")

    def asked(chat: int, question: str = "Ne kadar kazanırım?") -> LoggedQuestion:
        return LoggedQuestion(chat, chat, question, "tr", "paragraph", "account-manager", "Nedir?", 0.7, paragraph=0)

    async def scenario() -> tuple[list, list, list]:
        store = await backend()
        try:
            first = await store.record_answer(asked(1), "tr")
            for _ in range(3):  # one reader tapping again and again is one reader
                await store.record_choice(first, 1, 1, salary)
            second = await store.record_answer(asked(2, "ne kadar kazanırım"), "tr")
            await store.vote(second, 2, 2, False)
            await store.record_choice(second, 2, 2, salary)
            third = await store.record_answer(asked(3), "tr")
            await store.record_choice(third, 3, 3, what)  # a suggestion with no 👎: the reader was browsing
            fourth = await store.record_answer(asked(4, "maaş aralığı"), "tr")
            await store.vote(fourth, 4, 4, True)
            listed = await store.reader_evidence()
            await store.decide([listed[0]], accepted=False)
            after = await store.reader_evidence()
            await execute(store, "UPDATE questions SET asked_at = '2000-01-01T00:00:00+00:00'")
            await store.prune_questions(datetime.now(UTC) - timedelta(days=30), 100)
            return listed, after, await store.reader_evidence()
        finally:
            await store.close()

    listed, after, pruned = run(scenario())
    key = question_key("ne kadar kazanırım")
    assert [(e.question_key, e.article_key, e.section, e.paragraph, e.readers_for, e.readers_against) for e in listed] == [
        (key, "account-manager", "Roller", 4, 2, 0),
        (question_key("maaş aralığı"), "account-manager", "Nedir?", 0, 1, 0),
    ]
    assert (listed[0].question, listed[0].language, listed[0].article_lang) == ("ne kadar kazanırım", "tr", "tr")
    assert after == listed[1:]
    assert pruned == []


def test_a_no_vote_against_an_answer_counts_once_its_reader_confirms_another_paragraph(backend: Opener) -> None:
    async def scenario() -> list:
        store = await backend()
        try:
            entry = LoggedQuestion(1, 1, "maaş", "tr", "paragraph", "account-manager", "Nedir?", 0.7, paragraph=0)
            for user in (1, 2):
                question = await store.record_answer(replace(entry, chat_id=user, user_id=user), "tr")
                await store.vote(question, user, user, False)
            await store.record_choice(question, 2, 2, Choice("account-manager", "tr", "Roller", 4, "suggestion"))
            await store.record_answer(replace(entry, chat_id=3, user_id=3, question="maas"), "tr")
            return await store.reader_evidence()
        finally:
            await store.close()

    (confirmed,) = run(scenario())
    assert (confirmed.section, confirmed.readers_for, confirmed.readers_against) == ("Roller", 1, 0)


def test_a_readers_word_on_the_paragraph_they_tapped_counts_for_or_against_it_in_their_chat_only(backend: Opener) -> None:
    """The evidence names the paragraph by its opening words too; a 👎 on the tapped paragraph turns the tap against
    it, a press from another chat changes nothing, and tapping another paragraph starts afresh."""
    salary = Choice("account-manager", "tr", "Roller", 4, opening="Indeed.com'a göre…")
    what = Choice("account-manager", "tr", "Nedir?", 0, opening="Hesap yöneticisi…")

    async def scenario() -> tuple[list[bool], list, list]:
        store = await backend()
        try:
            entry = LoggedQuestion(1, 1, "maaş", "tr", "paragraph", "account-manager", "Nedir?", 0.7, 0, "Hesap yöneticisi…")
            question = await store.record_answer(entry, "tr")
            await store.record_choice(question, 1, 1, salary)
            judged = [await store.judge_choice(question, 2, 1, False), await store.judge_choice(question, 1, 1, False)]
            against = await store.reader_evidence()
            await store.record_choice(question, 1, 1, what)
            return judged, against, await store.reader_evidence()
        finally:
            await store.close()

    judged, against, afresh = run(scenario())
    assert judged == [False, True]
    assert against == []
    assert [(e.section, e.opening, e.readers_for, e.readers_against) for e in afresh] == [("Nedir?", "Hesap yöneticisi…", 1, 0)]


def test_readers_who_tapped_before_the_log_kept_openings_and_after_count_as_one_pair(backend: Opener) -> None:
    """Log rows from before the opening column have none: the same place and question is still one pair, counted
    once per reader, and it carries the opening a later tap kept."""

    async def scenario() -> list:
        store = await backend()
        try:
            entry = LoggedQuestion(1, 1, "maaş", "tr", "paragraph", "account-manager", "Nedir?", 0.7, paragraph=0)
            for user, opening in ((1, None), (2, "Indeed.com'a göre…")):
                question = await store.record_answer(replace(entry, chat_id=user, user_id=user), "tr")
                await store.record_choice(question, user, user, Choice("account-manager", "tr", "Roller", 4, opening=opening))
            return await store.reader_evidence()
        finally:
            await store.close()

    (pair,) = run(scenario())
    assert (pair.section, pair.paragraph, pair.opening, pair.readers_for) == ("Roller", 4, "Indeed.com'a göre…", 2)


def asked_long_ago(store: Storage, questions: list[str]) -> Awaitable[list[tuple]]:
    listed = ", ".join(f"'{question}'" for question in questions)
    return execute(store, f"UPDATE questions SET asked_at = '2000-01-01T00:00:00+00:00' WHERE question IN ({listed})")


def test_pruning_deletes_the_oldest_questions_with_their_votes_and_choices_a_batch_at_a_time(backend: Opener) -> None:
    async def scenario() -> tuple[list[int], list[tuple], list[tuple]]:
        store = await backend()
        try:
            ids = [
                await store.record_answer(LoggedQuestion(1, 1, question, "tr", "paragraph", "k", "S", 1.0), "tr")
                for question in ("first", "second", "third", "recent")
            ]
            for question_id in ids:
                await store.vote(question_id, 1, 1, False)
                await store.record_choice(question_id, 1, 1, Choice("k", "tr", "S", 0))
            await asked_long_ago(store, ["first", "second", "third"])
            cutoff = datetime.now(UTC) - timedelta(days=30)
            deleted = [await store.prune_questions(cutoff, 2), await store.prune_questions(cutoff, 2)]
            deleted.append(await store.prune_questions(cutoff, 2))
            questions = await execute(store, "SELECT question FROM questions")
            kept = await execute(store, "SELECT question_id FROM votes UNION ALL SELECT question_id FROM choices")
            return deleted, questions, kept
        finally:
            await store.close()

    deleted, questions, kept = run(scenario())
    assert deleted == [2, 1, 0]
    assert questions == [("recent",)]
    assert len(kept) == 2 and len(set(kept)) == 1


def test_retention_prunes_every_old_entry_batch_by_batch(backend: Opener, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(retention, "BATCH", 3)
    monkeypatch.setattr(retention, "PAUSE_SECONDS", 0)

    async def scenario() -> tuple[int, list[tuple]]:
        store = await backend()
        try:
            old = [f"old {n}" for n in range(10)]
            for question in [*old, "recent"]:
                await store.record_answer(LoggedQuestion(1, 1, question, "it", "none", None, None, 0.0), None)
            await asked_long_ago(store, old)
            return await retention.prune(store, 30), await execute(store, "SELECT question FROM questions")
        finally:
            await store.close()

    deleted, left = run(scenario())
    assert (deleted, left) == (10, [("recent",)])


def test_the_unanswered_list_counts_the_whole_week_however_long_the_log(backend: Opener) -> None:
    """Counted by the database: the list once read only the newest 50,000 questions, and counted them on the event loop."""
    pizza, kebab = question_key("Pizza tarifi?"), question_key("kebab")
    columns = "asked_at, chat_id, user_id, question, language, kind, score, answered, question_key"

    async def scenario():
        store = await backend()
        try:
            await store.record_answer(LoggedQuestion(1, 1, "pizza  tarifi", "tr", "none", None, None, 0.0), None)
            if isinstance(store, Store):
                rows = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {count}) "
                rows += f"INSERT INTO questions ({columns}) SELECT strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now', '-{{days}} days'), 1, 1, {{text}}, 'tr', "
                rows += "'none', 0, 0, {key} FROM n"
            else:
                rows = f"INSERT INTO questions ({columns}) SELECT now() - interval '{{days}} days', 1, 1, {{text}}, 'tr', "
                rows += "'none', 0, false, {key} FROM generate_series(1, {count}) AS n(i)"
            await execute(store, rows.format(count=30_000, days=5, text="'pizza tarifi'", key=pizza))
            await execute(store, rows.format(count=25_000, days=1, text="'kebab'", key=kebab))
            await execute(store, rows.format(count=30_000, days=1, text="'garbage ' || i", key="i"))
            return await store.question_stats()
        finally:
            await store.close()

    stats = run(scenario())
    assert stats.unanswered[:2] == [("pizza tarifi", 30_001), ("kebab", 25_000)]
    assert stats.week.asked == 85_001


def test_an_old_database_gains_question_keys_and_keeps_its_log(tmp_path: Path) -> None:
    """A file from before the keys: its questions stay and are counted, only left out of the unanswered list."""
    path = tmp_path / "bot.sqlite3"
    with sqlite3.connect(path) as db:
        for migration in MIGRATIONS[:6]:
            db.executescript(migration.sqlite)
        db.execute("PRAGMA user_version = 6")
        db.execute(
            "INSERT INTO questions (asked_at, chat_id, user_id, question, language, kind, score, answered) "
            f"VALUES ('{datetime.now(UTC).isoformat(timespec='seconds')}', 1, 1, 'pizza', 'tr', 'none', 0, 0)"
        )

    async def scenario():
        store = await Store.open(path)
        try:
            await store.record_answer(LoggedQuestion(1, 1, "Pizza!", "tr", "none", None, None, 0.0), None)
            return await store.schema_version(), await store.question_stats()
        finally:
            await store.close()

    version, stats = run(scenario())
    assert version == len(MIGRATIONS)
    assert stats.week.asked == 2 and stats.unanswered == [("Pizza!", 1)]
