"""Unit embeddings on disk, keyed by what was embedded, and attaching them to an index.

Embedding a paragraph costs tens of milliseconds on this kind of machine, a
hundred times what indexing it costs, so vectors are computed once and kept:
a store per model, one record per distinct embedded text (its hash and its
vector in float16, which halves the file and changes no answer). An edited
paragraph has a new text, so it alone is embedded again; a paragraph that
moves or is translated back keeps its vector.

The store is a file of such records that only grows: vectors are appended as
they are computed, a batch at a time under a lock, so `python -m bot embed`
and a bot's build can add side by side, and nothing written is rewritten. A
process reads the keys once (800 KB at 100,000 paragraphs, read in slices,
never the whole file at once) and afterwards only the records appended since
(`VectorStore.find`); a process reading while another appends sees whole
records only. Vectors are read from it only to write a block (below).

Taught questions (`search.taught`) are kept the same way, keyed by the text
the model reads of a question ("query: " and all), and get one block of their
own (`<index>.taught.vectors`) once every one has its vector.

A build embeds at most `limit` new texts (a reload's few edited paragraphs);
the rest are embedded by a running bot in the background (`background`) or by
`python -m bot embed`, a batch at a time, each saved as soon as it is
computed. A language gets the semantic signal only when every one of its
units has a vector: a partial signal would favour the units that happen to
have one (their similarity lifts them; the others only have their words), so
the same question would find a paragraph or not depending on how far
embedding had gone. Its vectors are then copied, in the order of its
units, into a block file beside the index cache, which every process serving
the index maps read-only (`attach`): one copy in the page cache for all of
them, none in any process's own heap, compared with a question as
`similarity.UnitVectors` says.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import mmap
import os
import struct
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .embedding import DIMENSIONS, Embedder, embedding_text, question_keys, question_text, text_keys
from .index import SearchIndex
from .similarity import UnitVectors, scaled

log = logging.getLogger(__name__)

RECORD = np.dtype([("key", "<u8"), ("vector", "<f2", (DIMENSIONS,))])
BATCH = 128
"""Texts per call of the embedder: some twenty-five groups of 512 tokens for its threads to share (see
`encoder.GROUP_TOKENS`), and a progress report every few seconds."""

STORE_FORMAT = 1
"""Bump when the records change: a store of another format is started afresh, never misread."""
_STORE_MAGIC = b"kbvecs\0\0"
_STORE_HEADER = struct.Struct("<8sII16s")
"""Magic, `STORE_FORMAT`, dimensions, and the store's identity (random, made with the file): see `block_digest`."""
_READ_RECORDS = 8192
"""Records read at a time (6 MB), so reading a large store never holds the whole of it."""
_GATHER_ROWS = 4096
"""Vectors passed on at a time when a block is written (3 MB)."""

BLOCK_FORMAT = 1
_BLOCK_MAGIC = b"kbvecblk"
_BLOCK_HEADER = struct.Struct("<8sIIQ64s")
"""Magic, `BLOCK_FORMAT`, dimensions, units, and the digest of the units' keys (`block_digest`); the rows start at
`_BLOCK_ROWS`, a page boundary."""
_BLOCK_ROWS = 4096

Progress = Callable[[int, int], None]


