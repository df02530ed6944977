"""The rules of ranking as named units: signals that score candidates, then adjustments to the pick.

A `Signal` gives each candidate unit of a `Reading` a value, mostly between
0 and 1; the rank score is their weighted sum (`RankingConfig` holds each
weight). The confidence is computed once, from the same values. An adjustment then may change the pick, or how
sure it is. Each is switched off by its name in `RankingConfig.disabled`, so
`benchmarks/ablation.py` can measure what it earns.

A new signal is one more `Signal` in `SIGNALS`, its weight a field of
`RankingConfig`: it is called once per reading, so it works out its
per-question data (a question vector) once, and returns one value per
candidate.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from operator import attrgetter

import numpy as np

from .reading import SEMANTIC, TAUGHT, Reading
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
    lexical: float
    """How sure the question's words alone make it (`lexical_confidence`, as the adjustments leave it)."""


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
    best = scores.max(initial=0.0)
    return scores / best if best else scores


def heading(reading: Reading) -> np.ndarray:
    """How fully the question restates the candidate's section heading (question words live in headings)."""
    return reading.headings


def figure(reading: Reading) -> np.ndarray:
    """1 for a candidate that states a figure when the question asks how much, or names one of the content's
    words for an amount (`LanguageIndex.figure_words`)."""
    if not reading.wants_figure:
        return np.zeros(len(reading.candidates))
    return reading.index.unit_figures[reading.candidates].astype(np.float64)


def section_lead(reading: Reading) -> np.ndarray:
    """1 for a candidate that opens its section: writers answer a heading's question first and elaborate after.

    Between paragraphs of one section that match a question about as well
    ("hvad er et budget", what is a budget, and the two paragraphs under
    "Hvad er et personligt budget?"), the first is the answer.
    """
    return (reading.index.unit_paragraph[reading.candidates] == 0).astype(np.float64)


def cross_reference(reading: Reading) -> np.ndarray:
    """1 for a paragraph that links to another article when the question names both articles.

    A question about two subjects ("differenza tra un rappresentante di
    vendita e un account manager") is answered where the writer relates them,
    and a writer who mentions another article's subject there links to it.
    Every paragraph of either article has the words of one subject in its
    title and of the other, often, in passing, so coverage alone cannot tell
    the paragraph that compares them.
    """
    references = reading.index.cross_references
    if not references:
        return np.zeros(len(reading.candidates))
    prefix = reading.config.prefix
    named = {term for g in reading.groups for term, strength in g.terms if strength >= prefix}
    return np.array(
        [
            1.0 if (names := references.get(unit)) and named & names[0] and named & names[1] else 0.0
            for unit in reading.candidates.tolist()
        ]
    )


def semantic(reading: Reading) -> np.ndarray:
    """How much less similar in meaning each candidate is than the most similar unit, in `semantic_scale` steps (at most 0).

    Embeddings find the paraphrase ("kara gün parası" for the emergency
    fund) that shares no word with its paragraph; the lexical signals find
    what the reader typed, typos and all, and the section whose heading the
    question restates, which a small model reads less well. So the signal
    gives way where the words already tell one candidate from the rest
    (`semantic_yield`): a question that restates a heading keeps its section,
    while "budget", in every paragraph of an article on budgets, is left to
    the meaning.
    """
    similarity = reading.similarity
    if similarity is None:
        return np.zeros(len(reading.candidates))
    config = reading.config
    gap = (similarity[reading.candidates].astype(np.float64) - float(similarity.max())) / config.semantic_scale
    return (1 - config.semantic_yield * lexical_lead(reading)) * gap


def taught(reading: Reading) -> np.ndarray:
    """How near the reader's question is to a taught question that points to the candidate (0 to 1, see `taught`).

    A content owner who taught "kara gün parası ne kadar olmalı" with the
    paragraph on the emergency fund's size said what readers mean by words
    no article uses; a reader asking the same in other words, or in another
    language, is pointed to that paragraph (in their language) as strongly as
    the two questions are alike.
    """
    return reading.taught.of(reading.candidates) ** reading.config.taught_power


def lexical_lead(reading: Reading) -> float:
    """How clearly the words alone single out one candidate: the lexical rank score's lead over the runner-up, up to 1.

    Measured in `semantic_lead` steps of rank score, and counted only as far
    as the leader is sure (its lexical confidence).
    """
    config = reading.config
    scores = score(reading, LEXICAL_SIGNALS)
    if len(scores) < 2:
        return float(lexical_confidence(reading).max(initial=0.0))
    first, second = np.sort(scores)[::-1][:2]
    leader = int(np.argmax(scores))
    return min(1.0, (first - second) / config.semantic_lead) * min(1.0, float(lexical_confidence(reading)[leader]))


