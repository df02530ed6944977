"""Detecting the question's language, and the fallback order for ambiguous ones."""

from __future__ import annotations

import pytest

from bot.language.frequencies import APP_LANGUAGE_MARGIN, commoner_in
from bot.language.langdetect import pick_fallback
from bot.search.searcher import Conversation, Searcher


@pytest.mark.parametrize(
    ("question", "lang"),
    [
        ("maaş aralığı nedir", "tr"),
        ("maas araligi nedir", "tr"),
        ("ما هو راتب مدير الحساب", "ar"),
        ("quanto è lo stipendio", "it"),
        ("hvordan far man en hojere lon", "da"),
        ("какая зарплата у менеджера", "ru"),
        ("lon", "da"),
        ("maas", "tr"),
        ("что такое account manager", "ru"),
        ("account manager это кто", "ru"),
        ("ما هو account manager", "ar"),
    ],
)
def test_question_language(searcher: Searcher, question: str, lang: str) -> None:
    assert searcher.answer(question).language == lang


def test_pick_fallback_takes_the_first_preference_that_is_possible() -> None:
    assert pick_fallback(["da", "it"], None, "fr", "it", "da") == "it"
    assert pick_fallback(["da", "it"], "ru", None) is None


def test_ambiguous_question_follows_the_chosen_language(searcher: Searcher) -> None:
    assert searcher.answer("account manager", language="da").language == "da"
    assert searcher.answer("account manager", language="it").language == "it"


def test_ambiguous_question_then_follows_the_hint_then_the_previous_question(searcher: Searcher) -> None:
    assert searcher.answer("account manager", hint="da").language == "da"
    conversation = Conversation()
    searcher.answer("hvad er en account manager", conversation=conversation)
    assert searcher.answer("account manager", conversation=conversation).language == "da"
    assert searcher.answer("account manager", language="it", conversation=conversation).language == "it"


def test_clear_question_is_not_overridden_by_the_chosen_language(searcher: Searcher) -> None:
    assert searcher.answer("maaş aralığı nedir", language="da").language == "tr"


def test_default_language_settles_what_nothing_else_does(searcher: Searcher) -> None:
    other = Searcher(searcher.index, default_language="da")
    assert other.answer("account manager").language == "da"


def test_a_question_is_in_the_language_its_words_are_commonest_in_not_the_first_tried() -> None:
    """Spanish and Portuguese share many words: a Spanish question is Spanish even when Portuguese is tried first."""

    def unknown(word: str) -> float:
        return 0.0

    assert commoner_in("¿cuánto gana un vendedor al año?", unknown, ["pt", "es"], APP_LANGUAGE_MARGIN) == "es"
    assert commoner_in("quanto ganha um vendedor por ano", unknown, ["es", "pt"], APP_LANGUAGE_MARGIN) == "pt"
    assert commoner_in("blorf quux", unknown, ["es", "pt"], APP_LANGUAGE_MARGIN) is None
