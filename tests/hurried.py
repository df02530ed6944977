"""`python -m tests.hurried run`: the real bot with some of its own waits shortened, for the tests that sit them out.

A test hook, not a setting: `KB_TEST_HURRY` names what is hurried,
comma-separated. Each keeps what the tests using it prove (that the bot
retries, closes, restarts), not the length of the wait:

- `retries`: a failed send is retried on a clock `RETRY_SPEED` times as
  fast, the waits between its attempts and the time it keeps trying
  (`SEND_RETRY_SECONDS`) alike, so a reply gets as many attempts, spaced in
  the same proportions, in a quarter of the time; the HTTP timeouts, the
  polling loop's back-off and the pace limit keep to real time (the real
  waits: `tests/test_delivery.py`). It imports prometheus_client, so not with
  `--workers`, which must count the metrics across processes first;
- `timeouts`: the webhook closes a connection that has not sent a request's
  headers within `HEADER_SECONDS`, or its body within `BODY_SECONDS`, not
  after 5 and 10 s;
- `restarts`: a webhook worker that died is started again after
  `RESTART_SECONDS`, doubling while it keeps dying, not after 1 s (the
  doubling: `tests/test_workers.py`).
"""

from __future__ import annotations

import asyncio
import os
import sys
import time

RETRY_SPEED = 4.0
"""Four: a send failing over and over still gets its budget's 15 attempts or so when a loaded machine takes a tenth of
a second to answer each (that time runs four times as fast too)."""
HEADER_SECONDS, BODY_SECONDS = 1.0, 2.0
RESTART_SECONDS = (0.25, 30.0)


async def _retry_sleep(seconds: float) -> None:
    await asyncio.sleep(seconds / RETRY_SPEED)


def _retry_clock() -> float:
    return time.monotonic() * RETRY_SPEED


def _hurry_retries() -> None:
    from bot.telegram import delivery

    class FasterRetries(delivery.PatientRateLimiter):
        def __init__(self, messages_per_second: float, retry_seconds: float = delivery.RETRY_SECONDS) -> None:
            super().__init__(messages_per_second, retry_seconds, sleep=_retry_sleep, clock=_retry_clock)

    delivery.PatientRateLimiter = FasterRetries  # type: ignore[misc]


def _hurry_timeouts() -> None:
    from bot.telegram import connections

    connections.HEADER_SECONDS, connections.BODY_SECONDS = HEADER_SECONDS, BODY_SECONDS


def _hurry_restarts() -> None:
    from bot.telegram import workers

    workers.RESTART_SECONDS = RESTART_SECONDS


HURRIES = {"retries": _hurry_retries, "timeouts": _hurry_timeouts, "restarts": _hurry_restarts}


if __name__ == "__main__":
    for name in os.environ["KB_TEST_HURRY"].split(","):
        HURRIES[name]()
    from bot.cli import main

    sys.exit(main())