SIGNALS: tuple[Signal, ...] = (
    Signal("coverage", attrgetter("coverage_weight"), coverage),
    Signal("relevance", attrgetter("relevance_weight"), relevance),
    Signal("heading", attrgetter("heading_weight"), heading),
    Signal("figure", attrgetter("figure_weight"), figure),
    Signal("section_lead", attrgetter("section_lead_weight"), section_lead),
    Signal("cross_reference", attrgetter("cross_reference_weight"), cross_reference),
    Signal(SEMANTIC, attrgetter("semantic_weight"), semantic),
    Signal(TAUGHT, attrgetter("taught_weight"), taught),
)
"""The signals summed into the rank score, in order (the order of a floating-point sum)."""
LEXICAL_SIGNALS = tuple(signal for signal in SIGNALS if signal.name not in (SEMANTIC, TAUGHT))
"""What the question's words alone say of the content: how clearly they single out one candidate (`lexical_lead`)."""


def score(reading: Reading, signals: tuple[Signal, ...]) -> np.ndarray:
    """Each candidate's rank score: the weighted sum of the signals in use."""
    config = reading.config
    total = np.zeros(len(reading.candidates))
    for signal in signals:
        if config.on(signal.name):
            total = total + signal.weight(config) * signal.values(reading)
    return total


def order(scores: np.ndarray) -> np.ndarray:
    """Positions in `Reading.candidates`, best first (ties keep the candidates' order: the more relevant first)."""
    return np.argsort(-scores, kind="stable")


# -- confidence -------------------------------------------------------------------


def lexical_confidence(reading: Reading) -> np.ndarray:
    """Per candidate, the share of the question's meaning it accounts for (`Reading.coverage_share`)."""
    return reading.coverage


def semantic_confidence(reading: Reading) -> np.ndarray:
    """Per candidate, how sure its similarity in meaning alone makes it, on the scale of `threshold`.

    Calibrated on the question sets: at `semantic_threshold` it is exactly
    `threshold`, and each 0.01 of similarity moves it by `semantic_slope`
    hundredths, so the one decision to answer reads both kinds of evidence.
    """
    config = reading.config
    if reading.similarity is None or not config.on(SEMANTIC):
        return np.zeros(len(reading.candidates))
    similarity = reading.similarity[reading.candidates].astype(np.float64)
    return np.clip(config.threshold + (similarity - config.semantic_threshold) * config.semantic_slope, 0.0, 1.0)


def taught_confidence(reading: Reading) -> np.ndarray:
    """Per candidate, how sure the taught question nearest the reader's that points to it makes it, on the scale of
    `threshold` (0 for a candidate no taught question near the reader's points to)."""
    config = reading.config
    near = reading.taught.of(reading.candidates)
    if not config.on(TAUGHT):
        return np.zeros(len(reading.candidates))
    sure = np.clip(config.threshold + (near - config.taught_threshold) * config.taught_slope, 0.0, 1.0)
    return np.where(near > 0, sure, 0.0)


def confidence(reading: Reading) -> np.ndarray:
    """Per candidate, how sure it answers: the surest of the lexical, the semantic and the taught evidence."""
    found = np.maximum(lexical_confidence(reading), semantic_confidence(reading))
    if not reading.taught.units or not reading.config.on(TAUGHT):
        return found
    return np.maximum(found, taught_confidence(reading))


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
        return Pick(lead, pick.confidence, pick.lexical)
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
    return Pick(pick.unit, max(pick.confidence, float(share[0])), max(pick.lexical, float(share[0])))


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


def taught_no_answer(reading: Reading, pick: Pick) -> Pick:
    """A taught question the knowledge base has no answer to, nearer the reader's than any taught question pointing to
    the pick, takes from its confidence the share by which it is nearer (part of the `taught` signal, `Near.kept`)."""
    if not reading.taught.none:
        return pick
    return Pick(pick.unit, pick.confidence * reading.taught.kept(pick.unit), pick.lexical)


def adjust(reading: Reading, pick: Pick) -> Pick:
    """The pick after every adjustment in use, and last what taught "no answer" questions say of it."""
    for adjustment in ADJUSTMENTS:
        if reading.config.on(adjustment.name):
            pick = adjustment.apply(reading, pick)
    return taught_no_answer(reading, pick) if reading.config.on(TAUGHT) else pick


SWITCHES: tuple[str, ...] = (
    *(signal.name for signal in SIGNALS),
    *(adjustment.name for adjustment in ADJUSTMENTS),
)
"""Everything in ranking that `RankingConfig.disabled` can switch off, in the order it applies."""
