"""The per-user flood limit: a burst is cut off with one notice, and the window frees up again; per process, or shared on PostgreSQL."""

from __future__ import annotations

import asyncio

from bot.chat.pgstore import PostgresStore
from bot.chat.store import StoreError
from bot.config import FloodLimit
from bot.telegram.flood import Admission, FloodGuard, SharedFloodGuard

from .pg import pg_url, postgres_server  # noqa: F401  (fixtures)


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


def test_shared_counters_hold_across_instances(pg_url: str) -> None:  # noqa: F811
    """Two instances on one PostgreSQL database, a user's messages alternating between them: one limit, one notice."""

    async def scenario() -> tuple[list[Admission], Admission, list[Admission]]:
        stores = [await PostgresStore.open(pg_url) for _ in range(2)]
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


def test_shared_inline_queries_are_counted_apart_from_messages(pg_url: str) -> None:  # noqa: F811
    """A user who typed a few inline queries still has every message of their window, on any instance."""

    async def scenario() -> tuple[list[Admission], Admission]:
        store = await PostgresStore.open(pg_url)
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


def test_an_update_is_handled_by_the_first_instance_given_it(pg_url: str) -> None:  # noqa: F811
    """Two instances on one database: Telegram's second copy of an update is news to neither."""

    async def scenario() -> list[bool]:
        stores = [await PostgresStore.open(pg_url) for _ in range(2)]
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
        async def flood_admit(self, user_id: int, messages: int, seconds: float, scope: str) -> str:
            raise StoreError("postgresql://bot@db/kb: connection refused")

    guard = SharedFloodGuard(FloodLimit(1, 60), Broken())
    assert asyncio.run(guard.check(1)) is Admission.ANSWER
