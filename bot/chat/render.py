"""Answers as Telegram messages: HTML text within Telegram's limits, and buttons.

Telegram rejects a whole message for one stray `<` or `&`, so every piece of
content is escaped and the only tags are the ones added here (b, i), never
spanning a block. Messages longer than Telegram's 4,096 characters are split
between blocks (heading, paragraphs, bullets), and a block that is too long on
its own between words. Buttons are plain data here; the Telegram layer turns
them into an inline keyboard.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, replace

from ..language.languages import profile
from ..language.small_talk import GREETING, THANKS
from ..search.index import HIGHLIGHTS
from ..search.searcher import Alternative, Answer
from .callbacks import AUTOMATIC, Action, Choose, SetLanguage, ShowHighlights, ShowParagraph, Vote, encode, show_section
from .messages import message

LIMIT = 4096
LABEL_LIMIT = 60
ALTERNATIVE_LABEL_LIMIT = 24
"""Characters of a section heading on a button offering another paragraph: two share one row, and a phone shows
about this much of each before cutting the label off itself; one alone has the row, and twice the room."""
LANGUAGES_PER_ROW = 3


@dataclass(frozen=True)
class Button:
    label: str
    data: str


@dataclass(frozen=True)
class Reply:
    texts: tuple[str, ...]
    """HTML messages to send in order, each within Telegram's limit."""
    buttons: tuple[tuple[Button, ...], ...] = ()
    """Rows of buttons, attached to the last message."""


def escape(text: str) -> str:
    return html.escape(text, quote=False)


def emphasised(text: str, spans: list[tuple[int, int]]) -> str:
    """`text` escaped, with the given character spans in italics."""
    out, last = [], 0
    for start, end in sorted(spans):
        if start < last:
            continue
        out += [escape(text[last:start]), "<i>", escape(text[start:end]), "</i>"]
        last = end
    out.append(escape(text[last:]))
    return "".join(out)


def _fit(text: str, spans: list[tuple[int, int]], limit: int) -> list[str]:
    """`text` rendered in pieces of at most `limit` characters, cut between words."""
    rendered = emphasised(text, spans).strip()
    if len(rendered) <= limit:
        return [rendered] if rendered else []
    middle = len(text) // 2
    cut = text.rfind(" ", 0, middle)
    if cut <= 0:
        cut = text.find(" ", middle)
    if cut <= 0:
        cut = max(1, middle)
    left = [(s, min(e, cut)) for s, e in spans if s < cut]
    right = [(max(s, cut) - cut, e - cut) for s, e in spans if e > cut]
    return _fit(text[:cut], left, limit) + _fit(text[cut:], right, limit)


def pack(blocks: list[tuple[str, str]], limit: int = LIMIT) -> tuple[str, ...]:
    """Join (separator, html) blocks into as few messages as fit; no block is ever cut."""
    messages: list[str] = []
    current = ""
    for separator, block in blocks:
        if current and len(current) + len(separator) + len(block) > limit:
            messages.append(current)
            current = block
        else:
            current = f"{current}{separator}{block}" if current else block
    if current:
        messages.append(current)
    return tuple(messages)


SMALL_TALK = {GREETING: "help", THANKS: "thanks_reply"}
"""What a greeting and a thanks are answered with: what the bot does, and "you're welcome"."""


def reader_language(answer: Answer, chosen: str | None = None) -> str:
    """The language a reply to `answer` speaks to its reader in: a question in a content language is answered in its
    own; one read across languages in the language the reader chose, else the one they wrote it in, which the bot
    speaks (the paragraph is in a translation: the nearest's, when they chose none, which they may not read)."""
    if answer.read_as:
        return chosen or answer.read_as
    return answer.language


def shown_text(answer: Answer, ui_lang: str | None = None) -> str:
    """What the reader is shown: the paragraph or highlights, or for "none" the no-answer sentence in the answer's language.

    An answer found across languages opens with the line saying how the question was read (`read_note`), in the
    reader's language (`ui_lang`, by default `reader_language`).
    """
    if answer.kind in SMALL_TALK:
        return message(answer.language, SMALL_TALK[answer.kind])
    if answer.kind == "none":
        return message(answer.language, "no_answer")
    note = read_note(answer, ui_lang or reader_language(answer))
    return f"{note}\n{answer.text}" if note else answer.text


def read_note(answer: Answer, ui_lang: str) -> str | None:
    """ "Your question was read as English and answered from the articles", in `ui_lang`, when it was."""
    return message(ui_lang, f"read_as_{answer.read_as}") if answer.read_as else None


