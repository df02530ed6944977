"""Each signal and adjustment of ranking alone, on a tiny index of three articles written here."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from bot.content.parsing import load_knowledge_base
from bot.language.analysis import Analyzer
from bot.search.index import build_index, heading_weight, unit_text
from bot.search.ranking import LanguageRanker
from bot.search.reading import Reading
from bot.search.searcher import SWITCHES, Searcher
from bot.search.signals import (
    SIGNALS,
    Pick,
    confidence,
    coverage,
    cross_reference,
    figure,
    heading,
    on_topic,
    relevance,
    score,
    section_lead,
    semantic,
    topic_lead,
)
from bot.search.tuning import INDEX_DEFAULT, RankingConfig

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


@pytest.fixture
def text(tiny: Searcher) -> Callable[[int], str]:
    """A unit's text, for readable assertions."""
    idx = tiny.index.by_lang["en"]

    def of(unit: int) -> str:
        return unit_text(
            tiny.index.articles[int(idx.unit_article[unit])], int(idx.unit_section[unit]), int(idx.unit_paragraph[unit])
        )

    return of


def values_by_text(text: Callable[[int], str], reading: Reading, values: np.ndarray) -> dict[str, float]:
    """Each candidate's value, keyed by the first words of its text."""
    return {" ".join(text(u).split()[:4]): float(v) for u, v in zip(reading.candidates.tolist(), values, strict=True)}


def unit_starting(text: Callable[[int], str], units: int, words: str) -> int:
    return next(u for u in range(units) if text(u).startswith(words))


def test_coverage_is_the_share_of_the_question_a_unit_has(ranker: LanguageRanker, text: Callable[[int], str]) -> None:
    reading = ranker.read("green tea steeps")
    values = values_by_text(text, reading, coverage(reading))
    assert values["Green tea steeps for"] == pytest.approx(1.0)
    assert values["Green tea steeps for"] > values["A good green tea"] > values["Tea is a drink"] > 0


def test_relevance_is_bm25f_relative_to_the_best_candidate(ranker: LanguageRanker, text: Callable[[int], str]) -> None:
    reading = ranker.read("coffee")
    values = relevance(reading)
    assert values[0] == 1.0 and all(0 < v <= 1 for v in values)
    assert {text(u).split()[0] for u in reading.candidates.tolist()} <= {"Coffee", "Water"}


def test_heading_is_how_fully_the_question_restates_the_section_heading(
    ranker: LanguageRanker, text: Callable[[int], str]
) -> None:
    reading = ranker.read("where does tea grow")
    values = values_by_text(text, reading, heading(reading))
    assert max(values, key=values.__getitem__) == "Tea grows on wet"


def test_figure_counts_only_when_the_question_asks_how_much(ranker: LanguageRanker, text: Callable[[int], str]) -> None:
    asking = ranker.read("how much does green tea cost")
    values = values_by_text(text, asking, figure(asking))
    assert values["A good green tea"] == 1.0 and values["Cheap tea is sold"] == 0.0
    plain = ranker.read("green tea")
    assert not figure(plain).any()


def test_section_lead_prefers_the_paragraph_that_opens_its_section(ranker: LanguageRanker, text: Callable[[int], str]) -> None:
    reading = ranker.read("tea price")
    values = values_by_text(text, reading, section_lead(reading))
    assert values["A good green tea"] == 1.0 and values["Cheap tea is sold"] == 0.0


def test_semantic_gives_the_most_similar_unit_zero_and_the_rest_less(ranker: LanguageRanker) -> None:
    """A made-up similarity per unit stands in for the model's: the signal's arithmetic, not the model, is tested here."""
    reading = ranker.read("green tea")
    similarity = np.linspace(0.80, 0.90, ranker.index.unit_count)
    reading.__dict__["similarity"] = similarity
    values = semantic(reading)
    best = int(np.argmax(similarity[reading.candidates]))
    assert values[best] == pytest.approx(0.0) and (values <= 0).all()
    plain = dataclasses.replace(reading, vector=None)
    plain.__dict__["similarity"] = None
    assert not semantic(plain).any()


def test_a_signal_switched_off_adds_nothing_to_the_score(ranker: LanguageRanker) -> None:
    reading = ranker.read("where does tea grow")
    without = dataclasses.replace(reading, config=RankingConfig(disabled=frozenset({"heading"})))
    weight = reading.config.heading_weight
    assert np.allclose(score(reading, SIGNALS) - score(without, SIGNALS), weight * heading(reading))


