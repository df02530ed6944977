"""Picking up edited content, and vectors as they are embedded, while the bot runs, without dropping a message.

A reload builds a new `Searcher` off the event loop (the index in a child
process, see `index_cache`) while the old one keeps answering, then swaps it
in with one assignment. A reload that fails, or that finds no usable article
at all, leaves the old searcher serving. Triggers: an admin's /reload, SIGHUP,
and a periodic check of the content files' fingerprint.

Vectors are followed apart from content: every `VECTORS_CHECK_SECONDS` the
reloader looks at how far the vector store covers the content served, keeps
that for `/stats` and `/healthz`, and switches the semantic signal on for
each language that has become complete (`loading.with_new_vectors`), from
whichever process embedded them: the background job (`search.background`),
which the process that embeds also keeps going from here, or `embed`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ..config import Settings
from ..metrics import RELOADS
from ..search.background import BackgroundEmbedding
from ..search.index_cache import IndexBuildError
from ..search.loading import load_searcher, up_to_date, vector_coverage, with_new_vectors
from ..search.searcher import Searcher
from ..search.vectors import Coverage, attached
from .messages import available

log = logging.getLogger(__name__)

VECTORS_CHECK_SECONDS = 2.0
"""How often a serving process looks at the vector store: a language is switched on within this of its last vector
being saved. A look reads only the records added since the last (a stat when there are none)."""


@dataclass(frozen=True)
class ReloadOutcome:
    status: Literal["reloaded", "unchanged", "failed", "busy"]
    articles: int = 0
    languages: int = 0
    problem_files: tuple[str, ...] = ()
    """Files skipped or warned about, by name relative to the content folder."""
    taught: int = 0
    """Questions taught (`questions.yml`): said with the articles, so that a file that could no longer be read, and
    took every taught answer with it, shows as a count that fell rather than as "unchanged"."""


class ContentReloader:
    """Owns the current searcher, the one everything that answers reads, and replaces it when the content changes."""

    def __init__(self, settings: Settings, searcher: Searcher, after_reload: Callable[[], object] = lambda: None) -> None:
        """`after_reload` is called whenever new content has been swapped in: webhook workers tell the others."""
        self.settings = settings
        self.searcher = searcher
        """Replaced as a whole by a reload; a reader reads it once per request and keeps that one."""
        self.after_reload = after_reload
        self._lock = asyncio.Lock()
        self._again = False
        """A reload was asked for while one ran (`_again_tells`: and it should tell the others)."""
        self._again_tells = False
        self.embedding: Coverage | None = None
        """How far the vector store covers the content served, as last looked at (`follow_vectors`); None with the
        semantic signal off, or before the first look."""
        self._vectors_failure = ""

    async def reload(self, tell_others: bool = True) -> ReloadOutcome:
        """Swap in the content as it is on disk now, if it changed; `after_reload` follows if `tell_others`.

        A reload asked for while one runs is "busy", and runs once more after
        it: the running one may have looked at the files before the edit that
        prompted the second. Reloads told of by another worker (SIGHUP) pass
        on nothing, so an edit costs each worker one or two checks, not one per
        worker that saw it.
        """
        if self._lock.locked():
            self._again = True
            self._again_tells = self._again_tells or tell_others
            outcome = ReloadOutcome("busy")
        else:
            async with self._lock:
                outcome = await self._reload(tell_others)
                while self._again:
                    tell, self._again, self._again_tells = self._again_tells, False, False
                    await self._reload(tell)
        RELOADS.labels(result=outcome.status).inc()
        return outcome

    async def _reload(self, tell_others: bool) -> ReloadOutcome:
        current = self.searcher
        try:
            if await asyncio.to_thread(up_to_date, self.settings, current):
                return self._outcome("unchanged")
            searcher = await asyncio.to_thread(load_searcher, self.settings, current, available())
        except IndexBuildError as error:
            log.error("content reload failed, %s; still answering from the previous index", error)
            return ReloadOutcome("failed")
        except Exception:
            log.exception("content reload failed; still answering from the previous index")
            return ReloadOutcome("failed")
        if not searcher.languages:
            log.error(
                "content reload found no usable article in %s; still answering from the previous index",
                self.settings.content_dir,
            )
            return ReloadOutcome("failed")
        self.searcher = searcher
        outcome = self._outcome("reloaded")
        log.warning("content reloaded: %d articles in %d languages", outcome.articles, outcome.languages)
        if tell_others:
            self.after_reload()
        return outcome

    def _outcome(self, status: Literal["reloaded", "unchanged"]) -> ReloadOutcome:
        index = self.searcher.index
        problems = sorted({self._name(issue.path) for issue in index.kb.issues})
        return ReloadOutcome(status, len(index.articles), len(index.by_lang), tuple(problems), len(index.kb.taught))

    def _name(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.settings.content_dir))
        except ValueError:
            return str(path)

    async def watch(self, every: float) -> None:
        """Reload whenever the content files change; runs until cancelled."""
        while True:
            await asyncio.sleep(every)
            await self.reload()

    async def follow_vectors(self, background: BackgroundEmbedding | None = None) -> None:
        """One look at the vector store: how far it covers the content served, the languages it has completed
        switched on (and the taught questions, once all have their vectors), and (in the process that embeds) the
        background job kept going while vectors lack.

        A language is switched on under the reload's lock, on the searcher
        still serving: a reload under way loads the vectors complete by then
        itself, and the next look sees to the rest.
        """
        searcher = self.searcher
        now = await asyncio.to_thread(vector_coverage, self.settings, searcher.index)
        self.embedding = now
        if now is None:
            return
        before = attached(searcher.index)
        questions = now.questions[1] and now.questions_complete and searcher.index.taught_vectors is None
        if (set(now.complete()) - set(before) or questions) and not self._lock.locked():
            async with self._lock:
                if self.searcher is searcher:
                    self.searcher = await asyncio.to_thread(with_new_vectors, self.settings, searcher)
                    added = sorted(set(attached(searcher.index)) - set(before))
                    if added:
                        log.warning(
                            "semantic signal on for %s (%d of %d languages, %d%% of paragraphs embedded)",
                            ", ".join(added),
                            len(before) + len(added),
                            len(searcher.index.by_lang),
                            now.percent,
                        )
        if background is not None:
            background.follow(now, searcher.index.fingerprint)

    async def look_at_vectors(self, background: BackgroundEmbedding | None = None) -> None:
        """`follow_vectors`, a failure logged (once until it changes) rather than raised: the next look tries again."""
        try:
            await self.follow_vectors(background)
            self._vectors_failure = ""
        except Exception as error:
            if str(error) != self._vectors_failure:
                self._vectors_failure = str(error)
                log.warning("could not look at the vector store: %s", error or type(error).__name__)

    async def watch_vectors(self, every: float = VECTORS_CHECK_SECONDS, background: BackgroundEmbedding | None = None) -> None:
        """`look_at_vectors` every `every` seconds until cancelled."""
        while True:
            await asyncio.sleep(every)
            await self.look_at_vectors(background)
