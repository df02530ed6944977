"""Localized user-facing strings, read from `bot/locales/LANG.json`.

Strings live in data files, one per language, so a translator edits JSON and
never Python, and every message is one whole sentence in one language.
English is the fallback for languages and keys a catalogue does not have.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

FALLBACK = "en"


@cache
def _catalog(lang: str) -> dict[str, object]:
    try:
        text = resources.files("bot").joinpath("locales", f"{lang}.json").read_text(encoding="utf-8")
    except (FileNotFoundError, OSError):
        return {}
    return json.loads(text)


def available() -> list[str]:
    """Languages with a catalogue of their own."""
    folder = resources.files("bot").joinpath("locales")
    return sorted(entry.name.removesuffix(".json") for entry in folder.iterdir() if entry.name.endswith(".json"))


def message(lang: str, key: str, **values: object) -> str:
    """The string `key` in `lang` (else English), with `values` filled in."""
    template = _catalog(lang).get(key) or _catalog(FALLBACK)[key]
    return str(template).format(**values)
