"""The cue lists: linguistic data of the language layer, one file per language, apart from the UI strings."""

from __future__ import annotations

import pytest

from bot.chat.messages import _catalog, available
from bot.language import cues

KEYS = {"summary_cues", "quantity_cues", "question_words", "greetings", "thanks", "follow_ups"}


def cue_languages() -> list[str]:
    return sorted(entry.name.removesuffix(".json") for entry in cues.FOLDER.iterdir() if entry.name.endswith(".json"))


@pytest.mark.parametrize("lang", cue_languages())
def test_each_cue_file_holds_lists_of_phrases(lang: str) -> None:
    lists = cues._lists(lang)
    assert set(lists) <= KEYS
    for key, phrases in lists.items():
        assert phrases and all(isinstance(p, str) and p.strip() == p and p for p in phrases), key


def test_every_ui_language_has_cues_and_no_catalogue_holds_any() -> None:
    assert set(available()) <= set(cue_languages())
    for lang in available():
        assert KEYS.isdisjoint(_catalog(lang))


def test_english_cues_count_in_every_language() -> None:
    assert "summary" in cues.cues("it", "summary_cues")
    assert "summary" not in cues.cues("it", "summary_cues", with_english=False)
    assert "riassunto" in cues.cues("it", "summary_cues", with_english=False)
    assert cues.cues("xx", "quantity_cues") == cues.cues("en", "quantity_cues")
