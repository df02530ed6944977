"""The embedded backend: what the bot remembers in one SQLite file, the default (`DATABASE_PATH`).

One SQLite file through aiosqlite, in WAL mode so reads never wait for the
writer. The schema is the ordered steps of `migrations`; `PRAGMA user_version`
records how many have run, so a new release upgrades an old file on start.
Every write is committed before the method returns: a choice the bot has
confirmed survives a restart or a `kill -9`.

A database the bot cannot use is found before it starts (`check_database`):
a file that is not SQLite or is damaged, a folder or file it cannot write.
While it runs, a write that fails (a full disk, a file deleted or replaced
under it) raises `StoreError`, so the caller can say so rather than confirm
what was not kept.
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import sqlite3
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Concatenate, ParamSpec, TypeVar

import aiosqlite

from .migrations import MIGRATIONS
from .records import (
    EVIDENCE,
    SWEEP_EVERY,
    ChatState,
    Choice,
    Evidence,
    FloodOutcome,
    FloodScope,
    LoggedQuestion,
    QuestionStats,
    StoreError,
    Tally,
    Unhelpful,
    shown,
)


def _unusable(path: Path, error: BaseException) -> StoreError:
    reason = getattr(error, "strerror", None) or str(error)
    if isinstance(error, sqlite3.DatabaseError) and not isinstance(error, sqlite3.OperationalError):
        return StoreError(
            f"{path} is not a usable SQLite database ({reason}): move it aside to start with an empty one, "
            "or restore it from a backup (DATABASE_PATH)"
        )
    return StoreError(
        f"{path} cannot be written ({reason}): make it and its folder writable by the bot's user, "
        "or set DATABASE_PATH to a file in a writable folder"
    )


def check_database(path: Path) -> None:
    """Make sure the bot can read and write `path` before it starts, creating the file when missing and migrating it.

    One line (`StoreError`) names the file and the fix: a folder that cannot be made,
    a file that is not a database or is damaged (garbage, truncated), one on a
    read-only mount. A database's damage is looked for with SQLite's `quick_check`.
    """
    if path.is_dir():
        raise StoreError(f"{path} is a folder: set DATABASE_PATH to a file, such as {path / 'bot.sqlite3'}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        with open(path, "rb"):
            pass
    except OSError as error:
        raise _unusable(path, error) from error
    try:
        db = sqlite3.connect(path, timeout=5, isolation_level=None)
    except sqlite3.Error as error:
        raise _unusable(path, error) from error
    try:
        _use_wal(db)
        (verdict,) = db.execute("PRAGMA quick_check(1)").fetchone()
        if verdict != "ok":
            raise _unusable(path, sqlite3.DatabaseError(verdict))
        _migrate(db)
    except sqlite3.Error as error:
        raise _unusable(path, error) from error
    finally:
        db.close()


WAL_SWITCH_SECONDS = 5.0


def _use_wal(db: sqlite3.Connection) -> None:
    """Switch a new database to WAL, retrying while other processes creating it at once hold it.

    The switch needs the file to itself, and SQLite answers "database is
    locked" at once, without waiting its busy timeout, when two connections
    both reading a new file want it (waiting would deadlock them): workers or
    instances started together each hit that. A file already in WAL needs no
    such lock.
    """
    deadline = time.monotonic() + WAL_SWITCH_SECONDS
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def _migrate(db: sqlite3.Connection) -> None:
    """Bring the schema up to date, in one transaction that holds the write lock from before the version is read.

    Processes opening a new database at once (webhook workers, instances
    started together) would otherwise all read version 0 and all create the
    same tables. The version is written even when nothing is pending, which
    shows the file can be written.
    """
    db.execute("BEGIN IMMEDIATE")
    try:
        (version,) = db.execute("PRAGMA user_version").fetchone()
        for migration in MIGRATIONS[int(version) :]:
            for statement in _statements(migration.sqlite):
                db.execute(statement)
        db.execute(f"PRAGMA user_version = {max(int(version), len(MIGRATIONS))}")
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:  # SQLite has rolled back itself after some errors (disk full, I/O)
            db.execute("ROLLBACK")
        raise


def _statements(script: str) -> Iterator[str]:
    """`script`'s statements one at a time: `executescript` would first commit the transaction they must run in."""
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            yield pending
            pending = ""
    if pending.strip():
        yield pending



