"""The built index on disk, and the one way to get a current index: `load_index`.

The cache is a pickle under the cache folder, keyed by a fingerprint of every
content file's name, size and modification time and of the cue lists, so any
change to the content, or to the language data it is read with, rebuilds it.
A small header (fingerprint and languages) comes before the index, so a stale
cache is recognised without reading it, and the caller can load what depends
only on the languages before the knowledge base fills the heap. A rebuild runs
in a child process: parsing and indexing thousands of files leaves hundreds of
megabytes of garbage that a serving process would otherwise carry for its
whole life, and a bot reloading its content keeps answering from the old index
while the child works.
"""

from __future__ import annotations

import hashlib
import logging
import multiprocessing
import os
import pickle
import tempfile
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ..content.parsing import SYNONYMS_FILE, LanguageGuesser, content_files, load_knowledge_base
from ..language import cues
from .embedding import MODEL_NAME, E5Embedder
from .index import FORMAT, SearchIndex, build_index
from .vectors import VectorStore, attach, embed_into, key_units, missing_count, missing_texts, print_progress

log = logging.getLogger(__name__)

Prepare = Callable[[list[str]], object]
"""Called with the index's languages (sorted) before the index itself is read."""
BUILD_THREADS = 2
"""Engine threads for embedding paragraphs in the build child: batches use both cores."""


@dataclass(frozen=True)
class Semantic:
    """Where unit vectors are kept, and how many new ones a build may embed before it leaves the rest to `embed`."""

    vectors_dir: Path | None
    embed_limit: int

    def store(self) -> VectorStore:
        return VectorStore(self.vectors_dir, MODEL_NAME)


def vector_stamp(semantic: Semantic | None) -> str:
    """Changes when the vector store gains vectors, so a running bot reloads to use them."""
    return semantic.store().stamp() if semantic else "off"


def content_fingerprint(content_dir: Path) -> str:
    """Changes whenever a content file is added, removed, renamed or modified, and whenever a cue list is edited."""
    digest = hashlib.sha256(f"format {FORMAT}\ncues {cues.fingerprint()}\n".encode())
    files = content_files(content_dir) if content_dir.is_dir() else []
    synonyms = content_dir / SYNONYMS_FILE
    for path in files + ([synonyms] if synonyms.is_file() else []):
        stat = path.stat()
        digest.update(f"{path.relative_to(content_dir)}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def _cache_path(cache_dir: Path, content_dir: Path) -> Path:
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
        cached = _unpickle(handle, path)
    return cached if isinstance(cached, SearchIndex) else None


def _write_cache(path: Path, index: SearchIndex) -> bool:
    """Write atomically, so a concurrent reader never sees half a file; failure only costs speed."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False, suffix=".tmp") as handle:
            pickle.dump((index.fingerprint, sorted(index.by_lang)), handle, protocol=pickle.HIGHEST_PROTOCOL)
            pickle.dump(index, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(handle.name, path)
    except OSError as error:
        log.warning("could not write index cache %s: %s", path, error)
        return False
    return True


def _build(content_dir: Path, fingerprint: str, guess_language: LanguageGuesser, semantic: Semantic | None) -> SearchIndex:
    """Parse, index, and embed the units the vector store lacks, if they are few enough to embed now."""
    index = build_index(load_knowledge_base(content_dir, guess_language), fingerprint)
    key_units(index)
    if semantic:
        store = semantic.store()
        missing = missing_texts(index, store)
        if missing and len(missing) <= semantic.embed_limit:
            embed_into(store, missing, E5Embedder(BUILD_THREADS), print_progress("embedding paragraphs"))
    return index


def _build_and_cache(
    content_dir: Path, path: Path, fingerprint: str, guess_language: LanguageGuesser, semantic: Semantic | None
) -> bool:
    """The child's work. Its warnings about files stay quiet: the parent reports them from the cached index."""
    logging.disable(logging.WARNING)
    index = _build(content_dir, fingerprint, guess_language, semantic)
    logging.disable(logging.NOTSET)
    return _write_cache(path, index)


def _build_in_child(
    content_dir: Path, path: Path, fingerprint: str, guess_language: LanguageGuesser, semantic: Semantic | None
) -> bool:
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(_build_and_cache, content_dir, path, fingerprint, guess_language, semantic).result()


def load_index(
    content_dir: Path,
    cache_dir: Path | None,
    guess_language: LanguageGuesser,
    prepare: Prepare = lambda languages: None,
    semantic: Semantic | None = None,
) -> SearchIndex:
    """The index of `content_dir`, from the cache when it is still current, else freshly built; with `semantic`, its vectors.

    The fingerprint is taken before any file is read, so an edit made during a
    build is picked up by the next load rather than hidden under a fresh key;
    the vector store's stamp is taken as its vectors are read, after the build
    has added its own, so only vectors added since (by `embed`) make a reload.
    Without a usable cache folder the build happens in this process.
    """
    fingerprint = content_fingerprint(content_dir)
    path = _cache_path(cache_dir, content_dir) if cache_dir else None
    index = None
    if path is not None:
        index = _read_cache(path, fingerprint, prepare)
        if index is None and _build_in_child(content_dir, path, fingerprint, guess_language, semantic):
            index = _read_cache(path, fingerprint, prepare)
        if index is not None:
            for issue in index.kb.issues:
                log.warning("%s", issue)
    if index is None:
        index = _build(content_dir, fingerprint, guess_language, semantic)
        prepare(sorted(index.by_lang))
    index.vector_stamp = vector_stamp(semantic)
    if semantic:
        store = semantic.store()
        lacking = sorted(set(index.by_lang) - set(attach(index, store)))
        if lacking:
            log.warning(
                "%d paragraphs (%s) have no vector yet, more than EMBED_AT_BUILD (%d) allows a build to embed: they are "
                "answered on the lexical signals until `python -m bot embed` has computed them",
                missing_count(index, store),
                ", ".join(lacking),
                semantic.embed_limit,
            )
    return index


def embed_missing(content_dir: Path, guess_language: LanguageGuesser, semantic: Semantic) -> tuple[int, int]:
    """Embed every unit the vector store lacks, however many: `python -m bot embed`. Returns (embedded, units)."""
    index = build_index(load_knowledge_base(content_dir, guess_language))
    key_units(index)
    store = semantic.store()
    missing = missing_texts(index, store)
    embed_into(store, missing, E5Embedder(BUILD_THREADS), print_progress("embedding paragraphs"))
    return len(missing), sum(idx.unit_count for idx in index.by_lang.values())
