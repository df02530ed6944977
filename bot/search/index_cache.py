"""The built index on disk, and the one way to get a current index: `load_index`.

The cache is a pickle under the cache folder, keyed by a fingerprint of every
content file's name, size and modification time, of the cue lists and of the
numbers the index is built with (`tuning.IndexConfig`), so any change to the
content, to the language data it is read with or to one of those numbers
rebuilds it.
A small header (fingerprint and languages) comes before the index, so a stale
cache is recognised without reading it, and the caller can load what depends
only on the languages before the knowledge base fills the heap. The index's
arrays (postings, term tables, spellers) follow the pickle in the same file
and are memory-mapped, not read: processes serving one index share them
(see `_write_cache`); the articles' records, in the same file, are read by
`pread` when a question needs one (see `CompactArticles.read_records_with`). A rebuild runs
in a child process: parsing and indexing thousands of files leaves hundreds of
megabytes of garbage that a serving process would otherwise carry for its
whole life, and a bot reloading its content keeps answering from the old index
while the child works. The child runs under a memory limit and a time limit
and tells the parent which file it is reading, so content that makes the
build run away fails alone, with one line naming the file.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import mmap
import multiprocessing
import os
import pickle
import resource
import struct
import sys
import tempfile
from collections.abc import Callable, Iterator
from ctypes import Array, c_char
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import BinaryIO

import numpy as np

from ..config import DEFAULT_BUILD_TIMEOUT_SECONDS, DEFAULT_MAX_ARTICLE_BYTES
from ..content.files import content_files
from ..content.parsing import OWNER_FILES, LanguageGuesser, load_knowledge_base
from ..language import cues
from .embedding import MODEL_NAME, E5Embedder, cores
from .index import FORMAT, SearchIndex, build_index
from .tuning import INDEX_DEFAULT, IndexConfig
from .vectors import Coverage, VectorStore, attach, coverage, embed_missing_into, key_units, print_progress

log = logging.getLogger(__name__)

Prepare = Callable[[list[str]], object]
"""Called with the index's languages (sorted) before the index itself is read."""
PROGRESS_FROM = 500
"""Content files from which a build shows its progress on stderr."""


@dataclass(frozen=True)
class Semantic:
    """Where unit vectors are kept, and how many new ones a build may embed itself (the rest are left to the
    background job of a running bot, or to `embed`)."""

    vectors_dir: Path | None
    embed_limit: int

    def store(self) -> VectorStore:
        return VectorStore.shared(self.vectors_dir, MODEL_NAME)


BUILD_MEMORY_LIMIT = 4 * 1024**3
"""Address space the build child may add to what it reserves at start, in bytes: some forty times the
90 MB a build of the eval's 25 articles adds (lingua's article detector included), and far less than a
runaway build would take from the host."""


BUILD_CONTEXT: multiprocessing.context.BaseContext = multiprocessing.get_context("spawn")
"""How the build child is started: spawned, a fresh interpreter that carries none of the serving process's heap.
The tests start theirs from a forkserver that has imported this module once (see `tests/conftest.py`), as a
spawned child spends a second importing it again for every build."""


class IndexBuildError(RuntimeError):
    """The index could not be built; the message says what the build was reading when it failed."""


def content_fingerprint(
    content_dir: Path, max_article_bytes: int = DEFAULT_MAX_ARTICLE_BYTES, config: IndexConfig = INDEX_DEFAULT
) -> str:
    """Changes whenever a content file is added, removed, renamed or modified, a cue list is edited, the size limit
    changes (which may let in, or leave out, a file), or a number of `config` does (its repr names every field)."""
    digest = hashlib.sha256(f"format {FORMAT}\ncues {cues.fingerprint()}\nlimit {max_article_bytes}\nindex {config!r}\n".encode())
    files = content_files(content_dir) if content_dir.is_dir() else []
    owner_files = [content_dir / name for name in OWNER_FILES if os.path.lexists(content_dir / name)]
    base = f"{content_dir}{os.sep}"
    for path in files + owner_files:
        name = str(path)
        # The name below the folder by string, not `relative_to`: its path arithmetic was half the cost at 10,000 files.
        relative = name[len(base) :] if name.startswith(base) else str(path.relative_to(content_dir))
        digest.update(f"{relative}\0{_stamp(name)}\n".encode())
    return digest.hexdigest()


