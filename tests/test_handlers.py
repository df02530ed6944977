"""Conversations through the bot's real handlers, in process: replies, buttons, commands, groups, odd input, admins.

The updates a real chat sends, handed to the application by `InProcessBot`,
each test with a fresh database: seconds instead of minutes. What only a real
process shows (signals, kill -9, the polling loop, restarts, the wire) is
`test_bot.py`'s and `test_operations.py`'s, marked `slow`.
"""

from __future__ import annotations

import asyncio
import itertools
import shutil
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from telegram.error import NetworkError

from bot.chat.messages import message
from bot.config import FloodLimit
from bot.search.loading import load_searcher
from bot.search.searcher import Searcher
from bot.telegram.app import register_commands

from .botrunner import button, buttons
from .conftest import SEEDS
from .fake_telegram import BOT_USER
from .inprocess import InProcessBot

user_ids = itertools.count(3000)
ADMIN = 777


@pytest.fixture
def bot(searcher: Searcher, tmp_path: Path) -> Iterator[InProcessBot]:
    with InProcessBot(searcher, tmp_path) as running:
        yield running
    assert running.fake.refusals == [], "the bot sent messages Telegram would refuse"


@pytest.fixture
def user() -> int:
    return next(user_ids)


@pytest.mark.parametrize(
    ("question", "heading", "emphasised", "title"),
    [
        ("maaş aralığı nedir", "Hesap Yöneticisi Rolleri Örnekleri", "<i>maaş</i> <i>aralığı</i>", "Muhasebe Müdürü"),
        ("نطاق رواتب مديري الحسابات", "أمثلة على أدوار مدير الحساب", "<i>رواتب</i>", "إدارة حساب المستخدم"),
        ("fascia di stipendio", "Esempi di ruoli di Account Manager", "<i>fascia</i> di <i>stipendio</i>", "Account Manager"),
        ("hvordan far man en hojere lon", "Eksempler på Account Manager-roller", "<i>højere</i> <i>løn</i>", "kundechef"),
        (
            "диапазон зарплат",
            "Примеры ролей менеджера по работе с клиентами",
            "<i>диапазон</i> <i>зарплат</i>",
            "Менеджер по работе с клиентами",
        ),
    ],
)
def test_question_gets_the_paragraph_in_its_language_with_buttons(
    bot: InProcessBot, user: int, question: str, heading: str, emphasised: str, title: str
) -> None:
    (reply,) = bot.say(question, user)
    text = reply["text"]
    assert reply["parse_mode"] == "HTML"
    assert text.startswith(f"<b>{heading}</b>\n\n")
    assert emphasised in text
    assert text.endswith(f"<i>{title}</i>")
    labels = [b["text"] for b in buttons(reply)]
    assert len([label for label in labels if label in {"Türkçe", "العربية", "Italiano", "Dansk", "Русский"}]) == 4
    assert len(labels) >= 5


def test_translation_button_shows_the_same_paragraph_in_that_language(bot: InProcessBot, user: int) -> None:
    (reply,) = bot.say("maaş aralığı nedir", user, language_code="tr")
    (danish,) = bot.press(reply, "Dansk", user)
    assert "lønintervallet for kontoadministratorer i USA" in danish["text"]
    (russian,) = bot.press(danish, "Русский", user)
    assert "диапазон зарплат менеджеров" in russian["text"]


def test_highlights_and_related_section_buttons(bot: InProcessBot, user: int) -> None:
    (reply,) = bot.say("fascia di stipendio", user, language_code="it")
    (points,) = bot.press(reply, "Punti chiave", user)
    assert points["text"].startswith("<b>Mette in risalto</b> · <i>Account Manager</i>\n• ")
    assert points["text"].count("• ") == 3
    (section,) = bot.press(reply, "Che cos'è un account manager?", user)
    assert section["text"].startswith("<b>Che cos'è un account manager?</b>")


def test_highlights_command_follows_the_conversation_or_a_topic(bot: InProcessBot, user: int) -> None:
    bot.say("диапазон зарплат", user, language_code="ru")
    (points,) = bot.say("/highlights", user, language_code="ru")
    assert points["text"].startswith("<b>Особенности</b>")
    (topic,) = bot.say("/highlights salgsteamet", user, language_code="ru")
    assert topic["text"].count("• ") == 3


def test_highlights_of_a_topic_no_article_answers_says_so_above_the_key_points_shown(bot: InProcessBot, user: int) -> None:
    note, points = bot.say("/highlights blorf quux", user, language_code="tr", count=2)
    assert note["text"] == message("tr", "highlights_unknown_topic", topic="blorf quux")
    assert points["text"].startswith("<b>Öne çıkanlar</b> · <i>Muhasebe Müdürü</i>")


def test_highlights_command_without_context_shows_the_main_article(bot: InProcessBot, user: int) -> None:
    (points,) = bot.say("/highlights", user, language_code="tr")
    assert points["text"].startswith("<b>Öne çıkanlar</b> · <i>Muhasebe Müdürü</i>")


