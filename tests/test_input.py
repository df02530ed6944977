"""Hostile or odd input from readers: text with invisible or unencodable characters, and forged button data."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import pytest

from bot.chat.dialogue import Asker, Dialogue
from bot.chat.messages import message
from bot.chat.reload import ContentReloader
from bot.config import Settings
from bot.search.searcher import Searcher
from bot.storage.sqlite import Store

from .conftest import SEEDS, unit_id

T = TypeVar("T")
ASKER = Asker(chat_id=7, user_id=7, language_code="tr")


def converse(searcher: Searcher, database: Path, scenario: Callable[[Dialogue], Awaitable[T]]) -> T:
    """Run `scenario` against a dialogue over the seed index and a fresh store."""
    settings = Settings(SEEDS, None, "en", "WARNING", database_path=database)

    async def run() -> T:
        store = await Store.open(database)
        try:
            return await scenario(Dialogue(ContentReloader(settings, searcher), store, "en"))
        finally:
            await store.close()

    return asyncio.run(run())


@pytest.mark.parametrize(
    "question",
    [
        "ma\u200baş ara\u200clığı nedir",
        "maa\u00ads ara\u2060lığı nedir\ufeff",
        "ｍａａｓ ａｒａｌｉｇｉ nedir",
        "\u200fmaaş\u200e aralığı nedir",
    ],
)
def test_invisible_and_fullwidth_characters_get_the_answer_of_the_plain_question(searcher: Searcher, question: str) -> None:
    plain = searcher.answer("maaş aralığı nedir")
    odd = searcher.answer(question)
    assert (odd.kind, unit_id(searcher, odd)) == (plain.kind, unit_id(searcher, plain)) == ("paragraph", "P9")


def test_a_question_with_a_lone_surrogate_is_answered_and_logged(searcher: Searcher, tmp_path: Path) -> None:
    database = tmp_path / "bot.sqlite3"

    async def scenario(dialogue: Dialogue) -> list[str]:
        return list((await dialogue.ask(ASKER, "maaş\ud800 aralığı nedir")).texts)

    texts = converse(searcher, database, scenario)
    assert "Indeed.com" in texts[0]
    assert all(text.encode("utf-8") for text in texts)
    with sqlite3.connect(database) as db:
        (logged,) = db.execute("SELECT question FROM questions").fetchone()
    assert logged == "maaş\ufffd aralığı nedir"


def test_lone_surrogates_in_commands_get_replies_that_can_be_sent(searcher: Searcher, tmp_path: Path) -> None:
    async def scenario(dialogue: Dialogue) -> list[str]:
        language = await dialogue.language(ASKER, "\udc80x")
        points = await dialogue.highlights(ASKER, "\ud800")
        return [*language.texts, *points.texts]

    texts = converse(searcher, tmp_path / "bot.sqlite3", scenario)
    assert len(texts) == 3  # the unknown code; the topic no article answers, then the key points shown instead
    assert all(text.encode("utf-8") for text in texts)


FORGED = [
    "p:{generation}:0:-2:0",
    "p:{generation}:0:0:-5",
    "p:{generation}:0:-3:-3",
    "p:{generation}:-1:0:0",
    "p:{generation}:0:99999999999999999999:0",
    "p:{generation}:99999999999999999999:0:0",
    "p:{generation}:0:+1:0",
    "p:{generation}:0: 1:0",
    "p:{generation}:0:1_0:0",
    "p:{generation}:0:\u0663:0",
    "p:{generation}:0:0",
    "p:{generation}:0:0:0:0",
    "p:00000000:0:0:0",
    "h:{generation}:-1",
    "h:{generation}:1e9",
    "h:{generation}:999999",
    "h:ffffffff:0",
    "l:\ud800",
    "l:" + "x" * 60,
    "l:",
    "x:{generation}",
    "",
    "\ud800",
    "garbage",
]


@pytest.mark.parametrize("data", FORGED)
def test_forged_button_data_gets_the_outdated_button_notice(searcher: Searcher, tmp_path: Path, data: str) -> None:
    async def scenario(dialogue: Dialogue) -> tuple[bool, str | None]:
        pressed = await dialogue.press(ASKER, data.format(generation=searcher.index.generation))
        return pressed.reply is None, pressed.notice

    no_reply, notice = converse(searcher, tmp_path / "bot.sqlite3", scenario)
    assert no_reply
    assert notice == message("tr", "outdated_button")


def test_genuine_buttons_still_work(searcher: Searcher, tmp_path: Path) -> None:
    generation = searcher.index.generation

    async def scenario(dialogue: Dialogue) -> list[str]:
        pressed = [await dialogue.press(ASKER, data) for data in (f"p:{generation}:0:1:0", f"h:{generation}:0", "l:da", "l:auto")]
        return [p.reply.texts[0] for p in pressed if p.reply is not None]

    paragraph, points, danish, automatic = converse(searcher, tmp_path / "bot.sqlite3", scenario)
    assert paragraph.startswith("<b>") and "• " in points
    assert danish.startswith("Dit sprog er nu Dansk.") and automatic
