"""The database calls a reader's update makes: bounded in time, skipped while the database is failing, an outage logged once.

A reader's update reads what the bot stored (their language, the chat's
article) and writes the question log. When the database fails (stopped,
unreachable, a full disk, a file deleted under the bot) `Dialogue` answers
without it; this module keeps that quick and the log readable:

- each call gets `CALL_SECONDS`. A database that hangs (packets dropped, not
  refused) would otherwise hold each reader for the driver's own limits
  (asyncpg's: 10 s to connect, 10 s a statement), several times an update;
- once a call has timed out, further calls fail at once without reaching the
  database, but for one every `RETRY_SECONDS`, which finds out when it is
  back. A database that refuses (stopped, a full disk) costs a call next to
  nothing, so each call still tries it, one of a kind at a time, and the
  first after it is back succeeds;
- the outage is logged when it starts (the first failure, as an error) and
  when it ends (with how long it lasted and what was not stored meanwhile),
  not once per message: an hour's outage on a busy bot would otherwise bury
  the log. Each caller logs what it lost at DEBUG.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Literal, ParamSpec, TypeVar

from ..storage.records import StoreError

log = logging.getLogger(__name__)

CALL_SECONDS = 3.0
"""Longest a reader waits on one database call before going on without it; a healthy database answers in milliseconds,
and SQLite's busy timeout (5 s) is longer, so a write that waits on another process's lock that long is given up."""
RETRY_SECONDS = 2.0
"""While the database does not answer in time, one call of each kind (reads, writes) in this many seconds tries it."""

Kind = Literal["read", "write"]
P = ParamSpec("P")
T = TypeVar("T")


class StoreWatch:
    """Runs the store's methods for the conversation, and knows whether the database is failing (one per process)."""

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        call_seconds: float = CALL_SECONDS,
        retry_seconds: float = RETRY_SECONDS,
    ) -> None:
        self._clock = clock
        self.call_seconds = call_seconds
        self.retry_seconds = retry_seconds
        self._retry_at: dict[Kind, float] = {}
        """The kinds of call failing (reads, writes), and when the next of each may try the database."""
        self._since: float | None = None
        """When the outage began; None while the database answers."""
        self._lost: Counter[str] = Counter()
        """Writes not stored during the outage, by what they were."""

    @property
    def failing(self) -> bool:
        return self._since is not None

    async def read(self, method: Callable[P, Awaitable[T]], *args: P.args, **kwargs: P.kwargs) -> T:
        """`method(*args)`'s result, or `StoreError` when the database failed, did not answer in time, or is failing."""
        return await self._call("read", None, method, *args, **kwargs)

    async def write(self, what: str, method: Callable[P, Awaitable[T]], *args: P.args, **kwargs: P.kwargs) -> T:
        """As `read`; `what` names the write ("question log") in the count of those lost that ends the outage."""
        return await self._call("write", what, method, *args, **kwargs)

    async def _call(
        self, kind: Kind, what: str | None, method: Callable[P, Awaitable[T]], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        started = self._clock()
        retry_at = self._retry_at.get(kind)
        if retry_at is not None:
            if started < retry_at:
                self._count(what)
                raise StoreError(f"not tried: the database has been failing for {started - (self._since or started):.0f} s")
            self._retry_at[kind] = started + self.call_seconds  # while this one tries, the others do not
        # A task, not `wait_for`: given up on, the call is cancelled without waiting for its clean-up (a rollback
        # queued behind a statement that waits on a lock, a cancel request to a server that does not answer).
        call = asyncio.ensure_future(method(*args, **kwargs))
        try:
            done, _ = await asyncio.wait({call}, timeout=self.call_seconds)
        except asyncio.CancelledError:
            call.cancel()
            raise
        if not done:
            call.cancel()
            call.add_done_callback(_retrieve)
            error = StoreError(f"no answer within {self.call_seconds:g} s")
            # A database that does not answer a read does not answer a write either.
            self._failed(("read", "write"), what, error, self.retry_seconds)
            raise error
        try:
            result = call.result()
        except StoreError as error:
            self._failed((kind,), what, error, 0.0)
            raise
        self._answered(kind, started)
        return result

    def _count(self, what: str | None) -> None:
        if what is not None:
            self._lost[what] += 1

    def _failed(self, kinds: tuple[Kind, ...], what: str | None, error: StoreError, pause: float) -> None:
        now = self._clock()
        self._count(what)
        for kind in kinds:
            self._retry_at[kind] = now + pause
        if self._since is None:
            self._since = now
            log.error(
                "the database is failing (%s: %s); readers are answered without what it stores until it answers again",
                f"a {what} write" if what else "a read",
                error,
            )

    def _answered(self, kind: Kind, started: float) -> None:
        """A call that began after the outage did succeed: its kind works again, and the outage ends with the last kind."""
        if self._since is None or started < self._since:
            return
        self._retry_at.pop(kind, None)
        if self._retry_at:
            return
        lost = ", ".join(f"{what} ×{count}" for what, count in self._lost.most_common()) or "nothing"
        log.warning("the database answers again after %.0f s; not stored meanwhile: %s", self._clock() - self._since, lost)
        self._since = None
        self._lost.clear()


def _retrieve(call: asyncio.Future) -> None:
    """Collects the result of a call given up on, so asyncio does not log it as never retrieved."""
    if not call.cancelled():
        call.exception()
