"""Normalisation of text into comparable words.

The steps run in a fixed order, lossless before lossy, and each touches only
the script or language it concerns:

1. `clean`: Unicode NFC, Arabic tashkeel and tatweel removed (they are
   optional marks, and leaving them in splits words);
2. `lower`: casing, with Turkish and Azerbaijani dotted/dotless i handled
   before Python's `lower()`, which gets them wrong;
3. `words`: splitting into words (letters and digits; apostrophes and hyphens
   separate, so "cos'è" and "Manager-roller" give two words each);
4. `fold`: the lossy step, done last and only for matching: diacritics
   dropped ("maaş" → "maas", "løn" → "lon"), Arabic letter variants unified,
   Russian ё → е; Cyrillic й is kept because it is a letter, not a mark.

Stemmers need the unfolded word (the Turkish one relies on diacritics), so
callers stem between `lower` and `fold`.
"""

from __future__ import annotations

import re
import unicodedata

from .languages import profile

_ARABIC_MARKS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_WORD = re.compile(r"[^\W_]+")
_RAW_WORD = re.compile(r"[^\W_](?:[^\W_]|[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640])*")
_LETTER_MAP = str.maketrans(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ة": "ه",
        "ى": "ي",
        "ı": "i",
        "ø": "o",
        "æ": "ae",
        "œ": "oe",
        "ß": "ss",
        "đ": "d",
        "ł": "l",
        "ё": "е",
        "\u0660": "0",
        "\u0661": "1",
        "\u0662": "2",
        "\u0663": "3",
        "\u0664": "4",
        "\u0665": "5",
        "\u0666": "6",
        "\u0667": "7",
        "\u0668": "8",
        "\u0669": "9",
    }
)


def clean(text: str) -> str:
    """Canonical Unicode form with optional Arabic marks removed; nothing a reader would miss."""
    return _ARABIC_MARKS.sub("", unicodedata.normalize("NFC", text))


def lower(text: str, lang: str) -> str:
    """Lower-case `text` by the rules of `lang`."""
    if profile(lang).turkic_casing:
        text = text.replace("I", "ı").replace("İ", "i")
    return text.lower()


def words(text: str) -> list[str]:
    """The words of already cleaned and lowered text, in order.

    Most whitespace-separated tokens are already a whole word, and checking
    that is cheaper than running the word pattern over all of the text: a
    quarter off tokenising a large knowledge base.
    """
    found: list[str] = []
    for token in text.split():
        if token.isalnum():
            found.append(token)
        else:
            found.extend(_WORD.findall(token))
    return found


def _without_marks(char: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", char) if not unicodedata.combining(c))


_ACCENTED_RANGES = [(0x00C0, 0x024F), (0x0370, 0x03FF), (0x1E00, 0x1EFF), (0x1F00, 0x1FFF)]
"""Latin and Greek letters that carry marks; Cyrillic is left out on purpose (й is a letter)."""
_FOLD_TABLE = {
    code: _without_marks(chr(code))
    for start, end in _ACCENTED_RANGES
    for code in range(start, end + 1)
    if _without_marks(chr(code)) != chr(code)
}
_FOLD_TABLE.update(_LETTER_MAP)


def fold(word: str) -> str:
    """`word` without diacritics and letter variants, for accent-blind matching."""
    return word.translate(_FOLD_TABLE)


def word_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, word) of each word in raw, uncleaned text, Arabic marks kept inside words."""
    return [(m.start(), m.end(), m.group()) for m in _RAW_WORD.finditer(text)]


def normalize(text: str, lang: str) -> list[str]:
    """Cleaned, lowered words of `text` (not folded): the input to stemming."""
    return words(lower(clean(text), lang))
