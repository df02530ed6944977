"""Conversations with the real bot, running in polling mode against a fake Bot API on 127.0.0.1."""

from __future__ import annotations

import html
import itertools
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.chat.messages import message

from .botrunner import BotProcess, button, buttons, press, say
from .fake_telegram import BOT_USER, FakeTelegram

pytestmark = pytest.mark.slow
"""Every test here runs `python -m bot` as a process; `test_handlers.py` has the conversations in process."""

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
    fake: FakeTelegram, bot: BotProcess, user: int, question: str, heading: str, emphasised: str, title: str
) -> None:
    (reply,) = say(fake, question, user)
    text = reply["text"]
    assert reply["parse_mode"] == "HTML"
    assert text.startswith(f"<b>{heading}</b>\n\n")
    assert emphasised in text
    assert text.endswith(f"<i>{title}</i>")
    labels = [b["text"] for b in buttons(reply)]
    assert len([label for label in labels if label in {"Türkçe", "العربية", "Italiano", "Dansk", "Русский"}]) == 4
    assert len(labels) >= 5


def test_translation_button_shows_the_same_paragraph_in_that_language(fake: FakeTelegram, bot: BotProcess, user: int) -> None:
    (reply,) = say(fake, "maaş aralığı nedir", user, language_code="tr")
    (danish,) = press(fake, reply, "Dansk", user)
    assert "lønintervallet for kontoadministratorer i USA" in danish["text"]
    (russian,) = press(fake, danish, "Русский", user)
    assert "диапазон зарплат менеджеров" in russian["text"]


def test_highlights_and_related_section_buttons(fake: FakeTelegram, bot: BotProcess, user: int) -> None:
    (reply,) = say(fake, "fascia di stipendio", user, language_code="it")
    (points,) = press(fake, reply, "Punti chiave", user)
    assert points["text"].startswith("<b>Mette in risalto</b> · <i>Account Manager</i>\n• ")
    assert points["text"].count("• ") == 3
    (section,) = press(fake, reply, "Che cos'è un account manager?", user)
    assert section["text"].startswith("<b>Che cos'è un account manager?</b>")


def test_highlights_command_follows_the_conversation_or_a_topic(fake: FakeTelegram, bot: BotProcess, user: int) -> None:
    say(fake, "диапазон зарплат", user, language_code="ru")
    (points,) = say(fake, "/highlights", user, language_code="ru")
    assert points["text"].startswith("<b>Особенности</b>")
    (topic,) = say(fake, "/highlights salgsteamet", user, language_code="ru")
    assert topic["text"].count("• ") == 3


def test_highlights_command_without_context_shows_the_main_article(fake: FakeTelegram, bot: BotProcess, user: int) -> None:
    (points,) = say(fake, "/highlights", user, language_code="tr")
    assert points["text"].startswith("<b>Öne çıkanlar</b> · <i>Muhasebe Müdürü</i>")


def test_start_and_help_speak_the_users_language(fake: FakeTelegram, bot: BotProcess, user: int) -> None:
    (turkish,) = say(fake, "/start", user, language_code="tr")
    assert turkish["text"].startswith("Bilgi bankasındaki sorulara cevap veriyorum.")
    (english,) = say(fake, "/help", next(user_ids), language_code="de")
    assert english["text"].startswith("I answer questions from the knowledge base.")


def test_lang_by_argument_by_button_and_unknown_code(fake: FakeTelegram, bot: BotProcess, user: int) -> None:
    (menu,) = say(fake, "/lang", user, language_code="it")
    assert [b["text"] for b in buttons(menu)] == ["العربية", "Dansk", "Italiano", "Русский", "Türkçe", "✓ Automatica"]
    (confirmed,) = press(fake, menu, "Dansk", user)
    assert confirmed["text"].startswith("Dit sprog er nu Dansk.")
    (menu,) = say(fake, "/lang", user, language_code="it")
    assert menu["text"].startswith("Dit sprog: Dansk.")
    assert "✓ Dansk" in [b["text"] for b in buttons(menu)]
    (ambiguous,) = say(fake, "account manager", user, language_code="it")
    assert "<i>kundechef</i>" in ambiguous["text"]
    (unknown,) = say(fake, "/lang xx", user)
    assert "“xx”" in unknown["text"] and "tr (Türkçe)" in unknown["text"] and "auto" in unknown["text"]
    (direct,) = say(fake, "/lang ru", user)
    assert direct["text"].startswith("Теперь ваш язык — Русский.")
    (automatic,) = say(fake, "/lang auto", user)
    assert "automatic" not in automatic["text"] and automatic["text"]


