"""The README's first chat: one command starts the fake Bot API and the bot, and a question typed in gets its answer."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT, SEEDS, SHARED_CACHE, SHARED_VECTORS

pytestmark = pytest.mark.slow


def trial(typed: str, log: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """`python -m tests.fake_telegram` as the README runs it, `typed` as what the reader types."""
    return subprocess.run(
        [sys.executable, "-m", "tests.fake_telegram", "--port", "0", "--log", str(log)],
        input=typed,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
        timeout=120,
    )


def test_one_command_starts_the_bot_and_chats_with_it(tmp_path: Path) -> None:
    log = tmp_path / "bot.log"
    chat = trial(
        "maaş aralığı nedir\n",
        log,
        CONTENT_DIR=str(SEEDS),
        CACHE_DIR=str(SHARED_CACHE),
        EMBEDDINGS_DIR=str(SHARED_VECTORS),
        DATABASE_PATH=str(tmp_path / "bot.sqlite3"),
    )
    assert chat.returncode == 0, chat.stdout + chat.stderr
    assert "45.000 ila 85.000 dolar" in chat.stdout, chat.stdout
    assert "stopped." in log.read_text(encoding="utf-8"), "the bot was not stopped cleanly when the chat ended"


def test_a_bot_that_cannot_start_shows_why(tmp_path: Path) -> None:
    chat = trial("", tmp_path / "bot.log", CONTENT_DIR=str(tmp_path / "missing"), DATABASE_PATH=str(tmp_path / "bot.sqlite3"))
    assert "no articles could be loaded" in chat.stdout, chat.stdout
