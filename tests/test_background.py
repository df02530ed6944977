"""Embedding in the background: the bot answers at once, and each language gains the semantic signal once its
paragraphs all have vectors, without a restart and without the owner running `embed`.

In process, the child's work (`background.embed_job`) runs on a thread with the
real model slowed to the test's pace: a batch goes through only when the test
lets it, so what is answered before, between and after the languages are
complete is certain rather than a matter of timing. One test runs the real bot
(`python -m bot run --webhook --workers 2`) on a tiny knowledge base, with the
store's embedding lock held by the test until it has seen the bot answer on
the words alone.
"""

from __future__ import annotations

import asyncio
import fcntl
import re
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from bot.chat.dialogue import Asker, Dialogue
from bot.chat.reload import ContentReloader
from bot.config import Settings
from bot.search.background import (
    PER_CORE_SECOND,
    BackgroundEmbedding,
    EmbeddingJob,
    Report,
    embed_job,
    embedding_job,
    expected_rate,
)
from bot.search.embedding import DIMENSIONS, MODEL_NAME, E5Embedder, cores
from bot.search.loading import load_searcher
from bot.search.vectors import BATCH, Coverage, VectorStore, attached, embed_into
from bot.storage.sqlite import Store

from .botrunner import BotProcess
from .conftest import WriteFile
from .fake_telegram import FakeTelegram
from .pg import free_port
from .test_health import get
from .test_semantic import ARTICLE as KAFFE
from .test_webhook import post

CAFFE = """\
---
title: Caffè
---
# Caffè
## Tostatura
I chicchi si tostano lentamente a fuoco basso per venti minuti, finché diventano scuri.

## Conservazione
Il caffè macinato resta fresco per una settimana in un barattolo ermetico in un luogo fresco.

## Prezzo
Un chilo di buoni chicchi costa circa quaranta euro nei negozi.

## Punti salienti
- tostato lentamente
- conservato al riparo dall'aria
"""
DANISH_PARAPHRASE = "hvad skal jeg betale"
"""What must I pay: no word of the price paragraph ("Et kilo gode bønner koster ... kroner"), found by meaning alone."""
ITALIAN_PARAPHRASE = "quanto tempo ci vuole per arrostire"
"""How long does roasting take: "arrostire" is not "tostare", found by meaning alone."""
ADMIN = 4_242


class Gate:
    """The real model, a batch at a time as the test lets it through: an embedder slowed to the test's pace."""

    name = MODEL_NAME

    def __init__(self) -> None:
        self.model = E5Embedder()
        self.allowed = threading.Semaphore(0)
        self.entered = threading.Condition()
        self.calls: list[list[str]] = []
        self.fail = False

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        with self.entered:
            self.calls.append(list(texts))
            self.entered.notify_all()
        assert self.allowed.acquire(timeout=60), "the test never let this batch through"
        if self.fail:
            raise MemoryError
        return self.model.passages(texts)

    def query(self, text: str) -> np.ndarray:
        return self.model.query(text)

    def wait_for_call(self, count: int) -> None:
        """Until the embedder has been called `count` times: every batch before the last has been saved."""
        with self.entered:
            assert self.entered.wait_for(lambda: len(self.calls) >= count, timeout=60)


class ThreadChild:
    """`embed_job` on a thread of this process, as the child process runs it; its lines kept rather than printed."""

    def __init__(self, job: EmbeddingJob, embedder: Gate) -> None:
        self.lines: list[str] = []
        self.exitcode: int | None = None
        self.thread = threading.Thread(target=self._run, args=(job, embedder), daemon=True)
        self.thread.start()

    def _run(self, job: EmbeddingJob, embedder: Gate) -> None:
        self.exitcode = embed_job(job, self.lines.append, embedder)

    def is_alive(self) -> bool:
        return self.thread.is_alive()

    def terminate(self) -> None:
        raise AssertionError("the test lets its children end")

    def join(self, timeout: float | None = None) -> None:
        self.thread.join(timeout)
        assert not self.thread.is_alive()


