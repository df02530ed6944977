"""Paragraph positions across translations, which questions in a language the content lacks are matched against."""

from __future__ import annotations

import numpy as np

from bot.search.positions import Positions
from bot.search.searcher import Searcher


def test_a_paragraph_has_one_position_in_every_translation_and_its_mean_similarity(searcher: Searcher) -> None:
    index = searcher.index
    positions = Positions.of(index)
    salary = {}
    for lang, idx in index.by_lang.items():
        for unit in range(len(idx.unit_article)):
            key = (index.articles.keys[int(idx.unit_article[unit])], int(idx.unit_section[unit]), int(idx.unit_paragraph[unit]))
            assert positions.keys[int(positions.ids[lang][unit])] == key
            if key == positions.keys[int(positions.ids["tr"][0])]:
                salary[lang] = unit
    assert len(salary) == len(index.by_lang)
    rng = np.random.default_rng(7)
    similarities = {lang: rng.random(len(idx.unit_article)) for lang, idx in index.by_lang.items()}
    mean = positions.mean_similarity(similarities, 0.0, 0.5)[int(positions.ids["tr"][0])]
    assert np.isclose(mean, np.mean([similarities[lang][unit] for lang, unit in salary.items()]))


def test_a_position_counts_only_the_languages_that_have_vectors_and_is_shown_from_its_nearest_translation(
    searcher: Searcher,
) -> None:
    index = searcher.index
    positions = Positions.of(index)
    first = int(positions.ids["tr"][0])
    similarities = {lang: np.full(len(index.by_lang[lang].unit_article), 0.5) for lang in ("tr", "da")}
    similarities["da"][np.flatnonzero(positions.ids["da"] == first)] = 0.9
    assert np.isclose(positions.mean_similarity(similarities, 0.0, 0.5)[first], 0.7)
    lang, unit = positions.best_translations(np.array([first]), similarities)[first]
    assert lang == "da" and int(positions.ids["da"][unit]) == first
    assert np.isneginf(positions.mean_similarity({}, 1.0, 0.5)).all()
