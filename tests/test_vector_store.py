"""How unit vectors are kept and served: a store that only grows, blocks every process maps, the same ranking as before.

No model is needed here: the vectors are made up, stored under the keys the
index gives its units, as `python -m bot embed` would store real ones.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bot.language.langdetect import guess_article_language
from bot.search import index_cache
from bot.search.embedding import DIMENSIONS, MODEL_NAME
from bot.search.index import SearchIndex
from bot.search.index_cache import Semantic, load_index
from bot.search.reading import most_similar
from bot.search.similarity import UnitVectors, scaled
from bot.search.vectors import RECORD, VectorStore, attach

from .conftest import WriteFile
from .test_semantic import ARTICLE

EDITED = ARTICLE.replace("tre hundrede kroner", "fire hundrede kroner")


def unit_vectors(count: int, seed: int) -> np.ndarray:
    vectors = np.random.default_rng(seed).standard_normal((count, DIMENSIONS), dtype=np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def fill(index: SearchIndex, folder: Path, seed: int = 1) -> np.ndarray:
    """Store a vector for every unit of the index the store lacks (as `embed` would), through another process's store;
    the vectors of its units then."""
    keys = index.by_lang["da"].unit_keys
    store = VectorStore(folder, MODEL_NAME)
    store.add(keys, unit_vectors(len(keys), seed))
    return gathered(store, keys)


def gathered(store: VectorStore, keys: np.ndarray) -> np.ndarray:
    parts: list[np.ndarray] = []
    assert store.gather(keys, parts.append) is not None
    return np.concatenate(parts).astype(np.float32)


def load(content: Path, cache: Path | None, folder: Path) -> SearchIndex:
    return load_index(content, cache, guess_article_language, semantic=Semantic(folder, embed_limit=0))


@pytest.fixture(autouse=True)
def no_model(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every vector here is made up: a build that embedded would be a test that proves nothing."""

    def refuse(*args: object) -> None:
        raise AssertionError("the model was asked to embed")

    monkeypatch.setattr(index_cache, "embed_missing_into", refuse)


