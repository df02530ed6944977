"""Building a ready `Searcher` from settings: the one start-up path the CLI and the bot share."""

from __future__ import annotations

import logging

from .config import Settings
from .index_cache import load_index
from .langdetect import guess_article_language
from .search import Searcher

log = logging.getLogger(__name__)


def load_searcher(settings: Settings, previous: Searcher | None = None) -> Searcher:
    """A searcher over the content as it is now; a `previous` one lends its language models when the languages match.

    The models are the largest thing a searcher holds, and a reload that
    loaded them afresh would briefly hold two sets.
    """
    index = load_index(settings.content_dir, settings.cache_dir, guess_article_language)
    if not index.articles:
        log.warning("no articles loaded from %s", settings.content_dir)
    detector = previous.detector if previous is not None and previous.languages == sorted(index.by_lang) else None
    return Searcher(index, default_language=settings.default_language, detector=detector)
