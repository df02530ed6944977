"""The rules of ranking as named units: signals that score candidates, then adjustments to the pick.

A `Signal` gives each candidate unit of a `Reading` a value, mostly between
0 and 1; the rank score is their weighted sum (`RankingConfig` holds each
weight), and proximity then raises the leaders. The confidence is computed
once, from the same values. An adjustment then may change the pick, or how
sure it is. Each is switched off by its name in `RankingConfig.disabled`, so
`benchmarks/ablation.py` can measure what it earns.

A new signal (a semantic similarity, say) is one more `Signal` in the tuple
given to `LanguageRanker`: it is called once per reading, so it works out its
per-question data (a question vector) once, and returns one value per
candidate.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import combinations
from operator import attrgetter

import numpy as np

from .reading import Reading
from .tuning import RankingConfig


@dataclass(frozen=True)
class Signal:
    """A named per-candidate value and the config field that weighs it in the rank score."""

    name: str
    weight: Callable[[RankingConfig], float]
    values: Callable[[Reading], np.ndarray]
    """One value per unit of `Reading.candidates`, in that order."""


@dataclass(frozen=True)
class Pick:
    """The unit chosen as the answer, and how sure the ranker is of it (not yet capped at 1)."""

    unit: int
    confidence: float


@dataclass(frozen=True)
class Adjustment:
    """A named rule that may change the pick after ranking."""

    name: str
    apply: Callable[[Reading, Pick], Pick]


# -- signals --------------------------------------------------------------------


def coverage(reading: Reading) -> np.ndarray:
    """The share of the question's meaning each candidate accounts for (`Reading.coverage_share`)."""
    return reading.coverage


def relevance(reading: Reading) -> np.ndarray:
    """BM25F relevance relative to the best candidate's: how much, and in which field, the unit says the words."""
    scores = reading.evidence.relevance[reading.candidates].astype(np.float64)
    return scores / scores[0]


def heading(reading: Reading) -> np.ndarray:
    """How fully the question restates the candidate's section heading (question words live in headings)."""
    return reading.headings


def figure(reading: Reading) -> np.ndarray:
    """1 for a candidate that states a figure when the question asks how much, or about pay or prices."""
    if not reading.wants_figure:
        return np.zeros(len(reading.candidates))
    return reading.index.unit_figures[reading.candidates].astype(np.float64)


def proximity(reading: Reading, units: np.ndarray) -> np.ndarray:
    """Per unit, the share of the question's word pairs (by weight) it has within `proximity_window` words of each other.

    "perché è importante mantenere i clienti" is the paragraph that says
    "mantenere i clienti", not the one that says "mantenere" in one clause
    and "cliente" in another. A question of fewer than two matched words has
    no pair, and gets 0 everywhere.
    """
    named = [(g.weight, {reading.term_names[t] for t, _ in g.terms}) for g in reading.groups if g.terms]
    if len(named) < 2:
        return np.zeros(len(units))
    return np.array([_near_pairs(reading, unit, named) for unit in units.tolist()], dtype=np.float64)


def _near_pairs(reading: Reading, unit: int, named: list[tuple[float, set[str]]]) -> float:
    window = reading.config.proximity_window
    positions: list[list[int]] = [[] for _ in named]
    for at, term in enumerate(reading.unit_terms(unit)):
        for i, (_, names) in enumerate(named):
            if term in names:
                positions[i].append(at)
    total = near = 0.0
    for i, j in combinations(range(len(named)), 2):
        weight = min(named[i][0], named[j][0])
        total += weight
        if any(abs(a - b) <= window for a in positions[i] for b in positions[j]):
            near += weight
    return near / total if total else 0.0


SIGNALS: tuple[Signal, ...] = (
    Signal("coverage", attrgetter("coverage_weight"), coverage),
    Signal("relevance", attrgetter("relevance_weight"), relevance),
    Signal("heading", attrgetter("heading_weight"), heading),
    Signal("figure", attrgetter("figure_weight"), figure),
)
"""The signals summed into the rank score, in order (the order of a floating-point sum)."""

PROXIMITY = "proximity"
"""Name of the signal that raises the leading `proximity_candidates` after the others have ordered them."""


def score(reading: Reading, signals: tuple[Signal, ...]) -> np.ndarray:
    """Each candidate's rank score: the weighted sum of the signals in use."""
    config = reading.config
    total = np.zeros(len(reading.candidates))
    for signal in signals:
        if config.on(signal.name):
            total = total + signal.weight(config) * signal.values(reading)
    return total