class VectorStore:
    """Vectors by text key, in a file of records that only grows (see the module's docstring).

    Without a folder (no cache configured) it lives in memory for the process;
    so do vectors it could not write to its file, for as long as it lives.
    """

    _shared: dict[tuple[Path, str], VectorStore] = {}

    def __init__(self, folder: Path | None, model: str) -> None:
        self.model = model
        self.path = folder / f"{model}.vectors" if folder else None
        self.legacy = folder / f"{model}.npy" if folder else None
        """The whole store as one numpy array, rewritten on every addition, as versions before the record file kept it:
        converted to a record file the first time the folder is read without one (None once tried)."""
        self.identity = os.urandom(16).hex() if folder is None else ""
        """Changes whenever the store is started afresh (its file made anew): the vectors of a key are those of its
        first record in one store, and may differ in the next."""
        self._keys = np.zeros(0, dtype=np.uint64)
        """Every key known, sorted; its row at the same place in `_rows`."""
        self._rows = np.zeros(0, dtype=np.int64)
        """Per key, its record in the file, or -1 minus its row in `_held`."""
        self._held = np.zeros((0, DIMENSIONS), dtype=np.float16)
        """Vectors kept in this process: without a folder, or when writing them failed."""
        self._file: tuple[int, int] | None = None
        """Device and inode of the file read, and a descriptor of it (`_fd`): a file replaced by another is read anew."""
        self._fd: int | None = None
        self._read = 0
        """Records of that file read so far."""
        self._refused: tuple[int, int] | None = None
        """A file this version cannot read, warned about once."""
        self._lock = threading.Lock()
        self._rate: float | None = None

    @classmethod
    def shared(cls, folder: Path | None, model: str) -> VectorStore:
        """This process's one store of `model` in `folder`: it keeps what it has read of the file, so a reload, or a
        process picking up vectors embedded since, reads only the records added since."""
        if folder is None:
            return cls(None, model)
        store = cls._shared.get((folder, model))
        if store is None:
            store = cls._shared[(folder, model)] = cls(folder, model)
        return store

    def __del__(self) -> None:
        if self._fd is not None:
            os.close(self._fd)

    def stamp(self) -> str:
        """Changes whenever vectors are added: how a running bot notices `embed` filled the store."""
        if self.path is None:
            return "none"
        try:
            status = self.path.stat()
        except OSError:
            return "none"
        return f"{status.st_ino}:{status.st_size}:{status.st_mtime_ns}"

    @contextlib.contextmanager
    def embedding(self, waiting: Callable[[], object] | None = lambda: None) -> Iterator[bool]:
        """Held while one process embeds into this store (a bot's background job, `python -m bot embed`, a build); gives
        whether this process holds it. If another does, `waiting` is called and this one waits for it; without
        `waiting`, it goes on without (False).

        Two embedding the same missing paragraphs, in the same order, would
        each do all the work; one after the other, the second finds most of
        them done. Without a folder, or a lock file that cannot be made, the
        store is this process's alone.
        """
        if self.path is None:
            yield True
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            lock = self.path.with_suffix(".embedding").open("a")
        except OSError:
            yield True
            return
        with lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if waiting is None:
                    yield False
                    return
                waiting()
                fcntl.flock(lock, fcntl.LOCK_EX)
            yield True

    def rate(self) -> float | None:
        """Paragraphs a second the last embedding of more than a batch into this store ran at (`embed_into`), if known."""
        if self._rate is None and self.path is not None:
            with contextlib.suppress(OSError, ValueError, TypeError):
                self._rate = float(json.loads(self.path.with_suffix(".rate").read_text(encoding="utf-8"))["per_second"])
        return self._rate

    def remember_rate(self, per_second: float) -> None:
        """Keep the rate just measured beside the store, for the next estimate of how long embedding will take."""
        self._rate = per_second
        if self.path is not None:
            with contextlib.suppress(OSError):
                self.path.with_suffix(".rate").write_text(json.dumps({"per_second": round(per_second, 2)}), encoding="utf-8")

    def find(self, keys: np.ndarray) -> np.ndarray:
        """Per key, whether the store has it; reads first what was added since the last look."""
        with self._lock:
            self._refresh()
            return self._find(keys)[0]

    def gather(self, keys: np.ndarray, into: Callable[[np.ndarray], object]) -> str | None:
        """Pass the vectors of `keys` (float16) to `into`, in their order, `_GATHER_ROWS` at a time, so that a block of
        any size is written without being held whole; the store's identity, or None (and nothing passed) unless the
        store has every key."""
        with self._lock:
            self._refresh()
            found, at = self._find(keys)
            if not (len(keys) and found.all()):
                return None
            for start in range(0, len(at), _GATHER_ROWS):
                into(self._vectors(self._rows[at[start : start + _GATHER_ROWS]]))
            return self.identity

    def add(self, keys: np.ndarray, vectors: np.ndarray) -> None:
        """Append the vectors of keys the store lacks to its file; a failed write only costs embedding them again.

        Two processes may add at once (`python -m bot embed` beside a bot's
        build child): under an exclusive lock, each first reads what the other
        appended, and appends only the keys the file still lacks. Vectors that
        could not be written are kept in this process, for its own use.
        """
        fresh = np.zeros(len(keys), dtype=RECORD)
        fresh["key"], fresh["vector"] = keys, vectors.astype(np.float16)
        with self._lock:
            if self.path is None:
                self._hold(self._unknown(fresh))
                return
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                with open(self.path.with_suffix(".lock"), "a") as lock:
                    fcntl.flock(lock, fcntl.LOCK_EX)
                    self._refresh(locked=True)
                    self._append(self._unknown(fresh))
            except OSError as error:
                self._hold(self._unknown(fresh))
                log.warning("could not write vector store %s: %s", self.path, error)

    # -- in memory ---------------------------------------------------------

    def _find(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per key, whether it is known, and where in `_keys`."""
        stored = self._keys
        at = np.searchsorted(stored, keys)
        clipped = np.minimum(at, max(len(stored) - 1, 0))
        found = (at < len(stored)) & (stored[clipped] == keys) if len(stored) else np.zeros(len(keys), dtype=bool)
        return found, clipped

    def _index(self, keys: np.ndarray, rows: np.ndarray) -> None:
        """Know `keys` at `rows`; a key already known keeps its row (the first record of a key is its vector)."""
        every, first = np.unique(np.concatenate([self._keys, keys]), return_index=True)
        self._keys, self._rows = every, np.concatenate([self._rows, rows])[first]

    def _unknown(self, records: np.ndarray) -> np.ndarray:
        """`records` of keys the store lacks, each key once."""
        _, first = np.unique(records["key"], return_index=True)
        records = records[np.sort(first)]
        return records[~self._find(records["key"])[0]]

    def _hold(self, records: np.ndarray) -> None:
        self._index(records["key"], -1 - np.arange(len(self._held), len(self._held) + len(records)))
        self._held = np.concatenate([self._held, records["vector"]])

    def _vectors(self, rows: np.ndarray) -> np.ndarray:
        """The vectors of `rows` (see `_rows`): those held from memory, the others read from the file in runs of
        consecutive records (a language embedded in one go is one run)."""
        out = np.empty((len(rows), DIMENSIONS), dtype=np.float16)
        held = rows < 0
        out[held] = self._held[-1 - rows[held]]
        filed = np.flatnonzero(~held)
        if len(filed):
            wanted = rows[filed]
            breaks = np.flatnonzero(np.diff(wanted) != 1) + 1
            for start, end in zip(np.r_[0, breaks].tolist(), np.r_[breaks, len(wanted)].tolist(), strict=True):
                for at in range(start, end, _READ_RECORDS):
                    count = min(_READ_RECORDS, end - at)
                    out[filed[at : at + count]] = self._pread(int(wanted[at]), count)["vector"]
        return out

    # -- the file ----------------------------------------------------------

    def _pread(self, first: int, count: int) -> np.ndarray:
        assert self._fd is not None
        data = os.pread(self._fd, count * RECORD.itemsize, _STORE_HEADER.size + first * RECORD.itemsize)
        if len(data) != count * RECORD.itemsize:
            raise OSError(f"vector store {self.path} ends before record {first + count}")
        return np.frombuffer(data, dtype=RECORD)

    def _refresh(self, locked: bool = False) -> None:
        """Read the keys appended to the file since the last look: all of them the first time, or when it was replaced.

        A folder with only the store of an earlier version (`legacy`) has it
        converted first. A file this version cannot read is left for `add`
        to replace; meanwhile the store has what it had.
        """
        if self.path is None:
            return
        try:
            handle = self.path.open("rb")
        except FileNotFoundError:
            if self._file is not None:
                self._forget()
            elif self.legacy is not None and self.legacy.is_file():
                self._convert(locked)
            return
        except OSError as error:
            log.warning("vector store %s unreadable (%s); its vectors will be computed again", self.path, error)
            return
        with handle:
            status = os.fstat(handle.fileno())
            file = (status.st_dev, status.st_ino)
            if file != self._file:
                identity = _store_identity(handle.read(_STORE_HEADER.size))
                if identity is None:
                    if file != self._refused:
                        self._refused = file
                        log.warning(
                            "vector store %s is not one this version reads; its vectors will be computed again", self.path
                        )
                    return
                self._adopt(handle.fileno(), identity)
            count = max(0, (status.st_size - _STORE_HEADER.size) // RECORD.itemsize)
            if count > self._read:
                try:
                    keys = [
                        self._pread(first, min(_READ_RECORDS, count - first))["key"]
                        for first in range(self._read, count, _READ_RECORDS)
                    ]
                except OSError as error:
                    log.warning("vector store %s unreadable (%s); its vectors will be computed again", self.path, error)
                    return
                self._index(np.concatenate(keys), np.arange(self._read, count))
                self._read = count

    def _adopt(self, fd: int, identity: str) -> None:
        """Read the file open as `fd` from now on, instead of the one read before."""
        self._forget()
        status = os.fstat(fd)
        self._fd, self._file, self.identity = os.dup(fd), (status.st_dev, status.st_ino), identity

    def _forget(self) -> None:
        """Forget the file read and its records (it was removed, or replaced); the vectors held stay."""
        if self._fd is not None:
            os.close(self._fd)
        self._fd, self._file, self._read, self.identity = None, None, 0, ""
        held = self._rows < 0
        self._keys, self._rows = self._keys[held], self._rows[held]

    def _append(self, records: np.ndarray) -> None:
        """Write `records` after the last whole record of the file (the lock held), making the file first if it has none
        this version reads; a record cut short by a writer that died is overwritten."""
        if not len(records):
            return
        if self._file is None or not self._is_current():
            self._create()
            self._refresh(locked=True)
        assert self._fd is not None
        with open(self.path, "r+b") as handle:  # type: ignore[arg-type]
            end = _STORE_HEADER.size + self._read * RECORD.itemsize
            handle.truncate(end)
            handle.seek(end)
            handle.write(records.tobytes())
        self._index(records["key"], np.arange(self._read, self._read + len(records)))
        self._read += len(records)

    def _is_current(self) -> bool:
        """Whether the file at the path is the one read (another may have replaced it: one this version cannot read)."""
        try:
            status = os.stat(self.path)  # type: ignore[arg-type]
        except FileNotFoundError:
            return False
        return (status.st_dev, status.st_ino) == self._file

    def _create(self, records: np.ndarray | None = None) -> None:
        """Make the file afresh (the lock held) with a new identity, and `records`; replaced whole, by rename."""
        assert self.path is not None
        with tempfile.NamedTemporaryFile(dir=self.path.parent, delete=False, suffix=".tmp") as handle:
            handle.write(_STORE_HEADER.pack(_STORE_MAGIC, STORE_FORMAT, DIMENSIONS, os.urandom(16)))
            if records is not None:
                for first in range(0, len(records), _READ_RECORDS):
                    handle.write(np.ascontiguousarray(records[first : first + _READ_RECORDS]).tobytes())
        os.replace(handle.name, self.path)

    def _convert(self, locked: bool) -> None:
        """Write the store an earlier version kept (`legacy`) as this version's file, once, under the lock.

        Where the folder cannot be written, its vectors are held in memory
        instead, so they are still used; where it cannot be read, or holds
        something else, they are computed again. It is left as it was, for
        that version.
        """
        assert self.path is not None and self.legacy is not None
        legacy, self.legacy = self.legacy, None
        try:
            records = np.load(legacy, mmap_mode="r", allow_pickle=False)
        except (OSError, ValueError) as error:
            log.warning("vector store %s unreadable (%s); its vectors will be computed again", legacy, error)
            return
        if records.dtype != RECORD or records.ndim != 1:
            log.warning("vector store %s holds no vectors of this model; they will be computed again", legacy)
            return
        try:
            with open(self.path.with_suffix(".lock"), "a") as lock:
                if not locked:
                    fcntl.flock(lock, fcntl.LOCK_EX)
                if not self.path.exists():
                    self._create(records)
                    log.info("vector store %s converted to %s (%d vectors)", legacy, self.path, len(records))
        except OSError as error:
            log.warning("could not convert vector store %s (%s); its vectors are used from memory", legacy, error)
            self._hold(self._unknown(np.array(records)))
            return
        self._refresh(locked=True)


def _store_identity(header: bytes) -> str | None:
    """The identity in a store file's header, or None if it is not a store this version reads."""
    if len(header) != _STORE_HEADER.size:
        return None
    magic, version, dimensions, identity = _STORE_HEADER.unpack(header)
    if (magic, version, dimensions) != (_STORE_MAGIC, STORE_FORMAT, DIMENSIONS):
        return None
    return identity.hex()


def _unit_texts(index: SearchIndex, lang: str) -> list[str]:
    idx, articles = index.by_lang[lang], index.articles
    return [
        embedding_text(articles[int(a)], int(s), int(p))
        for a, s, p in zip(idx.unit_article, idx.unit_section, idx.unit_paragraph, strict=True)
    ]


def key_units(index: SearchIndex) -> None:
    """Give every unit, and every taught question, its store key; done in the build, where the articles are decoded anyway."""
    for lang, idx in index.by_lang.items():
        idx.unit_keys = text_keys(_unit_texts(index, lang))
    index.taught_keys = question_keys(pair.question for pair in index.kb.taught)


@dataclass(frozen=True)
class Coverage:
    """Per language, how many of its units the vector store has a vector for, and how many it has; the same of the
    taught questions (`questions`)."""

    by_lang: dict[str, tuple[int, int]]
    questions: tuple[int, int] = (0, 0)
    """Taught questions with a vector, and taught questions (`search.taught`)."""

    @property
    def embedded(self) -> int:
        return sum(done for done, _ in self.by_lang.values()) + self.questions[0]

    @property
    def units(self) -> int:
        return sum(units for _, units in self.by_lang.values()) + self.questions[1]

    @property
    def missing(self) -> int:
        return self.units - self.embedded

    @property
    def percent(self) -> int:
        """Embedded units in percent, rounded down: 100 only once every unit has its vector."""
        return self.embedded * 100 // self.units if self.units else 100

    def complete(self) -> list[str]:
        """The languages whose every unit has a vector: those that can have the semantic signal."""
        return [lang for lang, (done, units) in self.by_lang.items() if done == units]

    def lacking(self) -> dict[str, int]:
        """Per language that lacks vectors, how many; then the taught questions', under `TAUGHT_QUESTIONS`."""
        lacking = {lang: units - done for lang, (done, units) in self.by_lang.items() if done < units}
        done, questions = self.questions
        return lacking | ({TAUGHT_QUESTIONS: questions - done} if done < questions else {})

    @property
    def noun(self) -> str:
        """What is embedded, as messages name it."""
        return "paragraphs and taught questions" if self.questions[1] else "paragraphs"

    @property
    def questions_complete(self) -> bool:
        """Whether every taught question has its vector (then they are compared with readers' by meaning)."""
        return self.questions[0] == self.questions[1]


TAUGHT_QUESTIONS = "taught questions"
"""What `Coverage.lacking` calls the taught questions, beside the languages' codes."""


def coverage(index: SearchIndex, store: VectorStore) -> Coverage:
    """How far the store covers the index's units and taught questions, from their keys alone (no article is decoded)."""
    by_lang = {lang: (int(store.find(idx.unit_keys).sum()), idx.unit_count) for lang, idx in sorted(index.by_lang.items())}
    return Coverage(by_lang, (int(store.find(index.taught_keys).sum()), len(index.taught_keys)))


def attached(index: SearchIndex) -> list[str]:
    """The languages of `index` that have their vectors, so the semantic signal."""
    return [lang for lang, idx in sorted(index.by_lang.items()) if idx.unit_vectors is not None]


def missing_texts(index: SearchIndex, store: VectorStore, languages: Collection[str] | None = None) -> dict[int, str]:
    """The embedded texts of every unit the store lacks (of `languages`, else of all), by key."""
    missing: dict[int, str] = {}
    for lang, idx in index.by_lang.items():
        if languages is not None and lang not in languages:
            continue
        found = store.find(idx.unit_keys)
        if not found.all():
            texts = _unit_texts(index, lang)
            missing.update((int(key), texts[i]) for i, key in enumerate(idx.unit_keys) if not found[i])
    return missing


def missing_questions(index: SearchIndex, store: VectorStore) -> dict[int, str]:
    """The taught questions the store lacks, by key, as the model reads them (`Embedder.query` adds what it reads first)."""
    found = store.find(index.taught_keys)
    return {
        int(key): question_text(pair.question)
        for pair, key, known in zip(index.kb.taught, index.taught_keys, found, strict=True)
        if not known
    }


def embed_missing_into(index: SearchIndex, store: VectorStore, embedder: Embedder, progress: Progress | None = None) -> None:
    """Embed every unit and taught question of `index` the store lacks (`embed_into`), the questions first: they are few."""
    embed_into(store, missing_questions(index, store), embedder, progress, questions=True)
    embed_into(store, missing_texts(index, store), embedder, progress)


def embed_into(
    store: VectorStore, texts: dict[int, str], embedder: Embedder, progress: Progress | None = None, questions: bool = False
) -> None:
    """Embed `texts` (by key) in batches, adding each to the store as soon as it is computed, so an interrupted run
    keeps its work and a running bot sees it; the rate is remembered (`VectorStore.rate`) when there were several
    batches (the first one, which loads the model, does not count). `questions` are embedded as readers' questions
    are, one at a time (`Embedder.query`), else as paragraphs."""
    keys = np.fromiter(texts, dtype=np.uint64, count=len(texts))
    values = list(texts.values())
    timed_from = None
    for start in range(0, len(values), BATCH):
        batch = values[start : start + BATCH]
        vectors = np.stack([embedder.query(text) for text in batch]) if questions else embedder.passages(batch)
        store.add(keys[start : start + BATCH], vectors)
        done = min(len(values), start + BATCH)
        if timed_from is None:
            timed_from = (time.monotonic(), done)
        if progress:
            progress(done, len(values))
    if timed_from is not None and len(values) > timed_from[1] and not questions:
        store.remember_rate((len(values) - timed_from[1]) / max(time.monotonic() - timed_from[0], 1e-6))


def attach(index: SearchIndex, store: VectorStore, cached_at: Path | None = None) -> list[str]:
    """Give each language whose units all have vectors its block of them, and the taught questions theirs once every
    one has its vector; the languages that have one.

    With `cached_at` (where the index is cached), each block is a file
    beside it, `<index>.<language>.vectors`, mapped rather than read: a
    process finds the block another has written for the same units and
    maps it; otherwise (new units, or new vectors) it writes it, replacing
    the old one by rename, so a process still mapping that keeps reading it.
    Without one, or where it cannot be written, the block is this process's
    own. Called again on the same index with a store that has gained vectors
    (a reload; a process embedding while it serves), it keeps the blocks that
    still hold, and gives the languages that have become complete theirs.
    """
    attached = []
    for lang, idx in index.by_lang.items():
        idx.unit_vectors = _block(store, idx.unit_keys, idx.unit_vectors, _block_path(cached_at, lang))
        if idx.unit_vectors is not None:
            attached.append(lang)
    if len(index.taught_keys):
        index.taught_vectors = _block(store, index.taught_keys, index.taught_vectors, _block_path(cached_at, TAUGHT_BLOCK))
    if cached_at is not None:
        kept = {*index.by_lang, TAUGHT_BLOCK} if len(index.taught_keys) else set(index.by_lang)
        for stale in cached_at.parent.glob(f"{cached_at.stem}.*.vectors"):
            if stale.name.split(".")[-2] not in kept:
                stale.unlink(missing_ok=True)
    return attached


TAUGHT_BLOCK = "taught"
"""Names the taught questions' block beside the languages' (`<index>.taught.vectors`): no language has this code."""


def block_digest(model: str, identity: str, keys: np.ndarray) -> str:
    """Names what a block holds: the vectors, in the store `identity` of `model`, of the texts of `keys`, in order."""
    digest = hashlib.sha256(f"{BLOCK_FORMAT}\0{DIMENSIONS}\0{model}\0{identity}\0".encode())
    digest.update(np.ascontiguousarray(keys, dtype="<u8").tobytes())
    return digest.hexdigest()


def _block_path(cached_at: Path | None, lang: str) -> Path | None:
    return cached_at.with_name(f"{cached_at.stem}.{lang}.vectors") if cached_at is not None else None


def _block(store: VectorStore, keys: np.ndarray, held: UnitVectors | None, path: Path | None) -> UnitVectors | None:
    """The vectors of `keys` in a block: the one `held` or the file at `path` if either holds them, else a new one."""
    found = store.find(keys)
    if not (len(found) and found.all()):
        return None
    digest = block_digest(store.model, store.identity, keys)
    if held is not None and held.digest == digest:
        return held
    block = None
    if path is not None:
        block = _map_block(path, digest, len(keys))
        if block is None:
            block = _write_block(path, store, keys)
    return block if block is not None else _held_block(store, keys)


def _held_block(store: VectorStore, keys: np.ndarray) -> UnitVectors | None:
    """A block in this process's memory: without a cache folder, or where the file cannot be written."""
    parts: list[np.ndarray] = []
    identity = store.gather(keys, parts.append)
    if identity is None:
        return None
    return UnitVectors(scaled(np.concatenate(parts)), block_digest(store.model, identity, keys))


def _map_block(path: Path, digest: str, count: int) -> UnitVectors | None:
    """The block at `path` mapped, if it holds the vectors `digest` names; None if it does not, or is not there."""
    try:
        handle = path.open("rb")
    except OSError:
        return None
    with handle:
        header = handle.read(_BLOCK_HEADER.size)
        expected = _BLOCK_HEADER.pack(_BLOCK_MAGIC, BLOCK_FORMAT, DIMENSIONS, count, digest.encode())
        if header != expected or os.fstat(handle.fileno()).st_size != _BLOCK_ROWS + count * DIMENSIONS * 2:
            return None
        return _mapped(handle.fileno(), digest, count)


def _mapped(fd: int, digest: str, count: int) -> UnitVectors:
    # Read-only and shared: every process serving this index maps the same pages of the page cache.
    view = mmap.mmap(fd, 0, access=mmap.ACCESS_READ)
    rows = np.frombuffer(view, dtype="<f2", count=count * DIMENSIONS, offset=_BLOCK_ROWS).reshape(count, DIMENSIONS)
    return UnitVectors(rows, digest)


def _write_block(path: Path, store: VectorStore, keys: np.ndarray) -> UnitVectors | None:
    """Write the block of `keys` from `store` and map it; None if the store lacks one, or (with a warning) if it cannot
    be written.

    The vectors pass through a slice at a time, so a serving process that
    writes a block holds no copy of it. The new file is mapped before it
    replaces the old, so this process maps what it wrote even if another
    replaces it in turn.
    """
    try:
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=path.name, suffix=".tmp", delete=False) as handle:
            handle.seek(_BLOCK_ROWS)
            identity = store.gather(keys, lambda vectors: handle.write(scaled(vectors).tobytes()))
            if identity is not None:
                digest = block_digest(store.model, identity, keys)
                handle.seek(0)
                handle.write(_BLOCK_HEADER.pack(_BLOCK_MAGIC, BLOCK_FORMAT, DIMENSIONS, len(keys), digest.encode()))
                handle.flush()
                mapped = _mapped(handle.fileno(), digest, len(keys))
        if identity is None:
            os.unlink(handle.name)
            return None
        os.replace(handle.name, path)
    except OSError as error:
        log.warning("could not write unit vectors %s (%s); this process keeps its own copy", path, error)
        with contextlib.suppress(OSError, UnboundLocalError):
            os.unlink(handle.name)
        return None
    return mapped


def print_progress(label: str) -> Progress:
    """A progress line on stderr every tenth of the way (and at the end): embedding a large folder takes minutes."""
    shown = [-1]

    def report(done: int, total: int) -> None:
        tenth = done * 10 // max(total, 1)
        if tenth != shown[0] or done == total:
            shown[0] = tenth
            print(f"{label}: {done}/{total}", file=sys.stderr, flush=True)

    return report
