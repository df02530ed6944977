"""The per-user flood limit: a burst is cut off with one notice, and the window frees up again; per process, or shared
in the database (PostgreSQL instances, webhook workers on one SQLite file)."""

from __future__ import annotations

import asyncio
import logging
import time

import asyncpg

from bot.config import FloodLimit
from bot.storage import postgres, sqlite
from bot.storage.postgres import PostgresStore
from bot.storage.records import FloodScope, StoreError
from bot.telegram import app
from bot.telegram.context import BotData
from bot.telegram.flood import Admission, FloodGuard, SharedFloodGuard

from .pg import pg_url, postgres_server  # noqa: F401  (fixtures)
from .test_store import Opener, backend  # noqa: F401  (fixture: a SQLite file, or a PostgreSQL database)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_burst_gets_answers_then_one_notice_then_silence() -> None:
    guard = FloodGuard(FloodLimit(3, 60), Clock())
    assert [guard.admit(1) for _ in range(6)] == [Admission.ANSWER] * 3 + [Admission.NOTIFY] + [Admission.DROP] * 2


def test_users_are_limited_separately_and_the_window_slides() -> None:
    clock = Clock()
    guard = FloodGuard(FloodLimit(2, 10), clock)
    assert [guard.admit(1) for _ in range(3)] == [Admission.ANSWER, Admission.ANSWER, Admission.NOTIFY]
    assert guard.admit(2) is Admission.ANSWER
    clock.now = 10.5
    assert guard.admit(1) is Admission.ANSWER


def test_switched_off_admits_everything() -> None:
    guard = FloodGuard(FloodLimit(0, 0))
    assert all(guard.admit(1) is Admission.ANSWER for _ in range(1000))


def test_idle_users_are_forgotten() -> None:
    clock = Clock()
    guard = FloodGuard(FloodLimit(5, 1), clock)
    for user in range(FloodGuard.SWEEP_EVERY - 1):
        guard.admit(user)
    clock.now = 5
    guard.admit(-1)
    assert len(guard._recent) == 1


def test_shared_counters_hold_across_instances(backend: Opener) -> None:  # noqa: F811
    """Two instances on one database (or two workers on one SQLite file), a user's messages alternating: one limit, one notice."""

    async def scenario() -> tuple[list[Admission], Admission, list[Admission]]:
        stores = [await backend() for _ in range(2)]
        guards = [SharedFloodGuard(FloodLimit(3, 1.5), store) for store in stores]
        try:
            burst = [await guards[i % 2].check(1) for i in range(6)]
            other = await guards[1].check(2)
            await asyncio.sleep(1.6)
            after = [await guards[i % 2].check(1) for i in range(4)]
            return burst, other, after
        finally:
            for store in stores:
                await store.close()

    burst, other, after = asyncio.run(scenario())
    assert burst == [Admission.ANSWER] * 3 + [Admission.NOTIFY] + [Admission.DROP] * 2
    assert other is Admission.ANSWER
    assert after == [Admission.ANSWER] * 3 + [Admission.NOTIFY]


def test_shared_inline_queries_are_counted_apart_from_messages(backend: Opener) -> None:  # noqa: F811
    """A user who typed a few inline queries still has every message of their window, on any instance."""

    async def scenario() -> tuple[list[Admission], Admission]:
        store = await backend()
        try:
            inline = SharedFloodGuard(FloodLimit(3, 60), store, scope="inline")
            messages = SharedFloodGuard(FloodLimit(3, 60), store)
            typed = [await inline.check(7) for _ in range(5)]
            return typed, await messages.check(7)
        finally:
            await store.close()

    typed, message = asyncio.run(scenario())
    assert typed == [Admission.ANSWER] * 3 + [Admission.NOTIFY, Admission.DROP]
    assert message is Admission.ANSWER


def test_an_update_is_handled_by_the_first_instance_given_it(backend: Opener) -> None:  # noqa: F811
    """Two instances on one database: Telegram's second copy of an update is news to neither."""

    async def scenario() -> list[bool]:
        stores = [await backend() for _ in range(2)]
        try:
            return [
                await stores[0].first_delivery(41, 600),
                await stores[1].first_delivery(41, 600),
                await stores[1].first_delivery(42, 600),
            ]
        finally:
            for store in stores:
                await store.close()

    assert asyncio.run(scenario()) == [True, False, True]


