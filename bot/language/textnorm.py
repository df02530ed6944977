"""Normalisation of text into comparable words.

The steps run in a fixed order, lossless before lossy, and each touches only
the script or language it concerns:

1. `clean`: invisible characters removed (zero-width spaces and joiners,
   soft hyphens, direction marks: Unicode's format characters, and lone
   surrogates), Unicode NFKC (fullwidth "ｍａａｓ" is "maas", a ligature its
   letters, an Arabic presentation form its letter), Arabic tashkeel and
   tatweel removed (they are optional marks, and leaving them in splits
   words);
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
from collections.abc import Callable

from .languages import profile

_INVISIBLE = re.compile(
    "[\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064"
    "\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3"
    "\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f\ud800-\udfff]"
)
"""Unicode's format characters (category Cf, as of Unicode 15) and surrogates: nothing a reader sees.

Written out rather than computed, since scanning every code point costs a
tenth of a second at each start; `tests/test_textnorm.py` checks the list
against the running Python's Unicode tables.
"""
_ARABIC_MARKS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_SURROGATE = re.compile("[\ud800-\udfff]")
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
    """Canonical Unicode form with invisible characters and optional Arabic marks removed; nothing a reader would miss.

    Both the content and the questions pass through here, so whatever it
    folds folds alike on both sides. NFKC rather than NFC: the compatibility
    forms it folds (fullwidth letters from an East Asian keyboard, "ﬁ"
    ligatures from a PDF, Arabic presentation forms) are never what a
    reader means as a different word, and it leaves Turkish ı/İ, Danish å
    and Russian й as they are. Invisible characters go first, so a
    zero-width space pasted inside a word no longer splits it in two, and
    a lone surrogate (which no encoding can carry) cannot reach a stemmer.
    """
    return _ARABIC_MARKS.sub("", unicodedata.normalize("NFKC", _INVISIBLE.sub("", text)))


def well_formed(text: str) -> str:
    """`text` with lone surrogates replaced by U+FFFD, so it can be stored, logged and sent as UTF-8.

    Telegram's JSON may carry an escaped lone surrogate ("\\ud800"), which
    Python decodes into a string that every UTF-8 encoder then refuses.
    """
    if not _SURROGATE.search(text):
        return text
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def lower(text: str, lang: str) -> str:
    """Lower-case `text` by the rules of `lang`."""
    if profile(lang).turkic_casing:
        text = text.replace("I", "ı").replace("İ", "i")
    return text.lower()


def unshouted(text: str, lang: str) -> str:
    """`text` in small letters when it has two words or more and every letter of it that has a case is a capital.

    A question typed in capitals ("INTERESSE COMPOSTO") means what it means
    in small letters, but the embedding model reads capitals as other words
    and found another paragraph; capitals inside a sentence ("how is it
    CALCULATED") are the writer's emphasis, and a word alone in capitals
    ("ETF") is most often a name: they stay.
    """
    cased = [char for char in text if char.isupper() or char.islower()]
    if not cased or any(char.islower() for char in cased) or len(text.split()) < 2:
        return text
    return lower(text, lang)


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


_SUFFIX_AFTER_APOSTROPHE = re.compile(r"(?<=[^\W_])['’][^\W_]+")
"""An apostrophe inside a word and the letters after it, in a language that writes a name's suffixes so."""


def normalize(text: str, lang: str) -> list[str]:
    """Cleaned, lowered words of `text` (not folded): the input to stemming. A name's suffixes written after an
    apostrophe (`LanguageProfile.suffix_apostrophe`) are left out: "P'dir" and "Indeed.com'a" gave the words "dir"
    and "a", which a question of one or two letters then found."""
    text = lower(clean(text), lang)
    if profile(lang).suffix_apostrophe:
        text = _SUFFIX_AFTER_APOSTROPHE.sub("", text)
    return words(text)


_SENTENCE_END = re.compile(r"(?<=[.!?؟…])\s+|\n+")


def fits(message: str, max_words: int, max_chars: int) -> bool:
    """Whether all of `message` is read: at most `max_words` words and `max_chars` characters."""
    return len(message.split()) <= max_words and len(message) <= max_chars


def asked(message: str, max_words: int, max_chars: int, asks: Callable[[str], bool]) -> str:
    """The part of a long message that asks: its sentences that end in a question mark and ask something (`asks`:
    not "how are you?" or "can you help me?"), else its last sentences, as many of the last as fit in `max_words`
    words and `max_chars` characters; a message within both, whole.

    Readers write a few sentences of their situation and then ask ("Merhaba,
    uzun zamandır düşünüyorum … Bileşik faiz nedir?"); read from the start,
    such a message lost its question to the limits on what is read.
    """
    if fits(message, max_words, max_chars):
        return message
    sentences = [sentence.strip() for sentence in _SENTENCE_END.split(message) if sentence.strip()]
    chosen = [sentence for sentence in sentences if sentence.endswith(("?", "؟")) and asks(sentence)] or sentences
    kept: list[str] = []
    words = chars = 0
    for sentence in reversed(chosen):
        words, chars = words + len(sentence.split()), chars + len(sentence) + 1
        if kept and (words > max_words or chars > max_chars):
            break
        kept.insert(0, sentence)
    return " ".join(kept)
