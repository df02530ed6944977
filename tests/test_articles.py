"""The compact article store: what is read back is what was parsed, through the cache too."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from bot.content.articles import CompactArticles
from bot.content.parsing import load_knowledge_base


def test_articles_read_back_as_parsed_after_a_trip_through_the_cache(seeds_dir: Path) -> None:
    kb = load_knowledge_base(seeds_dir, lambda _: None)
    restored = pickle.loads(pickle.dumps(kb))
    assert list(restored.articles) == list(kb.articles)
    assert [restored.articles[i] for i in range(len(kb.articles))] == list(kb.articles)
    assert restored.articles[-1] == kb.articles[len(kb.articles) - 1]
    assert restored.translations("account-manager")["tr"].title == kb.translations("account-manager")["tr"].title


def test_ids_out_of_range_are_an_index_error_as_for_a_list(seeds_dir: Path) -> None:
    articles = CompactArticles(load_knowledge_base(seeds_dir, lambda _: None).articles)
    assert articles[1:3] == [articles[1], articles[2]]
    with pytest.raises(IndexError):
        articles[len(articles)]
