"""`run --webhook`: updates posted to the bot's own HTTP endpoint, accepted only with the secret token."""

from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from .botrunner import BotProcess
from .fake_telegram import FakeTelegram

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


def test_webhook_is_registered_with_its_secret(fake: FakeTelegram, webhook: str) -> None:
    (registered,) = fake.wait_for(lambda m, p: m == "setWebhook")
    assert registered["url"] == webhook
    assert registered["secret_token"] == SECRET


def test_update_with_the_secret_is_answered(fake: FakeTelegram, webhook: str) -> None:
    assert post(webhook, update(1, "fascia di stipendio"), SECRET) == 200
    (reply,) = fake.wait_for(lambda m, p: m == "sendMessage" and p.get("chat_id") == USER)
    assert reply["text"].startswith("<b>Esempi di ruoli di Account Manager</b>")


@pytest.mark.parametrize("secret", [None, "wrong"])
def test_update_without_the_right_secret_is_refused(fake: FakeTelegram, webhook: str, secret: str | None) -> None:
    before = len(fake.messages_to(USER))
    assert post(webhook, update(100 + len(str(secret)), "fascia di stipendio"), secret) == 403
    time.sleep(1)
    assert len(fake.messages_to(USER)) == before


def test_webhook_without_url_exits_with_a_message(tmp_path: Path) -> None:
    fake = FakeTelegram().start()
    try:
        process = BotProcess(fake, tmp_path, "--webhook", TELEGRAM_WEBHOOK_URL="")
        with pytest.raises(AssertionError, match="TELEGRAM_WEBHOOK_URL"):
            process.start()
        assert process.process is not None and process.process.wait(10) == 2
    finally:
        fake.stop()
