"""A per-user flood limit, so one person sending a burst cannot starve everyone else.

Telegram paces what the bot sends (see `delivery`); this paces what one user
can make it do. A sliding window per user: the first message over the limit
gets a polite notice, further ones are dropped quietly until the window has
room again, so a flooder gets one notice rather than one per message.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from enum import Enum

from ..config import FloodLimit


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
