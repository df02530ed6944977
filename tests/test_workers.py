"""Webhook workers: `python -m bot run --webhook --workers 2`, forked from one process that loaded the index.

The real bot against the fake Bot API, on SQLite: both workers answer on the
one port with the one secret (made at random by the parent when none is
set), the webhook is registered once, `/metrics` counts every worker's
answers whichever worker is asked, a worker killed with SIGKILL is replaced
while the other keeps answering, SIGHUP reloads every worker, and SIGTERM stops
everything with status 0.
The supervisor's rules are also tested in process, with workers that only
return a status.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.telegram import workers

from .botrunner import BotProcess
from .conftest import SEEDS
from .fake_telegram import FakeTelegram
from .pg import free_port
from .test_health import get, message
from .test_webhook import post

QUESTIONS = ["fascia di stipendio", "maaş aralığı nedir", "диапазон зарплат", "hvad laver en kundechef", "pizza tarifi"]


def workers_of(pid: int) -> set[int]:
    """The bot's workers: its children running the bot (not multiprocessing's resource tracker, say)."""
    found = set()
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        with contextlib.suppress(FileNotFoundError):
            if b"bot\0run" in Path(f"/proc/{child}/cmdline").read_bytes():
                found.add(int(child))
    return found


def wait_until(condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def answered(text: str) -> float:
    """`kb_bot_questions_total` over every language and outcome, from one `/metrics` page."""
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        if family.name == "kb_bot_questions"
        for sample in family.samples
        if sample.name == "kb_bot_questions_total"
    )


@pytest.fixture
def bot(fake: FakeTelegram, tmp_path: Path) -> Iterator[tuple[BotProcess, str]]:
    port = free_port()
    hook = f"http://127.0.0.1:{port}/telegram"
    content = tmp_path / "content"
    shutil.copytree(SEEDS, content)
    env = {"TELEGRAM_WEBHOOK_URL": hook, "WEBHOOK_PORT": str(port), "CONTENT_CHECK_SECONDS": "0", "FLOOD_LIMIT": "off"}
    env |= {"CONTENT_DIR": str(content), "CACHE_DIR": str(tmp_path / "cache")}
    process = BotProcess(fake, tmp_path, "--webhook", "--workers", "2", **env).start()
    assert process.process is not None
    try:
        yield process, hook
    finally:
        left = workers_of(process.process.pid) if process.process.poll() is None else set()
        process.stop(signal.SIGKILL)
        for pid in left:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


@pytest.mark.slow
def test_workers_share_one_port_one_secret_and_their_counts(fake: FakeTelegram, bot) -> None:
    process, hook = bot
    assert process.process is not None
    wait_until(lambda: len(workers_of(process.process.pid)) == 2)
    registered = [p for m, p in fake.calls if m == "setWebhook" and p.get("url") == hook]
    assert len(registered) == 1, "one worker registers the webhook, not each"
    secret = registered[0]["secret_token"]

    users = range(93_001, 93_041)
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda user: post(hook, message(user, user, QUESTIONS[user % len(QUESTIONS)]), secret), users))
    assert statuses == [200] * len(users), "every worker checks the secret the parent made"
    for user in users:
        fake.wait_for(lambda m, p, user=user: m == "sendMessage" and p.get("chat_id") == user)
    assert all(len(fake.messages_to(user)) == 1 for user in users), "each question answered once"
    log = process.log()
    assert "(worker 0)" in log and "(worker 1)" in log, "both workers answered, each naming itself"

    base = hook.rsplit("/", 1)[0]
    pages = [get(f"{base}/metrics")[2] for _ in range(6)]
    assert {answered(page) for page in pages} == {len(users)}, "whichever worker serves /metrics counts them all"


@pytest.mark.slow
def test_a_killed_worker_is_replaced_and_sigterm_stops_all(fake: FakeTelegram, bot) -> None:
    process, hook = bot
    assert process.process is not None
    wait_until(lambda: len(workers_of(process.process.pid)) == 2)
    secret = next(p for m, p in fake.calls if m == "setWebhook" and p.get("url") == hook)["secret_token"]
    first = workers_of(process.process.pid)
    killed = min(first)
    os.kill(killed, signal.SIGKILL)
    assert post(hook, message(93_100, 93_100, QUESTIONS[0]), secret) == 200, "the other worker answers meanwhile"
    fake.wait_for(lambda m, p: m == "sendMessage" and p.get("chat_id") == 93_100)
    wait_until(lambda: len(workers_of(process.process.pid) - {killed}) == 2)
    assert "starting it again" in process.log()

    everyone = first | workers_of(process.process.pid)
    assert process.stop(signal.SIGTERM) == 0
    wait_until(lambda: not any(Path(f"/proc/{pid}").exists() for pid in everyone))
    assert "stopped." in process.log()


@pytest.mark.slow
def test_workers_end_with_a_parent_killed_with_sigkill(bot) -> None:
    """Orphans would hold the port and answer from an index nobody reloads: the bot could not be started again."""
    process, _ = bot
    assert process.process is not None
    wait_until(lambda: len(workers_of(process.process.pid)) == 2)
    orphans = workers_of(process.process.pid)
    process.stop(signal.SIGKILL)
    wait_until(lambda: not any(Path(f"/proc/{pid}").exists() for pid in orphans), timeout=15)


@pytest.mark.slow
def test_sighup_reloads_every_worker(fake: FakeTelegram, bot) -> None:
    process, hook = bot
    assert process.process is not None
    wait_until(lambda: len(workers_of(process.process.pid)) == 2)
    secret = next(p for m, p in fake.calls if m == "setWebhook" and p.get("url") == hook)["secret_token"]
    content = Path(process.env["CONTENT_DIR"])
    (content / "tea.it.md").write_text(
        "---\ntitle: Tè\n---\n# Tè\n## Infusione\nIl tè verde si lascia in infusione tre minuti.\n", encoding="utf-8"
    )
    process.send_signal(signal.SIGHUP)
    wait_until(lambda: process.log().count("content reloaded") == 2)
    for user in range(93_200, 93_206):
        assert post(hook, message(user, user, "quanti minuti di infusione per il tè"), secret) == 200
        fake.wait_for(lambda m, p, user=user: m == "sendMessage" and p.get("chat_id") == user)
        assert "Il tè verde si lascia" in fake.messages_to(user)[0]["text"], "every worker answers from the new index"


@pytest.mark.slow
def test_workers_need_the_webhook(fake: FakeTelegram, tmp_path: Path) -> None:
    """Only one process may poll Telegram for a bot's updates."""
    env = BotProcess(fake, tmp_path).env
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run", "--workers", "2"], env=env, cwd=tmp_path, capture_output=True, text=True
    )
    assert result.returncode == 2
    assert "--workers needs --webhook" in result.stderr


def test_a_worker_that_cannot_go_on_stops_them_all_with_its_status() -> None:
    """A token Telegram rejected is rejected for every worker: no restart loop, and the process exits 2."""

    def work(number: int) -> int:
        if number == 0:
            return workers.UNRECOVERABLE
        signal.pause()
        return 0

    assert workers.fork_workers(2, work, restart_seconds=0) == workers.UNRECOVERABLE


def test_a_worker_that_dies_is_started_again(tmp_path: Path) -> None:
    """Killed or crashed, a worker comes back; the supervisor ends when each has stopped as asked."""
    starts = tmp_path / "starts"

    def work(number: int) -> int:
        with starts.open("a") as record:
            record.write(f"{number}\n")
        if len(starts.read_text().split()) < 3:
            os.kill(os.getpid(), signal.SIGKILL)
        os.kill(os.getppid(), signal.SIGTERM)
        return 0

    assert workers.fork_workers(1, work, restart_seconds=0) == 0
    assert starts.read_text().split() == ["0", "0", "0"]