def test_shared_counters_let_messages_through_when_the_database_fails() -> None:
    class Broken:
        async def flood_admit(self, user_id: int, messages: int, seconds: float, scope: FloodScope) -> str:
            raise StoreError("postgresql://bot@db/kb: connection refused")

    guard = SharedFloodGuard(FloodLimit(1, 60), Broken())
    assert asyncio.run(guard.check(1)) is Admission.ANSWER


def test_a_short_message_window_does_not_sweep_away_a_longer_inline_one(backend: Opener, monkeypatch) -> None:  # noqa: F811
    """Idle rows are deleted by the window of their own scope: a reader over the inline limit stays over it."""
    monkeypatch.setattr(postgres, "SWEEP_EVERY", 1)
    monkeypatch.setattr(sqlite, "SWEEP_EVERY", 1)

    async def scenario() -> tuple[list[Admission], Admission]:
        store = await backend()
        try:
            inline = SharedFloodGuard(FloodLimit(2, 600), store, scope="inline")
            messages = SharedFloodGuard(FloodLimit(5, 0.2), store)
            typed = [await inline.check(8) for _ in range(3)]
            await asyncio.sleep(0.4)
            await messages.check(9)
            return typed, await inline.check(8)
        finally:
            await store.close()

    typed, again = asyncio.run(scenario())
    assert typed == [Admission.ANSWER, Admission.ANSWER, Admission.NOTIFY]
    assert again is Admission.DROP


def test_a_delivery_is_forgotten_after_its_window_whether_or_not_a_sweep_ran(backend: Opener) -> None:  # noqa: F811
    async def scenario() -> list[bool]:
        store = await backend()
        try:
            seen = [await store.first_delivery(51, 0.3), await store.first_delivery(51, 0.3)]
            await asyncio.sleep(0.5)
            return [*seen, await store.first_delivery(51, 0.3)]
        finally:
            await store.close()

    assert asyncio.run(scenario()) == [True, False, True]


def test_a_failed_sweep_costs_the_delivery_check_nothing(pg_url: str, monkeypatch) -> None:  # noqa: F811
    """Deleting old rows is housekeeping: when it fails, the update already seen is still reported as seen."""
    monkeypatch.setattr(postgres, "SWEEP_EVERY", 1)

    async def scenario() -> list[bool]:
        store = await PostgresStore.open(pg_url)

        async def refused(pool: asyncpg.Pool, *args: object) -> None:
            raise asyncpg.PostgresError("permission denied for table deliveries")

        try:
            first = await store.first_delivery(61, 600)
            monkeypatch.setattr(asyncpg.pool.Pool, "execute", refused)
            return [first, await store.first_delivery(61, 600)]
        finally:
            await store.close()

    assert asyncio.run(scenario()) == [True, False]


def test_a_database_slow_to_say_whether_an_update_was_seen_does_not_hold_its_acknowledgement(monkeypatch) -> None:
    """Telegram waits for the webhook's 200: past `DELIVERY_CHECK_SECONDS` the update is handled, as when the database fails."""
    monkeypatch.setattr(app, "DELIVERY_CHECK_SECONDS", 0.05)

    class Hanging:
        shared_by_instances = True

        async def first_delivery(self, update_id: int, window_seconds: float) -> bool:
            await asyncio.sleep(30)
            return False

    shared = BotData()
    shared.store = Hanging()
    started = time.monotonic()
    assert asyncio.run(app._first_delivery(shared, 71)) is True
    assert time.monotonic() - started < 5


def test_an_outage_during_webhook_delivery_checks_is_logged_once_not_per_update(caplog) -> None:
    """A database that refuses every delivery check: every update is handled, and the log says so once."""

    class Refusing:
        shared_by_instances = True
        calls = 0

        async def first_delivery(self, update_id: int, window_seconds: float) -> bool:
            Refusing.calls += 1
            raise StoreError("connection refused")

    shared = BotData()
    shared.store = Refusing()

    async def deliveries() -> list[bool]:
        return [await app._first_delivery(shared, update_id) for update_id in range(100, 120)]

    with caplog.at_level(logging.WARNING):
        assert asyncio.run(deliveries()) == [True] * 20
    assert len(caplog.records) == 1, [record.getMessage() for record in caplog.records]
    assert "the database is failing" in caplog.records[0].getMessage()
