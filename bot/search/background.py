"""Embedding what the vector store lacks in a child process while the bot answers: `run` needs no `embed` first.

Embedding a paragraph costs some 40 ms of a core here, a hundred times what
indexing it costs: a knowledge base of 170 files (1,850 paragraphs) takes a
minute or two on two cores, one of 10,000 articles (100,000 paragraphs) about
an hour. A bot that embedded before answering would be silent that long, and
one that left it to its owner would answer some twenty points worse until
they found `python -m bot embed`. So `run` answers at once on the lexical
signals, and one child process embeds what the store lacks:

- spawned (a fresh interpreter: none of the serving process's heap, threads
  or locks), by the process that serves alone or by webhook worker 0, once
  the workers are forked. The store's embedding lock (`VectorStore.embedding`)
  keeps it the only one on the host: another (a second instance, `embed`, the
  child of a worker 0 started again) waits for it, then finds the work done;
- at the lowest priority (nice 19), a thread per core: a serving process
  takes a core whenever it has a question, and embedding has the rest;
- the taught questions first (few, and every language compares with them:
  `search.taught`), then language by language, the default language first,
  then the one with the fewest paragraphs left, so each language gains the
  semantic signal as soon as its own paragraphs are done (see `vectors` for
  why not before);
- a batch at a time (`vectors.BATCH`), each saved as soon as it is computed:
  a child stopped or killed loses at most one batch, and the next starts
  where it stopped.

It prints its progress on stderr, a line every `STEP` percent and one at the
end, in paragraphs of the whole knowledge base (a resumed run goes on from
where the last stopped). Every serving process looks at the store every few
seconds (`chat.reload`), and switches a language on when it is complete;
the one that started the child starts it again when it ended with
paragraphs still lacking (new content meanwhile), or after a pause when it
failed.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ..config import Settings
from ..content.parsing import LanguageGuesser
from ..language.langdetect import guess_article_language
from . import index_cache
from .embedding import MODEL_NAME, E5Embedder, Embedder, cores
from .index import SearchIndex
from .loading import semantic_options
from .vectors import Coverage, VectorStore, coverage, embed_into, missing_questions, missing_texts

log = logging.getLogger(__name__)

NICENESS = 19
"""The child's priority: the lowest, so a serving process never waits for it for a core."""
STEP = 5
"""Percent of the knowledge base between two progress lines: twenty lines however large it is."""
RETRY_SECONDS = (60.0, 3600.0)
"""Pause before a child that failed is started again: the first, doubled while it keeps failing, up to the second."""
PER_CORE_SECOND = 10.0
"""Paragraphs a second per core assumed until the store has a measured rate (`VectorStore.rate`): the encoder's
rate with the AVX2 kernel on a busy machine (`benchmarks/bench_embed.py`), 9 to 15; twice that on a quiet one."""
_PR_SET_PDEATHSIG = 1