def _stamp(name: str) -> str:
    """Size and modification time of a file, or of the target of a link (an edit to it is an edit of the content),
    or of the link itself when there is no target; empty when the file has gone since it was listed."""
    for status in (os.stat, os.lstat):
        try:
            found = status(name)
        except OSError:
            continue
        return f"{found.st_size}\0{found.st_mtime_ns}"
    return ""


def cache_path(cache_dir: Path, content_dir: Path) -> Path:
    """Where the index of `content_dir` is cached; its languages' vector blocks lie beside it (`vectors.attach`)."""
    name = hashlib.sha256(str(content_dir.resolve()).encode()).hexdigest()[:16]
    return cache_dir / f"index-{name}.pickle"


def _unpickle(handle: BinaryIO, path: Path) -> object | None:
    """The next object of the cache file, or None: a damaged or incompatible cache only costs a rebuild.

    A truncated or foreign file, or one from another version of the bot, can
    fail in any of the ways unpickling arbitrary bytes can, hence `Exception`.
    """
    try:
        return pickle.load(handle)
    except Exception as error:
        log.warning("index cache %s unreadable (%s); rebuilding", path, error)
        return None


_PAGE = 4096
_ALIGN = 64
_TRAILER = struct.Struct("<Q")


def _aligned(offset: int, to: int) -> int:
    return -(-offset // to) * to


def _read_cache(path: Path, fingerprint: str, prepare: Prepare) -> SearchIndex | None:
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        return None
    except OSError as error:
        log.warning("index cache %s unreadable (%s); rebuilding", path, error)
        return None
    with handle:
        header = _unpickle(handle, path)
        if not (isinstance(header, tuple) and len(header) == 2 and header[0] == fingerprint):
            return None
        prepare(header[1])
        try:
            start = handle.tell()
            handle.seek(-_TRAILER.size, os.SEEK_END)
            (length,) = _TRAILER.unpack(handle.read(_TRAILER.size))
            handle.seek(-_TRAILER.size - length, os.SEEK_END)
            spans = pickle.load(handle)
            handle.seek(start)
            # Read-only and shared: every process serving this index maps the same pages of the page cache.
            view = memoryview(mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ))
            buffers = [view[at : at + size] for at, size in spans]
            cached = pickle.Unpickler(handle, buffers=buffers).load()  # from the file: never held whole in memory
        except Exception as error:
            log.warning("index cache %s unreadable (%s); rebuilding", path, error)
            return None
        if not isinstance(cached, SearchIndex):
            return None
        records = cached.kb.articles.records
        if records is not None and records.size:
            start = _address(records) - _address(np.frombuffer(view, dtype=np.uint8))
            if 0 <= start <= len(view) - records.size:  # the records are the file's, mapped (as out of band)
                cached.kb.articles.read_records_with(_FileSpan(handle.fileno(), start))
    return cached


def _address(array: np.ndarray) -> int:
    return int(array.__array_interface__["data"][0])


class _FileSpan:
    """Reads bytes of one span of the cache file by `pread`, through a descriptor of its own that it closes when
    dropped with the index it serves. The file is only ever replaced whole, never rewritten (see `_write_cache`),
    so the descriptor reads the same bytes for as long as it is open, as a mapping does."""

    def __init__(self, fd: int, start: int) -> None:
        self._fd = os.dup(fd)
        self._start = start

    def __call__(self, start: int, size: int) -> bytes:
        return os.pread(self._fd, size, self._start + start)

    def __del__(self) -> None:
        os.close(self._fd)