def test_common_stop_words_count_less_in_headings_than_rarer_ones() -> None:
    italian = Analyzer("it")
    what, of, role = (heading_weight(INDEX_DEFAULT, italian, italian.token(w)) for w in ("cosa", "di", "ruolo"))
    assert of < what < role == 1.0


def test_confidence_is_the_covered_share_when_there_is_no_semantic_signal(ranker: LanguageRanker) -> None:
    reading = ranker.read("where does tea grow")
    assert np.array_equal(confidence(reading), coverage(reading))


def test_topic_lead_answers_a_question_naming_only_the_topic_with_the_opening_paragraph(
    ranker: LanguageRanker, text: Callable[[int], str]
) -> None:
    reading = ranker.read("tea")
    costs = unit_starting(text, ranker.index.unit_count, "A good green tea")
    assert text(topic_lead(reading, Pick(costs, 0.7, 0.7)).unit).startswith("Tea is a drink")
    assert topic_lead(ranker.read("green tea"), Pick(costs, 0.7, 0.7)).unit == costs


def test_on_topic_forgives_half_an_unknown_word_beside_the_articles_own_words(
    ranker: LanguageRanker, text: Callable[[int], str]
) -> None:
    reading = ranker.read("tea zorblax")
    assert reading.unresolved > 0
    lead = unit_starting(text, ranker.index.unit_count, "Tea is a drink")
    before = float(reading.coverage_share(np.array([lead]))[0])
    after = on_topic(reading, Pick(lead, before, before))
    assert after.confidence > before
    assert after.lexical == after.confidence, "the words alone make it as sure: the language choice reads this"
    bread = unit_starting(text, ranker.index.unit_count, "Bread rises")
    assert on_topic(ranker.read("bread zorblax"), Pick(bread, 0.1, 0.1)).confidence == 0.1


def test_every_switch_is_named_once_and_an_unknown_name_is_refused(tiny: Searcher) -> None:
    assert len(set(SWITCHES)) == len(SWITCHES)
    with pytest.raises(ValueError, match="proximty"):
        Searcher(tiny.index, config=RankingConfig(disabled=frozenset({"proximty"})))


def test_the_config_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        RankingConfig().threshold = 0.1  # type: ignore[misc]


def test_the_lexical_confidence_a_reading_reports_is_the_adjusted_one(ranker: LanguageRanker) -> None:
    """The language of a question is chosen on `Ranked.lexical`: a word forgiven beside the article's own words is forgiven there too."""
    ranked = ranker.rank("tea zorblax")
    assert ranked.lexical == ranked.confidence > float(ranker.read("tea zorblax").coverage.max())


LINKED_TEA = """\
    ---
    title: Tea
    ---
    ## What is tea
    Tea is a drink made from the leaves of the tea plant; most tea is drunk hot.
    ## Tea beside other drinks
    A cup of tea has half the caffeine of a cup of [coffee](/coffee), and it is gentler on the stomach.
    """
LINKED_COFFEE = """\
    ---
    title: Coffee
    ---
    ## What is coffee
    Coffee is a drink made from roasted coffee beans, drunk hot like tea in most countries.
    """


@pytest.fixture
def linked(write: WriteFile, content: Path) -> Searcher:
    """Two articles, the tea article linking to the coffee article in one paragraph."""
    write("tea.en.md", LINKED_TEA)
    write("coffee.en.md", LINKED_COFFEE)
    return Searcher(build_index(load_knowledge_base(content, lambda _: None)))


def test_cross_reference_answers_a_question_on_two_articles_where_one_links_to_the_other(linked: Searcher) -> None:
    ranker = linked.rankers["en"]
    idx = ranker.index
    (unit,) = idx.cross_references
    both = ranker.read("difference between tea and coffee")
    assert dict(zip(both.candidates.tolist(), cross_reference(both), strict=True))[unit] == 1.0
    assert linked.answer("difference between tea and coffee").text.startswith("A cup of tea")
    off = Searcher(linked.index, config=RankingConfig(disabled=frozenset({"cross_reference"})))
    assert not off.answer("difference between tea and coffee").text.startswith("A cup of tea")
    assert not cross_reference(ranker.read("what is coffee")).any(), "a question naming one article relates nothing"
