"""What the bot knows about each language it may meet in content or questions.

One table, so that adding a language to a deployment is a data change: its
Snowball stemmer, whether it glues nouns into compounds, and its own name.
A language missing from the table still works, with folding and typo
tolerance but without stemming.
"""

from __future__ import annotations

from dataclasses import dataclass

import langcodes


@dataclass(frozen=True)
class LanguageProfile:
    code: str
    """ISO 639-1 code, the key used everywhere else."""
    native_name: str
    """The language's name in itself, as a reader looks for it in a menu."""
    snowball: str | None = None
    """PyStemmer algorithm name, or None where Snowball has no stemmer."""
    compounds: bool = False
    """Writes compounds as one word ("lønintervallet"), so parts are indexed too."""
    turkic_casing: bool = False
    """Dotted and dotless i are distinct letters (I/ı, İ/i)."""
    suffix_apostrophe: bool = False
    """Writes the suffixes of a name or a number after an apostrophe ("ABD'de", "P'dir", "2020'de"): what follows one
    is no word of its own, unlike an elision's ("cos'è")."""
    proclitics: tuple[str, ...] = ()
    """One-letter words written onto the next one, which stemmers strip or keep inconsistently (Arabic و "and")."""


_PROFILES = [
    LanguageProfile("ar", "العربية", "arabic", proclitics=("و", "ف")),
    LanguageProfile("az", "Azərbaycanca", None, turkic_casing=True, suffix_apostrophe=True),
    LanguageProfile("ca", "Català", "catalan"),
    LanguageProfile("da", "Dansk", "danish", compounds=True),
    LanguageProfile("de", "Deutsch", "german", compounds=True),
    LanguageProfile("el", "Ελληνικά", "greek"),
    LanguageProfile("en", "English", "english"),
    LanguageProfile("es", "Español", "spanish"),
    LanguageProfile("eu", "Euskara", "basque"),
    LanguageProfile("fi", "Suomi", "finnish", compounds=True),
    LanguageProfile("fr", "Français", "french"),
    LanguageProfile("ga", "Gaeilge", "irish"),
    LanguageProfile("hi", "हिन्दी", "hindi"),
    LanguageProfile("hu", "Magyar", "hungarian", compounds=True),
    LanguageProfile("hy", "Հայերեն", "armenian"),
    LanguageProfile("id", "Bahasa Indonesia", "indonesian"),
    LanguageProfile("it", "Italiano", "italian"),
    LanguageProfile("lt", "Lietuvių", "lithuanian"),
    LanguageProfile("nb", "Norsk bokmål", "norwegian", compounds=True),
    LanguageProfile("ne", "नेपाली", "nepali"),
    LanguageProfile("nl", "Nederlands", "dutch", compounds=True),
    LanguageProfile("no", "Norsk", "norwegian", compounds=True),
    LanguageProfile("pt", "Português", "portuguese"),
    LanguageProfile("ro", "Română", "romanian"),
    LanguageProfile("ru", "Русский", "russian"),
    LanguageProfile("sr", "Српски", "serbian"),
    LanguageProfile("sv", "Svenska", "swedish", compounds=True),
    LanguageProfile("ta", "தமிழ்", "tamil"),
    LanguageProfile("tr", "Türkçe", "turkish", turkic_casing=True, suffix_apostrophe=True),
    LanguageProfile("uk", "Українська"),
    LanguageProfile("yi", "ייִדיש", "yiddish"),
]

PROFILES: dict[str, LanguageProfile] = {p.code: p for p in _PROFILES}


def profile(code: str) -> LanguageProfile:
    """The profile of `code`; an unlisted language gets a plain one rather than an error."""
    return PROFILES.get(code) or LanguageProfile(code, code)


def is_language_code(text: str) -> bool:
    """Whether `text` looks like an ISO 639-1 code we can name (used for file names and --lang)."""
    return text in PROFILES


def language_code(value: object) -> str | None:
    """The language code an owner wrote (`tr`, `pt_BR`, `en-GB`): its language part, lower-case; None when it is not
    one (`xx`, a typo, made the article a language of its own). Front matter, `synonyms.yml` and `questions.yml` read
    codes alike."""
    code = str(value or "").strip().lower().replace("_", "-").split("-")[0]
    if not (code.isalpha() and 2 <= len(code) <= 3) or code in _NO_LANGUAGE or "qaa" <= code <= "qtz":
        return None
    return code if langcodes.tag_is_valid(code) else None


_NO_LANGUAGE = frozenset({"und", "mul", "zxx", "mis"})
"""Codes the registry has for no language in particular (undetermined, multiple, no linguistic content, uncoded);
`qaa` to `qtz` are for private use."""
