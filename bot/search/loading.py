"""Building a ready `Searcher` from settings: the one start-up path the CLI and the bot share.

With `up_to_date`, all a content reload (`chat.reload`) needs of the index
cache: whether the content changed, and a new searcher when it did.
"""

from __future__ import annotations

import logging
from collections.abc import Collection

from ..config import Settings
from ..language.langdetect import QuestionLanguageDetector, guess_article_language
from .index_cache import Semantic, content_fingerprint, load_index, vector_stamp
from .searcher import Searcher

log = logging.getLogger(__name__)


def load_searcher(settings: Settings, previous: Searcher | None = None, reply_languages: Collection[str] = ()) -> Searcher:
    """A searcher over the content as it is now; a `previous` one lends its language models when the languages match.

    `reply_languages` are those the conversation can say "no answer" in (see
    `Searcher.reply_languages`).

    The language detector is made as soon as the cache says which languages
    the content has; lingua then loads each language's models the first time
    a question needs them (see `QuestionLanguageDetector`), and a reload with
    the same languages keeps the models already loaded.
    """
    models: dict[tuple[str, ...], QuestionLanguageDetector] = {}
    if previous is not None:
        models[tuple(previous.languages)] = previous.detector

    def load_models(languages: list[str]) -> None:
        if tuple(languages) not in models:
            models.clear()
            models[tuple(languages)] = QuestionLanguageDetector(languages)

    index = load_index(
        settings.content_dir,
        settings.cache_dir,
        guess_article_language,
        prepare=load_models,
        max_article_bytes=settings.max_article_bytes,
        semantic=semantic_options(settings),
        build_seconds=settings.build_timeout_seconds,
    )
    if not index.articles:
        log.warning("no articles loaded from %s", settings.content_dir)
    detector = models.get(tuple(sorted(index.by_lang)))
    return Searcher(
        index,
        default_language=settings.default_language,
        detector=detector,
        reply_languages=reply_languages,
        embedder=previous.embedder if previous is not None else None,
    )


def semantic_options(settings: Settings) -> Semantic | None:
    """The semantic signal's settings for the index, or None when it is switched off."""
    if not settings.semantic:
        return None
    folder = settings.vectors_dir or (settings.cache_dir / "embeddings" if settings.cache_dir else None)
    return Semantic(folder, settings.embed_at_build)


def up_to_date(settings: Settings, searcher: Searcher) -> bool:
    """True when `searcher` answers from the content files and vectors as they are now: a reload would change nothing.

    Reads the files' names and times, not their text (`index_cache.content_fingerprint`).
    """
    index = searcher.index
    if content_fingerprint(settings.content_dir, settings.max_article_bytes) != index.fingerprint:
        return False
    return vector_stamp(semantic_options(settings)) == index.vector_stamp