def _write_cache(path: Path, index: SearchIndex) -> bool:
    """Write atomically, so a concurrent reader never sees half a file; failure only costs speed.

    The file holds a header (fingerprint and languages), the index pickled
    without its arrays' data (protocol 5, out of band), that data page-aligned,
    and last where each array's data is (`_TRAILER` gives that table's length).
    `_read_cache` maps the data rather than reads it, so the arrays (postings,
    term tables, spellers) cost no copy, and processes serving the same index
    share one copy in memory. The file is only ever replaced whole, never
    rewritten, so a mapping stays valid for as long as it is used.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False, suffix=".tmp") as handle:
            pickle.dump((index.fingerprint, sorted(index.by_lang)), handle, protocol=pickle.HIGHEST_PROTOCOL)
            buffers: list[pickle.PickleBuffer] = []
            pickle.Pickler(handle, protocol=5, buffer_callback=buffers.append).dump(index)
            spans = []
            at = _aligned(handle.tell(), _PAGE)
            for buffer in buffers:
                raw = buffer.raw()
                handle.seek(at)
                handle.write(raw)
                spans.append((at, raw.nbytes))
                at = _aligned(at + raw.nbytes, _ALIGN)
            handle.seek(0, os.SEEK_END)
            table = pickle.dumps(spans, protocol=pickle.HIGHEST_PROTOCOL)
            handle.write(table + _TRAILER.pack(len(table)))
        os.replace(handle.name, path)
    except OSError as error:
        log.warning("could not write index cache %s: %s", path, error)
        return False
    return True


_PROGRESS_BYTES = 4096
_progress: Array[c_char] | None = None
"""In the build child: shared with the parent, what the child is doing now (see `_doing`)."""


def _start_child(progress: Array[c_char], memory_limit: int) -> None:
    """In the build child, first: keep the progress slot, and cap the address space.

    Over the cap an allocation fails with MemoryError in the child rather than
    the host running out of memory, which would take the serving bot with it.
    The cap counts from what the child already reserves once its modules are
    imported (numpy's thread buffers grow with the number of cores).
    """
    global _progress
    _progress = progress
    reserved = int(Path("/proc/self/statm").read_text().split()[0]) * resource.getpagesize()
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    soft = reserved + memory_limit
    resource.setrlimit(resource.RLIMIT_AS, (soft if hard == resource.RLIM_INFINITY else min(soft, hard), hard))


def _doing(what: str) -> None:
    """Record what the child is about to do; it is still there to read should the child die doing it."""
    if _progress is not None:
        _progress.value = what.encode("utf-8", "replace")[: _PROGRESS_BYTES - 1]


@dataclass(frozen=True)
class Build:
    """What building an index needs, in this process or in the child (so it is picklable)."""

    content_dir: Path
    fingerprint: str
    guess_language: LanguageGuesser
    max_article_bytes: int
    semantic: Semantic | None
    config: IndexConfig


def _build(job: Build, store: VectorStore | None = None) -> SearchIndex:
    """Parse, index, and embed the units the vector store lacks, if they are few enough to embed now.

    Few enough are a reload's edited paragraphs: embedded here, they keep their
    language's semantic signal on across the reload. They are left to the
    process embedding into the store meanwhile, if one is (a running bot's
    background job): a reload waits for no one. A knowledge base of
    `PROGRESS_FROM` files or more shows its progress on stderr, a line every
    tenth of the way: its build takes a minute or more.
    """
    content_dir, semantic = job.content_dir, job.semantic
    files = len(content_files(content_dir)) if content_dir.is_dir() else 0
    shown = print_progress("reading content files") if files >= PROGRESS_FROM else None
    read = 0

    def reading(file: Path) -> None:
        nonlocal read
        _doing(f"reading {file}")
        if shown is not None and read < files:
            shown(read, files)
        read += 1

    kb = load_knowledge_base(content_dir, job.guess_language, max_bytes=job.max_article_bytes, reading=reading)
    if shown is not None:
        shown(files, files)
    _doing(f"indexing {len(kb.articles)} articles from {content_dir}")
    index = build_index(kb, job.fingerprint, print_progress("indexing articles") if shown is not None else None, job.config)
    key_units(index)
    if semantic:
        store = semantic.store() if store is None else store
        lacking = coverage(index, store)
        if lacking.missing and lacking.missing <= semantic.embed_limit:
            with store.embedding(waiting=None) as alone:
                if alone:
                    _doing(f"embedding {lacking.missing} {lacking.noun}")
                    embed_missing_into(index, store, E5Embedder(cores()), print_progress(f"embedding {lacking.noun}"))
    return index


def _build_and_cache(job: Build, path: Path) -> bool:
    """The child's work. Its warnings about files stay quiet: the parent reports them from the cached index."""
    logging.disable(logging.WARNING)
    index = _build(job)
    _doing(f"writing {path}")
    if len(index.articles) >= PROGRESS_FROM:
        print(f"writing the index cache {path}", file=sys.stderr, flush=True)
    logging.disable(logging.NOTSET)
    return _write_cache(path, index)


_EXIT_SECONDS = 5
"""How long a build child that has sent its result may take to end before it is killed."""


def _child(progress: Array[c_char], memory_limit: int, job: Build, path: Path, results: Connection) -> None:
    """The build child: sends back whether it wrote the cache, or why it failed."""
    _start_child(progress, memory_limit)
    try:
        outcome: tuple[bool, str] = (_build_and_cache(job, path), "")
    except MemoryError:
        outcome = (False, "out of memory")
    except Exception as error:
        outcome = (False, str(error) or type(error).__name__)
    results.send(outcome)


def _build_in_child(job: Build, path: Path, seconds: float) -> bool:
    """Build and cache the index in a child process; raises `IndexBuildError` naming what the child was doing.

    A child still building after `seconds` is killed: content that makes the
    build run on (or a read that never returns) would otherwise hang the start,
    and hold a reload's locks, for good.
    """
    progress = BUILD_CONTEXT.RawArray("c", _PROGRESS_BYTES)
    results, sending = BUILD_CONTEXT.Pipe(duplex=False)
    child = BUILD_CONTEXT.Process(
        target=_child, args=(progress, BUILD_MEMORY_LIMIT, job, path, sending), name="index build", daemon=True
    )
    child.start()
    sending.close()
    failure: str | None
    with results:
        if not results.poll(seconds):
            written, failure = False, f"took longer than the limit of {seconds:g} s (BUILD_TIMEOUT_SECONDS)"
        else:
            try:
                written, failure = results.recv()
                child.join(_EXIT_SECONDS)  # it ends as soon as it has sent
            except EOFError:
                written, failure = False, None  # it died without a word: its exit status says how
    child.kill()
    child.join()
    if failure is None:
        failure = f"the build process ended without a result (exit status {child.exitcode})"
    if failure:
        doing = progress.value.decode("utf-8", "replace") or "starting"
        raise IndexBuildError(f"building the index failed while {doing}: {failure}")
    return written


@contextlib.contextmanager
def _building(path: Path) -> Iterator[None]:
    """Held while one process builds the cache at `path`; the others wait, then read what it wrote.

    Processes serving one content folder on one host (webhook workers, a CLI
    beside the bot) see an edit at about the same time: without the lock each
    would build the same index in a child of its own, as many times the
    memory and the cores of one build. Waiting costs no answer: a reloading
    process keeps serving from its old index meanwhile. Without a usable lock
    file (a read-only cache folder) each builds alone, as before.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        lock = path.with_suffix(".lock").open("a")
    except OSError as error:
        log.warning("index cache lock %s unusable (%s); building without it", path.with_suffix(".lock"), error)
        lock = None
    if lock is None:
        yield
        return
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def load_index(
    content_dir: Path,
    cache_dir: Path | None,
    guess_language: LanguageGuesser,
    prepare: Prepare = lambda languages: None,
    max_article_bytes: int = DEFAULT_MAX_ARTICLE_BYTES,
    semantic: Semantic | None = None,
    build_seconds: float = DEFAULT_BUILD_TIMEOUT_SECONDS,
    config: IndexConfig = INDEX_DEFAULT,
) -> SearchIndex:
    """The index of `content_dir`, from the cache when it is still current, else freshly built; with `semantic`, its vectors.

    The fingerprint is taken before any file is read, so an edit made during a
    build is picked up by the next load rather than hidden under a fresh key.
    It covers `config`, the numbers the index is built with: a cache built
    with other numbers is rebuilt, not reused.
    Languages whose units lack vectors get them when they are complete (see
    `vectors.attach`); saying so is the caller's part (`vectors.coverage`).
    Without a usable cache folder the build happens in this process.
    Raises `IndexBuildError` when the build child fails.
    """
    fingerprint = content_fingerprint(content_dir, max_article_bytes, config)
    job = Build(content_dir, fingerprint, guess_language, max_article_bytes, semantic, config)
    path = cache_path(cache_dir, content_dir) if cache_dir else None
    index = None
    store = None
    """The vector store the vectors are read from: the one a build in this process filled (it may live in
    memory only), else read afresh after the build child wrote to it."""
    if path is not None:
        index = _read_cache(path, fingerprint, prepare)
        if index is None:
            with _building(path):
                # Another process may have built it while this one waited for the lock.
                index = _read_cache(path, fingerprint, prepare)
                if index is None and _build_in_child(job, path, build_seconds):
                    index = _read_cache(path, fingerprint, prepare)
        if index is not None:
            for issue in index.kb.issues:
                log.warning("%s", issue)
    if index is None:
        store = semantic.store() if semantic else None
        index = _build(job, store)
        prepare(sorted(index.by_lang))
    if semantic:
        attach(index, semantic.store() if store is None else store, path)
    return index


def current_index(
    content_dir: Path,
    cache_dir: Path | None,
    guess_language: LanguageGuesser,
    max_article_bytes: int = DEFAULT_MAX_ARTICLE_BYTES,
) -> SearchIndex:
    """The index of the content as it is now, without its vectors, for a process that only embeds (`background`):
    from the cache when it is current, else built here and not cached (the serving process caches its own; the
    cache may be unwritable). Its files' warnings are the serving process's to log."""
    fingerprint = content_fingerprint(content_dir, max_article_bytes)
    index = _read_cache(cache_path(cache_dir, content_dir), fingerprint, lambda languages: None) if cache_dir else None
    return index or _build(Build(content_dir, fingerprint, guess_language, max_article_bytes, None, INDEX_DEFAULT))


def embed_missing(
    content_dir: Path,
    guess_language: LanguageGuesser,
    semantic: Semantic,
    max_article_bytes: int = DEFAULT_MAX_ARTICLE_BYTES,
    waiting: Callable[[], object] = lambda: None,
) -> tuple[int, Coverage]:
    """Embed every unit and taught question the vector store lacks, however many: `python -m bot embed`. Returns how
    many were embedded, and how far the store covered them before.

    Another process embedding into the store (a running bot's background job)
    is waited for (`waiting` is called first), and what it embedded is not
    embedded again.
    """
    index = build_index(load_knowledge_base(content_dir, guess_language, max_bytes=max_article_bytes))
    key_units(index)
    store = semantic.store()
    with store.embedding(waiting):
        before = coverage(index, store)
        embed_missing_into(index, store, E5Embedder(cores()), print_progress(f"embedding {before.noun}"))
    return before.missing, before
