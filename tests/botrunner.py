"""Running the real bot (`python -m bot run`) as a separate process against a `FakeTelegram`."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from .conftest import ROOT, SEEDS, SHARED_CACHE, SHARED_VECTORS
from .fake_telegram import FakeTelegram


class BotProcess:
    def __init__(
        self, fake: FakeTelegram, workdir: Path, *args: str, descriptors: int | None = None, entry: str = "bot", **env: str
    ) -> None:
        """`descriptors`: the process's limit of open files (`RLIMIT_NOFILE`), as `ulimit -n` would set it. `entry`: the
        module run as `python -m ENTRY run`, the bot's own or a test hook around it (`tests/hurried.py`)."""
        self.fake = fake
        self.workdir = workdir
        self.args = args
        self.descriptors = descriptors
        self.entry = entry
        self.log_path = workdir / "bot.log"
        self.env = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": fake.token,
            "TELEGRAM_API_BASE_URL": fake.base_url,
            "CONTENT_DIR": str(SEEDS),
            "CACHE_DIR": str(SHARED_CACHE),
            "DATABASE_PATH": str(workdir / "bot.sqlite3"),
            "EMBEDDINGS_DIR": str(SHARED_VECTORS),
            "DEFAULT_LANGUAGE": "en",
            "LOG_LEVEL": "DEBUG",
            "PYTHONPATH": str(ROOT),
            "PYTHONFAULTHANDLER": "1",
            **env,
        }
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> BotProcess:
        """Start the bot and wait until it is ready: polling, or its webhook registered."""
        self.fake.polling.clear()
        webhooks = self.fake.count("setWebhook")
        with self.log_path.open("ab") as log:
            # A session of its own, as a service has: a test may signal its whole process group, as a terminal's Ctrl-C does.
            self.process = subprocess.Popen(
                [sys.executable, "-m", self.entry, "run", *self.args],
                cwd=self.workdir,
                env=self.env,
                stdout=log,
                stderr=log,
                start_new_session=True,
                preexec_fn=self._limit_descriptors if self.descriptors else None,
            )
        deadline = time.monotonic() + 60
        while not self._ready(webhooks):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise AssertionError(f"bot did not start:\n{self.log()}")
        return self

    def _limit_descriptors(self) -> None:
        assert self.descriptors is not None
        resource.setrlimit(resource.RLIMIT_NOFILE, (self.descriptors, self.descriptors))

    def _ready(self, webhooks_before: int) -> bool:
        """Polling, or (with --webhook) its webhook registered; waits a moment for either."""
        if "--webhook" not in self.args:
            return self.fake.polling.wait(0.2)
        try:
            self.fake.wait_for(lambda m, p: m == "setWebhook", count=webhooks_before + 1, timeout=0.2)
        except AssertionError:
            return False
        return True

    def send_signal(self, sig: int) -> None:
        assert self.process is not None
        self.process.send_signal(sig)

    def stop(self, sig: int = signal.SIGTERM) -> int:
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            return self.process.wait(30)
        except subprocess.TimeoutExpired:
            # PYTHONFAULTHANDLER writes every thread's stack to the log on SIGABRT: where the stop hung.
            self.process.send_signal(signal.SIGABRT)
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
            raise AssertionError(f"the bot did not stop within 30 s of {signal.Signals(sig).name}:\n{self.log()[-20_000:]}") from None

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""


def buttons(sent: dict[str, Any]) -> list[dict[str, str]]:
    """The inline buttons of a message the bot sent, in order."""
    markup = sent.get("reply_markup") or {}
    return [button for row in markup.get("inline_keyboard", []) for button in row]


def button(sent: dict[str, Any], label: str) -> dict[str, str]:
    for candidate in buttons(sent):
        if candidate["text"] == label:
            return candidate
    raise AssertionError(f"no button {label!r} in {[b['text'] for b in buttons(sent)]}")


def say(fake: FakeTelegram, text: str | None, user: int, *, count: int = 1, **kwargs: Any) -> list[dict[str, Any]]:
    """Send a message as `user` and return the bot's next `count` messages to that chat."""
    chat = kwargs.get("chat_id") or user
    before = len(fake.messages_to(chat))
    fake.user_message(text, user_id=user, **kwargs)
    fake.wait_for(lambda m, p: m == "sendMessage" and p.get("chat_id") == chat, count=before + count)
    return fake.messages_to(chat)[before : before + count]


def press(fake: FakeTelegram, sent: dict[str, Any], label: str, user: int, count: int = 1) -> list[dict[str, Any]]:
    chat = sent["chat_id"]
    before = len(fake.messages_to(chat))
    query = fake.press(button(sent, label)["callback_data"], sent["_message"], user_id=user)
    fake.wait_for(lambda m, p: m == "answerCallbackQuery" and p.get("callback_query_id") == query)
    if count:
        fake.wait_for(lambda m, p: m == "sendMessage" and p.get("chat_id") == chat, count=before + count)
    return fake.messages_to(chat)[before : before + count]
