"""The PostgreSQL backend: what several instances on several hosts share, through asyncpg's connection pool.

Chosen by `DATABASE_URL=postgresql://user:password@host:port/database`. The
schema is `migrations.MIGRATIONS`, the same ordered steps SQLite runs; the steps
done are rows of `schema_migrations`, and an advisory lock makes instances
starting together run each step once. Every write is committed before the
method returns, as with SQLite, so a `kill -9` of one instance loses nothing
it confirmed.

The flood counters live here too (`flood_admit`): one row per user and scope
(messages, inline queries) holding the times of their updates in the window,
read and written under the row's lock, by the database's clock, so the limit
holds across instances.

A pooled connection can die unseen: the server's host restarted, a failover
moved its address, a firewall forgot an idle connection. Its next statement
then fails. Such a statement runs again, once, on a new connection,
when that cannot do anything twice (a read, a write whose repetition changes
nothing, a transaction that had not reached its COMMIT); the pool's other
connections from before are replaced at their next use. Idle connections are
closed after `IDLE_SECONDS`, so few are left to die unseen.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Concatenate, ParamSpec, TypeVar

import asyncpg

from ..config import database_address
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
    StoreUnavailable,
    Tally,
    Unhelpful,
    shown,
)

log = logging.getLogger(__name__)

POOL_SIZE = 10
"""Connections per instance: every update's reads and writes are short, so a few serve 32 concurrent updates."""
TIMEOUT = 10.0
"""Seconds to connect, or for one statement, before the call fails with `StoreError`."""
IDLE_SECONDS = 60.0
"""A connection unused this long is closed: NAT gateways and load balancers drop idle flows after a few minutes
without telling either end, and the next statement on such a connection would wait out `TIMEOUT`."""
MIGRATION_LOCK = 0x6B62_626F_7421
"""The advisory lock instances starting together take while migrating ("kbbot!")."""

_FAILURES = (asyncpg.PostgresError, asyncpg.InterfaceError, asyncpg.InternalClientError, OSError, TimeoutError)
"""What asyncpg and the network raise; each leaves this module as `StoreError`."""
_CONNECTION_LOST = (
    asyncpg.PostgresConnectionError,  # ConnectionDoesNotExistError: "connection was closed in the middle of operation"
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.InternalClientError,  # the protocol in a state it did not expect: the connection is of no more use
    ConnectionResetError,
    ConnectionAbortedError,
    BrokenPipeError,
)
"""The connection a statement was sent on was closed under it, by the server or something between."""
_NOT_ANSWERING = (*_CONNECTION_LOST, asyncpg.CannotConnectNowError, asyncpg.TooManyConnectionsError, OSError, TimeoutError)
"""The server is not there, or not yet: waiting may mend it (`StoreUnavailable`)."""


P = ParamSpec("P")
R = TypeVar("R")


def safe_address(url: str) -> str:
    """`url` without its password or parameters, for log lines and error messages (several hosts included)."""
    return database_address(url)


def _causes(error: BaseException) -> Iterator[BaseException]:
    """`error` and those it was raised from or during, nearest first."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _lost_connection(error: BaseException) -> bool:
    """Whether `error` says its connection was closed under it; asyncpg's transaction says so as an `InterfaceError`
    ("the underlying connection is closed") raised while handling the first error."""
    return any(
        isinstance(cause, _CONNECTION_LOST)
        or (isinstance(cause, asyncpg.InterfaceError) and "connection is closed" in str(cause))
        for cause in _causes(error)
    )


class _Uncommitted(Exception):
    """A transaction's connection was lost before its COMMIT was sent: the server has rolled it back, so it may run again."""


def _guarded(
    method: Callable[Concatenate[PostgresStore, P], Awaitable[R]],
) -> Callable[Concatenate[PostgresStore, P], Awaitable[R]]:
    """A method safe to run twice (a read, a write whose repetition changes nothing): run again on a new connection
    when its connection was lost under it. Any failure then becomes `StoreError` naming the database (never its password)."""
    return _guard(method, repeatable=True)


