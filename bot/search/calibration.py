"""How likely the first answer is right, which other paragraphs are about as likely, and what the reader is offered.

A person in the bot's place answers when sure, answers and asks back when two
readings are close, and says "I don't know" when nothing fits. That is one
decision with three outcomes, made on probabilities rather than raw scores:

- the probability that the first candidate is right, a logistic model over
  what the ranking already knows of it (`First`, `AcrossFirst`);
- for each other candidate, the probability that it is the right one
  (`Next`, `AcrossNext`), so "about as likely" means the same whatever the
  question;
- `decide`: at `sure` or more the answer stands alone; below it, the
  candidates at least `close` times as likely as the first are offered with
  it, at most `MAX_OFFERED`; a question the content does not answer gets "no
  answer", with the candidates at least `plausible` when there are any. When
  a taught question near the reader's points elsewhere than the first
  candidate, the likeliest candidate is the answer.

Each model is a handful of named coefficients (`Model`) over features that
hold for any article, in any language: how much of the question the words
cover, how clearly they lead, how far the rank score and the meaning of the
paragraph's translations set a candidate apart, and how near a taught
question pointing to it (or elsewhere) is. `benchmarks/calibration.py` fits
them with each question set held out in turn and prints the table that chose
them; the taught features' weights are fitted on taught knowledge bases
alone, the others held fixed, so an untaught one is answered as before;
docs/matching.md says why this form.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, fields
from functools import cache

MAX_OFFERED = 2
"""Other paragraphs offered at most: one row of buttons, each label still readable on a phone."""


@dataclass(frozen=True)
class First:
    """The first candidate of a question in a content language, as the model of its probability reads it."""

    confidence: float
    """How sure the ranking is that it answers at all (the surer of its lexical and semantic confidence), at most 1:
    what tells a question the content cannot answer from one it answers in a paragraph the ranking did not put first."""
    lexical: float
    """Its lexical confidence (the share of the question's meaning its words cover), at most 1."""
    lead: float
    """How clearly the words alone single it out (`signals.lexical_lead`): 0 to 1."""
    margin: float
    """Its rank score's lead over the runner-up's: how far the fused ranking sets it apart."""
    translations: float
    """log(1 + its rank among the candidates by the similarity of its translations to the question): whether the
    meaning of the same paragraph in the other languages agrees that it comes first (0 when it does)."""
    taught: float = 0.0
    """The closeness (0 to 1) of the nearest taught question pointing to it (`taught.Near`)."""
    taught_elsewhere: float = 0.0
    """The closeness of the nearest taught question pointing to another paragraph, or to no answer."""


@dataclass(frozen=True)
class Next:
    """Another candidate of a question in a content language."""

    confidence: float
    """The first candidate's confidence (`First.confidence`): a question nothing answers has no right candidate."""
    gap: float
    """Its rank score minus the first's (at most 0)."""
    lexical: float
    """Its lexical confidence, at most 1."""
    same_section: float
    """1 when it is in the first's section: a near miss is most often the neighbouring paragraph."""
    same_article: float
    """1 when it is in the first's article."""
    translations: float
    """log(1 + its rank among the candidates by the similarity of its translations to the question)."""
    taught: float = 0.0
    """The closeness (0 to 1) of the nearest taught question pointing to it: a reader asked this for it before."""


@dataclass(frozen=True)
class AcrossFirst:
    """The first candidate of a question in a language the content lacks, found by meaning alone."""

    similarity: float
    """Its similarity above `RankingConfig.across_threshold`, in `semantic_scale` steps."""
    margin: float
    """Its similarity's lead over the next paragraph's (another position), in `semantic_scale` steps."""
    spread: float
    """How far it stands out from every paragraph: its similarity less their mean, in their standard deviations.
    A question on a neighbouring subject ("what is the savings rate at my bank") is near many finance paragraphs
    and stands out from none."""
    taught: float = 0.0
    """The closeness (0 to 1) of the nearest taught question pointing to it, by words or meaning (`taught.Near`). Unlike a
    question in a content language, its model reads no closeness of questions taught for other paragraphs: fitted, it
    weighed them at nothing, and a near "no answer" question acts as it does on any question (`taught.Near.kept`)."""


@dataclass(frozen=True)
class AcrossNext:
    """Another candidate of a question in a language the content lacks."""

    gap: float
    """Its similarity less the first's, in `semantic_scale` steps (at most 0)."""
    taught: float = 0.0
    """The closeness (0 to 1) of the nearest taught question pointing to it."""


Features = First | Next | AcrossFirst | AcrossNext


def points_to(features: Features) -> bool:
    """Whether a taught question near the reader's points to this candidate, not the first (what `decide` may move to)."""
    return isinstance(features, Next | AcrossNext) and features.taught > 0


@dataclass(frozen=True)
class Model:
    """A logistic model: the probability is 1 / (1 + exp(-(bias + Σ weight × feature))).

    `weights` name the fields of the features it reads, in their order, so a
    coefficient cannot be applied to the wrong feature.
    """

    bias: float
    weights: tuple[tuple[str, float], ...]

    def probability(self, features: Features) -> float:
        if _names(type(features)) != tuple(name for name, _ in self.weights):
            raise ValueError(f"a model of {[name for name, _ in self.weights]} applied to {list(_names(type(features)))}")
        z = self.bias + sum(weight * getattr(features, name) for name, weight in self.weights)
        return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))


