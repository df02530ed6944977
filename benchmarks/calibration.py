"""Fits the calibrated decision (`bot/search/calibration.py`) with each question set held out in turn, and prints the table.

    python benchmarks/calibration.py [--eval benchmarks/eval] [--gate]

Every labelled question set is answered in process exactly as `python -m bot
ask --json` answers it (one conversation per set, as `ablation.py` does), and
each answer's `Weighing` (the candidates the decision weighed, with the
features its models read) is labelled with the evaluation's units: a
candidate is right when it is an expected paragraph. Questions in a language
the content lacks are few (the English set), so every question of the
multilingual sets is also answered across languages as if its own language
were missing (its own language's paragraphs left out): the across-language
models learn from those too, and the English set stays a set of its own.

For each set in turn, the four logistic models are fitted on the other sets
(Newton's method, a small L2 penalty), the decision's thresholds (`sure`,
`close`, `plausible`, `across_answer`) are chosen on the same other sets, as
the grid point with the most `top-1 + reach - OFFER_COST × offered`, and the
held-out set is scored with them: reach (answered right, or an expected
paragraph among the first two alternatives; an out-of-scope question: "no
answer"), offered (in-scope questions that got alternatives), confident (of
the replies without alternatives, how many were right) and top-1, as
`benchmarks/eval/multi/reach.py` counts them. `later.jsonl` measures fresh
wording: it is in no fitting and no choice, only scored as held out. The last
fit, on every set but `later`, is what `Calibration` ships, printed at the end.

The taught features (`TAUGHT_FEATURES`) are zero wherever nobody taught the
knowledge base, so their weights are fitted apart, on questions asked of taught
copies of the multi-article knowledge base (`teaching.py`), every other weight
held where the untaught sets put it: the copy taught `questions.jsonl`, asked
every set over it (`NAME+taught`), and each language's questions of
`questions.jsonl` asked of the copy taught the other four's (`ACROSS_TAUGHT`).
A set is held out taught and untaught alike; `questions.jsonl` asked of the
copy taught it (its own questions asked again) and `later` are never fitted.
The shipped calibration's taught weights are fitted the same way on top of
its other numbers, printed last: a knowledge base nobody taught is answered
exactly as before.

`--gate` also prints what deciding "no answer" on the first candidate's
probability instead of the confidence would do.

The figures are computed from the labelled candidates, so they may differ by
an answer from `reach.py` on `ask --json` (a translation shorter than its
original, a unit the scorer finds in another's text). Question vectors are
kept in `data/cache/calibration-questions.pickle` between runs.
"""

from __future__ import annotations

import argparse
import itertools
import json
import pickle
import sys
import time
from dataclasses import astuple, dataclass, fields, replace
from pathlib import Path

import numpy as np
from ablation import EMBEDDER, ROOT, TAUGHT, Corpus, multi_corpus, seed_corpus, taught_corpus
from fusion_study import unit_labels

from bot.chat.messages import available
from bot.cli import answer_json
from bot.search.calibration import AcrossFirst, AcrossNext, Calibration, Features, First, Model, Next, decide
from bot.search.embedding import MODEL_NAME
from bot.search.index import SearchIndex
from bot.search.searcher import MAX_EMBEDDED_CHARS, Conversation, Searcher, Weighing
from bot.search.tuning import DEFAULT

