"""The words a question writes as names: "Vanguard", "YNAB", "Danske Bank", "all'Enasarco".

A name says exactly what a question is about, in every language alike: a
bank, a fund, a product, a tax office is written the same way whatever the
words around it. So a name the content never mentions tells that the
content does not answer the question, however near its meaning comes to a
paragraph on the same field (`search.signals.unknown_name`).

Writing shows a name where a script has capitals: a word capitalised
inside a sentence, or written in capitals (an acronym), or with a capital
inside ("iPhone"). Scripts without capitals (Arabic) show none; languages
that capitalise every noun (German) show acronyms only; a question typed in
capitals throughout, or capitalising most of its words like a title, shows
none, since its capitals say nothing about any one word.
"""

from __future__ import annotations

import re

from .languages import profile

_WORD = re.compile(r"[^\W_](?:[\w&.-]*[^\W_])?")
"""A word as names are written: letters and digits, with `&`, `.` or `-` inside ("S&P", "Indeed.com", "Coca-Cola");
an apostrophe ends it ("all'Enasarco" holds "Enasarco")."""

_SENTENCE_ENDS = ".!?…:;\n"
"""What ends a sentence (or a line) before a word: the next word's capital is the sentence's, not the word's."""
_OPENING = " \t\"'«»“”‘’([-–—"
"""What may stand between a sentence's end and its first word: spaces, quotes, brackets, dashes."""

_MOSTLY = 0.5
"""Share of a question's words with capitals above which its capitals are its writer's habit (a title, shouting)."""


def names(text: str, lang: str | None) -> list[str]:
    """The words of `text` (in `lang`, None when unknown) written as names, in order."""
    words = [(match.group(), match.start()) for match in _WORD.finditer(text)]
    capitalised = [word for word, _ in words if _letters(word) and _letters(word)[0].isupper()]
    if len(words) >= 3 and len(capitalised) > _MOSTLY * len(words):
        return []
    nouns_capitalised = lang is not None and profile(lang).capitalised_nouns
    found = []
    for word, start in words:
        letters = _letters(word)
        if len(letters) < 2 or not any(letter.isupper() for letter in letters):
            continue
        acronym = all(letter.isupper() for letter in letters)
        inner = letters[0].islower()
        before = text[:start].rstrip(_OPENING)
        sentence_start = not before or before[-1] in _SENTENCE_ENDS
        if acronym or inner or not (sentence_start or nouns_capitalised):
            found.append(word)
    return found


def _letters(word: str) -> str:
    return "".join(character for character in word if character.isalpha())
