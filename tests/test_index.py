"""The index cache: reused while content is unchanged, rebuilt as soon as it changes."""

from __future__ import annotations

import concurrent.futures
import os
import pickle
import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from bot.language import cues
from bot.search import index_cache
from bot.search.index import _article_key, _link_key
from bot.search.index_cache import content_fingerprint, load_index
from bot.search.searcher import Searcher
from bot.search.tuning import INDEX_DEFAULT, BM25Field

from .conftest import WriteFile


def no_guess(_: str) -> str | None:
    return None


def test_cache_is_reused_until_a_file_changes(write: WriteFile, content: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    article = write("tea.it.md", "---\ntitle: Tè\n---\n## Infusione\nIl tè verde si lascia in infusione tre minuti.\n")
    first = load_index(content, cache, no_guess)
    assert load_index(content, cache, no_guess).fingerprint == first.fingerprint

    article.write_text("---\ntitle: Tè\n---\n## Infusione\nIl tè nero si lascia in infusione cinque minuti.\n", encoding="utf-8")
    os.utime(article, ns=(article.stat().st_atime_ns, article.stat().st_mtime_ns + 10**9))
    updated = load_index(content, cache, no_guess)
    assert updated.fingerprint != first.fingerprint
    assert "cinque" in Searcher(updated).answer("quanti minuti di infusione").text


def test_processes_loading_a_stale_cache_at_once_build_it_once(
    write: WriteFile, content: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Webhook workers see an edit at about the same time: one builds, the others wait and read what it wrote."""
    write("tea.it.md", "---\ntitle: Tè\n---\n## Infusione\nIl tè verde si lascia in infusione tre minuti.\n")
    builds = []
    build = index_cache._build_in_child

    def counted(job, path, seconds):
        builds.append(path)
        return build(job, path, seconds)

    monkeypatch.setattr(index_cache, "_build_in_child", counted)
    with concurrent.futures.ThreadPoolExecutor(3) as pool:
        indexes = list(pool.map(lambda _: load_index(content, tmp_path / "cache", no_guess), range(3)))
    assert len(builds) == 1
    assert len({index.fingerprint for index in indexes}) == 1
    assert all("tre minuti" in Searcher(index).answer("quanti minuti di infusione").text for index in indexes)


def test_new_file_and_synonyms_file_invalidate_the_cache(write: WriteFile, content: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    write("tea.it.md", "---\ntitle: Tè\n---\n## Infusione\nIl tè verde si lascia in infusione tre minuti.\n")
    before = load_index(content, cache, no_guess).fingerprint
    write("synonyms.yml", "it:\n  - infusione, tisana\n")
    assert load_index(content, cache, no_guess).fingerprint != before


@pytest.fixture
def cue_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A copy of the cue lists that the bot reads instead of its own, so a test can edit them."""
    folder = tmp_path / "cue_lists"
    shutil.copytree(str(cues.FOLDER), folder)
    monkeypatch.setattr(cues, "FOLDER", folder)
    cues._lists.cache_clear()
    yield folder
    cues._lists.cache_clear()


def test_editing_a_cue_list_rebuilds_the_index(write: WriteFile, content: Path, tmp_path: Path, cue_folder: Path) -> None:
    """Question words are stop words of the index, so a cached index built with the old lists is stale.

    The rebuild runs in a child process, which reads the installed lists, not
    this test's copy; what is checked here is that the stale cache is not reused.
    """
    cache = tmp_path / "cache"
    write("tea.it.md", "---\ntitle: Tè\n---\n## Infusione\nIl tè verde si lascia in infusione tre minuti.\n")
    first = load_index(content, cache, no_guess)
    assert load_index(content, cache, no_guess).fingerprint == first.fingerprint

    italian = cue_folder / "it.json"
    italian.write_text(
        italian.read_text(encoding="utf-8").replace('"question_words": [', '"question_words": [\n    "verde",'), encoding="utf-8"
    )
    assert "verde" in cues.cues("it", "question_words")
    rebuilt = load_index(content, cache, no_guess)
    assert rebuilt.fingerprint == content_fingerprint(content) != first.fingerprint


def test_a_changed_index_number_rebuilds_the_cache_and_is_kept_with_it(
    write: WriteFile, content: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An index cached with other numbers than the bot's is stale, as one of edited content is: a changed field
    weight rebuilds it, in the build child, and the numbers come back from the cache with the index."""
    cache = tmp_path / "cache"
    write("tea.it.md", "---\ntitle: Tè\n---\n## Infusione\nIl tè verde si lascia in infusione tre minuti.\n")
    builds = []
    build = index_cache._build_in_child

    def counted(job, path, seconds):
        builds.append(job.config)
        return build(job, path, seconds)

    monkeypatch.setattr(index_cache, "_build_in_child", counted)
    first = load_index(content, cache, no_guess)
    heavier_headings = replace(INDEX_DEFAULT, heading=BM25Field(4.0, 0.3))
    rebuilt = load_index(content, cache, no_guess, config=heavier_headings)
    assert builds == [INDEX_DEFAULT, heavier_headings]
    assert rebuilt.fingerprint == content_fingerprint(content, config=heavier_headings) != first.fingerprint
    assert rebuilt.config == rebuilt.by_lang["it"].config == heavier_headings
    assert not np.array_equal(rebuilt.by_lang["it"].post_weights, first.by_lang["it"].post_weights)

    assert load_index(content, cache, no_guess, config=heavier_headings).config == heavier_headings
    assert load_index(content, cache, no_guess).config == INDEX_DEFAULT
    assert builds == [INDEX_DEFAULT, heavier_headings, INDEX_DEFAULT]


def test_unreadable_cache_is_rebuilt(write: WriteFile, content: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    write("tea.it.md", "---\ntitle: Tè\n---\n## Infusione\nIl tè verde si lascia in infusione tre minuti.\n")
    load_index(content, cache, no_guess)
    for path in cache.glob("index-*.pickle"):
        path.write_bytes(b"not a pickle")
    assert load_index(content, cache, no_guess).articles[0].title == "Tè"


def test_the_languages_are_known_before_the_index_is_read(write: WriteFile, content: Path, tmp_path: Path) -> None:
    """Language models load while the heap is small, whether the index comes from the cache or is built here."""
    write("tea.it.md", "---\ntitle: Tè\n---\n## Infusione\nIl tè verde si lascia in infusione tre minuti.\n")
    write("tea.da.md", "---\ntitle: Te\n---\n## Trække\nGrøn te skal trække i tre minutter.\n")
    for cache in (tmp_path / "cache", tmp_path / "cache", None):
        seen: list[list[str]] = []
        load_index(content, cache, no_guess, prepare=seen.append)
        assert seen == [["da", "it"]]


class _FromAnotherVersion:
    """Pickles fine, fails to unpickle with a ValueError, as a cache from an incompatible version can."""

    def __reduce__(self) -> tuple[type, tuple[str]]:
        return int, ("not a number",)


def test_cache_from_an_incompatible_version_is_rebuilt(write: WriteFile, content: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    write("tea.it.md", "---\ntitle: Tè\n---\n## Infusione\nIl tè verde si lascia in infusione tre minuti.\n")
    load_index(content, cache, no_guess)
    for path in cache.glob("index-*.pickle"):
        with path.open("rb") as handle:
            header = pickle.load(handle)
        path.write_bytes(pickle.dumps(header) + pickle.dumps(_FromAnotherVersion()))
    assert load_index(content, cache, no_guess).articles[0].title == "Tè"


def test_a_link_names_the_article_by_its_slug_however_the_site_spells_it() -> None:
    """A site links to "account-manager" as "/accountmanager", "../account-manager.html" or "https://x.org/account-manager/#pay"."""
    key = _article_key("account-manager")
    assert _link_key("/accountmanager") == _link_key("../account-manager.html") == key
    assert _link_key("https://x.org/Account-Manager/#pay") == key
    assert _link_key("/returnoninvestment") != key
