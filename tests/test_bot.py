"""The real bot as a process (`python -m bot run`), polling a fake Bot API on 127.0.0.1."""

from __future__ import annotations

import itertools
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.chat.messages import message

from .botrunner import BotProcess, buttons, press, say
from .fake_telegram import FakeTelegram

pytestmark = pytest.mark.slow
"""Every test here runs `python -m bot` as a process, for what only a process shows: signals, kill -9, the polling
loop, restarts, the real wire and log. The conversations themselves are `test_handlers.py`'s, in process."""

user_ids = itertools.count(1000)


@pytest.fixture(scope="module")
def bot(fake: FakeTelegram, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BotProcess]:
    process = BotProcess(fake, tmp_path_factory.mktemp("bot")).start()
    yield process
    assert process.stop() == 0, process.log()
    assert fake.refusals == [], "the bot sent messages Telegram would refuse"


@pytest.fixture
def user() -> int:
    """A fresh user (and private chat), so tests do not share language choices or context."""
    return next(user_ids)


def test_a_message_of_one_huge_word_does_not_hold_up_other_readers(fake: FakeTelegram, bot: BotProcess, user: int) -> None:
    """One 4,000-letter word (under Telegram's limit) once held every other reader's answer for a minute."""
    flooder = next(user_ids)
    word = "".join(itertools.islice(itertools.cycle("lønintervalkontoadministrator"), 4000))
    fake.user_message(f"hvad er lønnen for en {word}", user_id=flooder)
    started = time.monotonic()
    (reply,) = say(fake, "maaş aralığı nedir", user)
    waited = time.monotonic() - started
    assert "45.000 ila 85.000" in reply["text"]
    assert waited < 3, f"another reader waited {waited:.1f} s"
    fake.wait_for(lambda m, p: m == "sendMessage" and p.get("chat_id") == flooder)


def test_lone_surrogates_over_the_wire_are_answered_without_a_traceback(fake: FakeTelegram, bot: BotProcess, user: int) -> None:
    """Text no UTF-8 encoder takes, in a message and in a button's data, through the real polling loop and log.

    What the bot answers to forged buttons is `test_handlers.py`'s; only a
    process shows that nothing on the wire or in the log breaks on them.
    """
    (surrogate,) = say(fake, "maaş\ud800 aralığı nedir", user, language_code="tr")
    assert "<i>maaş</i>" in surrogate["text"]
    query = fake.press("l:\ud800", surrogate["_message"], user_id=user, language_code="tr")
    (answered,) = fake.wait_for(lambda m, p: m == "answerCallbackQuery" and p.get("callback_query_id") == query)
    assert "eski bir sürümüne" in answered["text"]
    (after,) = say(fake, "terfi", user, language_code="tr")
    assert "terfi" in after["text"]
    assert [m for m in fake.messages_to(user) if m["text"] in {message("tr", "error"), message("en", "error")}] == []
    assert "Traceback" not in bot.log()


def test_token_never_appears_in_the_logs(fake: FakeTelegram, bot: BotProcess, user: int) -> None:
    say(fake, "terfi", user)
    log = bot.log()
    assert "getUpdates" in log or "HTTP Request" in log
    assert fake.token not in log


def test_confirmed_language_choice_survives_kill_9_and_sigint_stops_cleanly(tmp_path: Path) -> None:
    user = next(user_ids)
    fake = FakeTelegram().start()
    first = BotProcess(fake, tmp_path).start()
    (menu,) = say(fake, "/lang", user)
    (confirmed,) = press(fake, menu, "Italiano", user)
    assert confirmed["text"].startswith("Ora la tua lingua è Italiano.")
    assert first.stop(signal.SIGKILL) == -signal.SIGKILL
    second = BotProcess(fake, tmp_path).start()
    try:
        (menu,) = say(fake, "/lang", user)
        assert menu["text"].startswith("La tua lingua: Italiano.")
    finally:
        assert second.stop(signal.SIGINT) == 0, second.log()
        fake.stop()


def test_missing_token_exits_with_a_one_line_message(tmp_path: Path) -> None:
    from .conftest import ROOT

    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "bot", "run"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0
    assert "TELEGRAM_BOT_TOKEN" in done.stderr and "Traceback" not in done.stderr


def test_long_answer_arrives_in_several_valid_messages_even_if_commands_cannot_be_set(tmp_path: Path) -> None:
    content = tmp_path / "content"
    content.mkdir()
    long_paragraph = " ".join(f"Il caffè numero {i} viene tostato lentamente." for i in range(400))
    (content / "caffe.it.md").write_text(
        f"---\ntitle: Caffè\n---\n# Caffè\n## Tostatura\n{long_paragraph}\n\n## Punti\n- tostato\n- lento\n", encoding="utf-8"
    )
    fake = FakeTelegram(failing=frozenset({"setMyCommands"})).start()
    # The failing setMyCommands (one per language, side by side) are retried for min(SEND_RETRY_SECONDS, 4 s) before
    # polling starts: a second shows the bot giving up on them and serving (test_handlers.py spends the 4 s on a virtual clock).
    process = BotProcess(fake, tmp_path, CONTENT_DIR=str(content), SEND_RETRY_SECONDS="1").start()
    try:
        user = next(user_ids)
        fake.user_message("tostatura del caffè", user_id=user, language_code="it")
        fake.wait_for(lambda m, p: m == "sendMessage" and p.get("chat_id") == user and "reply_markup" in p)
        replies = fake.messages_to(user)
        assert len(replies) >= 4
        assert all(len(r["text"]) <= 4096 for r in replies)
        assert [bool(buttons(r)) for r in replies] == [False] * (len(replies) - 1) + [True]
        assert sum(r["text"].count("tostato") for r in replies) == 400
        assert fake.refusals == []
        assert "could not register commands" in process.log()
    finally:
        assert process.stop() == 0, process.log()
        fake.stop()


@pytest.mark.parametrize("level", ["WARNING", "DEBUG"])
def test_a_rejected_token_is_one_line_and_never_printed(fake: FakeTelegram, tmp_path: Path, level: str) -> None:
    process = BotProcess(fake, tmp_path, TELEGRAM_BOT_TOKEN="987654:REJECTED-secret-token", LOG_LEVEL=level)
    with process.log_path.open("ab") as log:
        done = subprocess.run(
            [sys.executable, "-m", "bot", "run"], cwd=tmp_path, env=process.env, stdout=log, stderr=log, timeout=60
        )
    output = process.log()
    assert done.returncode == 2
    assert "987654:REJECTED-secret-token" not in output and "REJECTED-secret" not in output
    assert "Traceback" not in output
    assert "Telegram rejected TELEGRAM_BOT_TOKEN" in output


def test_a_token_revoked_while_running_stops_the_bot(tmp_path: Path) -> None:
    fake = FakeTelegram().start()
    process = BotProcess(fake, tmp_path, LOG_LEVEL="WARNING").start()
    try:
        user = next(user_ids)
        say(fake, "terfi", user)
        token = fake.token
        fake.revoke_token("555:the-new-token")
        assert process.process is not None
        assert process.process.wait(30) == 2
        output = process.log()
        assert token not in output
        assert output.strip().splitlines()[-1].startswith("Telegram rejected TELEGRAM_BOT_TOKEN")
    finally:
        process.stop()
        fake.stop()
