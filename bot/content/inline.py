"""One line of inline markdown as a reader sees it: link text rather than link targets, emphasis without its marks.

The rewrites are those of the regular expressions the reader used to apply
(each kept beside its rewrite below; the emphasis one in tests/test_parsing.py), with the same result, but in time
linear in the text. Each of them, at every opening mark, searched ahead for
the closing one: a line of unclosed marks (a backtick, `*`, `[`, `<http:`
repeated) searched the rest of the line once per mark, and a 300 KB file of
them kept `check` busy for minutes. Here each search for a closing mark
starts no earlier than where the last one for the same mark ended (`_Next`),
so each stretch of the text is searched once per kind of mark.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable

_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
"""An HTML tag. Linear as it is: a tag's search stops at the next `<`, where the next search starts."""


class _Next:
    """Where the next match of a pattern is, at or after a position, for a scan of one text from left to right.

    An answer holds for every position from the one asked about up to it (the
    next `]` after position 10 is at 900, so it is the next one after 11 to 900
    too), and a scan asks about ever later positions: each stretch of the text
    is searched once.
    """

    def __init__(self, text: str, pattern: re.Pattern[str]) -> None:
        self._search = pattern.search
        self._text = text
        self._asked = 0
        self._found = -1

    def __call__(self, start: int) -> int:
        """The position of the next match at or after `start`; the text's length when there is none."""
        if not self._asked <= start <= self._found:
            match = self._search(self._text, start)
            self._asked, self._found = start, match.start() if match else len(self._text)
        return self._found


_CLOSE_BRACKET = re.compile(r"\]")
_CLOSE_PARENTHESIS = re.compile(r"\)")


def _images(text: str) -> str:
    r"""An image, `![alt](target)`, as its alt text: `re.sub(r"!\[([^\]]*)\]\([^)]*\)", r"\1", text)`."""
    bracket, parenthesis = _Next(text, _CLOSE_BRACKET), _Next(text, _CLOSE_PARENTHESIS)
    parts: list[str] = []
    done = 0
    at = text.find("![")
    while at != -1:
        end = bracket(at + 2)
        if text.startswith("(", end + 1) and (close := parenthesis(end + 2)) < len(text):
            parts += (text[done:at], text[at + 2 : end])
            done = close + 1
        at = text.find("![", done if done > at else at + 1)
    return "".join(parts) + text[done:]


def _links(text: str) -> str:
    r"""A link, `[text](target)` or `[text][reference]`, as its text:
    `re.sub(r"\[([^\]]+)\](?:\([^)]*\)|\[[^\]]*\])", r"\1", text)`."""
    bracket, parenthesis, reference = _Next(text, _CLOSE_BRACKET), _Next(text, _CLOSE_PARENTHESIS), _Next(text, _CLOSE_BRACKET)
    parts: list[str] = []
    done = 0
    at = text.find("[")
    while at != -1:
        end = bracket(at + 1)
        close = len(text)
        if at + 1 < end < len(text) - 1:
            if text[end + 1] == "(":
                close = parenthesis(end + 2)
            elif text[end + 1] == "[":
                close = reference(end + 2)
        if close < len(text):
            parts += (text[done:at], text[at + 1 : end])
            done = close + 1
        at = text.find("[", done if done > at else at + 1)
    return "".join(parts) + text[done:]


_LINK_TARGET_END = re.compile(r"[)\s>]")
_SPACE = re.compile(r"\S")
"""The end of a run of whitespace."""


def link_targets(markdown: str) -> list[str]:
    r"""Each link's target, as written: `re.findall(r"(?<!!)\[[^\]]+\]\(\s*<?([^)\s>]+)", markdown)`."""
    bracket, target_end, space_end = _Next(markdown, _CLOSE_BRACKET), _Next(markdown, _LINK_TARGET_END), _Next(markdown, _SPACE)
    targets: list[str] = []
    at = markdown.find("[")
    while at != -1:
        resume = at + 1
        end = bracket(at + 1)
        if (at == 0 or markdown[at - 1] != "!") and at + 1 < end and markdown.startswith("(", end + 1):
            start = space_end(end + 2)
            if markdown.startswith("<", start):
                stop = target_end(start + 1)
                if stop > start + 1:  # `<target>`; a lone `<` is itself the target
                    start += 1
            else:
                stop = target_end(start)
            if stop > start:
                targets.append(markdown[start:stop])
                resume = stop
        at = markdown.find("[", resume)
    return targets


