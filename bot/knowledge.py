"""Building a ready `Searcher` from settings: the one start-up path the CLI and the bot share."""

from __future__ import annotations

import logging

from .config import Settings
from .index import load_index
from .langdetect import guess_article_language
from .search import Searcher

log = logging.getLogger(__name__)


def load_searcher(settings: Settings) -> Searcher:
    index = load_index(settings.content_dir, settings.cache_dir, guess_article_language)
    if not index.articles:
        log.warning("no articles loaded from %s", settings.content_dir)
    return Searcher(index, default_language=settings.default_language)