def test_start_and_help_speak_the_users_language(bot: InProcessBot, user: int) -> None:
    (turkish,) = bot.say("/start", user, language_code="tr")
    assert turkish["text"].startswith("Bilgi bankasındaki sorulara cevap veriyorum.")
    (english,) = bot.say("/help", next(user_ids), language_code="de")
    assert english["text"].startswith("I answer questions from the knowledge base.")


def test_lang_by_argument_by_button_and_unknown_code(bot: InProcessBot, user: int) -> None:
    (menu,) = bot.say("/lang", user, language_code="it")
    assert [b["text"] for b in buttons(menu)] == ["العربية", "Dansk", "Italiano", "Русский", "Türkçe", "✓ Automatica"]
    (confirmed,) = bot.press(menu, "Dansk", user)
    assert confirmed["text"].startswith("Dit sprog er nu Dansk.")
    (menu,) = bot.say("/lang", user, language_code="it")
    assert menu["text"].startswith("Dit sprog: Dansk.")
    assert "✓ Dansk" in [b["text"] for b in buttons(menu)]
    (ambiguous,) = bot.say("account manager", user, language_code="it")
    assert "<i>kundechef</i>" in ambiguous["text"]
    (unknown,) = bot.say("/lang xx", user)
    assert "“xx”" in unknown["text"] and "tr (Türkçe)" in unknown["text"] and "auto" in unknown["text"]
    (two,) = bot.say("/lang tr da", user)
    assert "“tr da”" in two["text"] and "tr (Türkçe)" in two["text"]
    (direct,) = bot.say("/lang ru", user)
    assert direct["text"].startswith("Теперь ваш язык — Русский.")
    (automatic,) = bot.say("/lang auto", user)
    assert "automatic" not in automatic["text"] and automatic["text"]


def test_a_language_choice_outlives_the_bot_that_stored_it(searcher: Searcher, tmp_path: Path, user: int) -> None:
    """The choice is in the database, not in memory: a new application on the same file still knows it.

    (That it survives kill -9 of a real process is `test_bot.py`'s, marked slow.)
    """
    with InProcessBot(searcher, tmp_path) as first:
        (menu,) = first.say("/lang", user)
        (confirmed,) = first.press(menu, "Italiano", user)
        assert confirmed["text"].startswith("Ora la tua lingua è Italiano.")
    with InProcessBot(searcher, tmp_path) as second:
        (menu,) = second.say("/lang", user)
        assert menu["text"].startswith("La tua lingua: Italiano.")


def test_no_answer_is_polite_and_offers_sections(bot: InProcessBot, user: int) -> None:
    (reply,) = bot.say("ricetta della pizza margherita", user, language_code="it")
    assert reply["text"].startswith("Non ho trovato una risposta")
    assert "Puoi chiedere di:" in reply["text"]
    suggestion = buttons(reply)[0]["text"]
    (section,) = bot.press(reply, suggestion, user)
    assert section["text"].startswith(f"<b>{suggestion}</b>")


# -- paragraphs offered one tap away ------------------------------------------------------------------------


def choices(bot: InProcessBot) -> list[tuple]:
    with sqlite3.connect(bot.settings.database_path) as db:
        return db.execute(
            "SELECT q.question, c.user_id, c.article_key, c.article_lang, c.section, c.paragraph "
            "FROM choices c JOIN questions q ON q.id = c.question_id ORDER BY c.chosen_at, q.id"
        ).fetchall()


def test_a_near_tie_offers_two_paragraphs_in_one_row_directly_under_the_answer(bot: InProcessBot, user: int) -> None:
    """ "What does an account manager deal with": the duties, or what one is, or the duties' next paragraph.

    The row comes before the votes, key points and translations; each label is
    the section's heading cut to fit between words, a paragraph of the answer's
    own section named by its opening words (its heading would repeat the answer's).
    """
    (reply,) = bot.say("di cosa si occupa un account manager", user, language_code="it")
    assert reply["text"].startswith("<b>Capire cosa fa un account manager</b>")
    rows = reply["reply_markup"]["inline_keyboard"]
    assert [b["text"] for b in rows[0]] == ["Che cos'è un account…", "L'account manager è un…"]
    assert [b["text"] for b in rows[1]] == [message("it", "vote_helpful"), message("it", "vote_unhelpful")]
    assert all(len(b["callback_data"].encode()) <= 64 for row in rows for b in row)
    (decisive,) = bot.say("fascia di stipendio", user, language_code="it")
    assert [b["text"] for b in decisive["reply_markup"]["inline_keyboard"][0]] == [
        message("it", "vote_helpful"),
        message("it", "vote_unhelpful"),
    ]


def test_tapping_an_offered_paragraph_shows_it_as_an_answer_and_records_the_choice(bot: InProcessBot, user: int) -> None:
    (reply,) = bot.say("di cosa si occupa un account manager", user, language_code="it")
    (shown,) = bot.press(reply, "Che cos'è un account…", user)
    assert shown["text"].startswith("<b>Che cos'è un account manager?</b>\n\n")
    assert "<i>account</i> <i>manager</i>" in shown["text"] and shown["text"].endswith("<i>Account Manager</i>")
    assert "Italiano" not in [b["text"] for b in buttons(shown)] and "Dansk" in [b["text"] for b in buttons(shown)]
    assert choices(bot) == [
        ("di cosa si occupa un account manager", user, "account-manager", "it", "Che cos'è un account manager?", 0)
    ]
    bot.press(reply, "L'account manager è un…", user)
    assert choices(bot) == [
        ("di cosa si occupa un account manager", user, "account-manager", "it", "Capire cosa fa un account manager", 2)
    ]


