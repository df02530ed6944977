"""Running the bot for real: the flood limit, admin commands, and content edited while it runs."""

from __future__ import annotations

import itertools
import re
import shutil
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.chat.messages import message

from .botrunner import BotProcess, say
from .conftest import SEEDS
from .fake_telegram import FakeTelegram

pytestmark = pytest.mark.slow
"""A real process: the flood limit on a live bot, SIGHUP, the periodic content check; admin commands and
/reload are also `test_handlers.py`'s, in process."""

ADMIN = 777
user_ids = itertools.count(70_000)
TEA = "---\ntitle: Tè\nlang: it\n---\n# Tè\n## Infusione del tè verde\nIl tè verde si lascia in infusione tre minuti, a ottanta gradi.\n"


@pytest.fixture(scope="module")
def content(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("content")
    for path in SEEDS.iterdir():
        shutil.copy(path, folder / path.name)
    return folder


@pytest.fixture(scope="module")
def bot(fake: FakeTelegram, content: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BotProcess]:
    env = {"ADMIN_USER_IDS": str(ADMIN), "FLOOD_LIMIT": "3/60", "CONTENT_CHECK_SECONDS": "0", "CONTENT_DIR": str(content)}
    process = BotProcess(fake, tmp_path_factory.mktemp("ops"), **env).start()
    yield process
    assert process.stop() == 0, process.log()
    assert fake.refusals == []


@pytest.fixture
def user() -> int:
    return next(user_ids)


def test_a_flooding_user_gets_one_notice_and_others_are_still_answered(fake: FakeTelegram, bot: BotProcess, user: int) -> None:
    for _ in range(6):
        fake.user_message("maaş aralığı nedir", user_id=user, language_code="tr")
    fake.wait_for(lambda m, p: m == "sendMessage" and p.get("chat_id") == user, count=4)
    time.sleep(1.5)
    texts = [m["text"] for m in fake.messages_to(user)]
    assert len(texts) == 4
    assert sum("45.000 ila 85.000" in t for t in texts) == 3
    assert sum(t.startswith("Mesajları cevaplayabileceğimden daha hızlı") for t in texts) == 1
    (other,) = say(fake, "fascia di stipendio", next(user_ids))
    assert "Esempi di ruoli" in other["text"]


def test_admin_commands_look_unknown_to_everyone_else(fake: FakeTelegram, bot: BotProcess, user: int) -> None:
    for command in ("/stats", "/reload"):
        (reply,) = say(fake, command, user)
        assert reply["text"].startswith("I don't know that command.")


def test_stats_show_the_share_answered_and_what_went_unanswered(fake: FakeTelegram, bot: BotProcess, user: int) -> None:
    say(fake, "диапазон зарплат", user, language_code="ru")
    say(fake, "Pizza tarifi nedir?", user, language_code="tr")
    say(fake, "pizza tarifi nedir", next(user_ids), language_code="tr")
    (stats,) = say(fake, "/stats", ADMIN, language_code="en")
    text = stats["text"]
    assert text.startswith("Questions asked\nLast 24 hours: ")
    assert "Русский: " in text and "Türkçe: " in text
    assert "Most frequent unanswered questions (last 7 days):\n2× pizza tarifi nedir" in text


def test_reload_picks_up_new_and_broken_files_and_keeps_serving(fake: FakeTelegram, bot: BotProcess, content: Path) -> None:
    (before,) = say(fake, "quanti minuti di infusione per il tè verde", ADMIN, language_code="it")
    assert "Infusione" not in before["text"]
    (content / "tea.it.md").write_text(TEA, encoding="utf-8")
    (content / "broken.it.md").write_text("---\ntitle: [unclosed\n---\n# Rotto\n", encoding="utf-8")
    (report,) = say(fake, "/reload", ADMIN, language_code="it")
    assert report["text"].startswith("Base di conoscenza ricaricata: 6 articoli in 5 lingue.")
    assert "• broken.it.md" in report["text"]
    (after,) = say(fake, "quanti minuti di infusione per il tè verde", ADMIN, language_code="it")
    assert after["text"].startswith("<b>Infusione del tè verde</b>")
    (again,) = say(fake, "/reload", ADMIN, language_code="it")
    assert again["text"].startswith("La base di conoscenza non è cambiata")


def test_a_reload_that_finds_nothing_usable_keeps_the_old_index(
    fake: FakeTelegram, bot: BotProcess, content: Path, tmp_path: Path
) -> None:
    hidden = tmp_path / "hidden"
    hidden.mkdir()
    for path in content.glob("*.md"):
        shutil.move(path, hidden / path.name)
    try:
        (report,) = say(fake, "/reload", ADMIN, language_code="it")
        assert report["text"].startswith(
            "Il ricaricamento non è riuscito, quindi continuo a rispondere con la versione precedente."
        )
        (answer,) = say(fake, "диапазон зарплат", next(user_ids), language_code="ru")
        assert answer["text"].startswith("<b>Примеры ролей менеджера")
    finally:
        for path in hidden.iterdir():
            shutil.move(path, content / path.name)


def test_sighup_reloads_the_content(fake: FakeTelegram, bot: BotProcess, content: Path) -> None:
    (content / "coffee.it.md").write_text(
        "---\ntitle: Caffè\n---\n# Caffè\n## Macinatura del caffè\nPer la moka il caffè va macinato medio-fine.\n",
        encoding="utf-8",
    )
    reloads = bot.log().count("content reloaded")
    bot.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 30
    while bot.log().count("content reloaded") == reloads and time.monotonic() < deadline:
        time.sleep(0.2)
    (answer,) = say(fake, "come macinare il caffè per la moka", next(user_ids), language_code="it")
    assert answer["text"].startswith("<b>Macinatura del caffè</b>")


def test_edited_files_are_noticed_without_being_asked(content: Path, tmp_path: Path) -> None:
    fake = FakeTelegram().start()
    process = BotProcess(fake, tmp_path, CONTENT_DIR=str(content), CONTENT_CHECK_SECONDS="1").start()
    try:
        (content / "tea.it.md").write_text(TEA.replace("tre minuti", "quattro minuti"), encoding="utf-8")
        deadline = time.monotonic() + 30
        while process.log().count("content reloaded") < 1 and time.monotonic() < deadline:
            time.sleep(0.2)
        (answer,) = say(fake, "quanti minuti di infusione per il tè verde", next(user_ids), language_code="it")
        assert "quattro <i>minuti</i>" in answer["text"]
    finally:
        assert process.stop() == 0
        fake.stop()


def test_a_readers_vote_reaches_the_stats(fake: FakeTelegram, bot: BotProcess, user: int) -> None:
    """Through the real bot: 👎 under an answer, the row marks it, and /stats lists the answer as not helpful."""
    (reply,) = say(fake, "fascia di stipendio", user, language_code="it")
    (vote,) = [b for row in reply["reply_markup"]["inline_keyboard"] for b in row if b["text"] == "👎 Non utile"]
    query = fake.press(vote["callback_data"], reply["_message"], user_id=user, language_code="it")
    fake.wait_for(lambda m, p: m == "answerCallbackQuery" and p.get("callback_query_id") == query)
    (edit,) = fake.wait_for(lambda m, p: m == "editMessageReplyMarkup" and p.get("chat_id") == user)
    assert [b["text"] for b in edit["reply_markup"]["inline_keyboard"][0]] == ["👍 Utile", "👎 Non utile ✓"]
    (stats,) = say(fake, "/stats", ADMIN, language_code="en")
    assert "× fascia di stipendio → Esempi di ruoli di Account Manager" in stats["text"]


def test_a_press_on_a_shared_message_is_answered_and_counts_against_the_flood_limit(
    fake: FakeTelegram, bot: BotProcess, user: int
) -> None:
    """Through the real bot: a press on a message shared in inline mode comes with no chat (`inline_message_id`)."""
    for data in ("p:00000000:0:0:0", "l:da", "v:1:1", "h:00000000:0"):
        query = fake.press_shared(data, user_id=user, language_code="it")
        (answered,) = fake.wait_for(lambda m, p, q=query: m == "answerCallbackQuery" and p.get("callback_query_id") == q)
        outdated = data != "h:00000000:0"
        assert answered["text"] == message("it", "outdated_button" if outdated else "flood"), "the fourth is over 3/60"
    assert not re.search(r"update \d+ failed", bot.log()), bot.log()


def test_an_admins_stats_are_not_posted_in_a_group(fake: FakeTelegram, bot: BotProcess, user: int) -> None:
    (reply,) = say(fake, "/stats", ADMIN, chat_id=-600_000 - user, chat_type="supergroup", language_code="ru")
    assert reply["text"] == message("ru", "stats_private_only")
