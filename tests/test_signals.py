"""Each signal and adjustment of ranking alone, on a tiny index of three articles written here."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from bot.content.parsing import load_knowledge_base
from bot.search.index import build_index
from bot.search.ranking import LanguageRanker
from bot.search.reading import Reading
from bot.search.searcher import SWITCHES, Searcher
from bot.search.signals import (
    Pick,
    confidence,
    coverage,
    figure,
    heading,
    on_topic,
    order,
    proximity,
    relevance,
    score,
    topic_lead,
)
from bot.search.tuning import RankingConfig

from .conftest import WriteFile

TEA = """\
    ---
    title: Tea
    ---
    ## What is tea
    Tea is a drink made by pouring hot water on the dried leaves of the tea plant.
    ## How long to steep tea
    Green tea steeps for three minutes in hot water; black tea wants five.
    ## What tea costs
    A good green tea costs 12 euros per kilo in most shops.

    Cheap tea is sold in bags, and the price of tea in bags says little of its taste.
    ## Where tea grows
    Tea grows on wet hills in China, India and Kenya, where the tea plant likes the rain.
    ## Highlights
    - Green tea steeps for three minutes, a short infusion.
    - Tea grows on wet hills.
    """
COFFEE = """\
    ---
    title: Coffee
    ---
    ## Roasting coffee
    Coffee beans are roasted at high heat until they turn dark and oily.
    ## Brewing coffee
    Water for coffee should be hot but not boiling, and the coffee ground fine.
    """
BREAD = """\
    ---
    title: Bread
    ---
    ## Baking bread
    Bread rises overnight in a cool place before it is baked in a hot oven.
    """


@pytest.fixture
def tiny(write: WriteFile, content: Path) -> Searcher:
    for name, text in (("tea.en.md", TEA), ("coffee.en.md", COFFEE), ("bread.en.md", BREAD)):
        write(name, text)
    return Searcher(build_index(load_knowledge_base(content, lambda _: None)))


@pytest.fixture
def ranker(tiny: Searcher) -> LanguageRanker:
    return tiny.rankers["en"]


def values_by_text(ranker: LanguageRanker, reading: Reading, values: np.ndarray) -> dict[str, float]:
    """Each candidate's value, keyed by the first words of its text, for readable assertions."""
    return {" ".join(ranker.unit_text(u).split()[:4]): float(v) for u, v in zip(reading.candidates.tolist(), values, strict=True)}


def unit_starting(ranker: LanguageRanker, words: str) -> int:
    return next(u for u in range(ranker.index.unit_count) if ranker.unit_text(u).startswith(words))


def test_coverage_is_the_share_of_the_question_a_unit_has(ranker: LanguageRanker) -> None:
    reading = ranker.read("green tea steeps")
    values = values_by_text(ranker, reading, coverage(reading))
    assert values["Green tea steeps for"] == pytest.approx(1.0)
    assert values["Green tea steeps for"] > values["A good green tea"] > values["Tea is a drink"] > 0


def test_relevance_is_bm25f_relative_to_the_best_candidate(ranker: LanguageRanker) -> None:
    reading = ranker.read("coffee")
    values = relevance(reading)
    assert values[0] == 1.0 and all(0 < v <= 1 for v in values)
    assert {ranker.unit_text(u).split()[0] for u in reading.candidates.tolist()} <= {"Coffee", "Water"}


def test_heading_is_how_fully_the_question_restates_the_section_heading(ranker: LanguageRanker) -> None:
    reading = ranker.read("where does tea grow")
    values = values_by_text(ranker, reading, heading(reading))
    assert max(values, key=values.__getitem__) == "Tea grows on wet"


def test_figure_counts_only_when_the_question_asks_how_much(ranker: LanguageRanker) -> None:
    asking = ranker.read("how much does green tea cost")
    values = values_by_text(ranker, asking, figure(asking))
    assert values["A good green tea"] == 1.0 and values["Cheap tea is sold"] == 0.0
    plain = ranker.read("green tea")
    assert not figure(plain).any()


def test_proximity_is_the_share_of_word_pairs_standing_close(ranker: LanguageRanker) -> None:
    reading = ranker.read("hot water")
    close, apart = unit_starting(ranker, "Tea is a drink"), unit_starting(ranker, "Water for coffee")
    assert proximity(reading, np.array([close, apart])).tolist() == [1.0, 0.0]
    assert not proximity(ranker.read("water"), np.array([close])).any()


def test_proximity_reorders_only_the_leaders(ranker: LanguageRanker) -> None:
    reading = ranker.read("hot water")
    flat = np.zeros(len(reading.candidates))
    first = ranker.unit_text(int(reading.candidates[order(reading, flat)[0]]))
    assert first.startswith(("Tea is a drink", "Green tea steeps"))
    without = dataclasses.replace(reading, config=RankingConfig(disabled=frozenset({"proximity"})))
    assert order(without, flat).tolist() == list(range(len(reading.candidates)))


def test_a_signal_switched_off_adds_nothing_to_the_score(ranker: LanguageRanker) -> None:
    reading = ranker.read("where does tea grow")
    without = dataclasses.replace(reading, config=RankingConfig(disabled=frozenset({"heading"})))
    weight = reading.config.heading_weight
    assert np.allclose(score(reading, ranker.signals) - score(without, ranker.signals), weight * heading(reading))


def test_confidence_is_coverage_or_a_restated_heading(ranker: LanguageRanker) -> None:
    reading = ranker.read("where does tea grow")
    assert np.array_equal(confidence(reading), np.maximum(coverage(reading), heading(reading)))
    alone = dataclasses.replace(reading, config=RankingConfig(disabled=frozenset({"heading_confidence"})))
    assert np.array_equal(confidence(alone), coverage(reading))


def test_topic_lead_answers_a_question_naming_only_the_topic_with_the_opening_paragraph(ranker: LanguageRanker) -> None:
    reading = ranker.read("tea")
    costs = unit_starting(ranker, "A good green tea")
    assert ranker.unit_text(topic_lead(reading, Pick(costs, 0.7)).unit).startswith("Tea is a drink")
    assert topic_lead(ranker.read("green tea"), Pick(costs, 0.7)).unit == costs


def test_on_topic_forgives_half_an_unknown_word_beside_the_articles_own_words(ranker: LanguageRanker) -> None:
    reading = ranker.read("tea zorblax")
    assert reading.unresolved > 0
    lead = unit_starting(ranker, "Tea is a drink")
    before = float(reading.coverage_share(np.array([lead]))[0])
    after = on_topic(reading, Pick(lead, before)).confidence
    assert after > before
    bread = unit_starting(ranker, "Bread rises")
    assert on_topic(ranker.read("bread zorblax"), Pick(bread, 0.1)).confidence == 0.1


def test_a_highlight_restating_a_paragraph_answers_with_the_paragraph_unless_switched_off(tiny: Searcher) -> None:
    """Only the highlight says "infusion", so it ranks first; the paragraph it restates is what explains it."""
    index = tiny.index
    assert Searcher(index).answer("infusion").section_heading == "How long to steep tea"
    without = Searcher(index, config=RankingConfig(disabled=frozenset({"restated_highlight"})))
    assert without.answer("infusion").kind == "highlights"


def test_every_switch_is_named_once_and_an_unknown_name_is_refused(tiny: Searcher) -> None:
    assert len(set(SWITCHES)) == len(SWITCHES)
    with pytest.raises(ValueError, match="proximty"):
        Searcher(tiny.index, config=RankingConfig(disabled=frozenset({"proximty"})))


def test_the_config_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        RankingConfig().threshold = 0.1  # type: ignore[misc]
