"""A database that fails while the bot runs: every conversation path answers without it, and the log says so once.

In process: `StoreWatch` on its own; `Dialogue` over a store that refuses or
hangs; the error handler. PostgreSQL connections that die under the bot are
`test_pg_connections.py`'s; the real bot on a PostgreSQL server stopped
mid-run is `test_pg_outage.py`'s (slow).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.chat.callbacks import decode
from bot.chat.dialogue import Asker, Dialogue
from bot.chat.messages import message
from bot.chat.outage import StoreWatch
from bot.chat.reload import ContentReloader
from bot.chat.render import vote_buttons
from bot.config import Settings
from bot.search.searcher import Searcher
from bot.storage.records import StoreError

from .conftest import SEEDS
from .inprocess import InProcessBot

ADMIN = 777
REFUSED = "postgresql://bot@db:5432/kb: ConnectionRefusedError: [Errno 111] Connect call failed"


class Switch:
    """One store method that answers, refuses or hangs, as the test sets `mode`; counts the calls that reach it."""

    def __init__(self) -> None:
        self.mode = "up"
        self.reached = 0
        self.cancelled = 0

    async def method(self, value: int = 1) -> int:
        self.reached += 1
        if self.mode == "refuse":
            raise StoreError(REFUSED)
        if self.mode == "hang":
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                self.cancelled += 1
                raise
        return value


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def outcomes(calls: list[Awaitable[int]]) -> list[int | str]:
    """Each call's result, or "failed" for a `StoreError`."""
    found: list[int | str] = []
    for call in calls:
        try:
            found.append(await call)
        except StoreError:
            found.append("failed")
    return found


def test_an_outage_is_logged_when_it_starts_and_when_it_ends_with_what_was_not_stored(caplog: pytest.LogCaptureFixture) -> None:
    """A refusing database is still asked at every call (it costs nothing), so the first call after it is back succeeds."""
    switch, clock = Switch(), Clock()
    watch = StoreWatch(clock=clock)

    async def scenario() -> list[list[int | str]]:
        before = await outcomes([watch.read(switch.method, 1)])
        switch.mode = "refuse"
        during = await outcomes(
            [watch.write("question log", switch.method) for _ in range(5)]
            + [watch.write("language choice", switch.method) for _ in range(2)]
            + [watch.read(switch.method) for _ in range(3)]
        )
        switch.mode = "up"
        clock.now += 42
        after = await outcomes([watch.read(switch.method, 2), watch.write("question log", switch.method, 3)])
        return [before, during, after]

    with caplog.at_level(logging.INFO, logger="bot.chat.outage"):
        before, during, after = asyncio.run(scenario())
    assert (before, during, after) == ([1], ["failed"] * 10, [2, 3])
    assert switch.reached == 13, "every call tried the database"
    lines = [(record.levelname, record.getMessage()) for record in caplog.records]
    assert lines == [
        (
            "ERROR",
            f"the database is failing (a question log write: {REFUSED}); "
            "readers are answered without what it stores until it answers again",
        ),
        ("WARNING", "the database answers again after 42 s; not stored meanwhile: question log ×5, language choice ×2"),
    ]


def test_a_database_that_does_not_answer_is_given_up_on_then_asked_once_in_a_while() -> None:
    switch, clock = Switch(), Clock()
    watch = StoreWatch(clock=clock, call_seconds=0.05, retry_seconds=2.0)

    async def scenario() -> list[list[int | str]]:
        switch.mode = "hang"
        first = await outcomes([watch.read(switch.method)])
        await asyncio.sleep(0)  # the call given up on is cancelled, not left to hang
        skipped = await outcomes([watch.read(switch.method) for _ in range(3)] + [watch.write("vote", switch.method)])
        assert switch.reached == 1, "while it does not answer, nobody waits on it again"
        clock.now += 2.0
        switch.mode = "up"
        back = await outcomes([watch.read(switch.method, 4), watch.write("vote", switch.method, 5)])
        return [first, skipped, back]

    assert asyncio.run(scenario()) == [["failed"], ["failed"] * 4, [4, 5]]
    assert (switch.reached, switch.cancelled) == (3, 1)
    assert not watch.failing


class Refusing:
    """A store whose every call fails as PostgreSQL's do while the server is stopped."""

    def __init__(self) -> None:
        self.reached = 0

    def __getattr__(self, name: str) -> Callable[..., Awaitable[Any]]:
        async def refuse(*args: object, **kwargs: object) -> Any:
            self.reached += 1
            raise StoreError(REFUSED)

        refuse.__name__ = name
        return refuse


