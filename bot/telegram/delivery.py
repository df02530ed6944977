"""How requests reach Telegram: its flood limits, and retries when it or the network falters.

python-telegram-bot's `AIORateLimiter` paces outgoing calls (about 30 a
second overall, 20 a minute per group) and, given `max_retries`, waits out a
429's `retry_after` and sends again. It does not retry a 5xx, a timeout or a
dropped connection; `PatientRateLimiter` adds that, with exponential backoff
(capped at a few seconds) for up to `SEND_RETRY_SECONDS` (a minute), so a
reply survives a flaky or absent minute instead of being lost.

`getUpdates` is left to the polling loop, which has its own retry loop; a
400-class error (`BadRequest`, `Forbidden`) is never retried, since sending
the same request again cannot succeed. A request that timed out may in rare
cases have reached Telegram already; a retry then shows the user the answer
twice, which beats showing it never.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import random
import ssl
import time
from collections.abc import Callable, Coroutine
from http import HTTPStatus
from typing import Any

import httpx
from telegram.error import BadRequest, NetworkError
from telegram.ext import AIORateLimiter
from telegram.request import HTTPXRequest

from ..metrics import SEND_FAILURES, SEND_RETRIES

log = logging.getLogger(__name__)

RETRY_AFTER_ATTEMPTS = 5
RETRY_SECONDS = 60.0
FIRST_BACKOFF = 0.5
MAX_BACKOFF = 4.0
"""Short enough that a minute of half-failing sends still gives a reply a dozen tries."""
_NOT_RETRIED = {"getUpdates", "setWebhook", "deleteWebhook", "close", "logOut"}
_OPTIONAL = {"setMyCommands": 4.0}
"""Calls the bot does without, retried only briefly so that a failing one cannot hold up the start."""


class PatientRateLimiter(AIORateLimiter):
    def __init__(
        self,
        messages_per_second: float,
        retry_seconds: float = RETRY_SECONDS,
        sleep: Callable[[float], Coroutine[Any, Any, None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(overall_max_rate=messages_per_second, overall_time_period=1, max_retries=RETRY_AFTER_ATTEMPTS)
        self.retry_seconds = retry_seconds
        """How long a failing call keeps being retried, from its first failure; 0: never."""
        self._sleep = sleep
        self._clock = clock

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        budget = 0 if endpoint in _NOT_RETRIED else min(self.retry_seconds, _OPTIONAL.get(endpoint, self.retry_seconds))
        # The budget starts at the first failure: time spent waiting for a turn under the pace limit is not time
        # failing, and in a burst of replies a slow one would otherwise spend its whole budget in the queue.
        give_up_at: float | None = None
        attempt = 1
        while True:
            try:
                return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)
            except BadRequest:
                if endpoint not in _NOT_RETRIED:
                    SEND_FAILURES.labels(method=endpoint).inc()
                raise
            except NetworkError as error:
                if give_up_at is None:
                    give_up_at = self._clock() + budget
                delay = min(MAX_BACKOFF, FIRST_BACKOFF * 2 ** (attempt - 1)) * random.uniform(0.8, 1.2)
                if self._clock() + delay > give_up_at:
                    if endpoint not in _NOT_RETRIED:
                        SEND_FAILURES.labels(method=endpoint).inc()
                        log.warning("%s to chat %s failed %d times, giving up: %s", endpoint, data.get("chat_id"), attempt, error)
                    raise
                log.info("%s failed (%s); retry %d in %.1f s", endpoint, error, attempt, delay)
                SEND_RETRIES.labels(method=endpoint).inc()
                await self._sleep(delay)
                attempt += 1


@functools.cache
def tls_context() -> ssl.SSLContext:
    """One TLS context for every HTTP client of the process: each would otherwise read the trusted certificates
    again (50 to 100 ms), and an application makes two clients, anew each time it is built."""
    return httpx.create_ssl_context()


class WatchedRequest(HTTPXRequest):
    """python-telegram-bot's HTTP client, telling `on_unauthorized` when Telegram answers 401.

    A token revoked in @BotFather never works again, yet the polling loop
    only logs the rejection and stops polling, leaving a process that is up
    but answers no one. Every request, `getUpdates` included, goes through
    here, so the bot can stop instead.
    """

    def __init__(self, *, connection_pool_size: int) -> None:
        super().__init__(connection_pool_size=connection_pool_size, httpx_kwargs={"verify": tls_context()})
        self.on_unauthorized: Callable[[], None] = lambda: None

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        code, payload = await super().do_request(*args, **kwargs)
        if code == HTTPStatus.UNAUTHORIZED:
            self.on_unauthorized()
        return code, payload
