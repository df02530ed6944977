"""The conversation rules, `Dialogue`, in process: the seed index behind a `ContentReloader`, a fresh SQLite store per test.

No Telegram here: an `Asker` and some text in, a `Reply` out. What the handlers
add (groups, mentions, buttons being answered) is `test_handlers.py`'s.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TypeVar

import pytest

from bot.chat.dialogue import Asker, Dialogue
from bot.chat.messages import message
from bot.chat.reload import ContentReloader, ReloadOutcome
from bot.config import Settings
from bot.search.searcher import Searcher
from bot.storage.sqlite import Store

from .conftest import SEEDS

T = TypeVar("T")
ADMIN = 777


@asynccontextmanager
async def dialogue_over(searcher: Searcher, database: Path) -> AsyncIterator[Dialogue]:
    settings = Settings(SEEDS, None, "en", "WARNING", database_path=database)
    store = await Store.open(database)
    try:
        yield Dialogue(ContentReloader(settings, searcher), store, "en", frozenset({ADMIN}))
    finally:
        await store.close()


@pytest.fixture
def talk(searcher: Searcher, tmp_path: Path) -> Callable[[Callable[[Dialogue], Awaitable[T]]], T]:
    """Run a scenario against a dialogue over the seed index and a database of its own."""

    def run(scenario: Callable[[Dialogue], Awaitable[T]]) -> T:
        async def go() -> T:
            async with dialogue_over(searcher, tmp_path / "bot.sqlite3") as dialogue:
                return await scenario(dialogue)

        return asyncio.run(go())

    return run


def reader(user: int = 1, language_code: str | None = "en", chat: int | None = None) -> Asker:
    return Asker(chat_id=chat if chat is not None else user, user_id=user, language_code=language_code)


def test_the_ui_language_is_the_choice_else_the_last_question_else_the_app_else_the_default(talk) -> None:
    async def scenario(dialogue: Dialogue) -> list[str]:
        seen = [await dialogue.ui_language(reader(1, "it")), await dialogue.ui_language(reader(2, "de"))]
        await dialogue.ask(reader(1, "it"), "диапазон зарплат")
        seen.append(await dialogue.ui_language(reader(1, "it")))
        await dialogue.language(reader(1, "it"), "da")
        seen.append(await dialogue.ui_language(reader(1, "it")))
        await dialogue.language(reader(1, "it"), "auto")
        seen.append(await dialogue.ui_language(reader(1, "it")))
        return seen

    assert talk(scenario) == ["it", "en", "ru", "da", "ru"]


def test_a_question_in_no_language_is_told_no_answer_in_the_ui_language(talk) -> None:
    """lingua calls "asdf qwerty" Danish; the reply follows the reader's choice, last question, app and the default instead."""

    async def scenario(dialogue: Dialogue) -> list[tuple[str, str]]:
        told = []

        async def gibberish(asker: Asker) -> None:
            reply = await dialogue.ask(asker, "asdf qwerty")
            told.append((await dialogue.ui_language(asker), reply.texts[0]))

        await gibberish(reader(21, "it"))
        await gibberish(reader(22, "de"))
        await dialogue.ask(reader(23, "it"), "диапазон зарплат")
        await gibberish(reader(23, "it"))
        await dialogue.language(reader(23, "it"), "tr")
        await gibberish(reader(23, "it"))
        return told

    told = talk(scenario)
    assert [lang for lang, _ in told] == ["it", "en", "ru", "tr"]
    for lang, text in told:
        assert text.startswith(message(lang, "no_answer"))
    assert message("en", "content_languages") in told[1][1]


def test_a_chosen_language_settles_an_ambiguous_question_and_is_kept_in_the_store(searcher: Searcher, tmp_path: Path) -> None:
    database = tmp_path / "bot.sqlite3"

    async def choose() -> str:
        async with dialogue_over(searcher, database) as dialogue:
            return (await dialogue.language(reader(5, "it"), "da")).texts[0]

    async def ask_again() -> tuple[str, str]:
        async with dialogue_over(searcher, database) as dialogue:
            menu = await dialogue.language(reader(5, "it"), None)
            return menu.texts[0], (await dialogue.ask(reader(5, "it"), "account manager")).texts[0]

    assert asyncio.run(choose()).startswith("Dit sprog er nu Dansk.")
    menu, answer = asyncio.run(ask_again())
    assert menu.startswith("Dit sprog: Dansk.")
    assert "<i>kundechef</i>" in answer


