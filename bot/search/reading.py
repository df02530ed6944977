"""A question as one language's signals see it: its words, their matches, and what each candidate unit has of them.

`LanguageRanker.read` works this out once per question and language; every
signal (`signals`) then reads from the same `Reading`, so a value two of them
need (the share of the question a unit covers, how fully it restates a
heading) is computed once. A signal that needs its own per-question data (a
question vector, a similarity per unit) works it out in its one call per
reading.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from ..language.analysis import Token
from .index import LanguageIndex
from .taught import NOWHERE, Near
from .tuning import RankingConfig

SEMANTIC = "semantic"
"""Name of the semantic signal (see `signals.semantic`), which also brings its own candidates."""
TAUGHT = "taught"
"""Name of the taught questions' signal (see `signals.taught`), which also brings its own candidates."""


@dataclass
class Group:
    """One word of the question and the index terms it resolved to."""

    token: Token
    weight: float
    terms: list[tuple[int, float]] = field(default_factory=list)


@dataclass(frozen=True)
class QuestionWords:
    """A question's words as heading matching needs them, worked out once per question rather than per heading."""

    each: list[tuple[set[int], float]]
    """Per word: the index terms it may stand for, and its weight."""
    ids: set[int]
    total: float


@dataclass(frozen=True)
class Evidence:
    """Per unit of the index: what the question's matched words give it."""

    relevance: np.ndarray
    """BM25F relevance."""
    covered: np.ndarray
    """The question's weight the unit covers, a loose match covering less."""
    hit_weight: np.ndarray
    """The weight of the question's words the unit has at all."""

    @classmethod
    def of(cls, idx: LanguageIndex, groups: list[Group], full_strength: float) -> Evidence:
        """A word that resolved to several terms (a synonym group, a compound's parts) counts once per unit, by its best term there.

        A match of `full_strength` or more covers its word fully.
        """
        relevance = np.zeros(idx.unit_count, dtype=np.float32)
        covered = np.zeros(idx.unit_count, dtype=np.float32)
        hit_weight = np.zeros(idx.unit_count, dtype=np.float32)
        for group in groups:
            if len(group.terms) == 1:
                term_id, strength = group.terms[0]
                units, weights = idx.postings(term_id)
                relevance[units] += group.weight * strength * weights
                covered[units] += group.weight * min(1.0, strength / full_strength)
                hit_weight[units] += group.weight
            elif group.terms:
                best = np.zeros(idx.unit_count, dtype=np.float32)
                hit = np.zeros(idx.unit_count, dtype=np.float32)
                for term_id, strength in group.terms:
                    units, weights = idx.postings(term_id)
                    best[units] = np.maximum(best[units], strength * weights)
                    hit[units] = np.maximum(hit[units], min(1.0, strength / full_strength))
                relevance += group.weight * best
                covered += group.weight * hit
                hit_weight += group.weight * (hit > 0)
        return cls(relevance, covered, hit_weight)

    def leaders(self, count: int) -> np.ndarray:
        """Up to `count` units with any relevance, most relevant first."""
        nonzero = int(np.count_nonzero(self.relevance))
        if not nonzero:
            return np.zeros(0, dtype=np.int64)
        k = min(count, nonzero)
        top = np.argpartition(-self.relevance, k - 1)[:k]
        return top[np.argsort(-self.relevance[top], kind="stable")]


