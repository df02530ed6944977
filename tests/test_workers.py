"""Webhook workers: `python -m bot run --webhook --workers 2`, forked from one process that loaded the index.

The real bot against the fake Bot API, on SQLite: both workers answer on the
one port with the one secret (made at random by the parent when none is
set), the webhook and the command menus are registered once, `/metrics`
counts every worker's answers whichever worker is asked, a worker killed
with SIGKILL is replaced while the other keeps answering and catches up with
the content, a reload in one worker or a SIGHUP reloads them all, SIGTERM or
a Ctrl-C to the whole group stops everything cleanly with status 0, and every
test's bot ends with a SIGKILL of the parent, which its workers must not
outlive. The supervisor's rules are also tested in process, with workers
that only return a status.
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
from dataclasses import dataclass
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
    """The bot's workers: its children forked to run what it runs, its command line theirs (not multiprocessing's
    resource tracker, say)."""
    command = Path(f"/proc/{pid}/cmdline").read_bytes()
    found = set()
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        with contextlib.suppress(FileNotFoundError):
            if Path(f"/proc/{child}/cmdline").read_bytes() == command:
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


ADMIN = 93_999
TEA = "---\ntitle: Tè\n---\n# Tè\n## Infusione\nIl tè {colour} si lascia in infusione {minutes} minuti.\n"


@dataclass
class Running:
    process: BotProcess
    hook: str
    secret: str
    menus_before: int
    """`setMyCommands` calls the fake had seen before this bot started."""


@contextlib.contextmanager
def two_workers(fake: FakeTelegram, workdir: Path, **env: str) -> Iterator[Running]:
    """Two workers, both started; the parent is killed with SIGKILL after, and its workers must not outlive it:
    orphans would hold the port and answer from an index nobody reloads, so the bot could not be started again."""
    port = free_port()
    hook = f"http://127.0.0.1:{port}/telegram"
    env = {"TELEGRAM_WEBHOOK_URL": hook, "WEBHOOK_PORT": str(port), "CONTENT_CHECK_SECONDS": "0", "FLOOD_LIMIT": "off"} | env
    menus_before = fake.count("setMyCommands")
    process = BotProcess(fake, workdir, "--webhook", "--workers", "2", ADMIN_USER_IDS=str(ADMIN), **env).start()
    assert process.process is not None
    try:
        wait_until(lambda: process.log().count("Application started") == 2)
        secret = next(p for m, p in fake.calls if m == "setWebhook" and p.get("url") == hook)["secret_token"]
        yield Running(process, hook, secret, menus_before)
    finally:
        left = workers_of(process.process.pid) if process.process.poll() is None else set()
        process.stop(signal.SIGKILL)
        try:
            wait_until(lambda: not any(Path(f"/proc/{pid}").exists() for pid in left), timeout=15)
        finally:
            for pid in left:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)


@pytest.fixture
def bot(fake: FakeTelegram, tmp_path: Path) -> Iterator[Running]:
    """Two workers on the seeds (their index already cached by the other tests' bots)."""
    with two_workers(fake, tmp_path) as running:
        yield running


@pytest.fixture
def limited_bot(fake: FakeTelegram, tmp_path: Path) -> Iterator[Running]:
    """Two workers on one SQLite file, three messages a minute a reader."""
    with two_workers(fake, tmp_path, FLOOD_LIMIT="3/60") as running:
        yield running


@pytest.fixture
def editable_bot(fake: FakeTelegram, tmp_path: Path) -> Iterator[Running]:
    """Two workers on a copy of the seeds that a test may edit."""
    content = tmp_path / "content"
    shutil.copytree(SEEDS, content)
    with two_workers(fake, tmp_path, CONTENT_DIR=str(content), CACHE_DIR=str(tmp_path / "cache")) as running:
        yield running


def ask(fake: FakeTelegram, bot: Running, user: int, text: str) -> str:
    """The bot's reply to `text` from `user`, delivered through the webhook."""
    assert post(bot.hook, message(user, user, text), bot.secret) == 200
    fake.wait_for(lambda m, p: m == "sendMessage" and p.get("chat_id") == user)
    return fake.messages_to(user)[-1]["text"]


def tea(bot: Running, colour: str, minutes: str) -> None:
    """An article added to (or changed in) the bot's content folder."""
    (Path(bot.process.env["CONTENT_DIR"]) / "tea.it.md").write_text(TEA.format(colour=colour, minutes=minutes), encoding="utf-8")


def reloads(bot: Running) -> int:
    return bot.process.log().count("content reloaded")


@pytest.mark.slow
def test_workers_share_one_port_one_secret_their_counts_and_the_flood_limit(fake: FakeTelegram, limited_bot: Running) -> None:
    """Also on one SQLite file: a reader's messages reach either worker, yet one limit holds for all, with one
    notice; Telegram's copies of one update reach either worker, yet it is answered once."""
    bot = limited_bot
    assert bot.process.process is not None
    assert len(workers_of(bot.process.process.pid)) == 2
    assert len([p for m, p in fake.calls if m == "setWebhook" and p.get("url") == bot.hook]) == 1, "one registers it"
    menus = 2 * (1 + 5)
    """The default menu and one per content language, for everyone and for the admin."""
    assert fake.count("setMyCommands") - bot.menus_before == menus, "one worker sets the command menus, not each"

    users = range(93_001, 93_041)
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        statuses = list(
            pool.map(lambda user: post(bot.hook, message(user, user, QUESTIONS[user % len(QUESTIONS)]), bot.secret), users)
        )
    assert statuses == [200] * len(users), "every worker checks the secret the parent made"
    for user in users:
        fake.wait_for(lambda m, p, user=user: m == "sendMessage" and p.get("chat_id") == user)
    assert all(len(fake.messages_to(user)) == 1 for user in users), "each question answered once"

    base = bot.hook.rsplit("/", 1)[0]
    pages = [get(f"{base}/metrics")[2] for _ in range(6)]
    assert {answered(page) for page in pages} == {len(users)}, "whichever worker serves /metrics counts them all"

    flooder, reader = 93_300, 93_301
    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        list(pool.map(lambda i: post(bot.hook, message(93_400 + i, flooder, "/help"), bot.secret), range(6)))
    fake.wait_for(lambda m, p: m == "sendMessage" and p.get("chat_id") == flooder, count=4)
    copy = message(93_500, reader, QUESTIONS[0])
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        assert list(pool.map(lambda _: post(bot.hook, copy, bot.secret), range(4))) == [200] * 4
    fake.wait_for(lambda m, p: m == "sendMessage" and p.get("chat_id") == reader)
    time.sleep(1.5)
    assert len(fake.messages_to(flooder)) == 4, "three answers and one notice, not three per worker"
    assert len(fake.messages_to(reader)) == 1, "the same update delivered four times is answered once"


@pytest.mark.slow
def test_a_killed_worker_is_replaced_and_catches_up_with_the_content(fake: FakeTelegram, editable_bot: Running) -> None:
    """Forked again from the index the parent loaded at start, the new worker reloads, and has the other reload too."""
    assert editable_bot.process.process is not None
    first = workers_of(editable_bot.process.process.pid)
    tea(editable_bot, "verde", "tre")
    killed = min(first)
    os.kill(killed, signal.SIGKILL)
    assert ask(fake, editable_bot, 93_100, QUESTIONS[0]), "the other worker answers meanwhile"
    wait_until(lambda: len(workers_of(editable_bot.process.process.pid) - {killed}) == 2)
    assert "starting it again" in editable_bot.process.log()
    wait_until(lambda: reloads(editable_bot) == 2)
    for user in range(93_110, 93_116):
        assert "Il tè verde si lascia" in ask(fake, editable_bot, user, "quanti minuti di infusione per il tè")


@pytest.mark.slow
def test_a_reload_in_one_worker_or_a_sighup_reloads_them_all(fake: FakeTelegram, editable_bot: Running) -> None:
    tea(editable_bot, "verde", "tre")
    ask(fake, editable_bot, ADMIN, "/reload")
    wait_until(lambda: reloads(editable_bot) == 2)
    for user in range(93_200, 93_206):
        assert "Il tè verde si lascia" in ask(fake, editable_bot, user, "quanti minuti di infusione per il tè")

    tea(editable_bot, "nero", "cinque")
    editable_bot.process.send_signal(signal.SIGHUP)
    wait_until(lambda: reloads(editable_bot) == 4)
    for user in range(93_210, 93_216):
        assert "Il tè nero si lascia" in ask(fake, editable_bot, user, "quanti minuti di infusione per il tè")


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_to_the_parent_or_its_whole_group_stops_every_worker_cleanly(bot: Running, sig: int) -> None:
    """Ctrl-C reaches every process of the terminal's group, and the parent passes it on too: two signals a worker."""
    process = bot.process.process
    assert process is not None
    everyone = workers_of(process.pid)
    if sig == signal.SIGINT:
        os.killpg(process.pid, sig)
    else:
        process.send_signal(sig)
    assert process.wait(30) == 0
    wait_until(lambda: not any(Path(f"/proc/{pid}").exists() for pid in everyone))
    log = bot.process.log()
    assert "stopped." in log
    assert "worker 0 failed" not in log and "worker 1 failed" not in log and "never awaited" not in log, log[-2000:]


@pytest.mark.slow
def test_workers_need_the_webhook(fake: FakeTelegram, tmp_path: Path) -> None:
    """Only one process may poll Telegram for a bot's updates."""
    env = BotProcess(fake, tmp_path).env
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run", "--workers", "2"], env=env, cwd=tmp_path, capture_output=True, text=True
    )
    assert result.returncode == 2
    assert "--workers needs --webhook" in result.stderr