@cache
def _names(kind: type) -> tuple[str, ...]:
    """The features a kind of candidate has, in order (worked out once: a question weighs a dozen candidates)."""
    return tuple(f.name for f in fields(kind))


@dataclass(frozen=True)
class Calibration:
    """The fitted numbers of the decision (`benchmarks/calibration.py` refits them and prints how they were chosen)."""

    first: Model = Model(
        -3.47,
        (
            ("confidence", 2.99),
            ("lexical", 2.22),
            ("lead", 1.53),
            ("margin", 0.99),
            ("translations", -1.0),
            ("taught", 0.23),
            ("taught_elsewhere", -0.77),
        ),
    )
    """P(the first candidate is right), question in a content language."""
    next: Model = Model(
        -3.43,
        (
            ("confidence", 1.32),
            ("gap", 1.7),
            ("lexical", 1.63),
            ("same_section", 0.65),
            ("same_article", 1.2),
            ("translations", -0.87),
            ("taught", 0.62),
        ),
    )
    """P(another candidate is the right one), question in a content language."""
    across_first: Model = Model(
        -0.72, (("similarity", 0.19), ("margin", 0.91), ("spread", 0.25), ("taught", -0.2))
    )
    """P(the first candidate is right), question in a language the content lacks."""
    across_next: Model = Model(-1.51, (("gap", 1.51), ("taught", -0.51)))
    """P(another candidate is the right one), question in a language the content lacks."""
    sure: float = 0.95
    """Probability of the first candidate from which it is answered alone."""
    close: float = 0.3
    """Share of the first's probability from which another candidate is offered beside it."""
    across_close: float = 0.1
    """The same for a question in a language the content lacks, whose candidates' probabilities come from other models."""
    plausible: float = 0.15
    """Probability from which a candidate is offered with a "no answer"."""
    across_answer: float = 0.5
    """Probability of the first candidate from which a question in a language the content lacks is answered; below
    it the reply is "no answer" (the words of a question in a content language decide that: `RankingConfig.threshold`)."""
    pool: int = 12
    """Candidates weighed, best first by rank score (or by similarity across languages): the right paragraph is nearly
    always among them, and the decision offers two at most."""


@dataclass(frozen=True)
class Decision:
    """Whether a candidate is the answer, which (a position in the pool: the likeliest, see `decide`), and which
    candidates are offered one tap away."""

    answer: bool
    offered: tuple[int, ...]
    chosen: int = 0


def decide(
    probabilities: list[float],
    answerable: bool,
    calibration: Calibration,
    across: bool = False,
    taught: Sequence[bool] = (),
) -> Decision:
    """The three outcomes from the candidates' probabilities (the first candidate's first).

    An answerable question is answered; unless its answer is `sure`, the
    others at least `close` (`across_close` for a question `across`
    languages) times as likely are offered, most likely first. A question
    that is not gets "no answer", and when its first candidate is at least
    `plausible` (the question may be one the content answers, in words the
    ranking did not weigh well), the candidates at least as likely, the first
    among them.

    The answer is the likeliest candidate, which is not always the first: the
    rank score adds the signals by fixed weights, the probabilities weigh them
    by how often each was right, reading what the rank score cannot (the
    runner-up shares the first's section, the translations' meaning agrees
    with it). When the two disagree, the reader gets both readings where
    the first by rank is close enough to be offered at all (`close`; none is
    beside a `sure` answer): it comes before the others. Across languages the
    runners-up's model reads little but their gap, so there the first stays
    the answer unless a taught question near the reader's points to another
    candidate (`taught`), which the probabilities weigh against how clearly
    the similarities chose.
    """
    if not probabilities:
        return Decision(answerable, ())
    chosen = 0
    if answerable and (not across or any(taught[1:])):
        likeliest = max(range(len(probabilities)), key=lambda i: probabilities[i])
        if probabilities[likeliest] > probabilities[0]:
            chosen = likeliest
    first = probabilities[chosen]
    order = sorted((i for i in range(len(probabilities)) if i not in (0, chosen)), key=lambda i: -probabilities[i])
    order = [0, *order] if chosen else order
    if not answerable:
        if first < calibration.plausible:
            return Decision(False, ())
        likeliest_first = sorted(range(len(probabilities)), key=lambda i: -probabilities[i])
        offered = tuple(i for i in likeliest_first if probabilities[i] >= calibration.plausible)[:MAX_OFFERED]
        return Decision(False, offered)
    if first >= calibration.sure:
        return Decision(True, (), chosen)
    share = calibration.across_close if across else calibration.close
    close = [i for i in order if probabilities[i] >= share * first]
    return Decision(True, tuple(close[:MAX_OFFERED]), chosen)
