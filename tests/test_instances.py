"""Two instances end to end: `python -m bot run --webhook` twice, on different ports, sharing one PostgreSQL database.

A conversation's updates are delivered alternately to each, as a load balancer
would: a `/lang` choice made through one is honoured by the other, every
question is logged once, `/stats` counts them all, the flood limit counts
across both, an update Telegram delivers again to the other instance is
answered once, and a `kill -9` of one instance loses nothing the other needs.
"""

from __future__ import annotations

import asyncio
import signal
import time
import uuid
from collections import Counter
from collections.abc import Iterator

import asyncpg
import pytest

from .botrunner import BotProcess
from .fake_telegram import FakeTelegram
from .pg import _admin, database_url, free_port, postgres_server  # noqa: F401  (fixture)
from .test_health import message
from .test_webhook import post

pytestmark = pytest.mark.slow
"""Real bot processes on a real PostgreSQL server."""

SECRET = "two-instances-secret"
USER, FLOODER, ADMIN = 92_001, 92_002, 92_003
LIMIT = 10
"""Messages per user a minute: more than the conversation sends, fewer than the flooder."""


@pytest.fixture
def instances(
    fake: FakeTelegram,
    postgres_server: str,  # noqa: F811
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[list[BotProcess], list[str], str]]:
    name = f"kb_two_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(postgres_server, f"CREATE DATABASE {name}"))
    url = database_url(postgres_server, name)
    processes, hooks = [], []
    try:
        for _ in range(2):
            port = free_port()
            hook = f"http://127.0.0.1:{port}/telegram"
            env = {
                "TELEGRAM_WEBHOOK_URL": hook,
                "TELEGRAM_WEBHOOK_SECRET": SECRET,
                "WEBHOOK_PORT": str(port),
                "DATABASE_URL": url,
                "FLOOD_LIMIT": f"{LIMIT}/60",
                "ADMIN_USER_IDS": str(ADMIN),
                "CONTENT_CHECK_SECONDS": "0",
            }
            processes.append(BotProcess(fake, tmp_path_factory.mktemp("instance"), "--webhook", **env).start())
            hooks.append(hook)
        yield processes, hooks, url
    finally:
        for process in processes:
            process.stop(signal.SIGKILL)
        asyncio.run(_admin(postgres_server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


def replies(fake: FakeTelegram, chat: int, count: int) -> list[str]:
    fake.wait_for(lambda m, p: m == "sendMessage" and p.get("chat_id") == chat, count=count)
    return [sent["text"] for sent in fake.messages_to(chat)]


async def logged(url: str) -> list[tuple[int, str]]:
    db = await asyncpg.connect(url)
    try:
        return [tuple(row) for row in await db.fetch("SELECT user_id, question FROM questions ORDER BY id")]
    finally:
        await db.close()


def test_two_instances_share_choices_log_stats_and_flood_limit(fake: FakeTelegram, instances) -> None:
    processes, hooks, url = instances
    update_id = iter(range(1, 1000))

    def deliver(instance: int, user: int, text: str) -> None:
        assert post(hooks[instance], message(next(update_id), user, text), SECRET) == 200

    deliver(0, USER, "/lang tr")
    assert "Türkçe" in replies(fake, USER, 1)[-1]
    deliver(1, USER, "/lang")
    assert "Türkçe" in replies(fake, USER, 2)[-1]

    questions = ["fascia di stipendio", "salary range", "ricetta della pizza napoletana", "account manager"]
    for i, question in enumerate(questions):
        deliver(i % 2, USER, question)
        replies(fake, USER, 3 + i)
    redelivered = message(next(update_id), USER, questions[0])
    assert [post(hook, redelivered, SECRET) for hook in hooks] == [200, 200], "Telegram's copy reached the other instance"
    answered = 3 + len(questions)
    replies(fake, USER, answered)

    for i in range(LIMIT + 2):
        deliver(i % 2, FLOODER, "/help")
    replies(fake, FLOODER, LIMIT + 1)
    time.sleep(1.5)
    flooder = [sent["text"] for sent in fake.messages_to(FLOODER)]
    assert len(flooder) == LIMIT + 1, "each instance would have let 10 through on its own"
    assert sorted(Counter(flooder).values()) == [1, LIMIT], "the help ten times, then the flood notice once"

    processes[0].stop(signal.SIGKILL)
    deliver(1, USER, "/lang")
    assert "Türkçe" in replies(fake, USER, answered + 1)[-1]
    deliver(1, USER, "salary")
    replies(fake, USER, answered + 2)

    asked = [*questions, questions[0], "salary"]
    assert sorted(asyncio.run(logged(url))) == sorted((USER, q) for q in asked), "the redelivered question once"
    deliver(1, ADMIN, "/stats")
    (stats,) = replies(fake, ADMIN, 1)
    assert f": {len(asked)} " in stats.splitlines()[1], stats
