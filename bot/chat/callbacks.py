"""What an inline button asks for, encoded in Telegram's 64-byte `callback_data`.

Buttons point at articles by their position in the index, which is compact
but only valid for the index that made the button, so each carries the
index's generation; a button from before a content change is recognised as
outdated instead of showing the wrong paragraph.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..search.index import HIGHLIGHTS

AUTOMATIC = "auto"


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


Action = ShowParagraph | ShowHighlights | SetLanguage


def encode(action: Action) -> str:
    match action:
        case ShowParagraph(generation, article_id, section, paragraph):
            return f"p:{generation}:{article_id}:{section}:{paragraph}"
        case ShowHighlights(generation, article_id):
            return f"h:{generation}:{article_id}"
        case SetLanguage(code):
            return f"l:{code}"
    raise TypeError(f"not a button action: {action!r}")


def decode(data: str | None) -> Action | None:
    """The action of a button, or None for data this bot did not make."""
    kind, _, rest = (data or "").partition(":")
    parts = rest.split(":")
    try:
        if kind == "p" and len(parts) == 4:
            return ShowParagraph(parts[0], int(parts[1]), int(parts[2]), int(parts[3]))
        if kind == "h" and len(parts) == 2:
            return ShowHighlights(parts[0], int(parts[1]))
    except ValueError:
        return None
    if kind == "l" and rest and len(rest) <= 8:
        return SetLanguage(rest)
    return None


def show_section(generation: str, article_id: int, section: int) -> Action:
    """The button for a section: its first paragraph, or the highlights."""
    if section == HIGHLIGHTS:
        return ShowHighlights(generation, article_id)
    return ShowParagraph(generation, article_id, section, 0)
