"""A reload in process: the reloader owns the current searcher, and the conversation answers from the new one."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.chat import reload as reload_module
from bot.chat.dialogue import Asker, Dialogue
from bot.chat.reload import ContentReloader
from bot.config import Settings
from bot.language.langdetect import guess_article_language
from bot.search.index_cache import embed_missing
from bot.search.loading import load_searcher, semantic_options
from bot.storage.sqlite import Store

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


def test_vectors_that_embed_computed_later_are_switched_on_by_the_next_look_without_a_reload(
    write: WriteFile, content: Path, tmp_path: Path
) -> None:
    """A knowledge base whose vectors nobody computed answers lexically, and gains the semantic signal once `embed`
    (here, or a bot's background job) has filled the store: the content is unchanged, so nothing is reloaded."""
    write("tea.it.md", GREEN)
    settings = Settings(content, None, "it", "WARNING", embed_at_build=0, vectors_dir=tmp_path / "vectors")
    reloader = ContentReloader(settings, load_searcher(settings))
    asyncio.run(reloader.follow_vectors())
    assert reloader.searcher.embedder is None and reloader.embedding is not None and reloader.embedding.missing == 1
    embed_missing(content, guess_article_language, semantic_options(settings))
    asyncio.run(reloader.follow_vectors())
    assert reloader.searcher.embedder is not None and reloader.embedding.missing == 0
    assert asyncio.run(reloader.reload()).status == "unchanged"


def test_a_reload_asked_for_while_one_runs_is_run_after_it(
    write: WriteFile, content: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The running reload may have read the files before the edit that prompted the second: the edit is not lost.

    Only reloads that found new content tell the other workers, and only when asked to: one told by another
    worker (SIGHUP) passes nothing on.
    """
    article = write("tea.it.md", GREEN)
    settings = Settings(content, None, "it", "WARNING")
    told: list[str] = []
    reloader = ContentReloader(settings, load_searcher(settings), lambda: told.append("told"))
    slow_load = reload_module.load_searcher

    def load_then_edit(*args, **kwargs):
        searcher = slow_load(*args, **kwargs)
        if "nero" not in article.read_text(encoding="utf-8"):
            article.write_text(BLACK, encoding="utf-8")  # edited after this reload read the files
        return searcher

    async def scenario() -> tuple[str, str]:
        write("tea.it.md", GREEN.replace("tre", "quattro"))
        monkeypatch.setattr(reload_module, "load_searcher", load_then_edit)
        first = asyncio.create_task(reloader.reload(tell_others=False))
        await asyncio.sleep(0)
        second = await reloader.reload()
        return (await first).status, second.status

    assert asyncio.run(scenario()) == ("reloaded", "busy")
    assert "nero" in reloader.searcher.answer("quanti minuti di infusione").text
    assert told == ["told"], "the first, told of by another worker, passed nothing on; the one run after it did"