OFFERED = 0.35
"""The largest share of replies that may come with alternatives (issue 25 counts the in-scope ones): a row of buttons
under most answers would say the bot is never sure, and readers stop reading it."""
L2 = 1.0
"""Ridge penalty of the fits: a few hundred questions per model, so the coefficients stay modest."""
FOREIGN = "en"
"""The language the across-language readings pretend the question is in (the content lacks it)."""
NEVER_FITTED = ("later", "later" + TAUGHT, "multi" + TAUGHT)
"""Sets scored only as held out: fresh wording (`later`, untaught and taught), and the taught questions asked again."""
ACROSS_TAUGHT = "multi" + TAUGHT + " across"
"""The public set's questions in one language, asked of the knowledge base taught those in the other four."""
LANGUAGES = ("tr", "ar", "it", "da", "ru")
"""The multi-article knowledge base's languages: each is asked in turn with the others taught (`ACROSS_TAUGHT`)."""
TAUGHT_FEATURES = ("taught", "taught_elsewhere")
"""The features a taught question gives a candidate (`calibration.First`, `calibration.Next`): their weights are fitted
on the questions asked of taught knowledge bases alone, with the other weights as fitted on the rest held fixed, so that
a knowledge base nobody taught is answered exactly as before."""
SHARED = {"sure": (0.7, 0.75, 0.8, 0.85, 0.9, 0.95), "plausible": (0.1, 0.15, 0.2, 0.3)}
"""The thresholds both kinds of question share, and the values tried. A "no answer" to a question the content cannot
answer is right whatever it offers, so nothing in the tally keeps `plausible` from offering any paragraph: it starts
where one offer in ten would be the paragraph sought."""
CONTENT = {"close": (0.1, 0.15, 0.2, 0.3, 0.4, 0.5)}
"""The thresholds of questions in a content language alone."""
ACROSS = {"across_close": (0.1, 0.15, 0.2, 0.3, 0.4, 0.5), "across_answer": (0.2, 0.3, 0.4, 0.5, 0.6)}
"""The thresholds of questions in a language the content lacks alone."""
QUESTIONS = ROOT / "data" / "cache" / "calibration-questions.pickle"


@dataclass
class Case:
    """One question as the decision met it, and what is right."""

    set: str
    in_scope: bool
    weighing: Weighing | None
    right: list[bool]
    """Per weighed candidate, whether it is an expected paragraph."""
    top1: bool
    """Whether the bot's answer (as `ask --json` gives it) is right."""
    answered: bool
    knowledge_base: str
    simulated: bool = False
    """Answered across languages with its own language's paragraphs left out: fitting data only."""
    taught: bool = False
    """Asked of a taught knowledge base: what the taught features' weights are fitted on."""
    chosen: int = 0
    """The candidate the bot answered (`calibration.Decision.chosen`): `top1` is that one's."""


class RememberedQueries:
    """The question vectors of earlier runs, so a refit does not embed 1,500 questions again."""

    def __init__(self) -> None:
        saved = pickle.loads(QUESTIONS.read_bytes()) if QUESTIONS.exists() else {}
        self.vectors: dict[str, np.ndarray] = saved.get(MODEL_NAME, {})
        self.embed = EMBEDDER.query

    def __call__(self, text: str) -> np.ndarray:
        if text not in self.vectors:
            self.vectors[text] = self.embed(text)
        return self.vectors[text]

    def save(self) -> None:
        QUESTIONS.parent.mkdir(parents=True, exist_ok=True)
        QUESTIONS.write_bytes(pickle.dumps({MODEL_NAME: self.vectors}))


def position_labels(index: SearchIndex) -> dict[tuple[int, int, int], str]:
    """Each unit's label as the evaluation writes it ("article:P3", "article:H"), by (article, section, paragraph)."""
    labels = unit_labels(index)
    return {
        (int(article), int(section), int(paragraph)): label
        for lang, idx in index.by_lang.items()
        for article, section, paragraph, label in zip(
            idx.unit_article, idx.unit_section, idx.unit_paragraph, labels[lang], strict=True
        )
    }


def right(label: str, expect: list[str]) -> bool:
    """The seed sets label units without the article ("P9"): there is one article."""
    return label in expect or label.partition(":")[2] in expect


def labelled(weighing: Weighing | None, labels: dict[tuple[int, int, int], str], expect: list[str]) -> list[bool]:
    if weighing is None:
        return []
    return [right(labels[(w.article_id, w.section, w.paragraph)], expect) for w in weighing.candidates]


def without(index: SearchIndex, lang: str) -> SearchIndex:
    return SearchIndex(
        index.kb, {other: idx for other, idx in index.by_lang.items() if other != lang}, index.fingerprint, index.config
    )


