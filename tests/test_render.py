"""Replies as Telegram will show them: valid HTML, within the length limit, split between blocks."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from bot.chat.callbacks import Choose, SetLanguage, ShowHighlights, ShowParagraph, Vote, decode, encode
from bot.chat.render import (
    ALTERNATIVE_LABEL_LIMIT,
    LIMIT,
    alternative_buttons,
    answer_reply,
    emphasised,
    language_menu,
    pack,
    plain,
    shortened,
)
from bot.content.articles import Article, Section
from bot.search.index import HIGHLIGHTS
from bot.search.searcher import Alternative, Answer, Suggestion

from .fake_telegram import telegram_html_problem


def article(paragraph: str, heading: str = "Sezione <1> & co") -> Article:
    return Article(
        key="k",
        lang="it",
        title="Titolo & <b>",
        description="",
        keywords=(),
        sections=(Section(heading, (paragraph,)),),
        highlights=("uno", "due"),
        highlights_heading="Punti",
        path=Path("k.it.md"),
    )


def paragraph_answer(text: str) -> Answer:
    return Answer("q", "it", "paragraph", text, article_id=0, article=article(text), section=0, paragraph=0, score=1.0)


def test_content_is_escaped_and_only_our_tags_remain() -> None:
    reply = answer_reply(paragraph_answer("a < b && c > d"), emphasis=[(0, 1)], translations={}, generation="g", ui_lang="it")
    (text,) = reply.texts
    assert text == "<b>Sezione &lt;1&gt; &amp; co</b>\n\n<i>a</i> &lt; b &amp;&amp; c &gt; d\n\n<i>Titolo &amp; &lt;b&gt;</i>"
    assert telegram_html_problem(text) is None


def test_long_answer_is_split_into_valid_messages_with_buttons_on_the_last() -> None:
    words = ("parola " * 1400).strip()
    spans = [(i * 7, i * 7 + 6) for i in range(0, 1400, 3)]
    reply = answer_reply(paragraph_answer(words), emphasis=spans, translations={"da": 3}, generation="g", ui_lang="it")
    assert len(reply.texts) >= 3
    for text in reply.texts:
        assert len(text) <= LIMIT
        assert telegram_html_problem(text) is None
    joined = " ".join(reply.texts)
    assert joined.count("parola") == 1400
    assert reply.buttons[0][0].label == "Punti chiave"


def test_a_word_longer_than_a_message_is_still_cut_safely() -> None:
    reply = plain("&" * 10_000)
    assert all(len(text) <= LIMIT and telegram_html_problem(text) is None for text in reply.texts)
    assert sum(text.count("&amp;") for text in reply.texts) == 10_000


def test_pack_never_cuts_a_block() -> None:
    blocks = [("", "a" * 3000), ("\n\n", "b" * 3000), ("\n\n", "c" * 10)]
    assert pack(blocks) == ("a" * 3000, "b" * 3000 + "\n\n" + "c" * 10)


def test_emphasis_ignores_overlapping_spans() -> None:
    assert emphasised("løn og løn", [(0, 3), (1, 2), (7, 10)]) == "<i>løn</i> og <i>løn</i>"


def test_no_answer_offers_suggestions_as_buttons() -> None:
    answer = Answer("q", "ru", "none", "", suggestions=(Suggestion(4, 1, "Раздел " + "x" * 80),))
    reply = answer_reply(answer, emphasis=[], translations={}, generation="gen1", ui_lang="ru")
    assert reply.texts == ("Я не нашёл ответа на этот вопрос в базе знаний.\n\nМожно спросить о:",)
    (only,) = reply.buttons[0]
    assert len(only.label) <= 60 and only.label.endswith("…")
    assert decode(only.data) == ShowParagraph("gen1", 4, 1, 0)


def test_language_menu_names_languages_in_their_own_words() -> None:
    reply = language_menu("Dil:", "tr", ["ar", "tr"], "tr")
    labels = [b.label for row in reply.buttons for b in row]
    assert labels == ["العربية", "✓ Türkçe", "Otomatik"]
    assert decode(reply.buttons[-1][0].data) == SetLanguage("auto")


def test_button_data_round_trips_and_fits_telegrams_64_bytes() -> None:
    actions = (
        ShowParagraph("abcdef12", 123456, 40, 30),
        ShowHighlights("abcdef12", 99999),
        SetLanguage("tr"),
        Vote(10**18 - 1, False),
        Vote(10**18 - 1, True, chosen=True),
    )
    for action in actions:
        data = encode(action)
        assert len(data.encode()) <= 64
        assert decode(data) == action
    assert decode("p:x:not-a-number:1:2") is None
    assert decode(None) is None


def test_offered_paragraphs_are_one_row_of_short_labels_whose_data_fits_telegrams_64_bytes() -> None:
    """The largest ids a button carries (a 64-bit log id, six-digit positions) still fit; a long heading is cut
    between words, and a paragraph of the answer's own section is named by its opening words."""
    heading = "Capire cosa fa davvero un account manager nella vita di tutti i giorni"
    third = "Collabora con vendite, marketing e assistenza clienti."
    long = Article("k", "it", "T", "", (), (Section(heading, ("a", "b", third)),), ("uno",), "", Path("k.it.md"))
    answer = Answer(
        "q",
        "it",
        "paragraph",
        "a",
        article_id=999_999,
        article=long,
        section=0,
        paragraph=0,
        alternatives=(
            Alternative(long, 999_999, 0, 2, heading, third, 0.4),
            Alternative(long, 999_999, HIGHLIGHTS, HIGHLIGHTS, "", "uno", 0.3),
        ),
    )
    offered = alternative_buttons(answer, "abcdef12", 10**18 - 1)
    assert [b.label for b in offered] == ["Collabora con vendite…", "T"]
    assert shortened(heading, ALTERNATIVE_LABEL_LIMIT) == "Capire cosa fa davvero…"
    assert shortened("Many popular houseplants like monstera", ALTERNATIVE_LABEL_LIMIT) == "Many popular houseplant…"
    assert all(0 < len(b.label) <= ALTERNATIVE_LABEL_LIMIT for b in offered)
    assert [decode(b.data) for b in offered] == [
        Choose("abcdef12", 10**18 - 1, 999_999, 0, 2),
        Choose("abcdef12", 10**18 - 1, 999_999, HIGHLIGHTS, HIGHLIGHTS),
    ]
    assert all(len(b.data.encode()) <= 64 for b in offered)
    reply = answer_reply(answer, emphasis=[], translations={}, generation="abcdef12", ui_lang="it", alternatives=offered)
    assert reply.buttons[0] == offered
    unlogged = alternative_buttons(answer, "abcdef12", None)
    assert [decode(b.data) for b in unlogged] == [ShowParagraph("abcdef12", 999_999, 0, 2), ShowHighlights("abcdef12", 999_999)]