class Hanging(Refusing):
    """A store whose every call waits for ever, as one whose server drops the packets does."""

    def __getattr__(self, name: str) -> Callable[..., Awaitable[Any]]:
        async def hang(*args: object, **kwargs: object) -> Any:
            self.reached += 1
            await asyncio.Event().wait()

        hang.__name__ = name
        return hang


def dialogue_over(searcher: Searcher, store: object, watch: StoreWatch | None = None) -> Dialogue:
    settings = Settings(SEEDS, None, "en", "WARNING", database_path=Path("unused.sqlite3"))
    return Dialogue(ContentReloader(settings, searcher), store, "en", frozenset({ADMIN}), watch)  # type: ignore[arg-type]


def reader(user: int, language_code: str | None = "en") -> Asker:
    return Asker(chat_id=user, user_id=user, language_code=language_code)


def test_every_conversation_path_answers_while_the_database_refuses(searcher: Searcher, caplog: pytest.LogCaptureFixture) -> None:
    """Nothing stored can be read, so readers are answered as new ones; only what they asked to store is said to fail."""
    dialogue = dialogue_over(searcher, Refusing())
    italian, turkish, admin = reader(1, "it"), reader(2, "tr"), reader(ADMIN, "en")

    async def scenario() -> dict[str, Any]:
        answer = await dialogue.ask(turkish, "maaş aralığı nedir")
        translation = next(b for row in answer.buttons for b in row if b.label == "Dansk")
        return {
            "answer": answer,
            "help": (await dialogue.help(italian)).texts,
            "menu": (await dialogue.language(italian, None)).texts,
            "change": (await dialogue.language(italian, "da")).texts,
            "highlights": (await dialogue.highlights(turkish, "")).texts,
            "translation": (await dialogue.press(turkish, translation.data)).reply,
            "vote": (await dialogue.press(turkish, vote_buttons(1, "tr")[0].data)).notice,
            "stats": (await dialogue.stats(admin)).texts,
            "shared": await dialogue.share(italian, "fascia di stipendio"),
            "notice": (await dialogue.flood_notice(italian)).texts,
        }

    with caplog.at_level(logging.ERROR):
        seen = asyncio.run(scenario())
    assert "45.000 ila 85.000" in seen["answer"].texts[0]
    assert not any(decode(b.data).__class__.__name__ == "Vote" for row in seen["answer"].buttons for b in row), (
        "no vote buttons on an answer that was not logged"
    )
    assert seen["help"] == (message("it", "help"),)
    assert seen["menu"] == (message("it", "lang_unreadable"),)
    assert seen["change"] == (message("da", "lang_not_saved"),)
    assert seen["highlights"] and seen["translation"] is not None and "lønintervallet" in seen["translation"].texts[0]
    assert seen["vote"] == message("tr", "vote_not_saved")
    assert seen["stats"] == (message("en", "stats_unavailable"),)
    assert seen["shared"] and seen["notice"] == (message("it", "flood"),)
    assert [record.levelname for record in caplog.records] == ["ERROR"], "one line for the whole outage"


def test_a_database_that_hangs_costs_a_reader_seconds_not_their_answer(searcher: Searcher) -> None:
    store = Hanging()
    dialogue = dialogue_over(searcher, store, StoreWatch(call_seconds=0.2))

    async def scenario() -> tuple[str, str, int]:
        first = await asyncio.wait_for(dialogue.ask(reader(3, "tr"), "maaş aralığı nedir"), 30)
        reached = store.reached
        second = await asyncio.wait_for(dialogue.ask(reader(4, "it"), "fascia di stipendio"), 30)
        return first.texts[0], second.texts[0], store.reached - reached

    first, second, reached = asyncio.run(scenario())
    assert "45.000 ila 85.000" in first and "stipendio" in second
    assert reached == 0, "the next reader is not held up by a database known not to answer"


def test_the_error_reply_needs_no_database(searcher: Searcher, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A handler that fails while the database refuses: the reader is still told, in their app's language."""
    store = Refusing()
    with InProcessBot(searcher, tmp_path) as bot:
        monkeypatch.setattr(bot.dialogue, "store", store)

        async def broken(*args: object) -> None:
            raise RuntimeError("a bug")

        monkeypatch.setattr(bot.dialogue, "ask", broken)
        (reply,) = bot.say("fascia di stipendio", 5001, language_code="it")
    assert reply["text"] == message("it", "error")
    assert store.reached == 0, "a database that hangs would hold the reply back"