def collect(corpus: Corpus, name: str, taught: bool = False) -> list[Case]:
    """Every question of the corpus's sets as the bot answers it, and again across languages without its own language
    where that language taught nothing (a reader of a language the content lacks has no taught questions of theirs)."""
    searcher = Searcher(corpus.index, detector=corpus.detector, reply_languages=available(), config=DEFAULT, embedder=EMBEDDER)
    labels = position_labels(corpus.index)
    taught_in = {pair.lang for pair in corpus.index.kb.taught}
    across = {
        lang: Searcher(without(corpus.index, lang), reply_languages=available(), config=DEFAULT, embedder=EMBEDDER)
        for lang in corpus.index.by_lang
        if lang not in taught_in
    }
    cases = []
    for questions in corpus.sets:
        conversation = Conversation()
        for case in questions.cases:
            answer = searcher.answer(case["question"], conversation=conversation)
            out = json.loads(answer_json(answer))
            top1 = questions.judge(case, out)
            chosen = 0
            if answer.weighing is not None and answer.kind != "none":
                probabilities = [w.probability for w in answer.weighing.candidates]
                chosen = decide(probabilities, True, DEFAULT.calibration, taught=answer.weighing.pointed).chosen
            cases.append(
                Case(
                    questions.name,
                    bool(case["expect"]),
                    answer.weighing,
                    labelled(answer.weighing, labels, case["expect"]),
                    top1,
                    answer.kind != "none",
                    name,
                    taught=taught,
                    chosen=chosen,
                )
            )
            if case["lang"] in across and len(across) > 1:
                vector = EMBEDDER.query(case["question"][:MAX_EMBEDDED_CHARS])
                found = across[case["lang"]].across_languages(case["question"], FOREIGN, (), vector)
                if found.weighing is not None:
                    right_ones = labelled(found.weighing, labels, case["expect"])
                    simulated = Case(
                        questions.name, bool(case["expect"]), found.weighing, right_ones, False, False, name, True, taught
                    )
                    cases.append(simulated)
    return cases


# -- fitting ------------------------------------------------------------------------------------------


def fit(rows: list[tuple[tuple[float, ...], bool]], names: tuple[str, ...]) -> Model:
    """A logistic model by Newton's method with an L2 penalty on the weights (not the bias)."""
    X = np.array([(1.0, *values) for values, _ in rows])
    y = np.array([float(ok) for _, ok in rows])
    w = np.zeros(X.shape[1])
    penalty = L2 * np.diag([0.0, *np.ones(X.shape[1] - 1)])
    for _ in range(100):
        p = 1 / (1 + np.exp(-np.clip(X @ w, -60, 60)))
        gradient = X.T @ (p - y) + penalty @ w
        hessian = (X * (p * (1 - p))[:, None]).T @ X + penalty
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-9:
            break
    return Model(round(float(w[0]), 2), tuple((name, round(float(v), 2)) for name, v in zip(names, w[1:], strict=True)))


def untaught_values(features: Features) -> tuple[float, ...]:
    """A candidate's features but those a taught question gives it."""
    return tuple(getattr(features, f.name) for f in fields(features) if f.name not in TAUGHT_FEATURES)


def names_of(cases: list[Case], across: bool, first: bool) -> tuple[str, ...]:
    """The features but the taught ones of the first (or another) candidate of one kind of question."""
    for case in cases:
        if case.weighing and case.weighing.across == across and (first or len(case.weighing.candidates) > 1):
            features = case.weighing.candidates[0 if first else 1].features
            return tuple(f.name for f in fields(features) if f.name not in TAUGHT_FEATURES)
    raise SystemExit("no weighed question to fit on")