def test_forged_choice_data_is_not_an_action() -> None:
    for data in ("c:g:1:2:3", "c:g:0:2:3:4", "c:g:1:-2:3:4", "c:g:1:2:h:1", "c:g:1:2:x:0", "c:g:" + "9" * 19 + ":2:3:4"):
        assert decode(data) is None
        assert decode("s" + data[1:]) is None


def test_sections_suggested_under_a_logged_answer_keep_the_readers_choice_within_64_bytes() -> None:
    """Without a log id (the log could not be written, or a paragraph shown on request) they only show the section."""
    answer = replace(
        paragraph_answer("testo"), suggestions=(Suggestion(999_999, 999_998, "Altro"), Suggestion(999_999, HIGHLIGHTS, "Punti"))
    )

    def suggested(logged: int | None) -> list:
        reply = answer_reply(answer, emphasis=[], translations={}, generation="abcdef12", ui_lang="it", logged=logged)
        return [button.data for row in reply.buttons for button in row if button.label in ("Altro", "Punti")]

    logged = suggested(10**18 - 1)
    assert all(len(data.encode()) <= 64 for data in logged)
    assert [decode(data) for data in logged] == [
        Choose("abcdef12", 10**18 - 1, 999_999, 999_998, 0, "suggestion"),
        Choose("abcdef12", 10**18 - 1, 999_999, HIGHLIGHTS, HIGHLIGHTS, "suggestion"),
    ]
    assert [decode(data) for data in suggested(None)] == [
        ShowParagraph("abcdef12", 999_999, 999_998, 0),
        ShowHighlights("abcdef12", 999_999),
    ]


def test_paragraphs_whose_openings_read_alike_are_told_apart_by_heading_and_number() -> None:
    """Two paragraphs of the answer's section both open with the subject's name: their openings would make two
    identical buttons, so they are numbered under their heading."""
    heading = "Понимание того, чем занимается менеджер"
    first, third = "Менеджер по работе с клиентами отвечает за одно.", "Менеджер по работе с клиентами делает другое."
    article = Article("k", "ru", "T", "", (), (Section(heading, (first, "Другое.", third)),), (), "", Path("k.ru.md"))
    offers = (Alternative(article, 0, 0, 0, heading, first, 0.4), Alternative(article, 0, 0, 2, heading, third, 0.3))
    answer = Answer("q", "ru", "paragraph", "Другое.", article_id=0, article=article, section=0, paragraph=1, alternatives=offers)
    assert [b.label for b in alternative_buttons(answer, "abcdef12", None)] == ["Понимание того, чем… ¶1", "Понимание того, чем… ¶3"]


def test_a_paragraph_offered_alone_has_the_whole_row_for_its_label() -> None:
    heading = "Capire cosa fa davvero un account manager nella vita di tutti i giorni"
    article = Article("k", "it", "T", "", (), (Section("A", ("a",)), Section(heading, ("b",))), (), "", Path("k.it.md"))
    offer = Alternative(article, 0, 1, 0, heading, "b", 0.4)
    answer = Answer("q", "it", "paragraph", "a", article_id=0, article=article, section=0, paragraph=0, alternatives=(offer,))
    (button,) = alternative_buttons(answer, "abcdef12", None)
    assert button.label == "Capire cosa fa davvero un account manager nella…"