def test_an_offered_paragraph_pressed_in_another_chat_records_nothing_and_shows_no_question(bot: InProcessBot, user: int) -> None:
    """The button's log id is the question's: in another chat it shows the paragraph, which anyone may read, and
    neither records a choice nor emphasises the words of a question asked elsewhere."""
    (reply,) = bot.say("di cosa si occupa un account manager", user, language_code="it")
    data = button(reply, "Che cos'è un account…")["callback_data"]
    stranger = next(user_ids)
    (theirs,) = bot.say("fascia di stipendio", stranger, language_code="it")
    before = len(bot.fake.messages_to(stranger))
    bot.press_data(data, theirs["_message"], stranger, "it")
    (shown,) = bot.fake.messages_to(stranger)[before:]
    assert shown["text"].startswith("<b>Che cos'è un account manager?</b>") and "<i>account</i>" not in shown["text"]
    assert choices(bot) == []


def test_no_answer_offers_the_plausible_paragraphs_and_records_which_one_was_meant(bot: InProcessBot, user: int) -> None:
    (reply,) = bot.say("che tempo fa domani", user, language_code="it")
    assert reply["text"] == message("it", "no_answer") + "\n\n" + message("it", "maybe_these")
    (offered,) = buttons(reply)
    (shown,) = bot.press(reply, offered["text"], user)
    assert shown["text"].startswith("<b>Esempi di ruoli di Account Manager</b>")
    assert [row[4] for row in choices(bot)] == ["Esempi di ruoli di Account Manager"]


def test_an_out_of_scope_english_question_gets_no_answer(bot: InProcessBot, user: int) -> None:
    """Issue 25's example: the mortgage rate used to be answered with a paragraph on pay."""
    (reply,) = bot.say("whats the average 30 year fixed mortgage rate right now", user, language_code="en")
    assert reply["text"].startswith("I couldn't find an answer to that in the knowledge base.")
    assert [b["text"] for b in buttons(reply)] == ["العربية", "Dansk", "Italiano", "Русский", "Türkçe"]


def test_inline_results_offer_the_paragraphs_offered_with_the_answer_right_after_it(bot: InProcessBot, user: int) -> None:
    results = bot.inline("di cosa si occupa un account manager", user, language_code="it")["results"]
    assert [r["title"] for r in results][:3] == [
        "Capire cosa fa un account manager",
        "Che cos'è un account manager?",
        "Capire cosa fa un account manager",
    ]
    assert len({r["id"] for r in results}) == len(results) <= 5
    offered = bot.inline("che tempo fa domani", user, language_code="it")["results"]
    assert [r["title"] for r in offered] == ["Esempi di ruoli di Account Manager"]


def test_inline_mode_offers_answers_that_post_the_paragraph_and_a_way_to_the_bot(bot: InProcessBot, user: int) -> None:
    """`@bot question` in any chat; an empty query offers the main article's key points."""
    answered = bot.inline("maaş aralığı nedir", user, language_code="tr")
    results = answered["results"]
    assert 1 <= len(results) <= 5 and int(answered["cache_time"]) > 0
    first = results[0]
    assert first["title"] == "Hesap Yöneticisi Rolleri Örnekleri"
    content = first["input_message_content"]
    assert content["message_text"].startswith("<b>Hesap Yöneticisi Rolleri Örnekleri</b>\n\n")
    assert "45.000 ila 85.000" in content["message_text"] and content["parse_mode"] == "HTML"
    (more,) = [b for row in first["reply_markup"]["inline_keyboard"] for b in row]
    assert more["url"].startswith("https://t.me/")
    offered = bot.inline("", user, language_code="it")
    assert offered["results"][0]["input_message_content"]["message_text"].count("• ") == 3
    assert bot.inline("futbol maci kac kac bitti", user, language_code="tr")["results"] == []
    assert bot.inline("merhaba", user, language_code="tr")["results"] == []


def test_an_inline_answer_read_across_languages_tells_its_reader_so_in_their_language(bot: InProcessBot, user: int) -> None:
    results = bot.inline("how much does an account manager earn", user, language_code="en")["results"]
    assert results[0]["input_message_content"]["message_text"].startswith(f"<i>{message('en', 'read_as_en')}</i>")


def test_a_question_in_no_language_is_told_no_answer_in_the_chosen_language(bot: InProcessBot, user: int) -> None:
    bot.say("/lang tr", user, language_code="it")
    (reply,) = bot.say("asdf qwerty", user, language_code="it")
    assert reply["text"].startswith(message("tr", "no_answer") + "\n\n" + message("tr", "try_asking"))
    assert [b["text"] for b in buttons(reply)][0] == "Hesap Yöneticisi Rolleri Örnekleri"