def fit_taught(model: Model, rows: list[tuple[Features, bool]], names: tuple[str, ...]) -> Model:
    """`model` with the weights of the taught features `names` fitted on `rows`, its other weights and bias held fixed
    (their sum an offset): Newton's method with the L2 penalty of `fit`."""
    if not names:
        return model
    offset = np.array([model.bias + sum(w * getattr(f, name) for name, w in model.weights) for f, _ in rows])
    X = np.array([[getattr(f, name) for name in names] for f, _ in rows]).reshape(len(rows), len(names))
    y = np.array([float(ok) for _, ok in rows])
    w = np.zeros(len(names))
    for _ in range(100):
        p = 1 / (1 + np.exp(-np.clip(offset + X @ w, -60, 60)))
        step = np.linalg.solve((X * (p * (1 - p))[:, None]).T @ X + L2 * np.eye(len(names)), X.T @ (p - y) + L2 * w)
        w -= step
        if np.abs(step).max() < 1e-9:
            break
    return Model(model.bias, (*model.weights, *((name, round(float(v), 2)) for name, v in zip(names, w, strict=True))))


def fit_models(cases: list[Case], base: Calibration) -> Calibration:
    """The four models fitted on `cases`: each first candidate, and each other candidate, of each kind of question.

    The questions asked of a knowledge base nobody taught fit every weight but the taught features'; those are fitted
    on the questions asked of taught ones, the rest held fixed (`TAUGHT_FEATURES`)."""
    models = {}
    untaught = [c for c in cases if not c.taught]
    for across, key_first, key_next in ((False, "first", "next"), (True, "across_first", "across_next")):
        weighed = [c for c in untaught if c.weighing and c.weighing.across == across]
        firsts = [(untaught_values(c.weighing.candidates[0].features), c.right[0]) for c in weighed]
        others = [
            (untaught_values(w.features), ok)
            for c in weighed
            for w, ok in zip(c.weighing.candidates[1:], c.right[1:], strict=True)
        ]
        first = fit(firsts, names_of(untaught, across, True))
        models[key_first], models[key_next] = with_taught(first, fit(others, names_of(untaught, across, False)), cases, across)
    return replace(base, **models)


def with_taught(first: Model, following: Model, cases: list[Case], across: bool) -> tuple[Model, Model]:
    """The models of one kind of question (in a content language, or `across` languages) with their taught features'
    weights fitted on the questions of that kind asked of taught knowledge bases, every other weight held fixed."""
    taught = [c for c in cases if c.taught and c.weighing and c.weighing.across == across]
    firsts = [(c.weighing.candidates[0].features, c.right[0]) for c in taught]
    others = [(w.features, ok) for c in taught for w, ok in zip(c.weighing.candidates[1:], c.right[1:], strict=True)]
    kinds = (AcrossFirst, AcrossNext) if across else (First, Next)
    return (
        fit_taught(first, firsts, tuple(n for n in TAUGHT_FEATURES if hasattr(kinds[0], n))),
        fit_taught(following, others, tuple(n for n in TAUGHT_FEATURES if hasattr(kinds[1], n))),
    )


# -- the decision, simulated ----------------------------------------------------------------------------


@dataclass
class Tally:
    top1: int = 0
    reach: int = 0
    offered: int = 0
    in_scope: int = 0
    plain: int = 0
    plain_right: int = 0
    out_of_scope_none: int = 0
    out_of_scope_offered: int = 0
    count: int = 0

    def add(self, case: Case, top1: bool, hits: bool, offered: bool, none: bool) -> None:
        self.count += 1
        self.top1 += top1
        if case.in_scope:
            self.in_scope += 1
            self.offered += offered
            self.reach += top1 or hits
        else:
            self.reach += none
            self.out_of_scope_none += none
            self.out_of_scope_offered += offered
        if not offered:
            self.plain += 1
            self.plain_right += top1

    def __add__(self, other: Tally) -> Tally:
        return Tally(*(a + b for a, b in zip(astuple(self), astuple(other), strict=True)))

    def acceptable(self) -> bool:
        """Whether alternatives come with few enough replies: those to questions the content cannot answer count too,
        as `reach.py` does not count them (a "no answer" there is right whatever it offers)."""
        return self.offered + self.out_of_scope_offered <= OFFERED * self.count

    def cells(self) -> list[str]:
        return [
            f"{self.reach}/{self.count} ({100 * self.reach / max(1, self.count):.0f}%)",
            f"{self.offered}/{self.in_scope} ({100 * self.offered / max(1, self.in_scope):.0f}%)",
            f"{self.plain_right}/{self.plain} ({100 * self.plain_right / max(1, self.plain):.0f}%)",
            str(self.top1),
            f"{self.out_of_scope_none}/{self.count - self.in_scope}",
        ]


