"""Messages that greet or thank rather than ask: "hi", "merhaba!", "grazie mille 🙏".

Readers open with a greeting and close with thanks. Searched as questions,
they found nothing and were told "no answer", and counted among the
questions nothing answered. A message is small talk when it says one of the
language's greeting or thanks phrases (`cue_lists`), its words in a row, and
nothing else but stop words: "hello, thank you very much" thanks, "how are
you doing" greets, "are you" alone does not, and "hi, what is compound
interest" is a question.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from .analysis import stop_words
from .cues import ENGLISH, cues, has_lists
from .textnorm import fold, normalize

GREETING = "greeting"
THANKS = "thanks"


@dataclass(frozen=True)
class Phrases:
    """One language's greeting and thanks phrases, as folded words."""

    greetings: frozenset[tuple[str, ...]]
    thanks: frozenset[tuple[str, ...]]
    stop: frozenset[str]
    vocabulary: frozenset[str]
    """Every word of the phrases: a message with a word neither in it nor a stop word is no small talk."""


@cache
def _phrases(lang: str, with_english: bool) -> Phrases:
    def folded(key: str) -> frozenset[tuple[str, ...]]:
        return frozenset(
            tuple(fold(word) for word in normalize(phrase, lang)) for phrase in cues(lang, key, with_english=with_english)
        )

    stop = stop_words(lang) | (stop_words(ENGLISH) if with_english else frozenset())
    greetings, thanks = folded("greetings"), folded("thanks")
    vocabulary = frozenset(word for phrase in greetings | thanks for word in phrase)
    return Phrases(greetings, thanks, frozenset(fold(word) for word in stop), vocabulary)


def small_talk_in(message: str, lang: str, with_english: bool = True) -> str | None:
    """`THANKS` when `message`, read as `lang`, says a thanks phrase and nothing but such phrases and stop words;
    `GREETING` when it says a greeting so; else None."""
    phrases = _phrases(lang, with_english)
    words = tuple(fold(word) for word in normalize(message, lang))
    if not all(word in phrases.vocabulary or word in phrases.stop for word in words):
        return None
    said: set[str] = set()
    covered = [False] * len(words)
    for kind, found in ((THANKS, phrases.thanks), (GREETING, phrases.greetings)):
        for phrase in found:
            for at in range(len(words) - len(phrase) + 1):
                if words[at : at + len(phrase)] == phrase:
                    said.add(kind)
                    covered[at : at + len(phrase)] = [True] * len(phrase)
    if not said or not all(done or word in phrases.stop for word, done in zip(words, covered, strict=True)):
        return None
    return THANKS if THANKS in said else GREETING


def small_talk(message: str, preferred: Iterable[str | None], languages: Iterable[str]) -> tuple[str, str] | None:
    """What kind of small talk `message` is and in which language: the first of `preferred` (the reader's) whose
    phrases or English ones it is, else the first of `languages` whose own phrases it is."""
    for lang in preferred:
        if lang and has_lists(lang) and (kind := small_talk_in(message, lang)):
            return kind, lang
    for lang in languages:
        if has_lists(lang) and (kind := small_talk_in(message, lang, with_english=False)):
            return kind, lang
    return None