@pytest.mark.parametrize("question", ["weather tomorrow", "what is the capital of France"])
def test_a_reader_whose_language_the_content_lacks_gets_one_language_they_can_read(
    bot: InProcessBot, user: int, question: str
) -> None:
    (reply,) = bot.say(question, user, language_code="en")
    assert reply["text"] == (
        "I couldn't find an answer to that in the knowledge base.\n\n"
        "The articles here are written in other languages. Pick one to read them in, then ask in it:"
    )
    assert [b["text"] for b in buttons(reply)] == ["العربية", "Dansk", "Italiano", "Русский", "Türkçe"]
    (chosen,) = bot.press(reply, "Dansk", user)
    assert chosen["text"].startswith("Dit sprog er nu Dansk")


def test_an_english_question_is_answered_from_the_articles_in_the_chosen_language_with_a_note(
    bot: InProcessBot, user: int
) -> None:
    """The content has no English; the model reads the question's meaning across languages."""
    (menu,) = bot.say("/lang", user, language_code="en")
    bot.press(menu, "Italiano", user)
    (reply,) = bot.say("how much does an account manager earn", user, language_code="en")
    assert reply["text"].startswith("<i>La tua domanda è stata riconosciuta come scritta in inglese e la risposta viene dagli articoli.</i>\n\n<b>")
    assert "fascia di stipendio" in reply["text"] and "45.000" in reply["text"]


@pytest.mark.parametrize("text", ["🙂🙂🙂", "<b>x</b> & <script>alert(1)</script>", "maaş " * 819 + "x", "."])
def test_odd_messages_get_a_proper_reply(bot: InProcessBot, user: int, text: str) -> None:
    (reply,) = bot.say(text, user, language_code="tr")
    assert reply["text"]
    assert "<script>" not in reply["text"]


def test_stickers_and_photos_get_a_hint(bot: InProcessBot, user: int) -> None:
    sticker = {
        "sticker": {
            "file_id": "s",
            "file_unique_id": "s",
            "type": "regular",
            "width": 1,
            "height": 1,
            "is_animated": False,
            "is_video": False,
        }
    }
    (reply,) = bot.say(None, user, language_code="da", extra=sticker)
    assert reply["text"] == "Jeg kan kun læse tekstbeskeder. Skriv venligst dit spørgsmål."


def test_unknown_command_points_to_help(bot: InProcessBot, user: int) -> None:
    (reply,) = bot.say("/weather", user, language_code="ru")
    assert reply["text"] == "Я не знаю такой команды. /help покажет, что я умею."


def test_group_chat_answers_only_when_addressed(bot: InProcessBot, user: int) -> None:
    group = -100_000 - user
    bot.say("maaş aralığı nedir", user, count=0, chat_id=group, chat_type="supergroup")
    bot.say("/weather@other_bot", user, count=0, chat_id=group, chat_type="supergroup")
    (mentioned,) = bot.say(f"@{BOT_USER['username']} maaş aralığı nedir", user, chat_id=group, chat_type="supergroup")
    assert "<i>maaş</i>" in mentioned["text"]
    assert mentioned.get("reply_parameters") or mentioned.get("reply_to_message_id")
    (replied,) = bot.say("terfi", user, chat_id=group, chat_type="supergroup", reply_to=mentioned["_message"])
    assert "terfi" in replied["text"]
    (command,) = bot.say(f"/highlights@{BOT_USER['username']}", user, chat_id=group, chat_type="supergroup")
    assert command["text"].count("• ") == 3


def test_group_mentions_by_name_in_a_caption_or_about_another_message_are_answered(bot: InProcessBot, user: int) -> None:
    group = -200_000 - user
    kwargs = {"chat_id": group, "chat_type": "supergroup", "language_code": "tr"}
    picked = {"type": "text_mention", "offset": 0, "length": len(BOT_USER["first_name"]), "user": BOT_USER}
    (by_name,) = bot.say(f"{BOT_USER['first_name']} maaş aralığı nedir", user, extra={"entities": [picked]}, **kwargs)
    assert "<i>maaş</i>" in by_name["text"]
    photo = [{"file_id": "p", "file_unique_id": "p", "width": 1, "height": 1}]
    mention = {"type": "mention", "offset": 0, "length": len(BOT_USER["username"]) + 1}
    caption = {"photo": photo, "caption": f"@{BOT_USER['username']} maaş aralığı nedir", "caption_entities": [mention]}
    (captioned,) = bot.say(None, user, extra=caption, **kwargs)
    assert "<i>maaş</i>" in captioned["text"]
    other = bot.fake.user_message("terfi nasıl olur", user_id=user + 1, chat_id=group, chat_type="supergroup")["message"]
    (about_other,) = bot.say(f"@{BOT_USER['username'].upper()}", user, reply_to=other, **kwargs)
    assert "terfi" in about_other["text"]
    (bare,) = bot.say(f"@{BOT_USER['username']}", user, **kwargs)
    assert bare["text"].startswith("Bilgi bankasındaki sorulara cevap veriyorum.")
    bot.say(None, user, count=0, extra={"photo": photo, "caption": "maaş aralığı nedir"}, **kwargs)


