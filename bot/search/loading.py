"""Building a ready `Searcher` from settings: the one start-up path the CLI and the bot share.

With `up_to_date`, all a content reload (`chat.reload`) needs of the index
cache: whether the content changed, and a new searcher when it did.
"""

from __future__ import annotations

import logging
from collections.abc import Collection

from ..config import Settings
from ..language.langdetect import QuestionLanguageDetector, guess_article_language
from .embedding import E5Embedder, cores
from .index import SearchIndex
from .index_cache import Semantic, cache_path, content_fingerprint, load_index
from .searcher import Searcher
from .vectors import Coverage, Progress, attach, coverage, embed_missing_into

log = logging.getLogger(__name__)


def load_searcher(
    settings: Settings, previous: Searcher | None = None, reply_languages: Collection[str] = (), embed_limit: int | None = None
) -> Searcher:
    """A searcher over the content as it is now; a `previous` one lends its language models when the languages match.

    `reply_languages` are those the conversation can say "no answer" in (see
    `Searcher.reply_languages`). A build embeds up to `embed_limit` new
    paragraphs itself (default `EMBED_AT_BUILD`): `run` starts with none, and
    leaves them all to its background job.

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
        semantic=semantic_options(settings, embed_limit),
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


def semantic_options(settings: Settings, embed_limit: int | None = None) -> Semantic | None:
    """The semantic signal's settings for the index, or None when it is switched off."""
    if not settings.semantic:
        return None
    folder = settings.vectors_dir or (settings.cache_dir / "embeddings" if settings.cache_dir else None)
    return Semantic(folder, settings.embed_at_build if embed_limit is None else embed_limit)


def vector_coverage(settings: Settings, index: SearchIndex) -> Coverage | None:
    """How far the vector store covers the units of `index`; None when the semantic signal is off."""
    semantic = semantic_options(settings)
    return coverage(index, semantic.store()) if semantic else None


def with_new_vectors(settings: Settings, searcher: Searcher) -> Searcher:
    """`searcher`, or one over the same index that embeds questions, once languages have become complete.

    The languages whose units now all have vectors get their blocks on the
    live index (`vectors.attach` reads only the records added since), so a
    searcher that already embeds questions uses them at its next question.
    One that does not (no language had vectors when it was made) is replaced
    by one that does, sharing the index, the language models and the
    conversation's searches as a reload's new searcher would.
    """
    semantic = semantic_options(settings)
    if semantic is None:
        return searcher
    index = searcher.index
    path = cache_path(settings.cache_dir, settings.content_dir) if settings.cache_dir else None
    if not attach(index, semantic.store(), path) or searcher.embedder is not None:
        return searcher
    return Searcher(
        index,
        default_language=searcher.default_language,
        detector=searcher.detector,
        reply_languages=searcher.reply_languages,
        config=searcher.config,
    )


def embed_now(settings: Settings, searcher: Searcher, progress: Progress | None = None) -> Searcher:
    """Embed in this process the paragraphs and taught questions the store lacks, and the searcher that then has every
    language's vectors: for `ask` over a knowledge base small enough to embed in seconds."""
    semantic = semantic_options(settings)
    if semantic is None:
        return searcher
    embed_missing_into(searcher.index, semantic.store(), E5Embedder(cores()), progress)
    return with_new_vectors(settings, searcher)


def up_to_date(settings: Settings, searcher: Searcher) -> bool:
    """True when `searcher` answers from the content files as they are now: a reload would change nothing.

    Reads the files' names and times, not their text (`index_cache.content_fingerprint`). Vectors embedded
    since are picked up without a reload (`with_new_vectors`).
    """
    index = searcher.index
    return content_fingerprint(settings.content_dir, settings.max_article_bytes, index.config) == index.fingerprint
