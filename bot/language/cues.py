"""Phrases that tell what a question asks for, per language, read from `cue_lists/LANG.json`.

`summary_cues` ask for an article's key points ("riassunto", "кратко"),
`quantity_cues` for a figure in any subject ("how much", "сколько"; the words
of one subject, such as pay, are its content's: `synonyms.yml`'s `figures`),
`question_words` frame a question without saying what it is about
("lazım", "нужен"), and `greetings` and `thanks` are what a message that
asks nothing says (`small_talk`). They are linguistic data for the matcher, kept apart from
the translators' UI strings in `bot/locales/`. Question words are stop words
of the index, so the lists shape it: their `fingerprint` is part of the
index's (see `index_cache`).
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from importlib import resources

ENGLISH = "en"
FOLDER = resources.files(__package__).joinpath("cue_lists")
"""Where the lists live; a test may point it at a copy."""


@cache
def _lists(lang: str) -> dict[str, list[str]]:
    try:
        text = FOLDER.joinpath(f"{lang}.json").read_text(encoding="utf-8")
    except (FileNotFoundError, OSError):
        return {}
    return json.loads(text)


def cues(lang: str, key: str, *, with_english: bool = True) -> list[str]:
    """Phrases that signal an intent in `lang`; with `with_english`, English ones count in every language."""
    own = list(_lists(lang).get(key, []))
    if with_english and lang != ENGLISH:
        own += _lists(ENGLISH).get(key, [])
    return own


def has_lists(lang: str) -> bool:
    """Whether `lang` has cue lists of its own (without them its readers' summary requests, question words,
    greetings, thanks and follow-ups are recognised only in English)."""
    return bool(_lists(lang))


def fingerprint() -> str:
    """Changes whenever a cue file is added, removed or edited."""
    digest = hashlib.sha256()
    for entry in sorted(FOLDER.iterdir(), key=lambda entry: entry.name):
        if entry.name.endswith(".json"):
            digest.update(entry.name.encode() + b"\0" + entry.read_bytes() + b"\0")
    return digest.hexdigest()
