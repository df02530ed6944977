"""Running the bot for real: content edited while it runs, picked up by /reload (built in the child process), SIGHUP
and the periodic check."""

from __future__ import annotations

import itertools
import shutil
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from .botrunner import BotProcess, say
from .conftest import SEEDS
from .fake_telegram import FakeTelegram

pytestmark = pytest.mark.slow
"""A real process, for what only it shows; the flood limit, votes, admin commands and what /reload replies are
`test_handlers.py`'s, in process."""

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
    env = {"ADMIN_USER_IDS": str(ADMIN), "CONTENT_CHECK_SECONDS": "0", "CONTENT_DIR": str(content)}
    process = BotProcess(fake, tmp_path_factory.mktemp("ops"), **env).start()
    yield process
    assert process.stop() == 0, process.log()
    assert fake.refusals == []


@pytest.fixture
def user() -> int:
    return next(user_ids)


def test_a_reload_built_in_the_child_process_picks_up_new_and_broken_files(fake: FakeTelegram, bot: BotProcess, content: Path) -> None:
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


def test_a_reload_whose_build_child_finds_nothing_usable_keeps_the_old_index(
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