def test_hostile_text_and_forged_buttons_get_valid_replies(bot: InProcessBot, user: int) -> None:
    (surrogate,) = bot.say("maaş\ud800 aralığı nedir", user, language_code="tr")
    assert "<i>maaş</i>" in surrogate["text"]
    (hidden,) = bot.say("ma\u200baş ara\u00adlığı nedir", user, language_code="tr")
    assert "<i>maaş</i>" in hidden["text"]
    generation = buttons(surrogate)[0]["callback_data"].split(":")[1]
    for data in (f"p:{generation}:0:-2:0", f"p:{generation}:0:0:-5", f"p:{generation}:0:99999999999999999999:0", "l:\ud800"):
        answered = bot.press_data(data, surrogate["_message"], user, language_code="tr")
        assert "eski bir sürümüne" in answered["text"]
    (after,) = bot.say("terfi", user, language_code="tr")
    assert "terfi" in after["text"]
    assert [m for m in bot.fake.messages_to(user) if m["text"] in {message("tr", "error"), message("en", "error")}] == []


def test_every_button_press_is_answered(bot: InProcessBot, user: int) -> None:
    (reply,) = bot.say("terfi", user, language_code="tr")
    answered = bot.press_data("p:00000000:0:0:0", reply["_message"], user)
    assert "eski bir sürümüne" in answered["text"]
    bot.press_data("not-ours", reply["_message"], user)


def test_commands_are_registered_in_every_language(bot: InProcessBot) -> None:
    calls = [p for m, p in bot.fake.calls if m == "setMyCommands"]
    by_language = {call.get("language_code"): call["commands"] for call in calls}
    assert set(by_language) == {None, "ar", "da", "it", "ru", "tr"}
    assert {c["command"] for c in by_language["tr"]} == {"start", "help", "highlights", "lang"}
    assert any(c["description"] == "Dilinizi gösterin veya değiştirin" for c in by_language["tr"])


def test_commands_that_cannot_be_set_do_not_stop_the_bot(
    searcher: Searcher, tmp_path: Path, user: int, caplog: pytest.LogCaptureFixture
) -> None:
    with InProcessBot(searcher, tmp_path, failing=frozenset({"setMyCommands"})) as failing:
        (reply,) = failing.say("terfi", user, language_code="tr")
        assert "terfi" in reply["text"]
    assert "could not register commands" in caplog.text