def test_no_answer_is_polite_and_offers_sections(fake: FakeTelegram, bot: BotProcess, user: int) -> None:
    (reply,) = say(fake, "ricetta della pizza margherita", user, language_code="it")
    assert reply["text"].startswith("Non ho trovato una risposta")
    assert "Puoi chiedere di:" in reply["text"]
    suggestion = buttons(reply)[0]["text"]
    (section,) = press(fake, reply, suggestion, user)
    assert section["text"].startswith(f"<b>{suggestion}</b>")


def test_a_near_tie_offers_two_paragraphs_and_a_tap_shows_one_and_records_the_choice(
    fake: FakeTelegram, bot: BotProcess, user: int
) -> None:
    """One row of two buttons directly under the answer (none under a decisive one); a tap shows that paragraph as
    an answer, the question's words emphasised, and the choice is kept with the question's log entry."""
    (decisive,) = say(fake, "fascia di stipendio", user, language_code="it")
    assert [b["text"] for b in decisive["reply_markup"]["inline_keyboard"][0]] == ["👍 Utile", "👎 Non utile"]
    (reply,) = say(fake, "di cosa si occupa un account manager", user, language_code="it")
    offered = [b["text"] for b in reply["reply_markup"]["inline_keyboard"][0]]
    assert offered == ["Che cos'è un account ma…", "Capire cosa fa un ac… ¶3"]
    (shown,) = press(fake, reply, offered[1], user)
    assert shown["text"].startswith("<b>Capire cosa fa un account manager</b>\n\n") and "<i>account</i>" in shown["text"]
    with sqlite3.connect(bot.workdir / "bot.sqlite3") as db:
        chosen = db.execute(
            "SELECT q.question, c.section, c.paragraph FROM choices c JOIN questions q ON q.id = c.question_id "
            "WHERE c.user_id = ?",
            (user,),
        ).fetchall()
    assert chosen == [("di cosa si occupa un account manager", "Capire cosa fa un account manager", 2)]


def test_an_english_question_to_content_without_english_is_answered_in_english(
    fake: FakeTelegram, bot: BotProcess, user: int
) -> None:
    (reply,) = say(fake, "what is the capital of France", user, language_code="en")
    assert reply["text"].startswith("I couldn't find an answer")


@pytest.mark.parametrize("question", ["hello", "what is the capital of France"])
def test_a_reader_whose_language_the_content_lacks_gets_one_language_they_can_read(
    fake: FakeTelegram, bot: BotProcess, user: int, question: str
) -> None:
    """English app, Turkish/Arabic/Italian/Danish/Russian content: English text, and buttons offering the
    content's languages by their own names, never Danish or Italian section titles under an English sentence."""
    (reply,) = say(fake, question, user, language_code="en")
    assert reply["text"] == (
        "I couldn't find an answer to that in the knowledge base.\n\n"
        "The articles here are written in other languages. Pick one to read them in, then ask in it:"
    )
    assert [b["text"] for b in buttons(reply)] == ["العربية", "Dansk", "Italiano", "Русский", "Türkçe"]
    (chosen,) = press(fake, reply, "Dansk", user)
    assert chosen["text"].startswith("Dit sprog er nu Dansk")


def test_an_english_question_is_answered_from_the_articles_in_the_chosen_language_with_a_note(
    fake: FakeTelegram, bot: BotProcess, user: int
) -> None:
    """The content has no English; the model reads the question's meaning across languages."""
    (menu,) = say(fake, "/lang", user, language_code="en")
    press(fake, menu, "Italiano", user)
    (reply,) = say(fake, "how much does an account manager earn", user, language_code="en")
    text = reply["text"]
    assert text.startswith("<i>La tua domanda è stata letta come inglese e la risposta viene dagli articoli.</i>\n\n<b>")
    assert "fascia di stipendio" in text and "45.000" in text


@pytest.mark.parametrize(
    "text",
    [
        "🙂🙂🙂",
        "<b>x</b> & <script>alert(1)</script>",
        "maaş " * 819 + "x",
        ".",
    ],
)
def test_odd_messages_get_a_proper_reply(fake: FakeTelegram, bot: BotProcess, user: int, text: str) -> None:
    (reply,) = say(fake, text, user, language_code="tr")
    assert reply["text"]
    assert "<script>" not in reply["text"]


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


