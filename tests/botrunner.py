"""Running the real bot (`python -m bot run`) as a separate process against a `FakeTelegram`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from .conftest import ROOT, SEEDS
from .fake_telegram import FakeTelegram


class BotProcess:
    def __init__(self, fake: FakeTelegram, workdir: Path, **env: str) -> None:
        self.fake = fake
        self.workdir = workdir
        self.log_path = workdir / "bot.log"
        self.env = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": fake.token,
            "TELEGRAM_API_BASE_URL": fake.base_url,
            "CONTENT_DIR": str(SEEDS),
            "CACHE_DIR": str(workdir / "cache"),
            "DATABASE_PATH": str(workdir / "bot.sqlite3"),
            "DEFAULT_LANGUAGE": "en",
            "LOG_LEVEL": "DEBUG",
            "PYTHONPATH": str(ROOT),
            **env,
        }
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> BotProcess:
        self.fake.polling.clear()
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bot", "run"], cwd=self.workdir, env=self.env, stdout=log, stderr=log
            )
        if not self.fake.polling.wait(60):
            self.stop()
            raise AssertionError(f"bot did not start polling:\n{self.log()}")
        return self

    def stop(self, sig: int = signal.SIGTERM) -> int:
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            return self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise

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