@pytest.fixture
def deadline() -> Iterator[None]:
    """Fail rather than hang: the supervisor under test runs in this very process."""

    def expired(_sig: int, _frame: object) -> None:
        raise TimeoutError("the supervisor did not return within 20 s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(20)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def test_a_worker_that_cannot_go_on_stops_them_all_with_its_status(deadline: None) -> None:
    """A token Telegram rejected is rejected for every worker: no restart loop, and the process exits 2."""

    def work(number: int) -> int:
        if number == 0:
            return workers.UNRECOVERABLE
        signal.pause()
        return 0

    assert workers.fork_workers(2, work) == workers.UNRECOVERABLE


def test_a_worker_that_dies_is_started_again_ever_later(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, deadline: None) -> None:
    """Killed or crashed, a worker comes back, after a pause that doubles while it keeps dying at once."""
    monkeypatch.setattr(workers, "RESTART_SECONDS", (0.2, 0.3))
    starts = tmp_path / "starts"

    def work(number: int) -> int:
        with starts.open("a") as record:
            record.write(f"{number}\n")
        if len(starts.read_text().split()) < 3:
            os.kill(os.getpid(), signal.SIGKILL)
        os.kill(os.getppid(), signal.SIGTERM)
        return 0

    started = time.monotonic()
    assert workers.fork_workers(1, work) == 0
    assert starts.read_text().split() == ["0", "0", "0"]
    assert time.monotonic() - started >= 0.2 + 0.3