P = ParamSpec("P")
R = TypeVar("R")


def _write(method: Callable[Concatenate[Store, P], Awaitable[R]]) -> Callable[Concatenate[Store, P], Awaitable[R]]:
    """A write: one at a time, on the file the store opened, and `StoreError` naming the file when it fails.

    One at a time, because the connection is shared: a failed write rolls back,
    which must never take another caller's statements with it.
    """

    @functools.wraps(method)
    async def guarded(self: Store, *args: P.args, **kwargs: P.kwargs) -> R:
        async with self._writing:
            try:
                self._same_file()
                return await method(self, *args, **kwargs)
            except (sqlite3.Error, OSError) as error:
                await self._roll_back()
                raise StoreError(f"{self.path}: {getattr(error, 'strerror', None) or error}") from error
            except BaseException:
                # Cancelled (a caller's time limit) or failed otherwise: a transaction left open would hold the
                # file's write lock, and every other process sharing it would wait, then fail.
                await self._roll_back()
                raise

    return guarded


def _read(method: Callable[Concatenate[Store, P], Awaitable[R]]) -> Callable[Concatenate[Store, P], Awaitable[R]]:
    """A read the conversation depends on: `StoreError` naming the file when it fails (a damaged file, an I/O error),
    which the caller can answer without, as it does a failed write."""

    @functools.wraps(method)
    async def guarded(self: Store, *args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await method(self, *args, **kwargs)
        except (sqlite3.Error, OSError) as error:
            raise StoreError(f"{self.path}: {getattr(error, 'strerror', None) or error}") from error

    return guarded


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return info.st_dev, info.st_ino


class Store:
    """The bot's database in one SQLite file; open with `Store.open`, close with `close`."""

    shared_by_instances = False
    """Each process counts its own users' messages (see `bot.storage.Storage`)."""

    def __init__(self, connection: aiosqlite.Connection, path: Path) -> None:
        self._db = connection
        self.path = path
        self._writing = asyncio.Lock()
        self._file = _identity(path)
        self._since_sweep = 0
        self._since_delivery_sweep = 0

    @classmethod
    async def open(cls, path: Path) -> Store:
        """The store at `path`, checked, created and migrated; `StoreError` when it cannot be used."""
        await asyncio.to_thread(check_database, path)
        connection = await aiosqlite.connect(path)
        try:
            store = cls(connection, path)
            await connection.execute("PRAGMA journal_mode=WAL")
            await connection.execute("PRAGMA synchronous=NORMAL")
            await connection.execute("PRAGMA busy_timeout=5000")
        except (sqlite3.Error, OSError) as error:
            await connection.close()
            raise _unusable(path, error) from error
        return store

    async def _roll_back(self) -> None:
        """Roll back whatever the failed write left open, even when the caller was cancelled.

        The connection's thread runs its statements in order, so a statement
        still running when the caller gave up is rolled back after it ends.
        """
        await asyncio.shield(self._db.rollback())

    def _same_file(self) -> None:
        """Writes to a file deleted or replaced since the start would be lost at the next restart: refuse them."""
        if _identity(self.path) != self._file:
            raise StoreError(f"{self.path} was deleted or replaced while the bot was running: restart the bot")

    async def close(self) -> None:
        await self._db.close()

    async def schema_version(self) -> int:
        async with self._db.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    @_read
    async def user_language(self, user_id: int) -> str | None:
        """The language the user chose, or None for automatic."""
        async with self._db.execute("SELECT language FROM users WHERE user_id = ?", (user_id,)) as cursor:
            row = await cursor.fetchone()
        return row[0] if row else None

    @_write
    async def set_user_language(self, user_id: int, language: str | None) -> None:
        """Store a choice (None: back to automatic), committed before returning."""
        if language is None:
            await self._db.execute("DELETE FROM users WHERE user_id = ?", (user_id,))
        else:
            await self._db.execute(
                "INSERT INTO users (user_id, language, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT (user_id) DO UPDATE SET language = excluded.language, updated_at = excluded.updated_at",
                (user_id, language, _now()),
            )
        await self._db.commit()

    @_read
    async def chat_state(self, chat_id: int) -> ChatState:
        query = "SELECT article_key, article_lang, language FROM chats WHERE chat_id = ?"
        async with self._db.execute(query, (chat_id,)) as cursor:
            row = await cursor.fetchone()
        return ChatState(*row) if row else ChatState(None, None, None)

    @_write
    async def remember_chat(self, chat_id: int, article_key: str | None, article_lang: str | None, language: str | None) -> None:
        """The chat's latest article and language; an answer without an article keeps the previous one."""
        await self._remember_chat(chat_id, article_key, article_lang, language)
        await self._db.commit()

    @_write
    async def record_answer(self, entry: LoggedQuestion, article_lang: str | None) -> int:
        """A question's log entry and the chat's new context, in one commit: the hot path of a busy bot. Returns its id."""
        await self._remember_chat(entry.chat_id, entry.article_key, article_lang, entry.language)
        cursor = await self._db.execute(
            "INSERT INTO questions (asked_at, chat_id, user_id, question, language, kind, article_key, section, score, answered, "
            "question_key, paragraph, opening, article_lang) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (_now(), *entry.row(), article_lang),
        )
        await self._db.commit()
        return int(cursor.lastrowid or 0)

    @_write
    async def vote(self, question_id: int, chat_id: int, user_id: int, helpful: bool) -> bool:
        """A reader's vote on an answer given in `chat_id`; a second vote replaces the first.

        False when no such answer was given there: button data is whatever a
        client sends, and log ids are sequential, so an id alone would let
        anyone vote on any answer (and learn which ids exist). The chat comes
        from Telegram (the message the button is on), not from the data.
        """
        query = "SELECT 1 FROM questions WHERE id = ? AND chat_id = ? AND answered = 1"
        async with self._db.execute(query, (question_id, chat_id)) as cursor:
            if await cursor.fetchone() is None:
                return False
        await self._db.execute(
            "INSERT INTO votes (question_id, user_id, helpful, voted_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (question_id, user_id) DO UPDATE SET helpful = excluded.helpful, voted_at = excluded.voted_at",
            (question_id, user_id, int(helpful), _now()),
        )
        await self._db.commit()
        return True

    @_write
    async def record_choice(self, question_id: int, chat_id: int, user_id: int, choice: Choice) -> str | None:
        """The paragraph a reader chose among those offered for a question asked in `chat_id`; the question, or None.

        Bound to the chat as votes are (`vote`): a log id from elsewhere is no
        question of the reader's, and records nothing. A second choice
        replaces the first: the last paragraph tapped is the one that helped.
        """
        query = "SELECT question FROM questions WHERE id = ? AND chat_id = ?"
        async with self._db.execute(query, (question_id, chat_id)) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return None
        await self._db.execute(
            "INSERT INTO choices (question_id, user_id, article_key, article_lang, section, paragraph, offered, opening, chosen_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (question_id, user_id) DO UPDATE SET article_key = excluded.article_key, "
            "article_lang = excluded.article_lang, section = excluded.section, paragraph = excluded.paragraph, "
            "offered = excluded.offered, opening = excluded.opening, helpful = NULL, chosen_at = excluded.chosen_at",
            (question_id, user_id, *choice.row(), _now()),
        )
        await self._db.commit()
        return str(row[0])

    @_write
    async def judge_choice(self, question_id: int, chat_id: int, user_id: int, helpful: bool) -> bool:
        """The reader's 👍 or 👎 on the paragraph they tapped for a question asked in `chat_id`; False when they tapped
        none there (bound to the chat as votes are)."""
        cursor = await self._db.execute(
            "UPDATE choices SET helpful = ? WHERE question_id = ? AND user_id = ? "
            "AND EXISTS (SELECT 1 FROM questions WHERE id = ? AND chat_id = ?)",
            (int(helpful), question_id, user_id, question_id, chat_id),
        )
        await self._db.commit()
        return cursor.rowcount > 0

    @_read
    async def reader_evidence(self) -> list[Evidence]:
        """Every (question, paragraph) pair at least one reader confirmed and the owner has not decided on, with the
        readers for and against it (see `records.Evidence`), the most confirmed first.

        Read from what the log keeps anyway (choices, votes, each answer's
        paragraph), so it is pruned with it (`retention`).
        """
        async with self._db.execute(EVIDENCE) as cursor:
            return [Evidence(*row) for row in await cursor.fetchall()]

    @_write
    async def decide(self, pairs: Sequence[Evidence], accepted: bool) -> None:
        """The owner's verdict on `pairs`, so that they are not offered for review again."""
        await self._db.executemany(
            "INSERT INTO taught_verdicts (question_key, article_key, article_lang, section, paragraph, accepted, decided_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (question_key, article_key, article_lang, section, paragraph) "
            "DO UPDATE SET accepted = excluded.accepted, decided_at = excluded.decided_at",
            [(e.question_key, e.article_key, e.article_lang, e.section, e.paragraph, int(accepted), _now()) for e in pairs],
        )
        await self._db.commit()

    async def unhelpful_answers(self, limit: int = 50, since: datetime | None = None) -> list[Unhelpful]:
        """The answers marked "not helpful" (since `since`), most often first, then the newest: what to rewrite.

        Counted on the votes' index alone (SQLite would rather walk every vote in
        the order of its key, to skip a sort); only the `limit` answers listed
        are read from the log.
        """
        query = (
            "SELECT q.question, coalesce(q.section, ''), v.n FROM (SELECT question_id, count(*) AS n, max(voted_at) AS last "
            "FROM votes INDEXED BY votes_for_stats WHERE NOT helpful AND voted_at >= ? GROUP BY question_id "
            "ORDER BY n DESC, last DESC LIMIT ?) v "
            "JOIN questions q ON q.id = v.question_id ORDER BY v.n DESC, v.last DESC"
        )
        async with self._db.execute(query, (_stamp(since) if since else "", limit)) as cursor:
            return [(row[0], row[1], row[2]) for row in await cursor.fetchall()]

    async def _remember_chat(
        self, chat_id: int | None, article_key: str | None, article_lang: str | None, language: str | None
    ) -> None:
        await self._db.execute(
            "INSERT INTO chats (chat_id, article_key, article_lang, language, updated_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (chat_id) DO UPDATE SET "
            "article_key = coalesce(excluded.article_key, chats.article_key), "
            "article_lang = coalesce(excluded.article_lang, chats.article_lang), "
            "language = coalesce(excluded.language, chats.language), updated_at = excluded.updated_at",
            (chat_id, article_key, article_lang, language, _now()),
        )

    async def recent_questions(self, limit: int = 100, unanswered: bool = False) -> list[tuple[str, str, int]]:
        """(question, kind, answered) of the latest questions (`unanswered`: of those that got no answer), newest first."""
        only = "WHERE answered = 0 " if unanswered else ""
        query = f"SELECT question, kind, answered FROM questions {only}ORDER BY id DESC LIMIT ?"
        async with self._db.execute(query, (limit,)) as cursor:
            return [(row[0], row[1], row[2]) for row in await cursor.fetchall()]

    @_read
    async def question_stats(self, now: datetime | None = None, top: int = 10) -> QuestionStats:
        """What `/stats` shows, counted by SQLite from two indexes alone (`questions_for_stats`, `votes_for_stats`).

        A question's text is read for the `top` unanswered ones listed only,
        as last typed: the log may hold gigabytes of them (see `retention`).
        """
        now = now or datetime.now(UTC)
        day, week = _stamp(now - timedelta(days=1)), _stamp(now - timedelta(days=7))
        query = (
            "SELECT language, count(*), sum(answered), sum(asked_at >= ?) , sum(answered AND asked_at >= ?) "
            "FROM questions WHERE asked_at >= ? GROUP BY language"
        )
        async with self._db.execute(query, (day, day, week)) as cursor:
            rows = await cursor.fetchall()
        by_language = {row[0] or "?": Tally(row[1], row[2] or 0) for row in rows}
        day_tally = Tally(sum(row[3] or 0 for row in rows), sum(row[4] or 0 for row in rows))
        week_tally = Tally(sum(t.asked for t in by_language.values()), sum(t.answered for t in by_language.values()))
        query = (
            "SELECT q.question, u.n FROM (SELECT question_key, count(*) AS n, max(id) AS last FROM questions "
            "WHERE answered = 0 AND asked_at >= ? AND question_key IS NOT NULL GROUP BY question_key "
            "ORDER BY n DESC, last DESC LIMIT ?) u JOIN questions q ON q.id = u.last ORDER BY u.n DESC, u.last DESC"
        )
        async with self._db.execute(query, (week, top)) as cursor:
            unanswered = [(shown(row[0]), row[1]) for row in await cursor.fetchall()]
        async with self._db.execute("SELECT count(*), sum(helpful) FROM votes WHERE voted_at >= ?", (week,)) as cursor:
            row = await cursor.fetchone()
        votes = Tally(row[0], row[1] or 0) if row else Tally(0, 0)
        unhelpful = await self.unhelpful_answers(top, now - timedelta(days=7))
        return QuestionStats(day_tally, week_tally, by_language, unanswered, votes, unhelpful)

    @_write
    async def prune_questions(self, before: datetime, limit: int) -> int:
        """Deletes up to `limit` of the questions logged before `before`, oldest first, with their votes and choices; how many.

        One short transaction per call (see `retention`), so the file's write
        lock is never held for long whatever the log's size.
        """
        query = "SELECT id FROM questions WHERE asked_at < ? ORDER BY asked_at LIMIT ?"
        async with self._db.execute(query, (_stamp(before), limit)) as cursor:
            ids = [row[0] for row in await cursor.fetchall()]
        if not ids:
            return 0
        listed = ", ".join("?" * len(ids))
        await self._db.execute(f"DELETE FROM votes WHERE question_id IN ({listed})", ids)
        await self._db.execute(f"DELETE FROM choices WHERE question_id IN ({listed})", ids)
        cursor = await self._db.execute(f"DELETE FROM questions WHERE id IN ({listed})", ids)
        await self._db.commit()
        return cursor.rowcount

    async def ping(self) -> None:
        """Raises when the database does not answer (see `/healthz`)."""
        async with self._db.execute("SELECT 1") as cursor:
            await cursor.fetchone()

    @_write
    async def flood_admit(self, user_id: int, messages: int, seconds: float, scope: FloodScope = "message") -> FloodOutcome:
        """One update from `user_id` against at most `messages` in any `seconds`, counted across every process.

        For webhook workers sharing this file (`telegram.workers`); a process
        alone counts in memory (`telegram.flood.FloodGuard`). The same rules as
        `postgres.PostgresStore.flood_admit`; the write lock is taken before the
        window is read, so two workers never both let the last message in.
        """
        now = time.time()
        await self._db.execute("BEGIN IMMEDIATE")
        async with self._db.execute(
            "SELECT hits, notified FROM flood_windows WHERE user_id = ? AND scope = ?", (user_id, scope)
        ) as cursor:
            row = await cursor.fetchone()
        recent = [hit for hit in (json.loads(row[0]) if row else []) if hit > now - seconds]
        outcome: FloodOutcome
        if len(recent) < messages:
            recent.append(now)
            outcome, notified = "answer", False
        else:
            outcome, notified = ("drop" if row and row[1] else "notify"), True
        await self._db.execute(
            "INSERT INTO flood_windows (user_id, scope, hits, notified, last_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (user_id, scope) DO UPDATE SET hits = excluded.hits, notified = excluded.notified, "
            "last_at = excluded.last_at",
            (user_id, scope, json.dumps(recent), notified, now),
        )
        self._since_sweep += 1
        if self._since_sweep >= SWEEP_EVERY:
            self._since_sweep = 0
            await self._db.execute("DELETE FROM flood_windows WHERE last_at < ? AND scope = ?", (now - seconds, scope))
        await self._db.commit()
        return outcome

    @_write
    async def first_delivery(self, update_id: int, window_seconds: float) -> bool:
        """True the first time any process sharing this file is given `update_id` within `window_seconds`.

        For webhook workers, which accept from one socket: Telegram's copy of
        an update may reach another worker than the first (see
        `postgres.PostgresStore.first_delivery`, the same across hosts).
        """
        now = time.time()
        cursor = await self._db.execute(
            "INSERT INTO deliveries (update_id, handled_at) VALUES (?, ?) "
            "ON CONFLICT (update_id) DO UPDATE SET handled_at = excluded.handled_at WHERE deliveries.handled_at < ?",
            (update_id, now, now - window_seconds),
        )
        first = cursor.rowcount > 0
        self._since_delivery_sweep += 1
        if self._since_delivery_sweep >= SWEEP_EVERY:
            self._since_delivery_sweep = 0
            await self._db.execute("DELETE FROM deliveries WHERE handled_at < ?", (now - window_seconds,))
        await self._db.commit()
        return first

