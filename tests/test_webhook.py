"""`run --webhook`: updates posted to the bot's own HTTP endpoint, accepted only with the secret token."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest
from telegram import Bot
from tornado.httpclient import AsyncHTTPClient
from tornado.httpserver import HTTPServer

from bot.telegram import app
from bot.telegram.context import BotData
from bot.telegram.webhook import Deliveries, GuardedWebhookApp, SeenUpdates, alone

from .botrunner import BotProcess
from .fake_telegram import TOKEN, FakeTelegram

SECRET = "s3cret-token_for-tests"
USER = 90_001


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def webhook(fake: FakeTelegram, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram"
    env = {
        "TELEGRAM_WEBHOOK_URL": url,
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "WEBHOOK_LISTEN": "127.0.0.1",
        "WEBHOOK_PORT": str(port),
    }
    process = BotProcess(fake, tmp_path_factory.mktemp("webhook"), "--webhook", **env).start()
    yield url
    assert process.stop() == 0, process.log()


def post(url: str, update: dict, secret: str | None) -> int:
    """POST an update as Telegram would; the HTTP status the bot answered."""
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    request = urllib.request.Request(url, data=json.dumps(update).encode(), headers=headers, method="POST")
    deadline = time.monotonic() + 20
    while True:
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code
        except urllib.error.URLError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def update(update_id: int, text: str) -> dict:
    user = {"id": USER, "is_bot": False, "first_name": "Web", "language_code": "it"}
    chat = {"id": USER, "type": "private", "first_name": "Web"}
    return {
        "update_id": update_id,
        "message": {"message_id": update_id, "date": int(time.time()), "chat": chat, "from": user, "text": text},
    }


@pytest.mark.slow
def test_webhook_is_registered_with_its_secret(fake: FakeTelegram, webhook: str) -> None:
    (registered,) = fake.wait_for(lambda m, p: m == "setWebhook")
    assert registered["url"] == webhook
    assert registered["secret_token"] == SECRET


@pytest.mark.slow
def test_update_with_the_secret_is_answered(fake: FakeTelegram, webhook: str) -> None:
    assert post(webhook, update(1, "fascia di stipendio"), SECRET) == 200
    (reply,) = fake.wait_for(lambda m, p: m == "sendMessage" and p.get("chat_id") == USER)
    assert reply["text"].startswith("<b>Esempi di ruoli di Account Manager</b>")


@pytest.mark.slow
@pytest.mark.parametrize("secret", [None, "wrong"])
def test_update_without_the_right_secret_is_refused(fake: FakeTelegram, webhook: str, secret: str | None) -> None:
    before = len(fake.messages_to(USER))
    assert post(webhook, update(100 + len(str(secret)), "fascia di stipendio"), secret) == 403
    time.sleep(1)
    assert len(fake.messages_to(USER)) == before


@pytest.mark.slow
def test_the_same_update_delivered_twice_is_answered_once(fake: FakeTelegram, webhook: str) -> None:
    """Telegram redelivers an update when it saw no timely 200; the second copy is acknowledged, not answered."""
    before = len(fake.messages_to(USER))
    twice = update(500, "fascia di stipendio")
    assert post(webhook, twice, SECRET) == 200
    fake.wait_for(lambda m, p: m == "sendMessage" and p.get("chat_id") == USER, count=before + 1)
    assert post(webhook, twice, SECRET) == 200
    assert post(webhook, update(501, "fascia di stipendio"), SECRET) == 200
    fake.wait_for(lambda m, p: m == "sendMessage" and p.get("chat_id") == USER, count=before + 2)
    time.sleep(1)
    assert len(fake.messages_to(USER)) == before + 2


class FailingStore:
    """A shared store whose delivery check raises `failure`, past the `StoreError` the others are wrapped in."""

    shared_by_instances = True

    def __init__(self, failure: Exception) -> None:
        self.failure = failure

    async def first_delivery(self, update_id: int, window_seconds: float) -> bool:
        raise self.failure


class FailsOnce(asyncio.Queue):
    """An update queue whose first `put` fails."""

    def __init__(self) -> None:
        super().__init__()
        self.failed = False

    async def put(self, item: object) -> None:
        if not self.failed:
            self.failed = True
            raise RuntimeError("queue unavailable")
        await super().put(item)


def deliver_twice(elsewhere: Deliveries, queue: asyncio.Queue) -> tuple[list[int], int]:
    """Post one update to the webhook server in process, as Telegram would, then again as its redelivery:
    the status of each, and how many updates were queued for handling."""

    async def scenario() -> tuple[list[int], int]:
        server = HTTPServer(GuardedWebhookApp("/telegram", Bot(TOKEN), queue, SECRET, elsewhere=elsewhere))
        listening = socket.create_server(("127.0.0.1", 0))
        listening.setblocking(False)
        server.add_sockets([listening])
        url = f"http://127.0.0.1:{listening.getsockname()[1]}/telegram"
        headers = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET}
        statuses = []
        try:
            for _ in range(2):
                response = await AsyncHTTPClient().fetch(
                    url, method="POST", body=json.dumps(update(700, "fascia di stipendio")), headers=headers, raise_error=False
                )
                statuses.append(response.code)
        finally:
            server.stop()
            await server.close_all_connections()
        return statuses, queue.qsize()

    return asyncio.run(scenario())


@pytest.mark.parametrize(
    "failure",
    [
        asyncpg.InternalClientError("cannot switch to state 12; another operation (state 7) is in progress"),
        RuntimeError("a bug"),
        ConnectionResetError("dropped"),
    ],
)
def test_a_delivery_check_failing_in_any_way_has_the_update_handled_once(failure: Exception) -> None:
    """The shared check raised past `StoreError`: the update got 500, yet counted as seen, so Telegram's copy got 200
    and nobody handled it. Now a check that fails means "handle it", acknowledged with 200, and the copy is not."""
    shared = BotData()
    shared.store = FailingStore(failure)
    assert deliver_twice(lambda update_id: app._first_delivery(shared, update_id), asyncio.Queue()) == ([200, 200], 1)


def test_an_update_not_queued_is_handled_when_telegram_sends_it_again() -> None:
    """Counted as seen only once queued: the first delivery fails (500), Telegram's copy is handled."""
    assert deliver_twice(alone, FailsOnce()) == ([500, 200], 1)