def test_stickers_and_photos_get_a_hint(fake: FakeTelegram, bot: BotProcess, user: int) -> None:
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
    (reply,) = say(fake, None, user, language_code="da", extra=sticker)
    assert reply["text"] == "Jeg kan kun læse tekstbeskeder. Skriv venligst dit spørgsmål."


def test_unknown_command_points_to_help(fake: FakeTelegram, bot: BotProcess, user: int) -> None:
    (reply,) = say(fake, "/weather", user, language_code="ru")
    assert reply["text"] == "Я не знаю такой команды. /help покажет, что я умею."


def test_group_chat_answers_only_when_addressed(fake: FakeTelegram, bot: BotProcess, user: int) -> None:
    group = -100_000 - user
    fake.user_message("maaş aralığı nedir", user_id=user, chat_id=group, chat_type="supergroup")
    fake.user_message("/weather@other_bot", user_id=user, chat_id=group, chat_type="supergroup")
    (mentioned,) = say(fake, f"@{BOT_USER['username']} maaş aralığı nedir", user, chat_id=group, chat_type="supergroup")
    assert "<i>maaş</i>" in mentioned["text"]
    assert mentioned.get("reply_parameters") or mentioned.get("reply_to_message_id")
    (replied,) = say(fake, "terfi", user, chat_id=group, chat_type="supergroup", reply_to=mentioned["_message"])
    assert "terfi" in replied["text"]
    (command,) = say(fake, f"/highlights@{BOT_USER['username']}", user, chat_id=group, chat_type="supergroup")
    assert command["text"].count("• ") == 3
    assert len(fake.messages_to(group)) == 3


def test_group_mentions_by_name_in_a_caption_or_about_another_message_are_answered(
    fake: FakeTelegram, bot: BotProcess, user: int
) -> None:
    group = -200_000 - user
    kwargs = {"chat_id": group, "chat_type": "supergroup", "language_code": "tr"}
    picked = {"type": "text_mention", "offset": 0, "length": len(BOT_USER["first_name"]), "user": BOT_USER}
    (by_name,) = say(fake, f"{BOT_USER['first_name']} maaş aralığı nedir", user, extra={"entities": [picked]}, **kwargs)
    assert "<i>maaş</i>" in by_name["text"]
    photo = [{"file_id": "p", "file_unique_id": "p", "width": 1, "height": 1}]
    mention = {"type": "mention", "offset": 0, "length": len(BOT_USER["username"]) + 1}
    caption = {"photo": photo, "caption": f"@{BOT_USER['username']} maaş aralığı nedir", "caption_entities": [mention]}
    (captioned,) = say(fake, None, user, extra=caption, **kwargs)
    assert "<i>maaş</i>" in captioned["text"]
    other = fake.user_message("terfi nasıl olur", user_id=user + 1, chat_id=group, chat_type="supergroup")["message"]
    (about_other,) = say(fake, f"@{BOT_USER['username'].upper()}", user, reply_to=other, **kwargs)
    assert "terfi" in about_other["text"]
    (bare,) = say(fake, f"@{BOT_USER['username']}", user, **kwargs)
    assert bare["text"].startswith("Bilgi bankasındaki sorulara cevap veriyorum.")
    fake.user_message(
        None, user_id=user, extra={"photo": photo, "caption": "maaş aralığı nedir"}, chat_id=group, chat_type="supergroup"
    )
    say(fake, f"@{BOT_USER['username']} terfi", user, **kwargs)
    assert len(fake.messages_to(group)) == 5


def test_hostile_text_and_forged_buttons_get_valid_replies(fake: FakeTelegram, bot: BotProcess, user: int) -> None:
    (surrogate,) = say(fake, "maaş\ud800 aralığı nedir", user, language_code="tr")
    assert "<i>maaş</i>" in surrogate["text"]
    (hidden,) = say(fake, "ma\u200baş ara\u00adlığı nedir", user, language_code="tr")
    assert "<i>maaş</i>" in hidden["text"]
    generation = buttons(surrogate)[0]["callback_data"].split(":")[1]
    for data in (f"p:{generation}:0:-2:0", f"p:{generation}:0:0:-5", f"p:{generation}:0:99999999999999999999:0", "l:\ud800"):
        query = fake.press(data, surrogate["_message"], user_id=user, language_code="tr")
        (answered,) = fake.wait_for(lambda m, p, query=query: m == "answerCallbackQuery" and p.get("callback_query_id") == query)
        assert "eski bir sürümüne" in answered["text"]
    (after,) = say(fake, "terfi", user, language_code="tr")
    assert "terfi" in after["text"]
    assert [m for m in fake.messages_to(user) if m["text"] in {message("tr", "error"), message("en", "error")}] == []
    assert "Traceback" not in bot.log()


