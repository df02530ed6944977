"""Correcting readers' typos to words the bot knows, before analysis."""

from __future__ import annotations

import pickle
import random

import pytest
from rapidfuzz.distance import DamerauLevenshtein

from bot.language.spelling import Speller, WordBuckets
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


def test_a_speller_corrects_the_same_after_the_cache_round_trip(speller: Speller) -> None:
    """The index cache pickles each language's speller (`search.index_cache`)."""
    loaded = pickle.loads(pickle.dumps(speller))
    for typed in ["diiploma", "maşı", "terrfi", "idploma", "pizza"]:
        assert loaded.correct(typed) == speller.correct(typed)


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


def test_word_buckets_find_what_a_full_scan_finds_in_the_same_order() -> None:
    """The Indel sieve before Damerau-Levenshtein drops no word: swaps, doubled and missing letters included."""
    rng = random.Random(5)
    words = sorted({"".join(rng.choice("abcde") for _ in range(rng.randint(3, 9))) for _ in range(3000)})
    buckets = WordBuckets(words)
    for _ in range(300):
        word = rng.choice(words)
        at = rng.randrange(len(word))
        typed = rng.choice([word[:at] + word[at + 1 :], word[:at] + "ab" + word[at:], word[:at] + word[at:][::-1], word])
        for reach, budget in ((1, 1), (2, 2)):
            expected = sorted(
                (DamerauLevenshtein.distance(typed, key), bucket.index(key), key)
                for key in words
                if key[:1] == typed[:1] and abs(len(key) - len(typed)) <= reach
                for bucket in [buckets.bucket(key[:1], len(key))]
                if DamerauLevenshtein.distance(typed, key) <= budget
            )
            found = list(buckets.within(typed, reach, lambda _, b=budget: b))
            assert sorted((d, at, key) for d, key, at in found) == expected
            per_length = [[(d, at) for d, key, at in found if len(key) == length] for length in range(20)]
            assert all(run == sorted(run) for run in per_length)