def test_unknown_language_codes_list_the_content_languages(talk) -> None:
    async def scenario(dialogue: Dialogue) -> str:
        return (await dialogue.language(reader(), "xx")).texts[0]

    text = talk(scenario)
    assert "“xx”" in text and "tr (Türkçe)" in text and "auto" in text


def test_a_follow_up_question_keeps_to_the_article_of_the_chat(talk) -> None:
    async def scenario(dialogue: Dialogue) -> tuple[str, str]:
        await dialogue.ask(reader(3, "ru"), "диапазон зарплат")
        points = await dialogue.highlights(reader(3, "ru"), "")
        topic = await dialogue.highlights(reader(3, "ru"), "salgsteamet")
        return points.texts[0], topic.texts[0]

    points, topic = talk(scenario)
    assert points.startswith("<b>Особенности</b>")
    assert topic.count("• ") == 3


def test_highlights_without_context_show_the_main_article_in_the_readers_language(talk) -> None:
    async def scenario(dialogue: Dialogue) -> str:
        return (await dialogue.highlights(reader(4, "tr"), "")).texts[0]

    assert talk(scenario).startswith("<b>Öne çıkanlar</b> · <i>Muhasebe Müdürü</i>")


def test_a_translation_button_shows_the_same_paragraph_in_that_language(talk) -> None:
    async def scenario(dialogue: Dialogue) -> list[str]:
        reply = await dialogue.ask(reader(6, "tr"), "maaş aralığı nedir")
        danish = next(b.data for row in reply.buttons for b in row if b.label == "Dansk")
        pressed = await dialogue.press(reader(6, "tr"), danish)
        assert pressed.reply is not None and pressed.notice is None
        return [reply.texts[0], pressed.reply.texts[0]]

    turkish, danish = talk(scenario)
    assert "45.000 ila 85.000" in turkish
    assert "lønintervallet for kontoadministratorer i USA" in danish


def test_a_button_from_an_older_index_says_so(talk, searcher: Searcher) -> None:
    async def scenario(dialogue: Dialogue) -> tuple[bool, str | None]:
        pressed = await dialogue.press(reader(7, "tr"), "p:00000000:0:0:0")
        return pressed.reply is None, pressed.notice

    assert talk(scenario) == (True, message("tr", "outdated_button"))


def test_questions_are_logged_and_counted_in_the_stats(talk) -> None:
    async def scenario(dialogue: Dialogue) -> str:
        await dialogue.ask(reader(8, "ru"), "диапазон зарплат")
        await dialogue.ask(reader(8, "tr"), "Pizza tarifi nedir?")
        await dialogue.ask(reader(9, "tr"), "pizza tarifi nedir")
        return (await dialogue.stats(reader(ADMIN, "en"))).texts[0]

    text = talk(scenario)
    assert text.startswith("Questions asked\nLast 24 hours: 3 ")
    assert "Русский: " in text and "Türkçe: " in text
    assert "Most frequent unanswered questions (last 7 days):\n2× pizza tarifi nedir" in text


def test_a_reader_of_a_language_the_content_lacks_is_spoken_to_in_it_and_counted_under_it(talk) -> None:
    """An English reader of articles without English: the paragraph is a translation's, but the note over it, the vote
    buttons and the "no answer" to what follows are English, and the stats count an English question."""

    async def scenario(dialogue: Dialogue) -> tuple[str, list[str], str, str]:
        answer = await dialogue.ask(reader(10, "en"), "how much does an account manager earn")
        votes = [b.label for row in answer.buttons for b in row if b.label.startswith(("👍", "👎"))]
        nothing = await dialogue.ask(reader(10, "en"), "blorf quux")
        return answer.texts[0], votes, nothing.texts[0], (await dialogue.stats(reader(ADMIN, "en"))).texts[0]

    text, votes, nothing, stats = talk(scenario)
    assert text.startswith(f"<i>{message('en', 'read_as_en')}</i>") and "Indeed.com" in text
    assert votes == [message("en", "vote_helpful"), message("en", "vote_unhelpful")]
    assert nothing.startswith(message("en", "no_answer"))
    assert "English: 2 questions" in stats


def test_a_greeting_gets_what_the_bot_does_and_thanks_a_welcome_and_neither_is_an_unanswered_question(talk) -> None:
    async def scenario(dialogue: Dialogue) -> tuple[str, str, str]:
        hello = await dialogue.ask(reader(21, "tr"), "merhaba")
        thanks = await dialogue.ask(reader(21, "tr"), "teşekkürler!")
        return hello.texts[0], thanks.texts[0], (await dialogue.stats(reader(ADMIN, "en"))).texts[0]

    hello, thanks, stats = talk(scenario)
    assert hello.startswith(message("tr", "help").split("\n")[0])
    assert thanks == message("tr", "thanks_reply")
    assert "Last 24 hours: 0 questions" in stats and "No unanswered questions" in stats