def order(reading: Reading, scores: np.ndarray) -> np.ndarray:
    """Positions in `Reading.candidates`, best first; the leading few reordered with their proximity bonus, when it is in use."""
    config = reading.config
    ranked = np.argsort(-scores, kind="stable")
    if not config.on(PROXIMITY):
        return ranked
    head = ranked[: config.proximity_candidates]
    raised = scores[head] + config.proximity_weight * proximity(reading, reading.candidates[head])
    return np.concatenate([head[np.argsort(-raised, kind="stable")], ranked[config.proximity_candidates :]])


# -- confidence -------------------------------------------------------------------

HEADING_CONFIDENCE = "heading_confidence"
"""Name of the rule that a question restating a heading is as sure as it restates it."""


def confidence(reading: Reading) -> np.ndarray:
    """Per candidate, how sure it answers: the share of the question it covers, or, if more, how fully it restates its heading."""
    if not reading.config.on(HEADING_CONFIDENCE):
        return reading.coverage
    return np.maximum(reading.coverage, reading.headings)


# -- adjustments ------------------------------------------------------------------


def topic_lead(reading: Reading, pick: Pick) -> Pick:
    """A question that names only the article's topic gets its opening paragraph, which introduces the topic.

    Every paragraph mentions the topic ("account manager definition", "what
    is an account manager"), so none other is a better answer, unless the
    question restates another section's heading better ("hvad laver en
    account manager", what does one do).
    """
    article = reading.article(pick.unit)
    if not _names_only_topic(reading, article):
        return pick
    lead = reading.index.lead_unit(article)
    if reading.heading_of(lead) >= reading.heading_of(pick.unit):
        return Pick(lead, pick.confidence)
    return pick


def _names_only_topic(reading: Reading, article_id: int) -> bool:
    """Whether every word of the question that the content has names the article's topic (see `index._topic_terms`)."""
    topic = reading.index.topics.get(article_id)
    matched = [g for g in reading.groups if g.terms]
    return bool(topic and matched) and all(any(t in topic for t, _ in g.terms) for g in matched)


def on_topic(reading: Reading, pick: Pick) -> Pick:
    """A word the content lacks counts only `unknown_beside_topic` when every other word runs through the answer's article.

    A question on the article's own topic is not out of scope for one word
    the article lacks ("possibilità" in "ci sono possibilità di fare
    carriera?").
    """
    if not reading.unresolved or not _runs_through(reading, reading.article(pick.unit)):
        return pick
    share = reading.coverage_share(np.array([pick.unit]), reading.config.unknown_beside_topic)
    return Pick(pick.unit, max(pick.confidence, float(share[0])))


def _runs_through(reading: Reading, article_id: int) -> bool:
    """Whether every word of the question that the content has is one the article keeps coming back to.

    The word must be in `on_topic_units` or more of the article's units.
    "carriera" in "ci sono possibilità di fare carriera?" is; "dollar" in
    "what is the dollar rate", found once in a sentence on pay, is not. A
    word that meets the content only by a short stem ("partita", a match,
    and "parte", part, both "part") may be another word altogether, and
    proves nothing.
    """
    idx, names, config = reading.index, reading.term_names, reading.config
    matched = [g for g in reading.groups if g.terms]
    return bool(matched) and all(
        any(
            np.count_nonzero(idx.unit_article[idx.postings(term_id)[0]] == article_id) >= config.on_topic_units
            for term_id, strength in g.terms
            if strength >= config.prefix and (len(names[term_id]) >= config.min_prefix or idx.has_surface(g.token.folded))
        )
        for g in matched
    )


ADJUSTMENTS: tuple[Adjustment, ...] = (
    Adjustment("topic_lead", topic_lead),
    Adjustment("on_topic", on_topic),
)
"""Applied in order to the best candidate."""


def adjust(reading: Reading, pick: Pick) -> Pick:
    """The pick after every adjustment in use."""
    for adjustment in ADJUSTMENTS:
        if reading.config.on(adjustment.name):
            pick = adjustment.apply(reading, pick)
    return pick


SWITCHES: tuple[str, ...] = (
    *(signal.name for signal in SIGNALS),
    PROXIMITY,
    HEADING_CONFIDENCE,
    *(adjustment.name for adjustment in ADJUSTMENTS),
)
"""Everything in ranking that `RankingConfig.disabled` can switch off, in the order it applies."""
