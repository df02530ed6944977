"""Questions typed without diacritics, spelled back as the content spells them for the embedding model."""

from __future__ import annotations

from bot.language.respelling import accented_spellings, respell
from bot.search.searcher import Searcher


def test_bare_words_take_the_contents_spelling_and_everything_else_stays_as_typed() -> None:
    spellings = accented_spellings(["hesap", "yöneticisi", "iş", "yapar"])
    assert respell("Hesap yoneticisi ne is yapar?", "tr", spellings) == "Hesap yöneticisi ne iş yapar?"


def test_a_word_typed_with_any_diacritic_is_as_the_reader_meant_it() -> None:
    assert respell("yönetıcısı", "tr", accented_spellings(["yöneticisi"])) == "yönetıcısı"


def test_a_bare_word_two_accented_words_fold_to_is_left_alone() -> None:
    """ "sira" may be "sıra" (a row) or "şıra" (grape must): the content's two words say nothing about which."""
    spellings = accented_spellings(["sıra", "şıra", "perché"])
    assert spellings == {"perche": "perché"}
    assert respell("sira perche", "tr", spellings) == "sira perché"


def test_a_word_the_content_also_writes_bare_is_a_word_in_its_own_right() -> None:
    """Italian "e" (and) is no "è" (is) typed on a phone, though the paragraphs have both."""
    spellings = accented_spellings(["lo", "stipendio", "è", "alto", "e", "il", "benefit", "perché"])
    assert respell("fascia di stipendio e benefit perche", "it", spellings) == "fascia di stipendio e benefit perché"


def test_a_question_typed_without_diacritics_gets_the_answer_of_the_one_typed_with_them(searcher: Searcher) -> None:
    """The words match alike either way; the embedding model, which reads letters as typed, needs them spelled back."""
    bare, careful = searcher.answer("hesap yoneticisi kimdir"), searcher.answer("hesap yöneticisi kimdir")
    assert (bare.kind, bare.section, bare.paragraph) == (careful.kind, careful.section, careful.paragraph) == ("paragraph", 0, 0)