def probabilities(cases: list[Case], calibration: Calibration) -> list[list[float]]:
    """Per case, each weighed candidate's probability under `calibration`'s models (none when nothing was weighed)."""
    out = []
    for case in cases:
        if case.weighing is None:
            out.append([])
            continue
        across = case.weighing.across
        first, others = (calibration.across_first, calibration.across_next) if across else (calibration.first, calibration.next)
        found = [(first if i == 0 else others).probability(w.features) for i, w in enumerate(case.weighing.candidates)]
        out.append([found[0] * case.weighing.kept, *found[1:]])
    return out


def score(
    cases: list[Case], calibration: Calibration, gate: float | None = None, known: list[list[float]] | None = None
) -> Tally:
    """What readers of `cases` would get from the decision with `calibration` (`gate`: "no answer" below this P1 too).

    `known` are the cases' probabilities under `calibration`'s models, when already worked out.
    """
    tally = Tally()
    for case, p in zip(cases, known or probabilities(cases, calibration), strict=True):
        if case.weighing is None:
            tally.add(case, case.top1, False, False, not case.answered)
            continue
        if case.weighing.across:
            answerable = p[0] >= calibration.across_answer
            top1 = (case.right[0] if case.in_scope else False) if answerable else not case.in_scope
        elif gate is not None:
            answerable = case.weighing.answerable and p[0] >= gate
            top1 = case.top1 if answerable else not case.in_scope
        else:
            answerable, top1 = case.weighing.answerable, case.top1
        decision = decide(p, answerable, calibration, case.weighing.across, case.weighing.pointed)
        if answerable and decision.chosen != case.chosen:
            top1 = case.right[decision.chosen]
        offered = decision.offered
        tally.add(case, top1, any(case.right[i] for i in offered), bool(offered), not answerable)
    return tally


def choose(cases: list[Case], calibration: Calibration) -> Calibration:
    """The thresholds with the most readers answered right or one tap away (top-1 + reach) on `cases`, among those
    `acceptable` on each knowledge base's questions; the ones with the fewest offers among equals.

    Questions really asked in a language the content lacks decide the thresholds of answers across languages when
    there are any among `cases`; the simulated ones only when there are none (the English set held out): their
    similarities run lower than those of a language the model reads best. The thresholds of the two kinds of
    question are tried apart, for each value of those they share, and their tallies added. Only questions asked of a
    knowledge base nobody taught choose them, so that one is answered as before.
    """
    cases = [c for c in cases if not c.taught]
    real_across = any(c.weighing and c.weighing.across and not c.simulated for c in cases)
    judged = [(c, p) for c, p in zip(cases, probabilities(cases, calibration), strict=True) if not (real_across and c.simulated)]
    groups: dict[tuple[bool, str, bool], tuple[list[Case], list[list[float]]]] = {}
    for case, p in judged:
        across = bool(case.weighing and case.weighing.across)
        own, its = groups.setdefault((across, case.knowledge_base, case.simulated), ([], []))
        own.append(case)
        its.append(p)

    def tallies(across: bool, settings: dict[str, float]) -> dict[tuple[str, bool], Tally]:
        candidate = replace(calibration, **settings)
        return {
            (base, simulated): score(own, candidate, known=its)
            for (kind, base, simulated), (own, its) in groups.items()
            if kind == across
        }

    best: tuple[int, int, Calibration] | None = None
    for shared in itertools.product(*SHARED.values()):
        common = dict(zip(SHARED, shared, strict=True))
        content = [
            (dict(zip(CONTENT, v, strict=True)), tallies(False, {**common, **dict(zip(CONTENT, v, strict=True))}))
            for v in itertools.product(*CONTENT.values())
        ]
        across = [
            (dict(zip(ACROSS, v, strict=True)), tallies(True, {**common, **dict(zip(ACROSS, v, strict=True))}))
            for v in itertools.product(*ACROSS.values())
        ]
        for (mine, ours), (theirs, their_tallies) in itertools.product(content, across):
            combined = {**ours}
            for key, tally in their_tallies.items():
                combined[key] = combined[key] + tally if key in combined else tally
            if not all(tally.acceptable() for (_, simulated), tally in combined.items() if not simulated):
                continue
            total = sum(combined.values(), Tally())
            if best is None or (total.top1 + total.reach, -total.offered) > best[:2]:
                best = (total.top1 + total.reach, -total.offered, replace(calibration, **common, **mine, **theirs))
    if best is None:
        raise SystemExit("no thresholds offer alternatives to few enough questions (OFFERED) on the training sets")
    return best[2]


