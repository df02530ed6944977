"""Correcting readers' typos to words the bot knows, before analysis."""

from __future__ import annotations

import pytest

from bot.language.spelling import Speller
from bot.search.searcher import Searcher

from .conftest import unit_id


@pytest.fixture(scope="module")
def speller() -> Speller:
    return Speller(["maaşı", "mali", "diploma", "terfi", "zarplata", "riassunto", "on"])


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("diiploma", "diploma"),
        ("dipolma", "diploma"),
        ("terrfi", "terfi"),
        ("raissunto", "riassunto"),
        ("maşı", "maaşı"),
    ],
)
def test_a_typo_is_corrected_to_the_nearest_known_word(speller: Speller, typed: str, meant: str) -> None:
    assert speller.correct(typed) == meant


@pytest.mark.parametrize("typed", ["idploma", "dpilomaaa", "xyz", "pizza"])
def test_no_correction_beyond_the_budget_or_on_the_first_letter(speller: Speller, typed: str) -> None:
    assert speller.correct(typed) is None


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("hangi diiploma gerekli", {"P8"}),
        ("зраплата менеджера", {"P9"}),
        ("сколко зарабатывает менеджер", {"P9"}),
        ("hangi bollumden mezun olmali", {"P8"}),
        ("raissunto", {"H"}),
        ("opsumering", {"H"}),
    ],
)
def test_questions_with_typos_find_what_they_meant(searcher: Searcher, typed: str, expected: set[str]) -> None:
    assert unit_id(searcher, searcher.answer(typed)) in expected
