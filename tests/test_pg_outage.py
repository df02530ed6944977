"""PostgreSQL stopped under the running bot: `python -m bot run` against the fake Bot API, on a cluster of the test's own.

The server is stopped as an operator's restart does (`pg_ctl stop -m fast`)
while readers keep writing, then started again. Questions are answered from
the index meanwhile; a reader asking to see or change what is stored is told
it cannot be read or saved now, and that nothing is lost; the log says so
once, and once more when the database is back, after which choices are
saved and questions logged again, the ones made before the outage intact.
Then every pooled connection dies unseen (the server's host restarted, say:
`tests/pgproxy.py`), and no reader sees a failure for it. With webhook
workers, one started again while the server is down waits for it, and the
others go on answering.

The cluster is the test's own (`pg.new_cluster`): stopping the session's
server would take every other test's database with it.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from bot.chat.messages import message
from bot.language.languages import profile

from .botrunner import BotProcess, say
from .fake_telegram import FakeTelegram
from .pg import Cluster, new_cluster
from .pgproxy import PostgresProxy
from .test_workers import ask, two_workers, wait_until, workers_of

pytestmark = pytest.mark.slow
"""Real bot processes on a real PostgreSQL server, stopped and started."""

QUESTION, ANSWER = "maaş aralığı nedir", "45.000 ila 85.000"
FAILING, BACK = "the database is failing", "the database answers again"


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    server = new_cluster()
    yield server
    server.remove()


def logged(cluster: Cluster) -> int:
    """Questions in the log, counted on the server directly."""

    async def count() -> int:
        db = await asyncpg.connect(cluster.url)
        try:
            return int(await db.fetchval("SELECT count(*) FROM questions"))
        finally:
            await db.close()

    return asyncio.run(count())


def answered(fake: FakeTelegram, user: int, text: str = QUESTION) -> None:
    (reply,) = say(fake, text, user)
    assert ANSWER in reply["text"], reply["text"]


@pytest.fixture
def bot(fake: FakeTelegram, cluster: Cluster, tmp_path: Path) -> Iterator[tuple[BotProcess, PostgresProxy]]:
    """The bot by long polling, reaching the server through a proxy that can make its connections die unseen."""
    proxy = PostgresProxy(cluster.port)
    process = BotProcess(fake, tmp_path, DATABASE_URL=proxy.url(), LOG_LEVEL="INFO", FLOOD_LIMIT="100/60").start()
    yield process, proxy
    try:
        assert process.stop() == 0, process.log()
    finally:
        proxy.close()


def test_postgresql_stopped_mid_run_costs_readers_their_stored_state_only_and_nothing_is_lost(
    fake: FakeTelegram, cluster: Cluster, bot: tuple[BotProcess, PostgresProxy]
) -> None:
    process, proxy = bot
    reader, newcomer = 95_001, 95_002
    italian = message("it", "lang_set", name=profile("it").native_name)
    (chosen,) = say(fake, "/lang it", reader)
    assert chosen["text"] == italian
    answered(fake, reader)
    assert logged(cluster) == 1

    cluster.stop()
    answered(fake, reader)
    answered(fake, newcomer)
    (menu,) = say(fake, "/lang", reader)
    assert menu["text"] == message("en", "lang_unreadable"), "told their choice is kept, not that it is gone"
    (refused,) = say(fake, "/lang da", reader)
    assert refused["text"] == message("da", "lang_not_saved")
    log = process.log()
    assert log.count(FAILING) == 1 and "Traceback" not in log, log

    cluster.start()
    for asker in range(newcomer + 1, newcomer + 60):  # the first question after the restart finds it back
        if BACK in process.log():
            break
        answered(fake, asker)
        time.sleep(0.5)
    (menu,) = say(fake, "/lang", reader)
    assert menu["text"].startswith(message("it", "lang_current", name=profile("it").native_name)), "the choice survived"
    before = logged(cluster)
    (saved,) = say(fake, "/lang da", reader)
    assert saved["text"] == message("da", "lang_set", name=profile("da").native_name)
    answered(fake, reader)
    assert logged(cluster) == before + 1
    log = process.log()
    assert log.count(FAILING) == 1 and log.count(BACK) == 1
    assert "not stored meanwhile: " in log and "question log ×" in log and "language choice ×1" in log

    readers = range(95_200, 95_206)
    for user in readers:  # at once: several pooled connections
        fake.user_message(QUESTION, user_id=user)
    for user in readers:
        fake.wait_for(lambda m, p, user=user: m == "sendMessage" and p.get("chat_id") == user)
    assert proxy.forget() >= 2
    (saved,) = say(fake, "/lang tr", reader)
    assert saved["text"] == message("tr", "lang_set", name=profile("tr").native_name), "not 'could not save'"
    answered(fake, reader)
    assert logged(cluster) == before + 1 + len(readers) + 1
    assert process.log().count(FAILING) == 1, "connections that died unseen are no outage"


def test_a_webhook_worker_started_again_while_postgresql_is_down_waits_for_it(
    fake: FakeTelegram, cluster: Cluster, tmp_path: Path
) -> None:
    """It used to stop with status 2, and the supervisor then stopped every worker: the bot went silent. Its workers
    are started again after a quarter of a second, doubling, not one (`tests/hurried.py`): most of the test's time
    went to those pauses."""
    hurried = {"entry": "tests.hurried", "KB_TEST_HURRY": "restarts"}
    with two_workers(fake, tmp_path, DATABASE_URL=cluster.url, LOG_LEVEL="INFO", **hurried) as running:
        parent = running.process.process
        assert parent is not None
        assert ANSWER in ask(fake, running, 95_101, QUESTION)
        cluster.stop()
        killed = max(workers_of(parent.pid))
        os.kill(killed, signal.SIGKILL)
        wait_until(lambda: running.process.log().count("ended with status 1") >= 2)
        assert parent.poll() is None, running.process.log()
        assert ANSWER in ask(fake, running, 95_102, QUESTION), "the other worker answers meanwhile"

        cluster.start()
        wait_until(lambda: running.process.log().count("Application started") == 3, timeout=60)
        for user in range(95_110, 95_116):
            assert ANSWER in ask(fake, running, user, QUESTION)
        assert logged(cluster) == 1 + 6, "both log again; the question answered during the outage is not logged"
        running.process.send_signal(signal.SIGTERM)
        assert parent.wait(30) == 0
