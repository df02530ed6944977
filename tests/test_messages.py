"""Every catalogue says everything the English one says, with the same placeholders."""

from __future__ import annotations

import re

import pytest

from bot.chat.messages import _catalog, available, message

PLACEHOLDER = re.compile(r"{(\w+)}")


@pytest.mark.parametrize("lang", [lang for lang in available() if lang != "en"])
def test_catalogue_is_complete_and_keeps_placeholders(lang: str) -> None:
    english, own = _catalog("en"), _catalog(lang)
    assert set(own) == set(english)
    for key, text in english.items():
        if isinstance(text, str):
            assert set(PLACEHOLDER.findall(own[key])) == set(PLACEHOLDER.findall(text)), key


def test_content_languages_all_have_a_catalogue() -> None:
    assert {"ar", "da", "de", "en", "es", "fr", "it", "pt", "ru", "tr"} <= set(available())


def test_unknown_language_falls_back_to_english() -> None:
    assert message("xx", "button_auto") == "Automatic"


@pytest.mark.parametrize("lang", available())
def test_notices_shown_on_a_button_fit_telegrams_200_characters(lang: str) -> None:
    """answerCallbackQuery refuses a longer text; the flood notice shows there on a message shared in inline mode."""
    for key in ("outdated_button", "vote_thanks", "vote_not_saved", "flood"):
        assert len(message(lang, key)) <= 200, key


def test_every_language_the_bot_speaks_can_be_said_to_have_been_read_in_every_other() -> None:
    """A question in any language the bot speaks may be one the content lacks: the note over its answer exists in
    every reply language (a deployment without Arabic content crashed on an Arabic question)."""
    for lang in available():
        for read_as in available():
            assert f"read_as_{read_as}" in _catalog(lang), (lang, read_as)