def plain(text: str) -> Reply:
    """A reply of escaped text only."""
    return Reply(pack([("\n\n", piece) for piece in _fit(text, [], LIMIT)]))


def shortened(text: str, limit: int = LABEL_LIMIT) -> str:
    """`text` cut to `limit` characters with an ellipsis: a button's label, or a reader's words quoted back.

    The cut falls between words where that loses at most a quarter of the
    room ("Come si prepara un…", not "Come si prepara un b…": a word's first
    letters tell a reader little), else inside the long word it meets ("Many
    popular houseplant…", not "Many popular…").
    """
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if text[limit - 1] != " " and space >= len(cut) - limit // 4:
        cut = cut[:space]
    return cut.rstrip(" ,;:.-–—") + "…"


def noted(note: str, reply: Reply) -> Reply:
    """`reply` after a message of its own saying what the reader should know before reading it."""
    return replace(reply, texts=(escape(note), *reply.texts))


def _rows(buttons: list[Button], per_row: int) -> list[tuple[Button, ...]]:
    return [tuple(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row)]


def alternative_buttons(answer: Answer, generation: str, question_id: int | None) -> tuple[Button, ...]:
    """One button per paragraph offered with an answer (or a "no answer"), labelled with its section's heading.

    A paragraph of a section another one shown shares (the answer's, or the
    other offer's) is labelled with its own opening words instead: the
    heading, the same on both, would not tell them apart, and a paragraph's
    number tells a reader nothing of what it says. Where openings read alike
    ("Менеджер по работе с…" twice, or as the answer's own), those
    paragraphs are told apart by heading and number after all. With the question's log
    id, a press records the reader's choice with it (`Choose`); without (the
    log could not be written), it only shows the paragraph.
    """
    sections = [(a.article_id, a.section) for a in answer.alternatives]
    if answer.article_id is not None and answer.section is not None:
        sections.append((answer.article_id, answer.section))
    shared = [a.section != HIGHLIGHTS and sections.count((a.article_id, a.section)) > 1 for a in answer.alternatives]
    room = ALTERNATIVE_LABEL_LIMIT * (2 if len(answer.alternatives) == 1 else 1)
    labels = [
        shortened(offered.text if share else offered.heading or offered.article.title, room)
        for offered, share in zip(answer.alternatives, shared, strict=True)
    ]
    if any(share for share in shared) and len({*labels, shortened(answer.text, room)}) <= len(labels):
        labels = [
            _numbered(offered, room) if share else label
            for offered, share, label in zip(answer.alternatives, shared, labels, strict=True)
        ]
    buttons = []
    for offered, label in zip(answer.alternatives, labels, strict=True):
        if question_id:
            action = Choose(generation, question_id, offered.article_id, offered.section, offered.paragraph)
        elif offered.section == HIGHLIGHTS:
            action = ShowHighlights(generation, offered.article_id)
        else:
            action = ShowParagraph(generation, offered.article_id, offered.section, offered.paragraph)
        buttons.append(Button(label, encode(action)))
    return tuple(buttons)


def _numbered(offered: Alternative, room: int) -> str:
    """A shared section's paragraph by its heading and number, where its opening words would read as another's do."""
    number = f" ¶{offered.paragraph + 1}"
    return shortened(offered.heading or offered.article.title, room - len(number)) + number