_SCHEMES = ("https:", "http:", "mailto:")
_AUTOLINK_END = re.compile(r"[>\s]")


def _autolinks(text: str) -> str:
    r"""An autolink, `<https://...>`, as its address: `re.sub(r"<((?:https?|mailto):[^>\s]+)>", r"\1", text)`."""
    address_end = _Next(text, _AUTOLINK_END)
    parts: list[str] = []
    done = 0
    at = text.find("<")
    while at != -1:
        scheme = next((s for s in _SCHEMES if text.startswith(s, at + 1)), "")
        if scheme:
            start = at + 1 + len(scheme)
            end = address_end(start)
            if end > start and text.startswith(">", end):
                parts += (text[done:at], text[at + 1 : end])
                done = end + 1
        at = text.find("<", max(done, at + 1))
    return "".join(parts) + text[done:]


_MARKS = ("***", "**", "__", "*", "_", "`")
"""Emphasis and code marks, in the order they are tried at one position (`**` before `*`)."""
_STAR_RUN = {"***": 3, "**": 2, "*": 1}
_UNDERSCORE_RUN = {"__": 2, "_": 1}
_CLOSERS = {
    "***": r"(?<=[^\s*])\*\*\*(?!\*)",
    "**": r"(?<=[^\s*])\*\*(?!\*)",
    "*": r"(?<=[^\s*])\*(?!\*)",
    "__": r"(?<=[^\s_])__(?![_\w])",
    "_": r"(?<=[^\s_])_(?![_\w])",
    "`": r"(?<=\S)`",
}
"""Where each mark may close: after a non-space, a star or underscore run exactly as long as the opening one (the
`*` of "2*3" is not closed by the first star of a later `**bold**`), an underscore not inside a word."""
_MARK = re.compile(r"[*_`]")
_NESTING = 2
_WORD = re.compile(r"\w")
_NEWLINE = re.compile(r"\n")


def _opens(text: str, at: int, mark: str) -> bool:
    """Whether `mark` may open emphasis at `at`: the whole run of its character (`**` is not a `*` and a `*`), an
    underscore not inside a word ("snake_case"), and a non-space after it."""
    start = at + len(mark)
    if not text.startswith(mark, at) or start >= len(text) or text[start].isspace():
        return False
    if mark in _STAR_RUN or mark in _UNDERSCORE_RUN:
        char = mark[0]
        if text.startswith(char, start) or (at > 0 and text[at - 1] == char):
            return False
        if mark in _UNDERSCORE_RUN and at > 0 and _WORD.match(text, at - 1):
            return False
    return True


def _emphasis(text: str, depth: int = 0) -> str:
    """Emphasis and code, `***both***`, `**bold**`, `__bold__`, `*it*`, `_it_`, `code`, as their text: what the
    pattern `_EMPHASIS` of tests/test_parsing.py gives, CommonMark's rules for one line as far as a reader notices them.

    A mark opens where `_opens` says and closes at the first place after at
    least one character where `_CLOSERS` says it may, on the same line. What
    it encloses is read the same way (`*an **important** word*`), down to
    `_NESTING` levels: writers nest emphasis once, and each level reads the
    text again.
    """
    closers: dict[str, Callable[[int], int]] = {mark: _Next(text, re.compile(_CLOSERS[mark])) for mark in _MARKS}
    newline, mark_at = _Next(text, _NEWLINE), _Next(text, _MARK)
    parts: list[str] = []
    done = 0
    at = mark_at(0)
    while at < len(text):
        resume = at + 1
        for mark in _MARKS:
            if _opens(text, at, mark):
                start = at + len(mark)
                end = closers[mark](start + 1)
                if end < len(text) and end < newline(at):
                    inner = text[start:end]
                    if mark != "`" and depth < _NESTING and _MARK.search(inner):
                        inner = _emphasis(inner, depth + 1)
                    parts += (text[done:at], inner)
                    done = resume = end + len(mark)
                    break
        at = mark_at(resume)
    return "".join(parts) + text[done:]


def inline_text(markdown: str) -> str:
    """What a reader sees of one line of inline markdown: link text, not link targets.

    Each rewrite runs only when its marker character is present: most
    paragraphs have none, and this runs for every paragraph of every file.
    """
    text = markdown
    if "[" in text:
        text = _links(_images(text))
    if "<" in text:
        text = _TAG.sub("", _autolinks(text))
    if "*" in text or "_" in text or "`" in text:
        text = _emphasis(text)
    if "&" in text:
        text = html.unescape(text)
    return " ".join(text.split())