def headers_only(url: str, secret: str, length: int) -> bytes:
    """Send a POST's headers announcing a `length`-byte body, and none of the body: the bot's answer, if any."""
    parts = urllib.parse.urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as connection:
        connection.sendall(
            (
                f"POST {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Type: application/json\r\n"
                f"X-Telegram-Bot-Api-Secret-Token: {secret}\r\nContent-Length: {length}\r\n\r\n"
            ).encode()
        )
        answer = b""
        with contextlib.suppress(TimeoutError, ConnectionError):
            while chunk := connection.recv(65536):
                answer += chunk
        return answer


@pytest.mark.slow
def test_a_wrong_secret_is_refused_before_the_body_is_read(webhook: str) -> None:
    """403 comes back though the announced 10 MB were never sent: the bot did not wait to read them."""
    answer = headers_only(webhook, "wrong", 10_000_000)
    assert answer.startswith(b"HTTP/1.1 403 ")


@pytest.mark.slow
def test_a_body_over_the_limit_is_refused_with_413(fake: FakeTelegram, webhook: str) -> None:
    assert headers_only(webhook, SECRET, 10_000_000).startswith(b"HTTP/1.1 413 ")
    before = len(fake.messages_to(USER))
    assert post(webhook, update(601, "fascia di stipendio"), SECRET) == 200
    fake.wait_for(lambda m, p: m == "sendMessage" and p.get("chat_id") == USER, count=before + 1)


def test_seen_updates_forget_after_the_window_and_stay_bounded() -> None:
    now = [0.0]
    seen = SeenUpdates(seconds=60, limit=3, clock=lambda: now[0])
    assert seen.first_time(1) and not seen.first_time(1)
    now[0] = 61
    assert seen.first_time(1)
    for update_id in range(2, 10):
        assert seen.first_time(update_id)
    assert len(seen) == 3


@pytest.mark.slow
def test_webhook_without_url_exits_with_a_message(tmp_path: Path) -> None:
    fake = FakeTelegram().start()
    try:
        process = BotProcess(fake, tmp_path, "--webhook", TELEGRAM_WEBHOOK_URL="")
        with pytest.raises(AssertionError, match="TELEGRAM_WEBHOOK_URL"):
            process.start()
        assert process.process is not None and process.process.wait(10) == 2
    finally:
        fake.stop()


@pytest.mark.slow
def test_healthz_and_metrics_answer_without_the_secret_on_sqlite(webhook: str) -> None:
    """The same pages on the default backend (tests/test_health.py covers them in depth, on PostgreSQL).

    The webhook is registered a moment before its server listens, so the probe is asked until it answers,
    as a load balancer would.
    """
    base = webhook.rsplit("/", 1)[0]
    deadline = time.monotonic() + 20
    while True:
        try:
            urllib.request.urlopen(f"{base}/healthz", timeout=10).close()
            break
        except urllib.error.URLError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    with urllib.request.urlopen(f"{base}/healthz", timeout=10) as response:
        assert response.status == 200 and re.fullmatch(rb"ok\nembedded: \d+/55 paragraphs \(\d+%\)\n", response.read())
    with urllib.request.urlopen(f"{base}/metrics", timeout=10) as response:
        assert response.status == 200 and b"# TYPE kb_bot_questions_total counter" in response.read()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("listen", "reason"),
    [("127.0.0.1", "Address already in use"), ("192.0.2.1", "Cannot assign requested address")],
    ids=["port in use", "not this host's address"],
)
def test_a_port_that_cannot_be_listened_on_is_one_line_before_telegram_hears_of_the_bot(
    fake: FakeTelegram, tmp_path: Path, listen: str, reason: str
) -> None:
    """The port is bound before anything else: a traceback came after the webhook was registered with Telegram."""
    asked = len(fake.calls)
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        env = {"TELEGRAM_WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram", "WEBHOOK_LISTEN": listen, "WEBHOOK_PORT": str(port)}
        done = subprocess.run(
            [sys.executable, "-m", "bot", "run", "--webhook"],
            cwd=tmp_path,
            env=BotProcess(fake, tmp_path, **env).env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 2
    assert done.stderr.splitlines() == [f"WEBHOOK_LISTEN={listen} WEBHOOK_PORT={port}: cannot listen there: {reason}"]
    assert len(fake.calls) == asked