def duration(seconds: float) -> str:
    """ "45 s", "3 min 20 s", "2 h 5 min": how long embedding takes, as a person says it."""
    seconds = max(1, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"


def expected_rate(store: VectorStore) -> float:
    """Paragraphs a second embedding is expected to run at on this machine: as last measured, else assumed."""
    return store.rate() or PER_CORE_SECOND * cores()


@dataclass(frozen=True)
class EmbeddingJob:
    """What the child needs (so it is picklable): where the content, its cached index and the vectors are."""

    content_dir: Path
    cache_dir: Path | None
    vectors_dir: Path
    max_article_bytes: int
    first_language: str
    """Embedded first: the default language."""
    parent: int
    guess_language: LanguageGuesser = guess_article_language


def embedding_job(settings: Settings) -> EmbeddingJob | None:
    """The background job for this bot, or None when it has none: the semantic signal is off, or there is no folder
    to keep vectors in (no `CACHE_DIR` nor `EMBEDDINGS_DIR`: a child's vectors would die with it)."""
    semantic = semantic_options(settings)
    if semantic is None or semantic.vectors_dir is None:
        return None
    return EmbeddingJob(
        settings.content_dir,
        settings.cache_dir,
        semantic.vectors_dir,
        settings.max_article_bytes,
        settings.default_language,
        os.getpid(),
    )


class Report:
    """The child's progress lines on stderr: where it starts, every `STEP` percent with the rate and the time left, the end."""

    def __init__(
        self, start: Coverage, rate: float, out: Callable[[str], object], clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.start, self.out, self.clock = start, out, clock
        self.began = clock()
        self.timed: tuple[float, int] | None = None
        """When the first batch was in, and the paragraphs embedded then: the rate is measured from there (the
        first batch also loads the model)."""
        self.shown = start.percent // STEP
        lacking = ", ".join(f"{lang} {count}" for lang, count in start.lacking().items())
        self.out(
            f"embedding {start.missing:,} of {start.units:,} {start.noun} in the background ({lacking}), about "
            f"{duration(start.missing / rate)} at {rate:.0f} a second; each language gains the semantic signal once its "
            "paragraphs are done"
        )

    def __call__(self, now: Coverage) -> None:
        if self.timed is None:
            self.timed = (self.clock(), now.embedded)
            return
        step = now.percent // STEP
        if step == self.shown or now.missing == 0:
            return
        self.shown = step
        at, embedded = self.timed
        rate = (now.embedded - embedded) / max(self.clock() - at, 1e-6)
        left = f", about {duration(now.missing / rate)} left" if rate > 0 else ""
        self.out(
            f"embedding in the background: {now.percent}% ({now.embedded:,}/{now.units:,} {now.noun}), {rate:.1f} a second{left}"
        )

    def done(self, now: Coverage) -> None:
        took = self.clock() - self.began
        embedded = now.embedded - self.start.embedded
        self.out(
            f"embedding in the background: done, every paragraph has its vector ({now.units:,}; {embedded:,} embedded "
            f"in {duration(took)}, {embedded / max(took, 1e-6):.1f} a second)"
        )


def embed_languages(
    index: SearchIndex, store: VectorStore, embedder: Embedder, first: str, report: Callable[[Coverage], object]
) -> None:
    """Embed every taught question the store lacks (they are few, and every language compares with them), then every
    unit, a language at a time (`first`, then the fewest left first), calling `report` with the coverage after each batch."""
    questions = missing_questions(index, store)
    embed_into(store, questions, embedder, lambda done, total: report(coverage(index, store)), questions=True)
    lacking = {lang: count for lang, count in coverage(index, store).lacking().items() if lang in index.by_lang}
    for lang in sorted(lacking, key=lambda lang: (lang != first, lacking[lang], lang)):
        texts = missing_texts(index, store, [lang])
        embed_into(store, texts, embedder, lambda done, total: report(coverage(index, store)))


def _child(job: EmbeddingJob) -> None:
    """The background child: embed what the store lacks for the content as it is now, then end.

    Ctrl-C and SIGHUP reach a terminal's whole process group: the serving
    process stops, or reloads, and stops or starts this child itself. The
    kernel ends it with its parent, however the parent ends.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != job.parent:
        return
    os.nice(NICENESS)
    sys.exit(embed_job(job, lambda line: print(line, file=sys.stderr, flush=True)))


def embed_job(job: EmbeddingJob, out: Callable[[str], object], embedder: Embedder | None = None) -> int:
    """The child's work, with its exit status: 0 once every unit of the content as it is now has its vector, 1 when
    that failed (said in a line on `out`)."""
    store = VectorStore.shared(job.vectors_dir, MODEL_NAME)
    try:
        with store.embedding(
            lambda: out(f"embedding in the background: waiting for another process embedding into {store.path}")
        ):
            index = index_cache.current_index(job.content_dir, job.cache_dir, job.guess_language, job.max_article_bytes)
            start = coverage(index, store)
            if not start.missing:
                return 0
            report = Report(start, expected_rate(store), out)
            embed_languages(index, store, embedder or E5Embedder(cores()), job.first_language, report)
            saved = coverage(index, VectorStore(job.vectors_dir, MODEL_NAME))  # read back from the file, as the bot will
            if saved.missing:
                out(f"embedding in the background: {saved.missing:,} vectors could not be saved in {store.path}")
                return 1
            report.done(saved)
    except Exception as error:
        out(f"embedding in the background failed: {error or type(error).__name__}")
        return 1
    return 0


class Running(Protocol):
    """A started child, as `multiprocessing.Process` is one."""

    @property
    def exitcode(self) -> int | None: ...

    def is_alive(self) -> bool: ...

    def terminate(self) -> None: ...

    def join(self, timeout: float | None = None) -> None: ...


def spawn(job: EmbeddingJob) -> Running:
    """Start the child: spawned as the index build is (`index_cache.BUILD_CONTEXT`), daemonic so it never outlives the
    serving process's exit. Call it from the thread that stays (the event loop's): the kernel's end-with-parent
    signal follows the thread that started the child."""
    child = index_cache.BUILD_CONTEXT.Process(target=_child, args=(job,), name="background embedding", daemon=True)
    child.start()
    return child


class BackgroundEmbedding:
    """The serving side: keeps one child embedding while the content served lacks vectors (`follow`)."""

    def __init__(
        self, job: EmbeddingJob, start: Callable[[EmbeddingJob], Running] = spawn, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.job = job
        self._start = start
        self.clock = clock
        self.child: Running | None = None
        self._started_for = ""
        """The content (its fingerprint) served when the child was started."""
        self._done_for = ""
        """The content served when the last child that did all its work was started: nothing more to do for it."""
        self._pause = RETRY_SECONDS[0]
        self._not_before = 0.0

    def follow(self, now: Coverage, content: str) -> None:
        """Given how far the store covers the content served now (`content`, its fingerprint): start the child if the
        content lacks vectors and none runs.

        A child that ended with status 0 embedded the content as it was on
        disk then, so vectors still lacking belong to content this process
        will serve after its next reload: the child starts again once that
        has changed what is served. One that failed starts again after
        `RETRY_SECONDS`, each failure logged.
        """
        if self.child is not None:
            if self.child.is_alive():
                return
            code, self.child = self.child.exitcode, None
            if code:
                self._not_before = self.clock() + self._pause
                log.warning("background embedding ended with status %s; trying again in %s", code, duration(self._pause))
                self._pause = min(2 * self._pause, RETRY_SECONDS[1])
                self._done_for = ""
            else:
                self._pause = RETRY_SECONDS[0]
                self._done_for = self._started_for
        if now.missing and content != self._done_for and self.clock() >= self._not_before:
            self._started_for = content
            self.child = self._start(self.job)

    def stop(self) -> None:
        """End the child, if one runs: what it has saved stays, and the next start goes on from there."""
        if self.child is not None and self.child.is_alive():
            self.child.terminate()
            self.child.join(5)
        self.child = None