@dataclass
class Reading:
    """One language's reading of a question, shared by every signal and adjustment."""

    question: str
    index: LanguageIndex
    config: RankingConfig
    tokens: list[Token]
    """The question's words as read (typos corrected), summary cue included."""
    summary: bool
    """Whether the question asks for the key points (a summary cue)."""
    groups: list[Group]
    """The content words searched for (the summary cue left out), with their matches."""
    words: QuestionWords
    wants_figure: bool
    """Whether the question asks how much, or names one of the content's words for an amount (`LanguageRanker.quantity_cues`)."""
    evidence: Evidence
    unresolved: float
    """Weight of the words that matched nothing here and are no other content language's word either."""
    term_names: Sequence[str]
    vector: np.ndarray | None = None
    """The question's embedding, when this language's units have theirs (see `search.embedding`)."""
    taught: Near[int] = NOWHERE
    """How near the question is to the taught ones, and where they point in this language (`taught`)."""
    candidates: np.ndarray = field(init=False)
    """The units the signals score: the most relevant first, then those most similar in meaning that relevance missed,
    then those the nearest taught questions point to."""
    _headings: dict[int, float] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        leaders = self.evidence.leaders(self.config.candidates)
        if self.similarity is not None and self.config.on(SEMANTIC):
            nearest = most_similar(self.similarity, self.config.semantic_candidates)
            leaders = np.concatenate([leaders, nearest[~np.isin(nearest, leaders)]])
        if self.taught.units and self.config.on(TAUGHT):
            pointed = np.fromiter(self.taught.units, dtype=np.int64, count=len(self.taught.units))
            leaders = np.concatenate([leaders, pointed[~np.isin(pointed, leaders)]])
        self.candidates = leaders

    @cached_property
    def similarity(self) -> np.ndarray | None:
        """Per unit of the index, its embedding's similarity to the question's (cosine: both have length 1)."""
        vectors = self.index.unit_vectors
        if self.vector is None or vectors is None:
            return None
        return vectors.similarity(self.vector)

    def article(self, unit: int) -> int:
        return int(self.index.unit_article[unit])

    def coverage_share(self, units: np.ndarray, unknown_weight: float = 1.0) -> np.ndarray:
        """Per unit, the share of the question's meaning it accounts for: the confidence that it answers.

        A word found nowhere counts `unknown_weight` against every unit, a
        word the unit lacks but others have counts `elsewhere_weight`.
        """
        elsewhere_weight = self.config.elsewhere_weight
        elsewhere = elsewhere_weight * sum(g.weight for g in self.groups if g.terms)
        hit = self.evidence.hit_weight[units].astype(np.float64)
        denominator = unknown_weight * self.unresolved + elsewhere + (1 - elsewhere_weight) * hit
        covered = self.evidence.covered[units].astype(np.float64)
        return np.divide(covered, denominator, out=np.zeros_like(covered), where=denominator != 0)

    @cached_property
    def coverage(self) -> np.ndarray:
        """`coverage_share` of each candidate."""
        return self.coverage_share(self.candidates)

    @cached_property
    def headings(self) -> np.ndarray:
        """`heading_of` each candidate."""
        return np.array([self.heading_of(unit) for unit in self.candidates.tolist()], dtype=np.float64)

    def heading_of(self, unit: int) -> float:
        """How fully the question restates the unit's section heading, worked out once per heading."""
        slot = int(self.index.unit_heading[unit])
        if slot not in self._headings:
            self._headings[slot] = heading_match(self.words, *self.index.heading_words(unit), beta=self.config.heading_beta)
        return self._headings[slot]


def heading_match(words: QuestionWords, heading_terms: np.ndarray, heading_weights: np.ndarray, *, beta: float) -> float:
    """How fully the question restates a section heading: F-beta of shared words, stop words included.

    Recall (the question's words found in the heading) weighs more than
    precision, so "hvad laver en account manager" prefers "Forstå, hvad en
    Account Manager gør" to the shorter "Hvad er en Account Manager?".
    """
    if not words.total or not len(heading_terms):
        return 0.0
    heading = dict(zip(heading_terms.tolist(), heading_weights.tolist(), strict=True))
    recall = sum(weight for ids, weight in words.each if not ids.isdisjoint(heading)) / words.total
    precision = sum(w for term_id, w in heading.items() if term_id in words.ids) / sum(heading.values())
    if not recall or not precision:
        return 0.0
    return (1 + beta**2) * precision * recall / (beta**2 * precision + recall)


def most_similar(similarity: np.ndarray, count: int) -> np.ndarray:
    """The `count` most similar units, most similar first and the lower unit first among equals, as a stable sort's
    first `count` are; without sorting them all (sorting 20,000 similarities took 1.2 ms, this 0.02 ms)."""
    if count >= len(similarity):
        return np.argsort(-similarity, kind="stable")
    threshold = np.partition(similarity, len(similarity) - count)[len(similarity) - count]
    near = np.flatnonzero(similarity >= threshold)
    return near[np.argsort(-similarity[near], kind="stable")][:count]
