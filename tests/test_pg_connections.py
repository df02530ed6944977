"""PostgreSQL connections that die under the bot, on a real server behind a proxy that kills them (`tests/pgproxy.py`).

A pooled connection dies unseen when the server's host restarts, a failover
moves its address or a firewall forgets the flow; its next statement then
fails. `PostgresStore` runs such a statement again on a new connection when
that cannot do anything twice, and replaces the pool's other connections. And
whatever asyncpg raises leaves the store as `StoreError`, `StoreUnavailable`
when waiting may mend it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator

import asyncpg
import pytest

from bot.storage.postgres import PostgresStore
from bot.storage.records import LoggedQuestion, StoreError, StoreUnavailable

from .pg import database_url, free_port, pg_url, postgres_server  # noqa: F401  (fixtures)
from .pgproxy import PostgresProxy


@pytest.fixture
def proxied(pg_url: str) -> Iterator[tuple[PostgresProxy, str]]:  # noqa: F811
    """The test's database, reached through a proxy that can make the connections die unseen."""
    proxy = PostgresProxy(int(pg_url.rsplit(":", 1)[1].split("/")[0]))
    yield proxy, proxy.url(pg_url.rsplit("/", 1)[1])
    proxy.close()


async def warm(store: PostgresStore) -> None:
    """Several connections in the pool, as a bot answering several readers at once has."""
    await asyncio.gather(*(store.chat_state(chat) for chat in range(8)))


def question(n: int) -> LoggedQuestion:
    return LoggedQuestion(n, n, f"question {n}", "it", "paragraph", "k", "Stipendio", 1.0)


async def logged(store: PostgresStore) -> list[str]:
    return [row[0] for row in await store._pool.fetch("SELECT question FROM questions ORDER BY id")]


OPERATIONS: dict[str, Callable[[PostgresStore], Awaitable[object]]] = {
    "a read": lambda store: store.user_language(1),
    "a write whose repetition changes nothing": lambda store: store.set_user_language(1, "it"),
    "a vote": lambda store: store.vote(1, 1, 1, True),
    "a transaction that inserts": lambda store: store.record_answer(question(1), "it"),
    "a flood count": lambda store: store.flood_admit(1, 5, 60),
}


@pytest.mark.parametrize("operation", OPERATIONS)
def test_a_connection_that_died_unseen_is_replaced_and_the_statement_runs_again(
    proxied: tuple[PostgresProxy, str], operation: str, caplog: pytest.LogCaptureFixture
) -> None:
    """After the server's host restarts, say: each pooled connection's next statement would fail, one reader each."""
    proxy, url = proxied

    async def scenario() -> tuple[int, list[object], list[str]]:
        store = await PostgresStore.open(url)
        try:
            await warm(store)
            died = proxy.forget()
            results = [await OPERATIONS[operation](store) for _ in range(3)]
            return died, results, await logged(store)
        finally:
            await store.close()

    with caplog.at_level(logging.INFO, logger="bot.storage.postgres"):
        died, results, questions = asyncio.run(scenario())
    assert died >= 2
    assert len(results) == 3
    if operation == "a transaction that inserts":
        assert questions == ["question 1"] * 3, "each logged once"
    assert caplog.text.count("a connection was closed under") == 1, "the others were replaced before their next use"


def test_a_delivery_check_whose_connection_died_is_not_repeated(proxied: tuple[PostgresProxy, str]) -> None:
    """Its one statement may have run before the connection died: run again, it would call the update a redelivery."""
    proxy, url = proxied

    async def scenario() -> list[bool | str]:
        store = await PostgresStore.open(url)
        try:
            await warm(store)
            proxy.forget()
            seen: list[bool | str] = []
            for update_id in (7, 7, 8):
                try:
                    seen.append(await store.first_delivery(update_id, 600))
                except StoreUnavailable:
                    seen.append("unavailable")
            return seen
        finally:
            await store.close()

    assert asyncio.run(scenario()) == ["unavailable", True, True], "the next one has a new connection"


def test_a_transaction_lost_before_its_commit_runs_again_and_one_lost_at_its_commit_does_not(
    proxied: tuple[PostgresProxy, str],
) -> None:
    proxy, url = proxied

    async def scenario() -> tuple[list[str], list[str]]:
        store = await PostgresStore.open(url)
        try:
            outcomes: list[str] = []
            for n, (marker, after) in enumerate([(b"INSERT INTO questions", False), (b"COMMIT", True)]):
                trap = proxy.reset_on(marker, after=after)
                try:
                    await store.record_answer(question(n), "it")
                    outcomes.append("logged")
                except StoreUnavailable:
                    outcomes.append("unavailable")
                assert trap.is_set()
            return outcomes, await logged(store)
        finally:
            await store.close()

    outcomes, questions = asyncio.run(scenario())
    assert outcomes == ["logged", "unavailable"], "lost at its COMMIT, nobody can tell whether it committed"
    assert questions == ["question 0", "question 1"], "each once: the server had the second's COMMIT"


class FailingPool:
    """A pool whose statements raise what asyncpg raises when its protocol is in a state it did not expect."""

    def __init__(self) -> None:
        self.expired = 0

    async def fetchval(self, *args: object, **kwargs: object) -> object:
        raise asyncpg.InternalClientError("cannot process message 'Z': protocol is in an unexpected state")

    async def expire_connections(self) -> None:
        self.expired += 1


def test_every_error_of_the_driver_leaves_the_store_as_store_error() -> None:
    """The webhook's delivery check and the conversation catch `StoreError`; anything else escaped them."""
    pool = FailingPool()
    store = PostgresStore(pool, "postgresql://bot@db:5432/kb")  # type: ignore[arg-type]
    with pytest.raises(StoreError, match="InternalClientError: cannot process message"):
        asyncio.run(store.user_language(1))
    assert pool.expired == 1, "a connection in a state nobody expected is replaced, and the read tried once more"


def test_a_server_that_is_not_there_can_be_waited_for_and_a_missing_database_cannot(postgres_server: str) -> None:  # noqa: F811
    """What a webhook worker started again meets: the first is worth its supervisor's back-off, the second is not."""
    with pytest.raises(StoreUnavailable, match="ConnectionRefusedError"):
        asyncio.run(PostgresStore.open(f"postgresql://bot@127.0.0.1:{free_port()}/kb"))
    with pytest.raises(StoreError) as missing:
        asyncio.run(PostgresStore.open(database_url(postgres_server, "kb_never_created")))
    assert not isinstance(missing.value, StoreUnavailable)
    assert "InvalidCatalogNameError" in str(missing.value)