def test_only_admins_are_admins(talk) -> None:
    async def scenario(dialogue: Dialogue) -> list[bool]:
        return [dialogue.is_admin(reader(ADMIN)), dialogue.is_admin(reader(1)), dialogue.is_admin(Asker(1, None, None))]

    assert talk(scenario) == [True, False, False]


@pytest.mark.parametrize(
    ("outcome", "start"),
    [
        (ReloadOutcome("reloaded", 6, 5, ("broken.it.md",)), "Base di conoscenza ricaricata: 6 articoli in 5 lingue."),
        (ReloadOutcome("unchanged", 5, 5, ()), "La base di conoscenza non è cambiata"),
        (ReloadOutcome("failed", 5, 5, ()), "Il ricaricamento non è riuscito"),
    ],
)
def test_reload_reports_in_the_admins_language(talk, outcome: ReloadOutcome, start: str) -> None:
    async def scenario(dialogue: Dialogue) -> str:
        return (await dialogue.reload_report(reader(ADMIN, "it"), outcome)).texts[0]

    text = talk(scenario)
    assert text.startswith(start)
    assert ("• broken.it.md" in text) == bool(outcome.problem_files)


def test_a_reload_counts_the_taught_questions_so_losing_them_shows(talk) -> None:
    """A `questions.yml` broken by a typo is skipped, and every taught answer with it: the admin sees the count fall
    to nothing beside the file named as broken, not just "reloaded"."""

    async def scenario(dialogue: Dialogue) -> list[str]:
        admin = reader(ADMIN, "en")
        taught = await dialogue.reload_report(admin, ReloadOutcome("reloaded", 5, 5, (), 12))
        broken = await dialogue.reload_report(admin, ReloadOutcome("reloaded", 5, 5, ("questions.yml",), 0))
        none = await dialogue.reload_report(admin, ReloadOutcome("unchanged", 5, 5, (), 0))
        return [taught.texts[0], broken.texts[0], none.texts[0]]

    taught, broken, none = talk(scenario)
    assert "Taught questions: 12." in taught
    assert "Taught questions: 0." in broken and "• questions.yml" in broken
    assert "Taught questions" not in none


def test_notices_speak_the_readers_language(talk) -> None:
    async def scenario(dialogue: Dialogue) -> list[str]:
        asker = reader(10, "da")
        replies = [await dialogue.not_text(asker), await dialogue.unknown_command(reader(11, "ru")), await dialogue.help(asker)]
        return [reply.texts[0] for reply in replies]

    not_text, unknown, help_ = talk(scenario)
    assert not_text == "Jeg kan kun læse tekstbeskeder. Skriv venligst dit spørgsmål."
    assert unknown == "Я не знаю такой команды. /help покажет, что я умею."
    assert help_ == message("da", "help")


def test_a_database_deleted_under_the_dialogue_refuses_the_choice_and_still_answers(
    searcher: Searcher, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The in-process half of `test_storage_faults.py`'s real-process test (marked slow)."""
    database = tmp_path / "bot.sqlite3"

    async def scenario() -> tuple[str, str, str]:
        async with dialogue_over(searcher, database) as dialogue:
            asker = reader(12, "en")
            confirmed = (await dialogue.language(asker, "it")).texts[0]
            for suffix in ("", "-wal", "-shm"):
                Path(f"{database}{suffix}").unlink(missing_ok=True)
            refused = (await dialogue.language(asker, "da")).texts[0]
            answer = (await dialogue.ask(asker, "maaş aralığı nedir")).texts[0]
            return confirmed, refused, answer

    with caplog.at_level(logging.DEBUG):
        confirmed, refused, answer = asyncio.run(scenario())
    assert confirmed.startswith("Ora la tua lingua è Italiano")
    assert refused == "Jeg kunne ikke gemme dit valg af sprog lige nu, så intet er ændret. Prøv igen senere."
    assert "45.000 ila 85.000" in answer
    errors = [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR]
    assert len(errors) == 1 and "the database is failing (a language choice write: " in errors[0], "once, not per write"
    assert "deleted or replaced while the bot was running: restart the bot" in errors[0]
    assert "chat 12: the language choice da was not saved" in caplog.text
    assert "chat 12: the question was answered but not logged" in caplog.text
