"""A question typed without its diacritics, written back with them: what a model that does not fold letters should read.

Readers on phones type "hesap yoneticisi ne is yapar" for "hesap yöneticisi
ne iş yapar" and "perche" for "perché". Matching words folds both sides and
never notices; the embedding model reads letters as typed, and "yoneticisi"
is another word to it (on the multi-article set it then ranks the paragraph
on why companies keep clients above the one on what the manager does). The
content's own spelling of each such word says what was meant.
"""

from __future__ import annotations

from collections.abc import Iterable

from .textnorm import fold, lower, word_spans


def accented_spellings(words: Iterable[str]) -> dict[str, str]:
    """Each word with diacritics under its folded form, when no other word folds to the same.

    "sıra"/"şıra" are left out, and so is a word the same text also writes
    bare: Italian "e" (and) beside "è" (is), Danish "for" beside "før",
    Russian "все" beside "всё" are words in their own right, not "è", "før"
    and "всё" typed without their marks.
    """
    found: dict[str, str | None] = {}
    bare: set[str] = set()
    for word in words:
        key = fold(word)
        if key == word:
            bare.add(word)
        else:
            found[key] = word if found.get(key, word) == word else None
    return {key: word for key, word in found.items() if word is not None and key not in bare}


def respell(question: str, lang: str, spellings: dict[str, str]) -> str:
    """`question` with each word typed without its diacritics replaced by its spelling in `spellings` (`accented_spellings`).

    A word typed with any diacritic is as the reader meant it and stays, and
    so does a word `spellings` does not know.
    """
    parts, end = [], 0
    for start, stop, typed in word_spans(question):
        word = lower(typed, lang)
        meant = spellings.get(word) if fold(word) == word else None
        if meant:
            parts += [question[end:start], meant]
            end = stop
    return "".join(parts) + question[end:] if parts else question