class Scenario:
    """A bot's reloader and conversation over two languages whose vectors the background job computes through `gate`."""

    def __init__(self, content: Path, tmp_path: Path, gate: Gate) -> None:
        self.settings = Settings(content, None, "da", "WARNING", vectors_dir=tmp_path / "vectors", database_path=tmp_path / "db")
        self.reloader = ContentReloader(self.settings, load_searcher(self.settings, embed_limit=0))
        self.children: list[ThreadChild] = []
        self.clock = 0.0
        job = embedding_job(self.settings)
        assert job is not None
        self.background = BackgroundEmbedding(job, self._start, clock=lambda: self.clock)
        self.gate = gate

    def _start(self, job: EmbeddingJob) -> ThreadChild:
        self.children.append(ThreadChild(job, self.gate))
        return self.children[-1]

    def look(self) -> Coverage | None:
        asyncio.run(self.reloader.follow_vectors(self.background))
        return self.reloader.embedding

    def answer(self, question: str) -> str | None:
        return self.reloader.searcher.answer(question).section_heading

    def stats(self) -> str:
        async def ask() -> str:
            store = await Store.open(self.settings.database_path)
            try:
                dialogue = Dialogue(self.reloader, store, "da", frozenset({ADMIN}))
                return (await dialogue.stats(Asker(ADMIN, ADMIN, "en"))).texts[0]
            finally:
                await store.close()

        return asyncio.run(ask())


