"""The PostgreSQL backend: what several instances on several hosts share, through asyncpg's connection pool.

Chosen by `DATABASE_URL=postgresql://user:password@host:port/database`. The
schema is `store.MIGRATIONS`, the same ordered steps SQLite runs; the steps
done are rows of `schema_migrations`, and an advisory lock makes instances
starting together run each step once. Every write is committed before the
method returns, as with SQLite, so a `kill -9` of one instance loses nothing
it confirmed.

The flood counters live here too (`flood_admit`): one row per user and scope
(messages, inline queries) holding the times of their updates in the window,
read and written under the row's lock, by the database's clock, so the limit
holds across instances.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Concatenate, ParamSpec, TypeVar

import asyncpg

from ..config import database_address
from .store import (
    MIGRATIONS,
    SWEEP_EVERY,
    ChatState,
    FloodOutcome,
    FloodScope,
    LoggedQuestion,
    QuestionStats,
    StoreError,
    Tally,
    Unhelpful,
    shown,
)

log = logging.getLogger(__name__)

POOL_SIZE = 10
"""Connections per instance: every update's reads and writes are short, so a few serve 32 concurrent updates."""
TIMEOUT = 10.0
"""Seconds to connect, or for one statement, before the call fails with `StoreError`."""
MIGRATION_LOCK = 0x6B62_626F_7421
"""The advisory lock instances starting together take while migrating ("kbbot!")."""

_FAILURES = (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, TimeoutError)

P = ParamSpec("P")
R = TypeVar("R")


def safe_address(url: str) -> str:
    """`url` without its password or parameters, for log lines and error messages (several hosts included)."""
    return database_address(url)


