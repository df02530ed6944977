"""`/healthz` and `/metrics` on the webhook's port: readiness for a load balancer, counters for an operator.

The bot runs as `python -m bot run --webhook` on a real PostgreSQL database
(`tests/pg.py`), against the fake Bot API. Neither page needs the webhook
secret, and neither shows a question, a user or a chat. The last test drops
the database under the running bot: `/healthz` then answers 503.
"""

from __future__ import annotations

import asyncio
import re
import signal
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator

import pytest
from prometheus_client.parser import text_string_to_metric_families

from .botrunner import BotProcess
from .fake_telegram import FakeTelegram
from .pg import _admin, database_url, free_port, postgres_server  # noqa: F401  (fixture)
from .test_webhook import post

pytestmark = pytest.mark.slow
"""Real bot processes on a real PostgreSQL server."""

SECRET = "health-secret"
ASKER, FLOODER = 91_001, 91_002


def message(update_id: int, user: int, text: str) -> dict:
    sender = {"id": user, "is_bot": False, "first_name": "Op", "language_code": "it"}
    chat = {"id": user, "type": "private", "first_name": "Op"}
    sent = {"message_id": update_id, "date": int(time.time()), "chat": chat, "from": sender, "text": text}
    if text.startswith("/"):
        sent["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    return {"update_id": update_id, "message": sent}


def get(url: str) -> tuple[int, str, str]:
    """Status, content type and body of a GET, with no secret header; waits for the server to listen (it does
    so just after registering the webhook, which is when `BotProcess.start` returns)."""
    deadline = time.monotonic() + 20
    while True:
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                return response.status, response.headers.get("Content-Type", ""), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.headers.get("Content-Type", ""), error.read().decode()
        except urllib.error.URLError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


class Bot:
    def __init__(self, base: str, hook: str, database: str, server: str, process: BotProcess) -> None:
        self.base, self.hook, self.database, self.server, self.process = base, hook, database, server, process


@pytest.fixture(scope="module")
def bot(fake: FakeTelegram, postgres_server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bot]:  # noqa: F811
    name = f"kb_health_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(postgres_server, f"CREATE DATABASE {name}"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        "TELEGRAM_WEBHOOK_URL": f"{base}/telegram",
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "WEBHOOK_PORT": str(port),
        "DATABASE_URL": database_url(postgres_server, name),
        "FLOOD_LIMIT": "3/60",
        "CONTENT_CHECK_SECONDS": "0",
    }
    process = BotProcess(fake, tmp_path_factory.mktemp("health"), "--webhook", **env).start()
    yield Bot(base, f"{base}/telegram", name, postgres_server, process)
    process.stop()
    asyncio.run(_admin(postgres_server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


EMBEDDED = r"embedded: (\d+)/55 paragraphs \(\d+%\)\n"
"""`/healthz`'s second line: how far embedding the seeds' paragraphs is (as far as the tests' shared store has them)."""


def test_ready_once_started(bot: Bot) -> None:
    """Ready whatever the vectors: a bot answers on the words while it embeds, so embedding never makes it unready."""
    status, kind, body = get(f"{bot.base}/healthz")
    assert status == 200 and re.fullmatch(f"ok\n{EMBEDDED}", body) and kind.startswith("text/plain")


def metric_values(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_metrics_count_questions_latency_flood_notices_and_reloads(fake: FakeTelegram, bot: Bot) -> None:
    assert post(bot.hook, message(1, ASKER, "fascia di stipendio"), SECRET) == 200
    assert post(bot.hook, message(2, ASKER, "ricetta della pizza napoletana"), SECRET) == 200
    for update_id in range(10, 14):
        assert post(bot.hook, message(update_id, FLOODER, "/help"), SECRET) == 200
    fake.wait_for(lambda m, p: m == "sendMessage" and p.get("chat_id") == ASKER, count=2)
    fake.wait_for(lambda m, p: m == "sendMessage" and p.get("chat_id") == FLOODER, count=4)
    bot.process.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 30
    while True:  # an answer's time is counted once its reply is sent, a moment after Telegram has it
        status, kind, body = get(f"{bot.base}/metrics")
        values = metric_values(body)
        reloaded = values.get(("kb_bot_reloads_total", (("result", "unchanged"),)))
        both_timed = values.get(("kb_bot_answer_seconds_count", ())) == 2
        if (reloaded and both_timed) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert status == 200 and kind.startswith("text/plain; version=")
    assert values[("kb_bot_questions_total", (("language", "it"), ("outcome", "answered")))] == 1
    assert values[("kb_bot_questions_total", (("language", "it"), ("outcome", "unanswered")))] == 1
    assert values[("kb_bot_answer_seconds_count", ())] == 2
    assert 0 < values[("kb_bot_answer_seconds_sum", ())] < 30
    assert values[("kb_bot_answer_seconds_bucket", (("le", "+Inf"),))] == 2
    assert values[("kb_bot_flood_notices_total", ())] == 1
    assert values[("kb_bot_reloads_total", (("result", "unchanged"),))] == 1
    assert not any(name.startswith("kb_bot_telegram_send_failures_total") for name, _ in values)
    words = set(re.split(r'[\s{}=",]+', body))  # a user's id is a word of its own, not digits inside a float's
    for private in ("fascia", "pizza", str(ASKER), str(FLOODER), SECRET):
        assert private not in words and f'"{private}' not in body


def test_neither_page_needs_the_secret_nor_serves_other_methods(bot: Bot) -> None:
    request = urllib.request.Request(f"{bot.base}/metrics", data=b"x", method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 405
    assert post(bot.hook, message(3, ASKER, "fascia di stipendio"), None) == 403


def test_not_ready_when_the_database_does_not_answer(bot: Bot) -> None:
    """Runs last: the database is dropped under the running bot, so a load balancer stops sending it updates."""
    assert get(f"{bot.base}/healthz")[0] == 200
    asyncio.run(_admin(bot.server, f"DROP DATABASE {bot.database} WITH (FORCE)"))
    status, _, body = get(f"{bot.base}/healthz")
    assert status == 503 and re.fullmatch(f"unavailable: database not answering\n{EMBEDDED}", body)
