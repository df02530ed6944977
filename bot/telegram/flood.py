"""A per-user flood limit, so one person sending a burst cannot starve everyone else.

Telegram paces what the bot sends (see `delivery`); this paces what one user
can make it do. A sliding window per user: the first message over the limit
gets a polite notice, further ones are dropped quietly until the window has
room again, so a flooder gets one notice rather than one per message.

`FloodGuard` counts in this process (SQLite: one instance, or each its own).
`SharedFloodGuard` counts in the PostgreSQL database every instance shares,
so the limit holds per user however updates are spread over instances; while
that database fails, each process counts on its own again.

Inline queries are counted apart from messages (`Settings.inline_flood_limit`):
Telegram sends one per pause in typing `@bot question`, and a reader who
shares a few answers has not flooded the chat with the bot.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable
from enum import Enum
from typing import Protocol

from ..chat.outage import StoreWatch
from ..config import FloodLimit
from ..storage.records import FloodScope, StoreError

log = logging.getLogger(__name__)


class Admission(Enum):
    ANSWER = "answer"
    NOTIFY = "notify"
    """Over the limit for the first time in this window: tell the user to slow down."""
    DROP = "drop"


class FloodGuard:
    SWEEP_EVERY = 10_000
    """Admissions between sweeps of idle users, so memory follows active users only."""

    def __init__(self, limit: FloodLimit, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self._clock = clock
        self._recent: dict[int, deque[float]] = {}
        self._notified: set[int] = set()
        self._since_sweep = 0

    async def check(self, user_id: int) -> Admission:
        return self.admit(user_id)

    def admit(self, user_id: int) -> Admission:
        if self.limit.messages <= 0:
            return Admission.ANSWER
        now = self._clock()
        self._sweep(now)
        recent = self._recent.setdefault(user_id, deque())
        while recent and recent[0] <= now - self.limit.seconds:
            recent.popleft()
        if len(recent) < self.limit.messages:
            recent.append(now)
            self._notified.discard(user_id)
            return Admission.ANSWER
        if user_id in self._notified:
            return Admission.DROP
        self._notified.add(user_id)
        return Admission.NOTIFY

    def _sweep(self, now: float) -> None:
        self._since_sweep += 1
        if self._since_sweep < self.SWEEP_EVERY:
            return
        self._since_sweep = 0
        idle = [user for user, recent in self._recent.items() if not recent or recent[-1] <= now - self.limit.seconds]
        for user in idle:
            del self._recent[user]
            self._notified.discard(user)


class FloodCounters(Protocol):
    async def flood_admit(self, user_id: int, messages: int, seconds: float, scope: FloodScope) -> str: ...


class SharedFloodGuard:
    """The same limit, counted in the database every instance shares (`pgstore.PostgresStore.flood_admit`).

    When the database does not answer, this process counts by itself
    (`FloodGuard`) until it does: a flooder spreading messages over several
    instances then gets the limit from each, which still bounds them, where
    refusing everyone would cost more than it saves. The outage is logged
    once, by `watch`.
    """

    def __init__(
        self, limit: FloodLimit, counters: FloodCounters, scope: FloodScope = "message", watch: StoreWatch | None = None
    ) -> None:
        self.limit = limit
        self._counters = counters
        self._scope = scope
        self._watch = watch or StoreWatch()
        self._alone = FloodGuard(limit)

    async def check(self, user_id: int) -> Admission:
        if self.limit.messages <= 0:
            return Admission.ANSWER
        try:
            outcome = await self._watch.write(
                "flood count", self._counters.flood_admit, user_id, self.limit.messages, self.limit.seconds, self._scope
            )
        except StoreError as error:
            log.debug("flood limit for user %s counted by this process alone: %s", user_id, error)
            return self._alone.admit(user_id)
        return Admission(outcome)