def _guarded(
    method: Callable[Concatenate[PostgresStore, P], Awaitable[R]],
) -> Callable[Concatenate[PostgresStore, P], Awaitable[R]]:
    """A failure of the server or the connection becomes `StoreError` naming the database (never its password)."""

    @functools.wraps(method)
    async def guarded(self: PostgresStore, *args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await method(self, *args, **kwargs)
        except _FAILURES as error:
            raise StoreError(f"{self.address}: {type(error).__name__}: {error}") from error

    return guarded


class PostgresStore:
    """The bot's database on a PostgreSQL server; open with `PostgresStore.open`, close with `close`."""

    shared_by_instances = True

    def __init__(self, pool: asyncpg.Pool, address: str) -> None:
        self._pool = pool
        self.address = address
        self._since_sweep = 0
        self._since_delivery_sweep = 0

    @classmethod
    async def open(cls, url: str, pool_size: int = POOL_SIZE) -> PostgresStore:
        """The store at `url`, migrated; `StoreError` when the server cannot be reached or used."""
        address = safe_address(url)
        try:
            pool = await asyncpg.create_pool(url, min_size=1, max_size=pool_size, timeout=TIMEOUT, command_timeout=TIMEOUT)
        except (*_FAILURES, ValueError) as error:
            raise StoreError(
                f"{address} cannot be used ({type(error).__name__}: {error}): check DATABASE_URL "
                "and that the PostgreSQL server is running and reachable"
            ) from error
        store = cls(pool, address)
        try:
            await store._migrate()
        except StoreError:
            await pool.close()
            raise
        return store

    async def close(self) -> None:
        try:
            await asyncio.wait_for(self._pool.close(), TIMEOUT)
        except _FAILURES:
            self._pool.terminate()

    @_guarded
    async def _migrate(self) -> None:
        async with self._pool.acquire() as db, db.transaction():
            await db.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK)
            await db.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations "
                "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
            )
            version = await db.fetchval("SELECT coalesce(max(version), 0) FROM schema_migrations")
            for number, migration in enumerate(MIGRATIONS[version:], start=version + 1):
                await db.execute(migration.postgres)
                await db.execute("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", number, migration.name)
                log.warning("%s: schema migrated to version %d (%s)", self.address, number, migration.name)

    @_guarded
    async def schema_version(self) -> int:
        return int(await self._pool.fetchval("SELECT coalesce(max(version), 0) FROM schema_migrations"))

    @_guarded
    async def ping(self) -> None:
        await self._pool.fetchval("SELECT 1")

    @_guarded
    async def user_language(self, user_id: int) -> str | None:
        return await self._pool.fetchval("SELECT language FROM users WHERE user_id = $1", user_id)

    @_guarded
    async def set_user_language(self, user_id: int, language: str | None) -> None:
        if language is None:
            await self._pool.execute("DELETE FROM users WHERE user_id = $1", user_id)
        else:
            await self._pool.execute(
                "INSERT INTO users (user_id, language, updated_at) VALUES ($1, $2, now()) "
                "ON CONFLICT (user_id) DO UPDATE SET language = excluded.language, updated_at = excluded.updated_at",
                user_id,
                language,
            )

    @_guarded
    async def chat_state(self, chat_id: int) -> ChatState:
        row = await self._pool.fetchrow("SELECT article_key, article_lang, language FROM chats WHERE chat_id = $1", chat_id)
        return ChatState(*row) if row else ChatState(None, None, None)

    @_guarded
    async def remember_chat(self, chat_id: int, article_key: str | None, article_lang: str | None, language: str | None) -> None:
        await self._remember_chat(self._pool, chat_id, article_key, article_lang, language)

    @_guarded
    async def record_answer(self, entry: LoggedQuestion, article_lang: str | None) -> int:
        async with self._pool.acquire() as db, db.transaction():
            await self._remember_chat(db, entry.chat_id, entry.article_key, article_lang, entry.language)
            return int(
                await db.fetchval(
                    "INSERT INTO questions (asked_at, chat_id, user_id, question, language, kind, article_key, section, score, "
                    "answered, question_key) VALUES (now(), $1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
                    *entry.row(),
                )
            )

    @_guarded
    async def vote(self, question_id: int, chat_id: int, user_id: int, helpful: bool) -> bool:
        """A reader's vote on an answer given in `chat_id`; False when there is none (see `store.Store.vote`)."""
        async with self._pool.acquire() as db, db.transaction():
            query = "SELECT 1 FROM questions WHERE id = $1 AND chat_id = $2 AND answered"
            if await db.fetchval(query, question_id, chat_id) is None:
                return False
            await db.execute(
                "INSERT INTO votes (question_id, user_id, helpful, voted_at) VALUES ($1, $2, $3, now()) "
                "ON CONFLICT (question_id, user_id) DO UPDATE SET helpful = excluded.helpful, voted_at = excluded.voted_at",
                question_id,
                user_id,
                helpful,
            )
        return True

    @_guarded
    async def unhelpful_answers(self, limit: int = 50, since: datetime | None = None) -> list[Unhelpful]:
        rows = await self._pool.fetch(
            "SELECT q.question, coalesce(q.section, ''), v.n FROM (SELECT question_id, count(*) AS n, max(voted_at) AS last "
            "FROM votes WHERE NOT helpful AND ($1::timestamptz IS NULL OR voted_at >= $1) GROUP BY question_id "
            "ORDER BY n DESC, last DESC LIMIT $2) v JOIN questions q ON q.id = v.question_id ORDER BY v.n DESC, v.last DESC",
            since,
            limit,
        )
        return [(row[0], row[1], int(row[2])) for row in rows]

    @staticmethod
    async def _remember_chat(
        db: asyncpg.Pool | asyncpg.Connection,
        chat_id: int | None,
        article_key: str | None,
        article_lang: str | None,
        language: str | None,
    ) -> None:
        await db.execute(
            "INSERT INTO chats (chat_id, article_key, article_lang, language, updated_at) VALUES ($1, $2, $3, $4, now()) "
            "ON CONFLICT (chat_id) DO UPDATE SET "
            "article_key = coalesce(excluded.article_key, chats.article_key), "
            "article_lang = coalesce(excluded.article_lang, chats.article_lang), "
            "language = coalesce(excluded.language, chats.language), updated_at = excluded.updated_at",
            chat_id,
            article_key,
            article_lang,
            language,
        )

    @_guarded
    async def recent_questions(self, limit: int = 100, unanswered: bool = False) -> list[tuple[str, str, int]]:
        only = "WHERE NOT answered " if unanswered else ""
        rows = await self._pool.fetch(f"SELECT question, kind, answered FROM questions {only}ORDER BY id DESC LIMIT $1", limit)
        return [(row[0], row[1], int(row[2])) for row in rows]

    @_guarded
    async def question_stats(self, now: datetime | None = None, top: int = 10) -> QuestionStats:
        """What `/stats` shows, counted by the server from indexes (see `store.Store.question_stats`)."""
        now = now or datetime.now(UTC)
        day, week = now - timedelta(days=1), now - timedelta(days=7)
        rows = await self._pool.fetch(
            "SELECT language, count(*), count(*) FILTER (WHERE answered), count(*) FILTER (WHERE asked_at >= $1), "
            "count(*) FILTER (WHERE answered AND asked_at >= $1) FROM questions WHERE asked_at >= $2 GROUP BY language",
            day,
            week,
        )
        by_language = {row[0] or "?": Tally(row[1], row[2]) for row in rows}
        day_tally = Tally(sum(row[3] for row in rows), sum(row[4] for row in rows))
        week_tally = Tally(sum(t.asked for t in by_language.values()), sum(t.answered for t in by_language.values()))
        unanswered = await self._pool.fetch(
            "SELECT q.question, u.n FROM (SELECT question_key, count(*) AS n, max(id) AS last FROM questions "
            "WHERE NOT answered AND asked_at >= $1 AND question_key IS NOT NULL GROUP BY question_key "
            "ORDER BY n DESC, last DESC LIMIT $2) u JOIN questions q ON q.id = u.last ORDER BY u.n DESC, u.last DESC",
            week,
            top,
        )
        votes = await self._pool.fetchrow(
            "SELECT count(*), count(*) FILTER (WHERE helpful) FROM votes WHERE voted_at >= $1", week
        )
        return QuestionStats(
            day_tally,
            week_tally,
            by_language,
            [(shown(row[0]), int(row[1])) for row in unanswered],
            Tally(votes[0], votes[1]),
            await self.unhelpful_answers(top, week),
        )

    @_guarded
    async def prune_questions(self, before: datetime, limit: int) -> int:
        """Deletes up to `limit` of the questions logged before `before`, oldest first, with their votes; how many.

        Rows another instance is pruning at the same moment are skipped, not waited for.
        """
        return int(
            await self._pool.fetchval(
                "WITH oldest AS (SELECT id FROM questions WHERE asked_at < $1 ORDER BY asked_at LIMIT $2 FOR UPDATE SKIP LOCKED), "
                "votes_gone AS (DELETE FROM votes WHERE question_id IN (SELECT id FROM oldest)), "
                "gone AS (DELETE FROM questions WHERE id IN (SELECT id FROM oldest) RETURNING 1) SELECT count(*) FROM gone",
                before,
                limit,
            )
        )

    @_guarded
    async def first_delivery(self, update_id: int, window_seconds: float) -> bool:
        """True the first time any instance is given `update_id` within `window_seconds`; remembers it.

        Telegram redelivers an update it saw no timely 200 for, and behind a
        load balancer the copy may reach another instance: one row per update,
        inserted once, tells every instance whether it was handled. A row older
        than the window counts as gone whether or not a sweep has deleted it.
        """
        first = await self._pool.fetchval(
            "INSERT INTO deliveries AS d (update_id, handled_at) VALUES ($1, clock_timestamp()) "
            "ON CONFLICT (update_id) DO UPDATE SET handled_at = clock_timestamp() "
            "WHERE d.handled_at < clock_timestamp() - make_interval(secs => $2) RETURNING true",
            update_id,
            float(window_seconds),
        )
        self._since_delivery_sweep += 1
        if self._since_delivery_sweep >= SWEEP_EVERY:
            self._since_delivery_sweep = 0
            await self._sweep(
                "DELETE FROM deliveries WHERE handled_at < clock_timestamp() - make_interval(secs => $1)", window_seconds
            )
        return bool(first)

    async def _sweep(self, statement: str, seconds: float, *args: object) -> None:
        """Deletes rows older than `seconds`: housekeeping, so a failure is logged and costs the caller nothing."""
        try:
            await self._pool.execute(statement, float(seconds), *args)
        except _FAILURES as error:
            log.warning("%s: old rows not deleted this time: %s: %s", self.address, type(error).__name__, error)

    @_guarded
    async def flood_admit(self, user_id: int, messages: int, seconds: float, scope: FloodScope = "message") -> FloodOutcome:
        """One update from `user_id` against at most `messages` in any `seconds`, counted across every instance.

        "answer" while under the limit; "notify" for the first update over it
        in a window, "drop" for the ones after (as `bot.telegram.flood.FloodGuard`).
        Each `scope` (messages, inline queries) is a window of its own.
        """
        async with self._pool.acquire() as db, db.transaction():
            row = await db.fetchrow(
                "INSERT INTO flood_windows AS f (user_id, scope, hits, notified, last_at) "
                "VALUES ($1, $2, '{}', false, clock_timestamp()) "
                "ON CONFLICT (user_id, scope) DO UPDATE SET last_at = f.last_at "
                "RETURNING f.hits, f.notified, clock_timestamp() AS now",
                user_id,
                scope,
            )
            now: datetime = row["now"]
            recent = [hit for hit in row["hits"] if hit > now - timedelta(seconds=seconds)]
            outcome: FloodOutcome
            if len(recent) < messages:
                recent.append(now)
                outcome, notified = "answer", False
            else:
                outcome, notified = ("drop" if row["notified"] else "notify"), True
            await db.execute(
                "UPDATE flood_windows SET hits = $3, notified = $4, last_at = $5 WHERE user_id = $1 AND scope = $2",
                user_id,
                scope,
                recent,
                notified,
                now,
            )
        self._since_sweep += 1
        if self._since_sweep >= SWEEP_EVERY:
            self._since_sweep = 0
            await self._sweep(
                "DELETE FROM flood_windows WHERE last_at < clock_timestamp() - make_interval(secs => $1) AND scope = $2",
                seconds,
                scope,
            )
        return outcome