def fitted(cases: list[Case]) -> Calibration:
    return choose(cases, fit_models(cases, Calibration()))


def asked(name: str) -> str:
    """The question set a set's questions come from, taught or not: a set held out is held out taught and untaught."""
    return "multi" if name == ACROSS_TAUGHT else name.removesuffix(TAUGHT)


def shipped_with_taught(cases: list[Case]) -> Calibration:
    """The shipped calibration with its taught features' weights fitted on `cases`, every other number as shipped."""
    shipped = DEFAULT.calibration
    untaught = {name: replace(model, weights=untaught_weights(model)) for name, model in vars_of(shipped).items()}
    first, following = with_taught(untaught["first"], untaught["next"], cases, across=False)
    across_first, across_next = with_taught(untaught["across_first"], untaught["across_next"], cases, across=True)
    return replace(shipped, first=first, next=following, across_first=across_first, across_next=across_next)


def vars_of(calibration: Calibration) -> dict[str, Model]:
    """The calibration's models by name."""
    return {f.name: getattr(calibration, f.name) for f in fields(calibration) if isinstance(getattr(calibration, f.name), Model)}


def untaught_weights(model: Model) -> tuple[tuple[str, float], ...]:
    return tuple((name, weight) for name, weight in model.weights if name not in TAUGHT_FEATURES)


def taught_corpora(eval_dir: Path) -> list[Corpus]:
    """The multi-article knowledge base taught its public set, asked every set; and each of its languages' public
    questions asked of it taught the other four's (`ACROSS_TAUGHT`)."""
    across = []
    for lang in LANGUAGES:
        corpus = taught_corpus(eval_dir, [other for other in LANGUAGES if other != lang], [lang])
        sets = [replace(s, name=ACROSS_TAUGHT) for s in corpus.sets if s.name == "multi" + TAUGHT]
        across.append(Corpus(corpus.index, corpus.detector, sets))
    return [taught_corpus(eval_dir), *across]


# -- the table ---------------------------------------------------------------------------------------------


def table(cases: list[Case], names: list[str]) -> str:
    shipped = DEFAULT.calibration
    header = [
        "set",
        "today's top-1",
        "reach",
        "offered",
        "confident",
        "top-1",
        "out of scope: none",
        "shipped: reach",
        "offered",
        "confident",
        "top-1",
    ]
    lines = ["| " + " | ".join(header) + " |", "|---|" + "---:|" * (len(header) - 1)]
    for name in names:
        held_out = [c for c in cases if c.set == name and not c.simulated]
        training = [c for c in cases if asked(c.set) != asked(name) and c.set not in NEVER_FITTED]
        calibration = fitted(training)
        now = sum(c.top1 for c in held_out)
        tally = score(held_out, calibration).cells()
        ships = score(held_out, shipped).cells()
        lines.append(f"| {name} ({len(held_out)}) | {now} | " + " | ".join(tally) + " | " + " | ".join(ships[:4]) + " |")
        print(f"{name}: held out", file=sys.stderr)
    return "\n".join(lines)