def _guarded_once(
    method: Callable[Concatenate[PostgresStore, P], Awaitable[R]],
) -> Callable[Concatenate[PostgresStore, P], Awaitable[R]]:
    """A method that must not run twice (it counts or inserts): run again only when its `_transaction` had not reached
    its COMMIT. A statement sent on its own may have run before its connection was lost: nobody can tell."""
    return _guard(method, repeatable=False)


def _guard(
    method: Callable[Concatenate[PostgresStore, P], Awaitable[R]], repeatable: bool
) -> Callable[Concatenate[PostgresStore, P], Awaitable[R]]:
    @functools.wraps(method)
    async def guarded(self: PostgresStore, *args: P.args, **kwargs: P.kwargs) -> R:
        try:
            try:
                return await method(self, *args, **kwargs)
            except (*_FAILURES, _Uncommitted) as error:
                if not _lost_connection(error):
                    raise
                # The others opened before it are as likely dead: each is replaced at its next use.
                await self._pool.expire_connections()
                if not (repeatable or isinstance(error, _Uncommitted)):
                    raise
                log.info("%s: a connection was closed under %s; running it again on a new one", self.address, method.__name__)
            return await method(self, *args, **kwargs)
        except (*_FAILURES, _Uncommitted) as error:
            cause = error.__cause__ if isinstance(error, _Uncommitted) and error.__cause__ else error
            kind = StoreUnavailable if isinstance(cause, _NOT_ANSWERING) or _lost_connection(cause) else StoreError
            raise kind(f"{self.address}: {type(cause).__name__}: {cause}") from cause

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
        pool: asyncpg.Pool | None = None
        try:
            # No floor of connections (min_size=0): asyncpg would keep reconnecting one in the background while the
            # server is down, logging a traceback each time, and never close it for being idle (see `IDLE_SECONDS`).
            pool = await asyncpg.create_pool(
                url,
                min_size=0,
                max_size=pool_size,
                max_inactive_connection_lifetime=IDLE_SECONDS,
                timeout=TIMEOUT,
                command_timeout=TIMEOUT,
            )
            await pool.execute("SELECT 1")
        except (*_FAILURES, ValueError) as error:
            if pool is not None:
                pool.terminate()
            kind = StoreUnavailable if isinstance(error, _NOT_ANSWERING) else StoreError
            raise kind(
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

    @contextlib.asynccontextmanager
    async def _transaction(self) -> AsyncIterator[asyncpg.Connection]:
        """A pooled connection in a transaction, committed on leaving; `_Uncommitted` when the connection is lost
        before the COMMIT is sent. One lost during the COMMIT may or may not have committed: that error is left as it is."""
        async with self._pool.acquire() as db:
            committing = False
            try:
                async with db.transaction():
                    yield db
                    committing = True
            except BaseException as error:
                if not committing and _lost_connection(error):
                    raise _Uncommitted() from error
                raise

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

    @_guarded_once
    async def record_answer(self, entry: LoggedQuestion, article_lang: str | None) -> int:
        async with self._transaction() as db:
            await self._remember_chat(db, entry.chat_id, entry.article_key, article_lang, entry.language)
            return int(
                await db.fetchval(
                    "INSERT INTO questions (asked_at, chat_id, user_id, question, language, kind, article_key, section, score, "
                    "answered, question_key, paragraph, opening, article_lang) "
                    "VALUES (now(), $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
                    *entry.row(),
                    article_lang,
                )
            )

    @_guarded
    async def vote(self, question_id: int, chat_id: int, user_id: int, helpful: bool) -> bool:
        """A reader's vote on an answer given in `chat_id`; False when there is none (see `sqlite.Store.vote`)."""
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
    async def record_choice(self, question_id: int, chat_id: int, user_id: int, choice: Choice) -> str | None:
        """The paragraph a reader chose for a question asked in `chat_id`; the question, or None (see `sqlite.Store.record_choice`)."""
        async with self._pool.acquire() as db, db.transaction():
            question = await db.fetchval("SELECT question FROM questions WHERE id = $1 AND chat_id = $2", question_id, chat_id)
            if question is None:
                return None
            await db.execute(
                "INSERT INTO choices (question_id, user_id, article_key, article_lang, section, paragraph, offered, opening, chosen_at) "
                "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now()) ON CONFLICT (question_id, user_id) DO UPDATE SET "
                "article_key = excluded.article_key, article_lang = excluded.article_lang, section = excluded.section, "
                "paragraph = excluded.paragraph, offered = excluded.offered, opening = excluded.opening, helpful = NULL, "
                "chosen_at = excluded.chosen_at",
                question_id,
                user_id,
                *choice.row(),
            )
        return str(question)

    @_guarded
    async def judge_choice(self, question_id: int, chat_id: int, user_id: int, helpful: bool) -> bool:
        """The reader's word on the paragraph they tapped (see `sqlite.Store.judge_choice`)."""
        status = await self._pool.execute(
            "UPDATE choices SET helpful = $1 WHERE question_id = $2 AND user_id = $3 "
            "AND EXISTS (SELECT 1 FROM questions WHERE id = $2 AND chat_id = $4)",
            helpful,
            question_id,
            user_id,
            chat_id,
        )
        return status != "UPDATE 0"

    @_guarded
    async def reader_evidence(self) -> list[Evidence]:
        """The pairs readers confirmed and the owner has not decided on (see `sqlite.Store.reader_evidence`)."""
        return [Evidence(*row) for row in await self._pool.fetch(EVIDENCE)]

    @_guarded
    async def decide(self, pairs: Sequence[Evidence], accepted: bool) -> None:
        """The owner's verdict on `pairs`, so that they are not offered for review again."""
        await self._pool.executemany(
            "INSERT INTO taught_verdicts (question_key, article_key, article_lang, section, paragraph, accepted, decided_at) "
            "VALUES ($1, $2, $3, $4, $5, $6, now()) ON CONFLICT (question_key, article_key, article_lang, section, paragraph) "
            "DO UPDATE SET accepted = excluded.accepted, decided_at = excluded.decided_at",
            [(e.question_key, e.article_key, e.article_lang, e.section, e.paragraph, accepted) for e in pairs],
        )

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
        """What `/stats` shows, counted by the server from indexes (see `sqlite.Store.question_stats`)."""
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
        """Deletes up to `limit` of the questions logged before `before`, oldest first, with their votes and choices; how many.

        Rows another instance is pruning at the same moment are skipped, not waited for.
        """
        return int(
            await self._pool.fetchval(
                "WITH oldest AS (SELECT id FROM questions WHERE asked_at < $1 ORDER BY asked_at LIMIT $2 FOR UPDATE SKIP LOCKED), "
                "votes_gone AS (DELETE FROM votes WHERE question_id IN (SELECT id FROM oldest)), "
                "choices_gone AS (DELETE FROM choices WHERE question_id IN (SELECT id FROM oldest)), "
                "gone AS (DELETE FROM questions WHERE id IN (SELECT id FROM oldest) RETURNING 1) SELECT count(*) FROM gone",
                before,
                limit,
            )
        )

    @_guarded_once
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

    @_guarded_once
    async def flood_admit(self, user_id: int, messages: int, seconds: float, scope: FloodScope = "message") -> FloodOutcome:
        """One update from `user_id` against at most `messages` in any `seconds`, counted across every instance.

        "answer" while under the limit; "notify" for the first update over it
        in a window, "drop" for the ones after (as `bot.telegram.flood.FloodGuard`).
        Each `scope` (messages, inline queries) is a window of its own.
        """
        async with self._transaction() as db:
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
