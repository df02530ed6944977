"""Outgoing calls: transient failures are retried with backoff, hopeless ones are not."""

from __future__ import annotations

import asyncio

import pytest
from telegram.error import BadRequest, NetworkError, TimedOut

from bot.telegram.delivery import PatientRateLimiter


def call_through(
    limiter: PatientRateLimiter, failures: list[Exception], endpoint: str = "sendMessage"
) -> tuple[object, int, list[float]]:
    attempts = 0
    waits: list[float] = []

    async def callback(*args: object, **kwargs: object) -> bool:
        nonlocal attempts
        attempts += 1
        if failures:
            raise failures.pop(0)
        return True

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    limiter._sleep = sleep
    limiter._clock = lambda: sum(waits)

    async def scenario() -> object:
        await limiter.initialize()
        try:
            return await limiter.process_request(callback, (), {}, endpoint, {"chat_id": 1}, None)
        finally:
            await limiter.shutdown()

    return asyncio.run(scenario()), attempts, waits


def test_timeouts_and_server_errors_are_retried_with_growing_waits() -> None:
    result, attempts, waits = call_through(PatientRateLimiter(30), [TimedOut(), NetworkError("Bad Gateway")])
    assert result is True and attempts == 3
    assert len(waits) == 2 and waits[1] > waits[0]


def test_a_flaky_minute_is_retried_through() -> None:
    """Fifty seconds of failures, then success: delivered, with waits growing to a few seconds, not beyond."""
    failures = [NetworkError("down")] * 15
    result, attempts, waits = call_through(PatientRateLimiter(30), failures)
    assert result is True and attempts == 16
    assert 40 < sum(waits) <= 60
    assert max(waits) <= 4.0 * 1.2


def test_gives_up_after_the_retry_time() -> None:
    limiter = PatientRateLimiter(30, retry_seconds=60)
    with pytest.raises(NetworkError):
        call_through(limiter, [NetworkError("down")] * 1000)
    assert 55 < limiter._clock() <= 60
    with pytest.raises(NetworkError):
        call_through(PatientRateLimiter(30, retry_seconds=0), [NetworkError("down")])


def test_bad_requests_and_polling_are_not_retried() -> None:
    with pytest.raises(BadRequest):
        call_through(PatientRateLimiter(30), [BadRequest("can't parse entities")])
    with pytest.raises(NetworkError):
        call_through(PatientRateLimiter(30), [NetworkError("down")], endpoint="getUpdates")
