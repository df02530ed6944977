"""Which language a piece of text is written in.

Questions are classified only among the languages the content has (lingua,
restricted to those): a reader can only be answered in one of them, and a
small candidate set is both faster and more accurate. Short questions are
often ambiguous ("lon", "account manager"); then lingua's confidence
(`LanguageGuess.top`) is low, and the caller decides with what else it knows
(`RankingConfig.confident`, `pick_fallback`).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

from lingua import IsoCode639_1, Language, LanguageDetector, LanguageDetectorBuilder

from .textnorm import clean

_SCRIPTS = {
    "CYRILLIC": Language.all_with_cyrillic_script,
    "ARABIC": Language.all_with_arabic_script,
    "DEVANAGARI": Language.all_with_devanagari_script,
    "LATIN": Language.all_with_latin_script,
}


LOADED_MODELS_MIB = 8
"""Growth of the process during one guess that means lingua read models (a language's take 10 to 30 MiB)."""


def _resident_mib() -> float:
    """The process's resident memory, from the kernel; 0 where there is no /proc."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * _PAGE_MIB
    except (OSError, IndexError, ValueError):
        return 0.0


def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's `malloc_trim`, which hands the heap's free pages back to the system; None on another C library."""
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


_PAGE_MIB = (os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096) / 2**20
_TRIM = _malloc_trim()


def _give_back_loading_memory() -> None:
    """lingua reads a language's models through buffers it frees once they are built, about 50 MiB for five
    languages; glibc keeps such freed heap for reuse, and a serving process that nothing else asks as much of held it
    for good (its resident peak after 400 questions at 10,000 articles fell from 405 to 360 MiB without it)."""
    if _TRIM is not None:
        _TRIM(0)


def _script_of(language: Language) -> str | None:
    return next((script for script, members in _SCRIPTS.items() if language in members()), None)


def _scripts_in(text: str) -> set[str]:
    """The writing systems of the letters of `text`, by the first word of their Unicode names."""
    return {unicodedata.name(ch, "?").split()[0] for ch in text if ch.isalpha()}


def _lingua_language(code: str) -> Language | None:
    iso = getattr(IsoCode639_1, code.upper(), None)
    if iso is None:
        return None
    try:
        return Language.from_iso_code_639_1(iso)
    except ValueError:
        return None


@dataclass(frozen=True)
class LanguageGuess:
    ranked: tuple[tuple[str, float], ...]
    """Candidate languages with lingua's confidence, most likely first."""

    @property
    def best(self) -> str | None:
        return self.ranked[0][0] if self.ranked else None

    @property
    def top(self) -> float:
        """lingua's confidence in the best candidate, 0 when there is none."""
        return self.ranked[0][1] if self.ranked else 0.0


class QuestionLanguageDetector:
    """Classifies questions among a fixed set of content languages.

    lingua loads a language's models the first time a question needs them,
    not up front: a question whose letters settle its language (Cyrillic,
    Arabic, or "ş" and "ı" for Turkish) needs none, and the others load only
    the languages of their script. Preloading all five took about a second of
    every start and some 190 MB that a process answering in one script never
    used; the guesses are the same either way (the same models, loaded later).
    """

    def __init__(self, languages: Iterable[str]) -> None:
        self.languages = sorted(set(languages))
        by_lingua = {lang: _lingua_language(lang) for lang in self.languages}
        self._known = {lingua: code for code, lingua in by_lingua.items() if lingua is not None}
        self._scripts = {code: _script_of(lingua) for lingua, code in self._known.items()}
        self._detector: LanguageDetector | None = None
        if len(self._known) >= 2:
            self._detector = LanguageDetectorBuilder.from_languages(*self._known).build()

    def preload(self, samples: Iterable[str]) -> None:
        """Load now, not at first need, the models lingua reads for questions like `samples` (text in each content language).

        For a process that forks workers after loading (`telegram.workers`):
        models loaded before the fork are one copy in memory for all of them;
        loaded lazily, each worker would read its own. Guessing each sample
        loads just the models a question in its script needs: for Arabic and
        Russian beside three Latin-script languages, the Latin three's, as a
        question in a script only one content language has is settled by the
        script. Preloading every model instead would add some 80 MB that no
        question reads, and change no guess.
        """
        for text in samples:
            self.guess(text)

    def guess(self, text: str) -> LanguageGuess:
        """The content languages `text` may be in, most likely first; judged on the cleaned text, as the search reads it."""
        text = clean(text)
        if len(self.languages) == 1:
            return LanguageGuess(((self.languages[0], 1.0),))
        if self._detector is None or not any(ch.isalpha() for ch in text):
            return LanguageGuess(())
        eligible = self._eligible(text)
        if len(eligible) == 1:
            return LanguageGuess(((next(iter(eligible)), 1.0),))
        before = _resident_mib()
        values = self._detector.compute_language_confidence_values(text)
        if _resident_mib() - before > LOADED_MODELS_MIB:
            _give_back_loading_memory()
        ranked = tuple((self._known[v.language], v.value) for v in values if v.value > 0)
        return LanguageGuess(self._by_script(eligible, ranked))

    def _eligible(self, text: str) -> set[str]:
        """The content languages written in the question's own script, when it has one besides the Latin alphabet.

        When only one is, the script alone settles the guess, as `_by_script`
        would, and lingua need not read the question (nor load models for it).
        """
        scripts = _scripts_in(text) - {"LATIN"}
        return {code for code, script in self._scripts.items() if script in scripts}

    def _by_script(self, eligible: set[str], ranked: tuple[tuple[str, float], ...]) -> tuple[tuple[str, float], ...]:
        """Only the languages written in the question's own script, when it has one besides the Latin alphabet.

        "что такое account manager" is Russian with a borrowed name in it;
        lingua, weighing the Latin letters, may not rank Russian at all.
        """
        if not eligible:
            return ranked
        kept = tuple((code, value) for code, value in ranked if code in eligible)
        if not kept:
            return tuple((code, 1.0 / len(eligible)) for code in sorted(eligible))
        total = sum(value for _, value in kept)
        return tuple((code, value / total) for code, value in kept)


def pick_fallback(candidates: Iterable[str], *preferences: str | None) -> str | None:
    """The first preference that is among `candidates`, in the order given.

    The order callers pass is the product's rule for ambiguous questions: the
    language the user chose, then the client's hint, then the language of the
    previous question, then the deployment default.
    """
    allowed = set(candidates)
    return next((p for p in preferences if p and p in allowed), None)


@lru_cache(maxsize=1)
def _article_detector() -> LanguageDetector:
    return LanguageDetectorBuilder.from_all_languages().with_low_accuracy_mode().build()


def guess_article_language(text: str) -> str | None:
    """Language of a whole article with no language in its name or front matter.

    Articles are long, so lingua's low-accuracy mode over all its languages is
    reliable here and costs a few megabytes instead of a gigabyte.
    """
    language = _article_detector().detect_language_of(text)
    return language.iso_code_639_1.name.lower() if language else None
