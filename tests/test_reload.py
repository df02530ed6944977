"""A reload in process: the reloader owns the current searcher, and the conversation answers from the new one."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.chat.dialogue import Asker, Dialogue
from bot.chat.reload import ContentReloader
from bot.chat.store import Store
from bot.config import Settings
from bot.language.langdetect import guess_article_language
from bot.search.index_cache import embed_missing
from bot.search.loading import load_searcher, semantic_options

from .conftest import WriteFile

GREEN = "---\ntitle: Tè\n---\n## Infusione\nIl tè verde si lascia in infusione tre minuti.\n"
BLACK = "---\ntitle: Tè\n---\n## Infusione\nIl tè nero si lascia in infusione cinque minuti.\n"


def test_after_a_reload_the_conversation_answers_from_the_new_content(write: WriteFile, content: Path, tmp_path: Path) -> None:
    article = write("tea.it.md", GREEN)
    settings = Settings(content, None, "it", "WARNING", database_path=tmp_path / "bot.sqlite3")
    asker = Asker(chat_id=1, user_id=1, language_code="it")

    async def scenario() -> tuple[str, str, str, str]:
        store = await Store.open(settings.database_path)
        try:
            reloader = ContentReloader(settings, load_searcher(settings))
            dialogue = Dialogue(reloader, store, settings.default_language)
            before = await dialogue.ask(asker, "quanti minuti di infusione")
            article.write_text(BLACK, encoding="utf-8")
            outcome = await reloader.reload()
            after = await dialogue.ask(asker, "quanti minuti di infusione")
            return outcome.status, (await reloader.reload()).status, before.texts[0], after.texts[0]
        finally:
            await store.close()

    reloaded, again, before, after = asyncio.run(scenario())
    assert (reloaded, again) == ("reloaded", "unchanged")
    assert "verde" in before and "nero" in after


def test_vectors_that_embed_computed_later_are_picked_up_by_the_next_reload(
    write: WriteFile, content: Path, tmp_path: Path
) -> None:
    """A knowledge base too large to embed at start answers lexically, and gains the semantic signal once `embed` has run."""
    write("tea.it.md", GREEN)
    settings = Settings(content, None, "it", "WARNING", embed_at_build=0, vectors_dir=tmp_path / "vectors")
    reloader = ContentReloader(settings, load_searcher(settings))
    assert reloader.searcher.embedder is None
    embed_missing(content, guess_article_language, semantic_options(settings))
    assert asyncio.run(reloader.reload()).status == "reloaded"
    assert reloader.searcher.embedder is not None
    assert asyncio.run(reloader.reload()).status == "unchanged"