def test_every_button_press_is_answered(fake: FakeTelegram, bot: BotProcess, user: int) -> None:
    (reply,) = say(fake, "terfi", user, language_code="tr")
    stale = dict(button(reply, "Dansk"), callback_data="p:00000000:0:0:0")
    query = fake.press(stale["callback_data"], reply["_message"], user_id=user)
    (answered,) = fake.wait_for(lambda m, p: m == "answerCallbackQuery" and p.get("callback_query_id") == query)
    assert "eski bir sürümüne" in answered["text"]
    junk = fake.press("not-ours", reply["_message"], user_id=user)
    fake.wait_for(lambda m, p: m == "answerCallbackQuery" and p.get("callback_query_id") == junk)


def test_commands_are_registered_in_every_language(fake: FakeTelegram, bot: BotProcess) -> None:
    calls = fake.wait_for(lambda m, p: m == "setMyCommands", count=6)
    by_language = {call.get("language_code"): call["commands"] for call in calls}
    assert set(by_language) == {None, "ar", "da", "it", "ru", "tr"}
    assert {c["command"] for c in by_language["tr"]} == {"start", "help", "highlights", "lang"}
    assert any(c["description"] == "Dilinizi gösterin veya değiştirin" for c in by_language["tr"])


def test_questions_are_logged_for_the_content_owner(fake: FakeTelegram, bot: BotProcess, user: int) -> None:
    say(fake, "hvad koster en pizza", user, language_code="da")
    with sqlite3.connect(bot.workdir / "bot.sqlite3") as db:
        rows = db.execute("SELECT question, language, kind, answered FROM questions WHERE user_id = ?", (user,)).fetchall()
    assert rows == [("hvad koster en pizza", "da", "none", 0)]


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


def test_bot_and_cli_give_the_same_answer(fake: FakeTelegram, bot: BotProcess, user: int, searcher) -> None:
    for question in ("hvordan far man en hojere lon", "ما هي مهام مدير الحساب", "зарплта"):
        (reply,) = say(fake, question, user)
        assert searcher.answer(question).text in html.unescape(re.sub(r"</?i>", "", reply["text"]))


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


def test_inline_mode_offers_answers_that_post_the_paragraph_and_a_way_to_the_bot(
    fake: FakeTelegram, bot: BotProcess, user: int
) -> None:
    """`@bot question` in any chat; an empty query offers the main article's key points."""
    query = fake.inline_query("maaş aralığı nedir", user_id=user, language_code="tr")
    (answered,) = fake.wait_for(lambda m, p: m == "answerInlineQuery" and p.get("inline_query_id") == query)
    results = answered["results"]
    assert 1 <= len(results) <= 5 and int(answered["cache_time"]) > 0
    first = results[0]
    assert first["title"] == "Hesap Yöneticisi Rolleri Örnekleri"
    content = first["input_message_content"]
    assert content["message_text"].startswith("<b>Hesap Yöneticisi Rolleri Örnekleri</b>\n\n")
    assert "45.000 ila 85.000" in content["message_text"] and content["parse_mode"] == "HTML"
    (more,) = [b for row in first["reply_markup"]["inline_keyboard"] for b in row]
    assert more["url"].startswith("https://t.me/")
    empty = fake.inline_query("", user_id=user, language_code="it")
    (offered,) = fake.wait_for(lambda m, p: m == "answerInlineQuery" and p.get("inline_query_id") == empty)
    assert offered["results"][0]["input_message_content"]["message_text"].count("• ") == 3
    nothing = fake.inline_query("futbol maci kac kac bitti", user_id=user, language_code="tr")
    (none,) = fake.wait_for(lambda m, p: m == "answerInlineQuery" and p.get("inline_query_id") == nothing)
    assert none["results"] == []
