"""Unit embeddings on disk, keyed by what was embedded, and attaching them to an index.

Embedding a paragraph costs tens of milliseconds on this kind of machine, a
hundred times what indexing it costs, so vectors are computed once and kept:
a store per model, one record per distinct embedded text (its hash and its
vector in float16, which halves the file at no measurable cost in ranking).
An edited paragraph has a new text, so it alone is embedded again; a
paragraph that moves or is translated back keeps its vector.

A build embeds at most `limit` new texts, so a knowledge base too large to
embed within the start-up budget starts on the lexical signals alone, and
`python -m bot embed` fills the store (with progress), after which the next
reload attaches the vectors. A language gets the semantic signal only when
every one of its units has a vector: a partial signal would favour the units
that happen to have one.
"""

from __future__ import annotations

import fcntl
import logging
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from .embedding import DIMENSIONS, Embedder, embedding_text, text_keys
from .index import SearchIndex

log = logging.getLogger(__name__)

RECORD = np.dtype([("key", "<u8"), ("vector", "<f2", (DIMENSIONS,))])
BATCH = 128
"""Texts per call of the embedder: some twenty-five groups of 512 tokens for its threads to share (see
`encoder.GROUP_TOKENS`), and a progress report every few seconds."""

Progress = Callable[[int, int], None]


class VectorStore:
    """Vectors by text key, in a file that is replaced whole, so readers never see half a store.

    Without a folder (no cache configured) it lives in memory for the process.
    """

    def __init__(self, folder: Path | None, model: str) -> None:
        self.path = folder / f"{model}.npy" if folder else None
        self._loaded: np.ndarray | None = None

    @property
    def _records(self) -> np.ndarray:
        """Read when first needed: a content check only asks for the `stamp`, and the file can be hundreds of MB."""
        if self._loaded is None:
            self._loaded = self._read()
        return self._loaded

    @_records.setter
    def _records(self, records: np.ndarray) -> None:
        self._loaded = records

    def _read(self) -> np.ndarray:
        if self.path is None or not self.path.is_file():
            return np.zeros(0, dtype=RECORD)
        try:
            records = np.load(self.path, allow_pickle=False)
        except (OSError, ValueError) as error:
            log.warning("vector store %s unreadable (%s); its vectors will be computed again", self.path, error)
            return np.zeros(0, dtype=RECORD)
        return records if records.dtype == RECORD else np.zeros(0, dtype=RECORD)

    def __len__(self) -> int:
        return len(self._records)

    def stamp(self) -> str:
        """Changes whenever vectors are added: how a running bot notices `embed` filled the store."""
        if self.path is None or not self.path.is_file():
            return "none"
        stat = self.path.stat()
        return f"{stat.st_size}:{stat.st_mtime_ns}"

    def find(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per key, whether the store has it, and where (in `vectors`)."""
        stored = self._records["key"]
        at = np.searchsorted(stored, keys)
        clipped = np.minimum(at, max(len(stored) - 1, 0))
        found = (at < len(stored)) & (stored[clipped] == keys) if len(stored) else np.zeros(len(keys), dtype=bool)
        return found, clipped

    def vectors(self, rows: np.ndarray) -> np.ndarray:
        return self._records["vector"][rows]

    def add(self, keys: np.ndarray, vectors: np.ndarray) -> None:
        """Add new vectors and write the store (atomically); a failed write only costs embedding them again.

        Two processes may add at once (`python -m bot embed` beside a bot's
        build child): under an exclusive lock, the store is read again and
        merged with what this one adds, so neither loses the other's vectors.
        """
        fresh = np.zeros(len(keys), dtype=RECORD)
        fresh["key"], fresh["vector"] = keys, vectors.astype(np.float16)
        if self.path is None:
            self._records = _merged(self._records, fresh)
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path.with_suffix(".lock"), "a") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                self._records = _merged(self._read(), self._records, fresh)
                with tempfile.NamedTemporaryFile(dir=self.path.parent, delete=False, suffix=".tmp") as handle:
                    np.save(handle, self._records, allow_pickle=False)
                os.replace(handle.name, self.path)
        except OSError as error:
            self._records = _merged(self._records, fresh)
            log.warning("could not write vector store %s: %s", self.path, error)


def _merged(*parts: np.ndarray) -> np.ndarray:
    """Records of `parts`, one per key (the first met), sorted by key as `find` needs."""
    records = np.concatenate(parts)
    return records[np.unique(records["key"], return_index=True)[1]]


def _unit_texts(index: SearchIndex, lang: str) -> list[str]:
    idx, articles = index.by_lang[lang], index.articles
    return [
        embedding_text(articles[int(a)], int(s), int(p))
        for a, s, p in zip(idx.unit_article, idx.unit_section, idx.unit_paragraph, strict=True)
    ]


def key_units(index: SearchIndex) -> None:
    """Give every unit its store key; done in the build, where the articles are decoded anyway."""
    for lang, idx in index.by_lang.items():
        idx.unit_keys = text_keys(_unit_texts(index, lang))


def missing_count(index: SearchIndex, store: VectorStore) -> int:
    """How many units the store has no vector for, from their keys alone (no article is decoded)."""
    return sum(int((~store.find(idx.unit_keys)[0]).sum()) for idx in index.by_lang.values())


def missing_texts(index: SearchIndex, store: VectorStore) -> dict[int, str]:
    """The embedded texts of every unit the store lacks, by key."""
    missing: dict[int, str] = {}
    for lang, idx in index.by_lang.items():
        found, _ = store.find(idx.unit_keys)
        if not found.all():
            texts = _unit_texts(index, lang)
            missing.update((int(key), texts[i]) for i, key in enumerate(idx.unit_keys) if not found[i])
    return missing


def embed_into(store: VectorStore, texts: dict[int, str], embedder: Embedder, progress: Progress | None = None) -> None:
    """Embed `texts` (by key) in batches and add them to the store, saving as it goes so an interrupted run keeps its work."""
    keys = np.fromiter(texts, dtype=np.uint64, count=len(texts))
    values = list(texts.values())
    done, saved_at = 0, time.monotonic()
    pending_keys: list[np.ndarray] = []
    pending: list[np.ndarray] = []
    for start in range(0, len(values), BATCH):
        pending_keys.append(keys[start : start + BATCH])
        pending.append(embedder.passages(values[start : start + BATCH]))
        done = min(len(values), start + BATCH)
        if progress:
            progress(done, len(values))
        if time.monotonic() - saved_at > 30 or done == len(values):
            store.add(np.concatenate(pending_keys), np.concatenate(pending))
            pending_keys, pending, saved_at = [], [], time.monotonic()


def attach(index: SearchIndex, store: VectorStore) -> list[str]:
    """Give each language whose units all have vectors its matrix of them; the languages that got one."""
    attached = []
    for lang, idx in index.by_lang.items():
        found, rows = store.find(idx.unit_keys)
        idx.unit_vectors = store.vectors(rows).astype(np.float32) if len(found) and found.all() else None
        if idx.unit_vectors is not None:
            attached.append(lang)
    return attached


def print_progress(label: str) -> Progress:
    """A progress line on stderr every tenth of the way (and at the end): embedding a large folder takes minutes."""
    shown = [-1]

    def report(done: int, total: int) -> None:
        tenth = done * 10 // max(total, 1)
        if tenth != shown[0] or done == total:
            shown[0] = tenth
            print(f"{label}: {done}/{total}", file=sys.stderr, flush=True)

    return report