def test_similarities_are_those_of_the_float32_vectors_to_the_last_bit() -> None:
    """Every float16 a unit vector can hold (subnormals, zeros and signs included), against several questions:
    the similarities, and so the ranking, are exactly what the float32 matrix of the same vectors gave."""
    halves = np.arange(1 << 16, dtype=np.uint16).view(np.float16)
    halves = halves[np.isfinite(halves) & (np.abs(halves.astype(np.float32)) <= 1)]
    rows = np.resize(halves, (-(-len(halves) // DIMENSIONS), DIMENSIONS))
    served = UnitVectors(scaled(rows), "every half")
    for question in unit_vectors(8, seed=2):
        assert np.array_equal(served.similarity(question), rows.astype(np.float32) @ question)
    assert np.array_equal(served.vectors(), rows.astype(np.float32))


def test_the_most_similar_units_are_the_first_of_a_stable_sort_ties_included() -> None:
    similarity = np.random.default_rng(3).integers(0, 40, 5000).astype(np.float32) / 40
    for count in (1, 5, 17, 5000, 6000):
        assert np.array_equal(most_similar(similarity, count), np.argsort(-similarity, kind="stable")[:count])


def test_a_store_written_by_the_previous_version_is_read_not_misread(write: WriteFile, content: Path, tmp_path: Path) -> None:
    """Before, the store was one numpy array rewritten whole on every addition: its vectors are taken over once
    (nothing embedded again), and it is left as it was for that version."""
    write("kaffe.da.md", ARTICLE)
    folder = tmp_path / "vectors"
    keys = load(content, None, tmp_path / "empty").by_lang["da"].unit_keys
    records = np.zeros(len(keys), dtype=RECORD)
    records["key"], records["vector"] = keys, unit_vectors(len(keys), seed=4)
    records.sort(order="key")
    folder.mkdir()
    legacy = folder / f"{MODEL_NAME}.npy"
    np.save(legacy, records)
    before = legacy.read_bytes()
    index = load(content, tmp_path / "cache", folder)
    vectors = index.by_lang["da"].unit_vectors
    assert vectors is not None
    expected = {int(k): v for k, v in zip(records["key"], records["vector"].astype(np.float32), strict=True)}
    assert np.array_equal(vectors.vectors(), np.stack([expected[int(key)] for key in keys]))
    assert legacy.read_bytes() == before
    assert (folder / f"{MODEL_NAME}.vectors").is_file()


def test_a_store_file_this_version_cannot_read_is_started_afresh_not_misread(
    write: WriteFile, content: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    write("kaffe.da.md", ARTICLE)
    folder = tmp_path / "vectors"
    folder.mkdir()
    (folder / f"{MODEL_NAME}.vectors").write_bytes(b"kbvecs\0\0" + (99).to_bytes(4, "little") + bytes(2000))
    index = load(content, None, folder)
    assert index.by_lang["da"].unit_vectors is None
    assert "not one this version reads" in caplog.text
    vectors = fill(index, folder)
    assert np.array_equal(load(content, None, folder).by_lang["da"].unit_vectors.vectors(), vectors)


def test_a_record_cut_short_by_a_writer_that_died_is_never_read_and_is_overwritten(tmp_path: Path) -> None:
    first = unit_vectors(3, seed=5)
    VectorStore(tmp_path, "model").add(np.array([1, 2], dtype=np.uint64), first[:2])
    with (tmp_path / "model.vectors").open("ab") as store:
        store.write(b"\x07" * (RECORD.itemsize // 2))
    assert VectorStore(tmp_path, "model").find(np.array([1, 2, 3], dtype=np.uint64)).tolist() == [True, True, False]
    VectorStore(tmp_path, "model").add(np.array([3], dtype=np.uint64), first[2:])
    again = gathered(VectorStore(tmp_path, "model"), np.array([3, 1, 2], dtype=np.uint64))
    assert np.array_equal(again, first[[2, 0, 1]].astype(np.float16).astype(np.float32))


def mapped_files() -> set[str]:
    return {line.split(maxsplit=5)[5] for line in Path("/proc/self/maps").read_text().splitlines() if len(line.split()) == 6}


def test_every_load_of_an_index_maps_the_one_block_of_its_vectors(write: WriteFile, content: Path, tmp_path: Path) -> None:
    """The vectors are in a file beside the index cache, mapped, not copied into each process: a second process
    serving the same index maps the block the first wrote rather than writing its own."""
    write("kaffe.da.md", ARTICLE)
    cache, folder = tmp_path / "cache", tmp_path / "vectors"
    vectors = fill(load(content, cache, folder), folder)
    first = load(content, cache, folder)
    (block,) = cache.glob("*.da.vectors")
    written = block.stat()
    second = load(content, cache, folder)
    assert (block.stat().st_ino, block.stat().st_mtime_ns) == (written.st_ino, written.st_mtime_ns)
    assert str(block) in mapped_files()
    for index in (first, second):
        assert np.array_equal(index.by_lang["da"].unit_vectors.vectors(), vectors)


def test_an_index_keeps_its_vectors_when_an_edit_replaces_their_block(write: WriteFile, content: Path, tmp_path: Path) -> None:
    """A serving process keeps answering from its index while a reload (in it or in another process) writes the
    block of the edited content: the block is replaced by rename, so the old mapping still reads the old vectors."""
    write("kaffe.da.md", ARTICLE)
    cache, folder = tmp_path / "cache", tmp_path / "vectors"
    fill(load(content, cache, folder), folder)
    serving = load(content, cache, folder).by_lang["da"].unit_vectors
    assert serving is not None
    (block,) = cache.glob("*.da.vectors")
    mapped = block.stat().st_ino
    before, question = serving.vectors(), unit_vectors(1, seed=6)[0]
    write("kaffe.da.md", EDITED)
    edited = fill(load(content, cache, folder), folder, seed=7)
    assert np.array_equal(load(content, cache, folder).by_lang["da"].unit_vectors.vectors(), edited)
    assert block.stat().st_ino != mapped
    assert np.array_equal(serving.vectors(), before)
    assert np.array_equal(serving.similarity(question), before @ question)


def test_a_store_started_afresh_gives_new_blocks_never_the_old_vectors(write: WriteFile, content: Path, tmp_path: Path) -> None:
    write("kaffe.da.md", ARTICLE)
    cache, folder = tmp_path / "cache", tmp_path / "vectors"
    fill(load(content, cache, folder), folder, seed=9)
    load(content, cache, folder)
    (folder / f"{MODEL_NAME}.vectors").unlink()
    vectors = fill(load(content, cache, folder), folder, seed=10)
    assert np.array_equal(load(content, cache, folder).by_lang["da"].unit_vectors.vectors(), vectors)


def test_vectors_another_process_appends_are_picked_up_by_attaching_again(
    write: WriteFile, content: Path, tmp_path: Path
) -> None:
    """How a serving process switches the semantic signal on as embedding completes: it attaches again, reading only
    the records appended since, and keeps the blocks it has."""
    write("kaffe.da.md", ARTICLE)
    write("kaffe.it.md", "---\ntitle: Caffè\n---\n# Caffè\n## Tostatura\nI chicchi si tostano lentamente.\n")
    cache, folder = tmp_path / "cache", tmp_path / "vectors"
    index = load(content, cache, folder)
    serving, cached_at = VectorStore.shared(folder, MODEL_NAME), index_cache.cache_path(cache, content)
    assert attach(index, serving, cached_at) == []
    danish = fill(index, folder)
    assert attach(index, serving, cached_at) == ["da"]
    kept = index.by_lang["da"].unit_vectors
    keys = index.by_lang["it"].unit_keys
    VectorStore(folder, MODEL_NAME).add(keys, unit_vectors(len(keys), seed=11))
    assert sorted(attach(index, serving, cached_at)) == ["da", "it"]
    assert index.by_lang["da"].unit_vectors is kept
    assert np.array_equal(kept.vectors(), danish)


def test_where_a_block_cannot_be_written_the_vectors_are_served_from_memory(
    write: WriteFile, content: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    write("kaffe.da.md", ARTICLE)
    cache, folder = tmp_path / "cache", tmp_path / "vectors"
    vectors = fill(load(content, cache, folder), folder)
    (index_cache.cache_path(cache, content).with_suffix(".da.vectors")).mkdir()  # in the block's way
    index = load(content, cache, folder)
    assert np.array_equal(index.by_lang["da"].unit_vectors.vectors(), vectors)
    assert "could not write unit vectors" in caplog.text


def test_the_bot_multiplies_vectors_on_one_thread() -> None:
    """A serving process answers on one core: a second BLAS thread made each product wait for the other, busy, core."""
    code = "import bot, numpy, os; print(len(os.listdir('/proc/self/task')))"
    env = {key: value for key, value in os.environ.items() if key != "OPENBLAS_NUM_THREADS"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == "1"
