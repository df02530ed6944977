"""Which words a question writes as names: those the content must mention for it to answer the question."""

from __future__ import annotations

import pytest

from bot.language.names import names


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        ("minimum investment for Vanguard funds", "en", ["Vanguard"]),
        ("is YNAB worth the subscription price", "en", ["YNAB"]),
        ("what did the S&P 500 return this year", "en", ["S&P"]),
        ("quanto si versa all'Enasarco come agente", "it", ["Enasarco"]),
        ("hvad er renten i Danske Bank lige nu", "da", ["Danske", "Bank"]),
        ("вакансии торгового представителя в Москве", "ru", ["Москве"]),
        ("I use an iPhone and I'm happy", "en", ["iPhone"]),
        ("SBI fund returns", "en", ["SBI"]),
    ],
    ids=["capitalised", "acronym", "with an ampersand", "after an apostrophe", "two words", "cyrillic", "inner capital", "acronym first"],
)
def test_a_capitalised_word_inside_a_sentence_or_an_acronym_is_a_name(text: str, lang: str, expected: list[str]) -> None:
    assert names(text, lang) == expected


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Maaş aralığı nedir? Hesap yöneticisi ne kazanır", "tr"),
        ("What Is The Salary Of An Account Manager", "en"),
        ("WHAT IS THE SALARY OF AN ACCOUNT MANAGER", "en"),
        ("Wie hoch ist das Gehalt eines Kundenbetreuers?", "de"),
        ("كيف أحسب زكاة المال", "ar"),
        ("- «Quanto guadagna?» Chiede lui", "it"),
    ],
    ids=["sentence starts", "title case", "shouting", "German nouns", "no capitals in the script", "after a quote"],
)
def test_capitals_that_say_nothing_of_one_word_are_no_names(text: str, lang: str) -> None:
    assert names(text, lang) == []


def test_german_acronyms_are_names_all_the_same() -> None:
    assert names("Wie hoch ist das Gehalt bei der BMW?", "de") == ["BMW"]
