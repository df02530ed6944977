"""Imported by the forkserver that the test session's index builds fork their child from, before it forks any.

The bot's modules are then imported once, not in every child, and the word
frequencies of the languages the tests write content in are read from
wordfreq once (as `word_frequencies_read_once` does in the test process),
where each child would read and hash every one of its languages' lists, a
quarter of a second each, for every index it builds. The children inherit both.
Nothing else imports this module: importing it is what changes the forkserver.
"""

from __future__ import annotations

import functools

import bot.search.index_cache  # noqa: F401 - imported here once for every child
from bot.language.frequencies import WordFrequencies

LANGUAGES = ("ar", "da", "en", "it", "ru", "tr")
"""The languages of the seeds and of the articles the tests write."""

WordFrequencies.of = classmethod(functools.cache(WordFrequencies.of.__func__))  # type: ignore[method-assign]
for _lang in LANGUAGES:
    WordFrequencies.of(_lang)
