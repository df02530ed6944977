"""What a warm start loads rather than rebuilds: spellers and term lookups come with the index, its arrays are mapped."""

from __future__ import annotations

from pathlib import Path

from bot.language.langdetect import guess_article_language
from bot.search.index_cache import load_index
from bot.search.searcher import Searcher

QUESTIONS = ["maaş aralığı nedir", "maasi ne kadar", "diiploma gerekli mi", "hvad tjener en sælger", "зарплата менеджера"]


def _answers(searcher: Searcher) -> list[tuple[object, ...]]:
    return [(a.kind, a.text, a.language, round(a.score, 6)) for a in map(searcher.answer, QUESTIONS)]


def test_a_cached_index_maps_its_arrays_and_answers_as_a_freshly_built_one(seeds_dir: Path, tmp_path: Path) -> None:
    built = load_index(seeds_dir, None, guess_article_language)
    load_index(seeds_dir, tmp_path, guess_article_language)
    cached = load_index(seeds_dir, tmp_path, guess_article_language)
    for idx in cached.by_lang.values():
        assert not idx.post_units.flags.writeable and not idx.offsets.flags.writeable
        assert idx.speller is not None and idx.lexicon is not None and idx.term_lookup is not None
    assert [a.title for a in cached.articles] == [a.title for a in built.articles]
    assert cached.articles.records is not None and not cached.articles.records.flags.writeable
    assert [cached.articles[i] for i in range(len(built.articles))] == list(built.articles)  # read by pread
    assert _answers(Searcher(cached, default_language="en")) == _answers(Searcher(built, default_language="en"))