def lists_table(cases: list[Case], calibration: Calibration, names: list[str]) -> str:
    """Of the in-scope questions whose candidates were weighed, how many have a right paragraph among the first and
    the next two, in rank order (today's runners-up) and in the order of their probability."""
    lines = ["| set | weighed, in scope | first | first + next two by rank | by probability | first + next four by rank |"]
    lines.append("|---|---:|---:|---:|---:|---:|")
    for name in names:
        own = [c for c in cases if c.set == name and not c.simulated and c.in_scope and c.weighing and len(c.right) > 1]
        counts = [0, 0, 0, 0]
        for case, p in zip(own, probabilities(own, calibration), strict=True):
            likeliest = sorted(range(1, len(p)), key=lambda i: -p[i])[:2]
            counts[0] += case.right[0]
            counts[1] += any(case.right[:3])
            counts[2] += case.right[0] or any(case.right[i] for i in likeliest)
            counts[3] += any(case.right[:5])
        lines.append(f"| {name} | {len(own)} | " + " | ".join(map(str, counts)) + " |")
    return "\n".join(lines)


def gate_table(cases: list[Case], calibration: Calibration, names: list[str]) -> str:
    """Top-1 and out-of-scope questions told "no answer" when P(first right) must also reach a gate."""
    gates = (None, 0.2, 0.3, 0.4, 0.5)
    lines = ["| set | " + " | ".join("confidence only" if g is None else f"and P1 ≥ {g}" for g in gates) + " |"]
    lines.append("|---|" + "---:|" * len(gates))
    for name in names:
        own = [c for c in cases if c.set == name and not c.simulated]
        cells = []
        for gate in gates:
            tally = score(own, calibration, gate)
            cells.append(f"{tally.top1} ({tally.out_of_scope_none}/{tally.count - tally.in_scope})")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--eval", type=Path, default=ROOT / "benchmarks" / "eval", help="folder of score.py and multi/")
    parser.add_argument("--gate", action="store_true", help="also print a gate on the first candidate's probability")
    parser.add_argument("--sets", nargs="*", help="hold out only these sets (default: every set)")
    args = parser.parse_args()
    started = time.perf_counter()
    queries = RememberedQueries()
    EMBEDDER.query = queries  # type: ignore[method-assign]
    corpora = [seed_corpus(args.eval), multi_corpus(args.eval)]
    cases = [case for corpus, name in zip(corpora, ("seeds", "multi"), strict=True) for case in collect(corpus, name)]
    taught = taught_corpora(args.eval)
    cases += [case for corpus in taught for case in collect(corpus, "multi" + TAUGHT, taught=True)]
    queries.save()
    names = args.sets or list(dict.fromkeys(s.name for corpus in [*corpora, *taught] for s in corpus.sets))
    print(f"{len(cases)} readings in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    print("Each set held out in turn: the models fitted and the thresholds chosen on the other sets (never on later):\n")
    print(table(cases, names))
    final = fitted([c for c in cases if c.set not in NEVER_FITTED])
    print("\nWhere the right paragraph is among the weighed candidates (the shipped models' probabilities):\n")
    print(lists_table(cases, DEFAULT.calibration, names))
    if args.gate:
        print('\n"No answer" also below a probability of the first candidate (top-1, out of scope told "no answer"):\n')
        print(gate_table(cases, final, names))
    print("\nFitted on every set but later (paste into bot/search/calibration.py):\n")
    print(final)
    print("\nThe shipped calibration with the taught features' weights fitted on every taught set but later and the taught")
    print("questions asked again (what ships: a knowledge base nobody taught is answered as before):\n")
    print(shipped_with_taught([c for c in cases if c.set not in NEVER_FITTED]))
    print(f"\n{time.perf_counter() - started:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
