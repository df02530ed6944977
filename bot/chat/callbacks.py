"""What an inline button asks for, encoded in Telegram's 64-byte `callback_data`.

Buttons point at articles by their position in the index, which is compact
but only valid for the index that made the button, so each carries the
index's generation; a button from before a content change is recognised as
outdated instead of showing the wrong paragraph.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..search.index import HIGHLIGHTS
from ..storage.records import Offer

AUTOMATIC = "auto"

_POSITION = re.compile("[0-9]{1,6}")
"""An article, section or paragraph position as `encode` writes it: ASCII digits, no sign, far below any
number that could cost something to handle."""
_LANGUAGE = re.compile(f"[a-z]{{2,3}}|{AUTOMATIC}")
_LOGGED = re.compile("[1-9][0-9]{0,17}")
"""A question log id as `encode` writes it: ASCII digits, positive, within a 64-bit integer."""


@dataclass(frozen=True)
class ShowParagraph:
    generation: str
    article_id: int
    section: int
    paragraph: int


@dataclass(frozen=True)
class ShowHighlights:
    generation: str
    article_id: int


@dataclass(frozen=True)
class SetLanguage:
    code: str
    """A language code, or `AUTOMATIC`."""


@dataclass(frozen=True)
class Vote:
    """A reader's "helpful" or "not helpful" on the answer logged as `question_id`, or (`chosen`) on the paragraph
    they tapped among those offered with it."""

    question_id: int
    helpful: bool
    chosen: bool = False


@dataclass(frozen=True)
class Choose:
    """A paragraph offered with the answer logged as `question_id`: show it, and record that the reader chose it."""

    generation: str
    question_id: int
    article_id: int
    section: int
    """A section index, or `HIGHLIGHTS` for the article's key points."""
    paragraph: int
    offered: Offer = "alternative"
    """Among the alternatives ("c:" in the data), or the sections suggested under the answer ("s:")."""


Action = ShowParagraph | ShowHighlights | SetLanguage | Vote | Choose

_OFFERS: dict[Offer, str] = {"alternative": "c", "suggestion": "s"}
"""How a `Choose` button's data opens, by how its paragraph was offered."""
_KEY_POINTS = "h"
"""How a `Choose` button writes the key points' section: positions are never negative."""


def encode(action: Action) -> str:
    match action:
        case ShowParagraph(generation, article_id, section, paragraph):
            return f"p:{generation}:{article_id}:{section}:{paragraph}"
        case ShowHighlights(generation, article_id):
            return f"h:{generation}:{article_id}"
        case SetLanguage(code):
            return f"l:{code}"
        case Vote(question_id, helpful, chosen):
            return f"{'w' if chosen else 'v'}:{question_id}:{int(helpful)}"
        case Choose(generation, question_id, article_id, section, paragraph, offered):
            where = f"{_KEY_POINTS}:0" if section == HIGHLIGHTS else f"{section}:{paragraph}"
            return f"{_OFFERS[offered]}:{generation}:{question_id}:{article_id}:{where}"
    raise TypeError(f"not a button action: {action!r}")


def decode(data: str | None) -> Action | None:
    """The action of a button, or None for data this bot did not make.

    Telegram passes on whatever a client sends as button data, so it is read
    exactly as `encode` writes it and no more leniently: `int()` would also
    take "-2", "+1", " 1", "1_0", Arabic-Indic digits and numbers of any
    length, and a negative position silently counts from the end.
    """
    kind, _, rest = (data or "").partition(":")
    parts = rest.split(":")
    if kind == "p" and len(parts) == 4 and all(_POSITION.fullmatch(part) for part in parts[1:]):
        return ShowParagraph(parts[0], int(parts[1]), int(parts[2]), int(parts[3]))
    if kind == "h" and len(parts) == 2 and _POSITION.fullmatch(parts[1]):
        return ShowHighlights(parts[0], int(parts[1]))
    if kind == "l" and _LANGUAGE.fullmatch(rest):
        return SetLanguage(rest)
    if kind in ("v", "w") and len(parts) == 2 and _LOGGED.fullmatch(parts[0]) and parts[1] in ("0", "1"):
        return Vote(int(parts[0]), parts[1] == "1", chosen=kind == "w")
    offered = next((offer for offer, prefix in _OFFERS.items() if prefix == kind), None)
    if offered and len(parts) == 5 and _LOGGED.fullmatch(parts[1]) and _POSITION.fullmatch(parts[2]):
        if parts[3] == _KEY_POINTS and parts[4] == "0":
            return Choose(parts[0], int(parts[1]), int(parts[2]), HIGHLIGHTS, HIGHLIGHTS, offered)
        if _POSITION.fullmatch(parts[3]) and _POSITION.fullmatch(parts[4]):
            return Choose(parts[0], int(parts[1]), int(parts[2]), int(parts[3]), int(parts[4]), offered)
    return None


def show_section(generation: str, article_id: int, section: int) -> Action:
    """The button for a section: its first paragraph, or the highlights."""
    if section == HIGHLIGHTS:
        return ShowHighlights(generation, article_id)
    return ShowParagraph(generation, article_id, section, 0)