def answer_reply(
    answer: Answer,
    *,
    emphasis: list[tuple[int, int]],
    translations: dict[str, int],
    generation: str,
    ui_lang: str,
    votes: tuple[Button, ...] = (),
    alternatives: tuple[Button, ...] = (),
    logged: int | None = None,
) -> Reply:
    """The reply to a question (or a button): the text and where to go from there.

    `translations` maps each other language the article exists in to that
    translation's id, so its buttons show the same paragraph there. The
    `alternatives` (`alternative_buttons`) are one row directly under the
    answer, before the votes, the key points, the translations and the
    sections worth asking about next. With the answer's log id (`logged`), a
    press on one of those sections is kept as the reader's choice, which
    tells the owner what the reader was looking for when they gave the
    answer 👎 (`chat.review`).
    """
    offered = [alternatives] if alternatives else []
    if answer.kind == "none" or answer.article is None:
        lines = [("", escape(shown_text(answer)))]
        if alternatives:
            lines.append(("\n\n", escape(message(answer.language, "maybe_these"))))
        elif answer.suggestions:
            lines.append(("\n\n", escape(message(answer.language, "try_asking"))))
        buttons = [
            Button(shortened(s.heading), encode(show_section(generation, s.article_id, s.section))) for s in answer.suggestions
        ]
        return Reply(pack(lines), tuple(offered + _rows(buttons, 1)))

    article = answer.article
    rows: list[tuple[Button, ...]] = []
    if answer.kind == "highlights":
        heading = article.highlights_heading or message(answer.language, "highlights_heading")
        blocks = [("", f"<b>{escape(heading)}</b> · <i>{escape(article.title)}</i>")]
        blocks += [("\n", piece) for line in answer.text.splitlines() for piece in _fit(line, [], LIMIT)]
        others = [
            Button(profile(lang).native_name, encode(ShowHighlights(generation, i))) for lang, i in sorted(translations.items())
        ]
    else:
        note = read_note(answer, ui_lang)
        blocks = [("", f"<i>{escape(note)}</i>")] if note else []
        blocks.append(("\n\n", f"<b>{escape(answer.section_heading or '')}</b>"))
        blocks += [("\n\n", piece) for piece in _fit(answer.text, emphasis, LIMIT)]
        blocks.append(("\n\n", f"<i>{escape(article.title)}</i>"))
        if article.highlights:
            rows.append((Button(message(ui_lang, "button_highlights"), encode(ShowHighlights(generation, answer.article_id))),))
        others = [
            Button(profile(lang).native_name, encode(ShowParagraph(generation, i, answer.section, answer.paragraph)))
            for lang, i in sorted(translations.items())
        ]
    rows += _rows(others, LANGUAGES_PER_ROW)
    rows += [(Button(shortened(s.heading), encode(_suggested(generation, s.article_id, s.section, logged))),) for s in answer.suggestions]
    return Reply(pack(blocks), tuple(offered) + ((votes,) if votes else ()) + tuple(rows))


def _suggested(generation: str, article_id: int, section: int, logged: int | None) -> Action:
    """A section suggested under an answer: its first paragraph (or the key points), kept as the reader's choice when
    the answer was logged."""
    if logged is None:
        return show_section(generation, article_id, section)
    return Choose(generation, logged, article_id, section, HIGHLIGHTS if section == HIGHLIGHTS else 0, "suggestion")


def vote_buttons(question_id: int, lang: str, chosen: bool | None = None, on_choice: bool = False) -> tuple[Button, ...]:
    """ "Helpful" and "not helpful" for one logged answer (`on_choice`: for the paragraph the reader tapped among those
    offered with it), in one row first, so they never push the others out of view.

    After a vote the reader's choice is marked; pressing the other changes it.
    """
    return tuple(
        Button(message(lang, key) + (" ✓" if chosen is helpful else ""), encode(Vote(question_id, helpful, on_choice)))
        for key, helpful in (("vote_helpful", True), ("vote_unhelpful", False))
    )


def other_languages_reply(answer: Answer, languages: list[str], alternatives: tuple[Button, ...] = ()) -> Reply:
    """No answer, for a reader who writes in a language the content lacks: all of it in their language.

    Section titles would be in whichever content language the question looked
    most like (Danish or Italian under an English sentence); instead the
    buttons offer the content's languages, each by its own name, to choose.
    The paragraphs its meaning found plausible (`alternatives`), shown in a
    language the reader can use, come first.
    """
    lines = [("", escape(shown_text(answer)))]
    if alternatives:
        lines.append(("\n\n", escape(message(answer.language, "maybe_these"))))
    lines.append(("\n\n", escape(message(answer.language, "content_languages"))))
    buttons = [Button(profile(lang).native_name, encode(SetLanguage(lang))) for lang in languages]
    return Reply(pack(lines), tuple(([alternatives] if alternatives else []) + _rows(buttons, LANGUAGES_PER_ROW)))


def language_menu(text: str, current: str | None, languages: list[str], ui_lang: str) -> Reply:
    """The /lang menu: each language by its own name, the current one marked, and "automatic"."""

    def mark(label: str, selected: bool) -> str:
        return f"✓ {label}" if selected else label

    buttons = [Button(mark(profile(lang).native_name, lang == current), encode(SetLanguage(lang))) for lang in languages]
    automatic = Button(mark(message(ui_lang, "button_auto"), current is None), encode(SetLanguage(AUTOMATIC)))
    return Reply((escape(text),), tuple(_rows(buttons, LANGUAGES_PER_ROW) + [(automatic,)]))