def test_the_bot_answers_at_once_and_each_language_gains_the_semantic_signal_as_its_paragraphs_are_done(
    write: WriteFile, content: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    write("kaffe.da.md", KAFFE)
    write("caffe.it.md", CAFFE)
    bot = Scenario(content, tmp_path, Gate())
    assert bot.look() == Coverage({"da": (0, 4), "it": (0, 4)})
    assert len(bot.children) == 1, "the store lacks vectors: the background job starts"
    assert (bot.answer(DANISH_PARAPHRASE), bot.answer(ITALIAN_PARAPHRASE)) == (None, None), "answered on the words alone"
    assert "Indlejrer afsnit til det semantiske signal: 0 af 8 (0%)." in bot.stats(), "in the admin's language"

    bot.gate.allowed.release()  # Danish, the default language, first
    bot.gate.wait_for_call(2)
    assert bot.look() == Coverage({"da": (4, 4), "it": (0, 4)})
    assert attached(bot.reloader.searcher.index) == ["da"] and bot.reloader.searcher.embedder is not None
    assert (bot.answer(DANISH_PARAPHRASE), bot.answer(ITALIAN_PARAPHRASE)) == ("Pris", None)
    stats = bot.stats()
    assert "Indlejrer afsnit til det semantiske signal: 4 af 8 (50%)." in stats and "Semantisk signal slået til for: Dansk" in stats

    bot.gate.allowed.release()
    bot.children[0].join()
    assert bot.look() == Coverage({"da": (4, 4), "it": (4, 4)})
    assert (bot.answer(DANISH_PARAPHRASE), bot.answer(ITALIAN_PARAPHRASE)) == ("Pris", "Tostatura")
    assert "Semantisk signal slået til for alle sprog: alle 8 afsnit er indlejret." in bot.stats()
    switched = [r.getMessage() for r in caplog.records if r.getMessage().startswith("semantic signal on")]
    assert switched == [
        "semantic signal on for da (1 of 2 languages, 50% of paragraphs embedded)",
        "semantic signal on for it (2 of 2 languages, 100% of paragraphs embedded)",
    ]
    child = bot.children[0]
    assert child.exitcode == 0 and [line.split(" ")[:4] for line in (child.lines[0], child.lines[-1])] == [
        ["embedding", "8", "of", "8"],
        ["embedding", "in", "the", "background:"],
    ]
    assert "done, every paragraph has its vector" in child.lines[-1]
    bot.look()
    assert len(bot.children) == 1, "nothing left to embed: no second child"


def test_a_job_that_fails_is_started_again_later_and_goes_on_where_it_stopped(
    write: WriteFile, content: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Each batch is saved as it is computed: a child that dies (here, out of memory in its second batch) keeps the
    first, and the next embeds only the rest; it is started again after a pause, not in a loop."""
    write("kaffe.da.md", KAFFE)
    write("caffe.it.md", CAFFE)
    gate = Gate()
    bot = Scenario(content, tmp_path, gate)
    bot.look()
    gate.allowed.release()
    gate.wait_for_call(2)
    gate.fail = True
    gate.allowed.release()
    bot.children[0].join()
    assert bot.children[0].exitcode == 1 and "failed" in bot.children[0].lines[-1]
    assert bot.look() == Coverage({"da": (4, 4), "it": (0, 4)})
    assert "background embedding ended with status 1; trying again in 1 min 0 s" in caplog.text
    bot.look()
    assert len(bot.children) == 1, "started again at once"
    bot.clock += 60
    gate.fail = False
    bot.look()
    assert len(bot.children) == 2
    gate.allowed.release()
    bot.children[1].join()
    assert [len(texts) for texts in gate.calls] == [4, 4, 4], "the second child embedded the Italian paragraphs alone"
    assert bot.look() == Coverage({"da": (4, 4), "it": (4, 4)})
    assert bot.answer(ITALIAN_PARAPHRASE) == "Tostatura"


class Ended:
    """A child that has already ended with `exitcode`."""

    def __init__(self, exitcode: int) -> None:
        self.exitcode = exitcode

    def is_alive(self) -> bool:
        return False

    def terminate(self) -> None: ...

    def join(self, timeout: float | None = None) -> None: ...


def test_a_child_that_did_its_work_starts_again_only_for_new_content() -> None:
    """Vectors still lacking when it ended with status 0 belong to content on disk that is not served yet: the next
    one starts once a reload serves it (a content that changed), not in a loop meanwhile."""
    started: list[str] = []
    background = BackgroundEmbedding(
        EmbeddingJob(Path("c"), None, Path("v"), 1, "da", 1), lambda job: started.append("child") or Ended(0)
    )
    lacking = Coverage({"da": (1, 4)})
    background.follow(lacking, "old")
    background.follow(lacking, "old")
    background.follow(lacking, "old")
    assert started == ["child"]
    background.follow(lacking, "new")
    assert started == ["child", "child"]
    background.follow(Coverage({"da": (4, 4)}), "newer")
    assert started == ["child", "child"], "nothing lacking: no child"


def test_progress_is_a_line_every_five_percent_of_the_whole_with_the_rate_and_the_time_left() -> None:
    """A job resumed at 40% goes on from 40%: the lines count the whole knowledge base, not what this run embeds."""
    lines: list[str] = []
    now = [0.0]
    report = Report(Coverage({"da": (400, 1000)}), rate=20.0, out=lines.append, clock=lambda: now[0])
    for second, embedded in enumerate(range(410, 1001, 10), start=1):
        now[0] = second
        report(Coverage({"da": (embedded, 1000)}))
    report.done(Coverage({"da": (1000, 1000)}))
    assert lines[0] == (
        "embedding 600 of 1,000 paragraphs in the background (da 600), about 30 s at 20 a second; "
        "each language gains the semantic signal once its paragraphs are done"
    )
    assert lines[1] == "embedding in the background: 45% (450/1,000 paragraphs), 10.0 a second, about 55 s left"
    assert [line.split()[4] for line in lines[1:-1]] == [f"{percent}%" for percent in range(45, 100, 5)]
    assert lines[-1] == (
        "embedding in the background: done, every paragraph has its vector (1,000; 600 embedded in 1 min 0 s, 10.0 a second)"
    )


def switched_on(log: str, worker: int) -> list[str]:
    """The languages worker `worker` has logged switching the semantic signal on for (together, if at once)."""
    lines = re.findall(rf"\(worker {worker}\): semantic signal on for ([a-z, ]+) \(", log)
    return sorted(lang for line in lines for lang in line.split(", "))


class Unit:
    """Vectors of length 1 at once: an embedder for what only counts texts."""

    name = MODEL_NAME

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        vectors = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        vectors[:, 0] = 1.0
        return vectors


def test_the_rate_embedding_ran_at_is_kept_beside_the_store_for_the_next_estimate(tmp_path: Path) -> None:
    """What `ask` and the job's first line estimate from; one batch says nothing (it also loads the model)."""
    texts = {key: f"paragraph {key}" for key in range(1, 2 * BATCH + 2)}
    store = VectorStore(tmp_path, MODEL_NAME)
    embed_into(store, dict(list(texts.items())[:BATCH]), Unit())
    assert store.rate() is None and expected_rate(store) == PER_CORE_SECOND * cores()
    embed_into(store, dict(list(texts.items())[BATCH:]), Unit())
    measured = store.rate()
    assert measured is not None and measured > 0
    assert VectorStore(tmp_path, MODEL_NAME).rate() == pytest.approx(measured, rel=0.01), "read back from the folder"


def embedded_of(base: str) -> str:
    """The second line of `/healthz`."""
    status, _, body = get(f"{base}/healthz")
    assert status == 200, body
    return body.splitlines()[1]


def wait_until(condition, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


@pytest.mark.slow
def test_a_running_bot_with_workers_embeds_in_the_background_and_every_worker_switches_on(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    """`run` with two webhook workers on a knowledge base whose vectors nobody computed: it answers at once on the
    words; worker 0 starts the one background job, which waits while the test holds the store's embedding lock (as
    another process embedding would); once it is let go, both workers switch the semantic signal on by themselves."""
    content = tmp_path / "content"
    content.mkdir()
    (content / "kaffe.da.md").write_text(KAFFE, encoding="utf-8")
    (content / "caffe.it.md").write_text(CAFFE, encoding="utf-8")
    vectors = tmp_path / "vectors"
    store = VectorStore(vectors, MODEL_NAME)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        "CONTENT_DIR": str(content),
        "CACHE_DIR": str(tmp_path / "cache"),
        "EMBEDDINGS_DIR": str(vectors),
        "DEFAULT_LANGUAGE": "da",
        "TELEGRAM_WEBHOOK_URL": f"{base}/telegram",
        "TELEGRAM_WEBHOOK_SECRET": "background",
        "WEBHOOK_PORT": str(port),
        "CONTENT_CHECK_SECONDS": "0",
    }
    replies = 0

    def ask(text: str, update_id: int) -> str:
        nonlocal replies
        sender = {"id": 7, "is_bot": False, "first_name": "Ann", "language_code": "da"}
        sent = {"message_id": update_id, "date": int(time.time()), "chat": {"id": 7, "type": "private"}, "from": sender, "text": text}
        assert post(f"{base}/telegram", {"update_id": update_id, "message": sent}, "background") == 200
        replies += 1
        fake.wait_for(lambda m, p: m == "sendMessage" and p.get("chat_id") == 7, count=replies, timeout=60)
        return fake.messages_to(7)[-1]["text"]

    vectors.mkdir()
    with store.path.with_suffix(".embedding").open("a") as lock:  # type: ignore[union-attr]
        fcntl.flock(lock, fcntl.LOCK_EX)
        bot = BotProcess(fake, tmp_path, "--webhook", "--workers", "2", **env).start()
        try:
            wait_until(lambda: bot.log().count("Application started") == 2)
            assert embedded_of(base) == "embedded: 0/8 paragraphs (0%)"
            assert "tre hundrede kroner" not in ask(DANISH_PARAPHRASE, 1), "answered on the words alone"
            wait_until(lambda: "waiting for another process embedding into" in bot.log())
            fcntl.flock(lock, fcntl.LOCK_UN)
            wait_until(lambda: embedded_of(base) == "embedded: 8/8 paragraphs (100%)")
            wait_until(lambda: switched_on(bot.log(), 0) == switched_on(bot.log(), 1) == ["da", "it"])
            assert "tre hundrede kroner" in ask(DANISH_PARAPHRASE, 2)
            assert "tostano lentamente" in ask(ITALIAN_PARAPHRASE, 3)
            log = bot.log()
            assert log.count("embedding 8 of 8 paragraphs in the background") == 1, "one job for both workers"
            assert "embedding in the background: done, every paragraph has its vector (8; 8 embedded" in log
        finally:
            bot.stop()
    assert "Traceback" not in bot.log()