def test_command_menus_are_set_side_by_side_so_refusals_do_not_add_up() -> None:
    """Each refused setMyCommands is retried for seconds; one after another they held polling back per language."""
    events: list[tuple[str, str | None]] = []

    class RefusingBot:
        async def set_my_commands(self, commands: list, scope: object = None, language_code: str | None = None) -> None:
            events.append(("asked", language_code))
            await asyncio.sleep(0.01)
            events.append(("refused", language_code))
            raise NetworkError("Bad Gateway")

    asyncio.run(register_commands(SimpleNamespace(bot=RefusingBot()), ["tr", "da"], frozenset({42})))
    asked = [lang for event, lang in events[: len(events) // 2]]
    assert [event for event, _ in events[:6]] == ["asked"] * 6, events
    assert sorted(asked, key=str) == sorted([None, "tr", "da"] * 2, key=str)


def test_questions_are_logged_for_the_content_owner(bot: InProcessBot, user: int) -> None:
    bot.say("hvad koster en pizza", user, language_code="da")
    with sqlite3.connect(bot.settings.database_path) as db:
        rows = db.execute("SELECT question, language, kind, answered FROM questions WHERE user_id = ?", (user,)).fetchall()
    assert rows == [("hvad koster en pizza", "da", "none", 0)]


def test_bot_and_cli_give_the_same_answer(bot: InProcessBot, user: int, searcher: Searcher) -> None:
    import html
    import re

    for question in ("hvordan far man en hojere lon", "ما هي مهام مدير الحساب", "зарплта"):
        (reply,) = bot.say(question, user)
        assert searcher.answer(question).text in html.unescape(re.sub(r"</?i>", "", reply["text"]))


def test_long_answer_arrives_in_several_valid_messages(tmp_path: Path, user: int) -> None:
    content = tmp_path / "content"
    content.mkdir()
    long_paragraph = " ".join(f"Il caffè numero {i} viene tostato lentamente." for i in range(400))
    (content / "caffe.it.md").write_text(
        f"---\ntitle: Caffè\n---\n# Caffè\n## Tostatura\n{long_paragraph}\n\n## Punti\n- tostato\n- lento\n", encoding="utf-8"
    )
    with InProcessBot(load_searcher_for(content, tmp_path), tmp_path, content_dir=content) as running:
        running.fake.user_message("tostatura del caffè", user_id=user, language_code="it")
        running.post(running.fake._updates[-1])
        replies = running.fake.messages_to(user)
        assert len(replies) >= 4
        assert all(len(r["text"]) <= 4096 for r in replies)
        assert [bool(buttons(r)) for r in replies] == [False] * (len(replies) - 1) + [True]
        assert sum(r["text"].count("tostato") for r in replies) == 400
        assert running.fake.refusals == []


def load_searcher_for(content: Path, workdir: Path) -> Searcher:
    from bot.chat.messages import available
    from bot.config import Settings

    from .conftest import SHARED_VECTORS

    settings = Settings(content, None, "en", "WARNING", vectors_dir=SHARED_VECTORS)
    return load_searcher(settings, reply_languages=available())


# -- the flood limit and admin commands ------------------------------------------------------------------


def test_a_flooding_user_gets_one_notice_and_others_are_still_answered(searcher: Searcher, tmp_path: Path, user: int) -> None:
    with InProcessBot(searcher, tmp_path, flood_limit=FloodLimit(3, 60.0)) as running:
        for _ in range(6):
            running.post(running.fake.user_message("maaş aralığı nedir", user_id=user, language_code="tr"))
        texts = [m["text"] for m in running.fake.messages_to(user)]
        assert len(texts) == 4
        assert sum("45.000 ila 85.000" in t for t in texts) == 3
        assert sum(t.startswith("Mesajları cevaplayabileceğimden daha hızlı") for t in texts) == 1
        (other,) = running.say("fascia di stipendio", next(user_ids))
        assert "Esempi di ruoli" in other["text"]


def test_typing_an_inline_query_does_not_use_up_the_users_messages(searcher: Searcher, tmp_path: Path, user: int) -> None:
    """Telegram sends an inline query per pause in typing `@bot question`: sharing an answer is not flooding the chat."""
    with InProcessBot(searcher, tmp_path, flood_limit=FloodLimit(3, 60.0)) as running:
        typed = "maaş aralığı nedir"
        answered = [running.inline(typed[:end], user, language_code="tr") for end in range(4, len(typed) + 1, 2)]
        assert len(answered) == 8 and answered[-1]["results"], "every pause in typing is answered"
        (reply,) = running.say(typed, user, language_code="tr")
        assert "45.000 ila 85.000" in reply["text"]


@pytest.fixture
def admin_bot(searcher: Searcher, tmp_path: Path) -> Iterator[InProcessBot]:
    """The seed index, and a copy of the seeds for /reload to find edits in."""
    content = tmp_path / "content"
    shutil.copytree(SEEDS, content)
    with InProcessBot(searcher, tmp_path, content_dir=content, admins=frozenset({ADMIN})) as running:
        yield running
    assert running.fake.refusals == []


def test_admin_commands_look_unknown_to_everyone_else(admin_bot: InProcessBot, user: int) -> None:
    for command in ("/stats", "/reload"):
        (reply,) = admin_bot.say(command, user)
        assert reply["text"].startswith("I don't know that command.")


def test_stats_show_the_share_answered_and_what_went_unanswered(admin_bot: InProcessBot, user: int) -> None:
    admin_bot.say("диапазон зарплат", user, language_code="ru")
    admin_bot.say("Pizza tarifi nedir?", user, language_code="tr")
    admin_bot.say("pizza tarifi nedir", next(user_ids), language_code="tr")
    (stats,) = admin_bot.say("/stats", ADMIN, language_code="en")
    text = stats["text"]
    assert text.startswith("Questions asked\nLast 24 hours: 3 ")
    assert "Русский: " in text and "Türkçe: " in text
    assert "Most frequent unanswered questions (last 7 days):\n2× pizza tarifi nedir" in text


TEA = "---\ntitle: Tè\nlang: it\n---\n# Tè\n## Infusione del tè verde\nIl tè verde si lascia in infusione tre minuti, a ottanta gradi.\n"


def test_reload_picks_up_new_and_broken_files_and_keeps_serving(admin_bot: InProcessBot) -> None:
    content = admin_bot.settings.content_dir
    (before,) = admin_bot.say("quanti minuti di infusione per il tè verde", ADMIN, language_code="it")
    assert "Infusione" not in before["text"]
    (content / "tea.it.md").write_text(TEA, encoding="utf-8")
    (content / "broken.it.md").write_text("---\ntitle: [unclosed\n---\n# Rotto\n", encoding="utf-8")
    (report,) = admin_bot.say("/reload", ADMIN, language_code="it")
    assert report["text"].startswith("Base di conoscenza ricaricata: 6 articoli in 5 lingue.")
    assert "• broken.it.md" in report["text"]
    (after,) = admin_bot.say("quanti minuti di infusione per il tè verde", ADMIN, language_code="it")
    assert after["text"].startswith("<b>Infusione del tè verde</b>")
    (again,) = admin_bot.say("/reload", ADMIN, language_code="it")
    assert again["text"].startswith("La base di conoscenza non è cambiata")


def test_a_reload_that_finds_nothing_usable_keeps_the_old_index(admin_bot: InProcessBot, tmp_path: Path) -> None:
    for path in admin_bot.settings.content_dir.glob("*.md"):
        path.unlink()
    (report,) = admin_bot.say("/reload", ADMIN, language_code="it")
    assert report["text"].startswith("Il ricaricamento non è riuscito, quindi continuo a rispondere con la versione precedente.")
    (answer,) = admin_bot.say("диапазон зарплат", next(user_ids), language_code="ru")
    assert answer["text"].startswith("<b>Примеры ролей менеджера")


def test_readers_vote_on_answers_and_the_owner_reads_what_they_said(admin_bot: InProcessBot, user: int) -> None:
    """Two compact buttons under each answer, one vote per reader (a second press changes it), read by `/stats`."""
    (reply,) = admin_bot.say("maaş aralığı nedir", user, language_code="tr")
    assert [b["text"] for b in buttons(reply)][:2] == ["👍 Faydalı", "👎 Faydalı değil"]
    for label in ("👍 Faydalı", "👎 Faydalı değil"):
        answered = admin_bot.press_data(button(reply, label)["callback_data"], reply["_message"], user, "tr")
        assert answered["text"] == "Teşekkürler, kaydedildi."
    edits = [p for m, p in admin_bot.fake.calls if m == "editMessageReplyMarkup"]
    assert [b["text"] for b in edits[-1]["reply_markup"]["inline_keyboard"][0]] == ["👍 Faydalı", "👎 Faydalı değil ✓"]
    assert len(edits[-1]["reply_markup"]["inline_keyboard"]) == len(reply["reply_markup"]["inline_keyboard"])
    (none,) = admin_bot.say("pizza tarifi nedir", user, language_code="tr")
    assert not any(b["text"].startswith("👍") for b in buttons(none))
    (stats,) = admin_bot.say("/stats", ADMIN, language_code="en")
    assert "Answers marked helpful (last 7 days): 0% of 1 votes" in stats["text"]
    assert "1× maaş aralığı nedir → Hesap Yöneticisi Rolleri Örnekleri" in stats["text"]


# -- buttons on shared messages, votes from elsewhere, admin output in groups, the log's retention ---------


def test_a_button_on_a_shared_message_is_answered_does_nothing_and_counts_against_the_flood_limit(
    searcher: Searcher, tmp_path: Path, user: int, caplog: pytest.LogCaptureFixture
) -> None:
    """A message posted in inline mode sits in someone else's chat, and a press on it comes with no chat at all.

    Those messages carry a link to the bot and no button of its own, so any
    press there is forged (or stale): it gets the outdated button's notice,
    changes nothing, and counts as a message, as every other press does.
    """
    with InProcessBot(searcher, tmp_path, flood_limit=FloodLimit(3, 60.0)) as running:
        (shared, *_) = running.inline("maaş aralığı nedir", user, language_code="tr")["results"]
        assert [set(b) for row in shared["reply_markup"]["inline_keyboard"] for b in row] == [{"text", "url"}]
        generation = running.dialogue.searcher.index.generation
        for data in (f"p:{generation}:0:0:0", "l:da", "v:1:1"):
            answered = running.press_shared(data, user, language_code="tr")
            assert answered["text"] == message("tr", "outdated_button") and answered["show_alert"]
        over = running.press_shared(f"h:{generation}:0", user, language_code="tr")
        assert over["text"] == message("tr", "flood") and over["show_alert"]
        running.say("terfi", user, count=0, language_code="tr")
        assert running.fake.messages_to(user) == []
        assert running.fake.count("editMessageText") == running.fake.count("editMessageReplyMarkup") == 0
    with sqlite3.connect(running.settings.database_path) as db:
        assert db.execute("SELECT count(*) FROM users WHERE user_id = ?", (user,)).fetchone() == (0,)
        assert db.execute("SELECT count(*) FROM chats WHERE chat_id = ?", (user,)).fetchone() == (0,)
    assert "failed" not in caplog.text


def test_a_vote_counts_only_in_the_chat_the_answer_was_given_in_and_others_look_outdated(bot: InProcessBot, user: int) -> None:
    """Log ids are sequential: a forged `v:ID:1` must neither vote on someone else's answer nor tell whether ID exists."""
    (reply,) = bot.say("maaş aralığı nedir", user, language_code="tr")
    vote = button(reply, "👍 Faydalı")["callback_data"]
    question_id = int(vote.split(":")[1])
    stranger = next(user_ids)
    (theirs,) = bot.say("pizza tarifi nedir", stranger, language_code="tr")
    answers = [
        bot.press_data(data, theirs["_message"], stranger, "tr")
        for data in (vote, f"v:{question_id + 1000}:1", "p:00000000:0:0:0")
    ]
    assert {(a["text"], a.get("show_alert")) for a in answers} == {(message("tr", "outdated_button"), True)}
    assert bot.press_data(vote, reply["_message"], user, "tr")["text"] == "Teşekkürler, kaydedildi."
    group = -400_000 - user
    (in_group,) = bot.say(f"@{BOT_USER['username']} terfi", user, chat_id=group, chat_type="supergroup", language_code="tr")
    member = button(in_group, "👎 Faydalı değil")["callback_data"]
    edits = sum(m == "editMessageReplyMarkup" for m, _ in bot.fake.calls)
    thanked = bot.press_data(member, in_group["_message"], stranger, "tr")
    assert thanked["text"] == "Teşekkürler, kaydedildi." and not thanked.get("show_alert")
    assert sum(m == "editMessageReplyMarkup" for m, _ in bot.fake.calls) == edits, "one member's ✓ is not everyone's"
    with sqlite3.connect(bot.settings.database_path) as db:
        votes = db.execute("SELECT user_id, helpful FROM votes ORDER BY question_id").fetchall()
    assert votes == [(user, 1), (stranger, 0)]


@pytest.mark.parametrize("command", ["/stats", f"/stats@{BOT_USER['username']}"])
def test_stats_in_a_group_are_not_posted_there(admin_bot: InProcessBot, user: int, command: str) -> None:
    """/stats lists readers' questions, private ones included: an admin typing it in a group is told where to ask."""
    admin_bot.say("my secret pizza question", user, language_code="tr")
    group = -500_000 - user
    (reply,) = admin_bot.say(command, ADMIN, chat_id=group, chat_type="supergroup", language_code="it")
    assert reply["text"] == message("it", "stats_private_only")
    assert admin_bot.fake.messages_to(ADMIN) == []
    (private,) = admin_bot.say("/stats", ADMIN, language_code="en")
    assert "my secret pizza question" in private["text"]


def test_the_question_log_is_pruned_in_the_background(searcher: Searcher, tmp_path: Path, user: int) -> None:
    """Entries older than QUESTION_LOG_DAYS go, with their votes, without anyone asking; the recent ones stay."""
    with sqlite3.connect(tmp_path / "bot.sqlite3") as db:
        db.execute("PRAGMA journal_mode=WAL")
    with InProcessBot(searcher, tmp_path, question_log_days=0) as kept:
        (reply,) = kept.say("maaş aralığı nedir", user, language_code="tr")
        kept.press_data(button(reply, "👍 Faydalı")["callback_data"], reply["_message"], user, "tr")
        kept.say("terfi", user, language_code="tr")
        assert kept.application.bot_data.pruner is None
    with sqlite3.connect(tmp_path / "bot.sqlite3") as db:
        db.execute("UPDATE questions SET asked_at = '2000-01-01T00:00:00+00:00' WHERE question = 'maaş aralığı nedir'")
    with InProcessBot(searcher, tmp_path, question_log_days=30) as pruning:
        deadline = time.monotonic() + 30
        while count_rows(tmp_path, "questions") != 1 and time.monotonic() < deadline:
            pruning._runner.run(asyncio.sleep(0.05))
    assert (count_rows(tmp_path, "questions"), count_rows(tmp_path, "votes")) == (1, 0)


def count_rows(workdir: Path, table: str) -> int:
    with sqlite3.connect(workdir / "bot.sqlite3") as db:
        return db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


# -- readers' evidence, for the owner ---------------------------------------------------------------------------


def evidence(bot: InProcessBot) -> list[tuple]:
    found = bot._runner.run(bot.dialogue.store.reader_evidence())
    return [(e.question, e.section, e.paragraph, e.readers_for, e.readers_against) for e in found]


def test_a_suggestion_tapped_after_a_no_vote_says_which_section_the_reader_wanted(bot: InProcessBot, user: int) -> None:
    """The sections suggested under an answer are kept as the reader's choice, which the owner reviews once the
    reader has said the answer did not help; browsing them after a good answer says nothing."""
    (reply,) = bot.say("maaş aralığı nedir", user, language_code="tr")
    suggested = [b for b in buttons(reply) if b["callback_data"].startswith("s:")]
    assert suggested and all(len(b["callback_data"].encode()) <= 64 for b in suggested)
    (shown,) = bot.press(reply, suggested[0]["text"], user)
    assert shown["text"].startswith(f"<b>{suggested[0]['text']}</b>")
    assert evidence(bot) == []
    bot.press(reply, message("tr", "vote_unhelpful"), user, count=0)
    assert evidence(bot) == [("maaş aralığı nedir", suggested[0]["text"], 0, 1, 0)]


def test_a_reader_who_tapped_an_offered_paragraph_can_say_it_did_not_help_either(bot: InProcessBot, user: int) -> None:
    """The paragraph shown after a tap has its own 👍 and 👎: a tap to look counts for it, until the reader says it
    did not help; another reader's 👍 on theirs still counts."""
    (reply,) = bot.say("di cosa si occupa un account manager", user, language_code="it")
    (shown,) = bot.press(reply, "Che cos'è un account…", user)
    assert [b["text"] for b in buttons(shown)][:2] == [message("it", "vote_helpful"), message("it", "vote_unhelpful")]
    wanted = ("di cosa si occupa un account manager", "Che cos'è un account manager?", 0)
    assert evidence(bot) == [(*wanted, 1, 0)]
    bot.press(shown, message("it", "vote_unhelpful"), user, count=0)
    assert evidence(bot) == []
    other = next(user_ids)
    (theirs,) = bot.say("di cosa si occupa un account manager", other, language_code="it")
    (seen,) = bot.press(theirs, "Che cos'è un account…", other)
    bot.press(seen, message("it", "vote_helpful"), other, count=0)
    assert evidence(bot) == [(*wanted, 1, 1)]


def test_one_readers_taps_and_votes_change_nothing_for_other_readers(bot: InProcessBot, user: int) -> None:
    (first,) = bot.say("di cosa si occupa un account manager", user, language_code="it")
    for _ in range(5):
        bot.press(first, "Che cos'è un account…", user)
    bot.press(first, message("it", "vote_unhelpful"), user, count=0)
    assert evidence(bot) == [("di cosa si occupa un account manager", "Che cos'è un account manager?", 0, 1, 0)]
    other = next(user_ids)
    (second,) = bot.say("di cosa si occupa un account manager", other, language_code="it")
    assert second["text"] == first["text"]
    assert [b["text"] for b in buttons(second)] == [b["text"] for b in buttons(first)]
