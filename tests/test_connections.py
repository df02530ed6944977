"""The webhook's port under abuse: requests that never finish, more connections than the process has descriptors.

Each test starts the real bot (`python -m bot run --webhook`) against the fake
Bot API and floods its port from here. tornado waited an hour for a request's
headers and kept every connection open; at a low descriptor limit its accept
loop spun, logging a traceback each time (85,871 "Too many open files", 51 MB,
in 5 s), and `/healthz` stopped answering.
"""

from __future__ import annotations

import os
import resource
import selectors
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.telegram.connections import HEADER_SECONDS

from . import hurried
from .botrunner import BotProcess
from .fake_telegram import FakeTelegram
from .test_webhook import free_port

pytestmark = pytest.mark.slow
"""Real bot processes, and a wait for the header timeout."""

FLOOD = 300
"""Connections opened at once: more than the descriptors the bots here are allowed."""


def start(fake: FakeTelegram, workdir: Path, *args: str, descriptors: int | None = None, **hook: str) -> tuple[BotProcess, int]:
    """The bot on a webhook of a free port, `hook` the entry and what it hurries (`tests/hurried.py`) if any."""
    port = free_port()
    env = {
        "TELEGRAM_WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram",
        "TELEGRAM_WEBHOOK_SECRET": "flood-secret",
        "WEBHOOK_PORT": str(port),
        "CONTENT_CHECK_SECONDS": "0",
        "LOG_LEVEL": "INFO",
    }
    process = BotProcess(fake, workdir, "--webhook", *args, descriptors=descriptors, **env, **hook).start()
    assert healthz(port, patience=20) == 200, process.log()
    return process, port


def healthz(port: int, patience: float = 0.0) -> int | None:
    """The status `/healthz` answers within a few seconds, None if it does not; asked again for `patience` seconds."""
    deadline = time.monotonic() + patience
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code
        except (urllib.error.URLError, OSError):
            if time.monotonic() >= deadline:
                return None
            time.sleep(0.2)


UNENDED_HEADERS = b"POST /telegram HTTP/1.1\r\nHost: bot\r\nContent-Type: application/json\r\n"
"""A request's first lines, and never the blank line that ends its headers."""
UNENDED_BODY = b"POST /elsewhere HTTP/1.1\r\nHost: bot\r\nContent-Length: 900000\r\n\r\n{}"
"""Headers announcing a body that never comes (to a path that reads it: the webhook's refuses it unread)."""


def half_sent(port: int, count: int, request: bytes = UNENDED_HEADERS) -> list[socket.socket]:
    """`count` connections, each with the beginning of `request` and never its end."""
    connections = []
    for _ in range(count):
        connection = socket.create_connection(("127.0.0.1", port), timeout=10)
        connection.sendall(request)
        connections.append(connection)
    return connections


def closed_by_the_bot(connections: list[socket.socket], patience: float) -> int:
    """How many of `connections` the bot closes within `patience` seconds."""
    with selectors.DefaultSelector() as selector:
        for connection in connections:
            connection.setblocking(False)
            selector.register(connection, selectors.EVENT_READ)
        closed = 0
        deadline = time.monotonic() + patience
        while closed < len(connections) and time.monotonic() < deadline:
            for key, _ in selector.select(0.2):
                try:
                    ended = not key.fileobj.recv(4096)  # type: ignore[union-attr]
                except ConnectionError:
                    ended = True
                if ended:
                    selector.unregister(key.fileobj)
                    closed += 1
        return closed


@pytest.fixture
def connections() -> Iterator[list[socket.socket]]:
    opened: list[socket.socket] = []
    yield opened
    for connection in opened:
        connection.close()


@pytest.fixture(scope="module")
def bot(fake: FakeTelegram, tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """A bot with the descriptors a service has, closing unfinished requests after 1 and 2 s rather than 5 and 10
    (`tests/hurried.py`): the tests using it wait for those closes; its port."""
    process, port = start(fake, tmp_path_factory.mktemp("bot"), entry="tests.hurried", KB_TEST_HURRY="timeouts")
    yield port
    assert process.stop() == 0, process.log()


@pytest.mark.parametrize(
    ("request_sent", "timeout"),
    [(UNENDED_HEADERS, hurried.HEADER_SECONDS), (UNENDED_BODY, hurried.BODY_SECONDS)],
    ids=["headers", "body"],
)
def test_requests_that_never_arrive_in_full_are_closed_and_healthz_answers_meanwhile(
    bot: int, connections: list[socket.socket], request_sent: bytes, timeout: float
) -> None:
    """tornado waited an hour for headers, and for a body as long as it took."""
    connections += half_sent(bot, FLOOD, request_sent)
    assert healthz(bot) == 200
    assert closed_by_the_bot(connections, patience=timeout + 20) == FLOOD
    assert healthz(bot) == 200


@pytest.mark.parametrize("workers", [1, 2], ids=["one process", "two workers"])
def test_more_connections_than_descriptors_leave_healthz_answering_and_the_log_short(
    fake: FakeTelegram, tmp_path: Path, connections: list[socket.socket], workers: int
) -> None:
    """`ulimit -n 64`: the bot keeps no more connections open than half the descriptors it has free, closing those
    waiting longest for a request; workers sharing the socket each do so."""
    process, port = start(fake, tmp_path, "--workers", str(workers), descriptors=64)
    try:
        logged = process.log_path.stat().st_size
        connections += half_sent(port, FLOOD)
        assert healthz(port) == 200
        for connection in connections:
            connection.close()
        assert healthz(port, patience=HEADER_SECONDS) == 200
        log = process.log_path.read_bytes()[logged:].decode()
        assert "Too many open files" not in log and "Traceback" not in log, log[:3000]
        assert log.count("bot.telegram.connections") <= workers and len(log) < 2_000, log
    finally:
        assert process.stop() == 0, process.log()


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="counts the bot's descriptors in /proc")
def test_running_out_of_descriptors_is_said_once_and_the_bot_accepts_again(
    fake: FakeTelegram, tmp_path: Path, connections: list[socket.socket]
) -> None:
    """The bot's own files and connections may use what the connection cap left: its limit is lowered here, while
    it runs, to a few descriptors above those it has open. Accepting then fails with EMFILE: the bot closes the
    connection waiting longest for a request, or pauses, and says so once rather than once per attempt."""
    process, port = start(fake, tmp_path)
    try:
        assert process.process is not None
        in_use = len(os.listdir(f"/proc/{process.process.pid}/fd"))
        resource.prlimit(process.process.pid, resource.RLIMIT_NOFILE, (in_use + 16, in_use + 16))
        logged = process.log_path.stat().st_size
        connections += half_sent(port, FLOOD)
        assert healthz(port, patience=HEADER_SECONDS) == 200
        for connection in connections:
            connection.close()
        assert healthz(port, patience=HEADER_SECONDS) == 200
        log = process.log_path.read_bytes()[logged:].decode()
        assert log.count("Too many open files") == 1 and "Traceback" not in log, log[:3000]
        assert log.count("bot.telegram.connections") <= 2 and len(log) < 2_000, log
    finally:
        assert process.stop() == 0, process.log()
