"""Why the semantic signal is embedded and fused as it is: the alternatives, measured on every labelled question set.

    python benchmarks/fusion_study.py [--eval benchmarks/eval]

1. **What to embed, and how to compare.** The semantic signal alone: how
   often the unit most similar to the question is a right one, among the
   units of the question's language, for the answerable questions of the
   multi-article sets. Ways to represent a unit: its paragraph with title and
   heading (what the bot embeds), its best sentence (each embedded with title
   and heading), its mean similarity over its translations, and its own
   similarity plus a fifth of its best translation's (units of translations
   line up by position here). Ways to compare, each a remedy the retrieval
   literature offers for a small model: the question embedded as a passage
   as well as a query (half its similarity added); hubness reduction (CSLS:
   a unit's mean similarity to its five nearest units, times 0.3, taken off,
   as paragraphs near everything draw questions that are not theirs); and
   pseudo-relevance feedback (the question moved 0.3 towards its two nearest
   units, Rocchio's rule).
2. **How to fuse.** The rank score of `signals` with the hand-set weights of
   `tuning`, against a linear model over the same signal values (a softmax
   over each question's candidates, fitted by gradient descent), evaluated
   leave-one-set-out over every set, and trained on the seed article's sets
   alone and tested on the multi-article sets, whose articles it never saw.
   A second model adds one more value, "the highlights, for a question that
   asks no summary", the one a model over these features could find that the
   hand weights lack. Summary questions are left out: they get the
   highlights whatever ranks first.

Each cell is right top-1 answers (ranking only: no threshold, no
adjustments, so not the bot's score). Sentence vectors are kept in the bot's
vector store, so only the first run embeds them (about a minute).
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from ablation import EMBEDDER, MULTI_BLIND, ROOT, VECTORS, corpus, read_cases
from score_across import ENGLISH

from bot.search.embedding import MODEL_NAME, text_keys
from bot.search.index import HIGHLIGHTS, LanguageIndex, SearchIndex, unit_heading, unit_text
from bot.search.ranking import LanguageRanker
from bot.search.signals import SIGNALS
from bot.search.tuning import DEFAULT
from bot.search.vectors import VectorStore, embed_into

SENTENCE_END = re.compile(r"(?<=[.!?؟])\s+")
MULTI_SETS = ("multi", *(path.stem.removeprefix("questions_") for path in MULTI_BLIND))


def unit_labels(index: SearchIndex) -> dict[str, list[str]]:
    """Per language, each unit's label as the evaluation writes it: "article:P3" (paragraphs counted per article) or "article:H"."""
    keys, labels = index.kb.articles.keys, {}
    for lang, idx in index.by_lang.items():
        counted: dict[int, int] = {}
        own = []
        for article, section in zip(idx.unit_article.tolist(), idx.unit_section.tolist(), strict=True):
            if section == HIGHLIGHTS:
                own.append(f"{keys[article]}:H")
            else:
                counted[article] = counted.get(article, 0) + 1
                own.append(f"{keys[article]}:P{counted[article]}")
        labels[lang] = own
    return labels


def right(label: str, expect: list[str]) -> bool:
    """The seed sets label units without the article ("P9"): there is one article."""
    return label in expect or label.partition(":")[2] in expect


@dataclass
class Labelled:
    name: str
    index: SearchIndex
    cases: list[dict]


def question_sets(eval_dir: Path) -> list[Labelled]:
    seeds = corpus(ROOT / "seeds", []).index
    multi = corpus(eval_dir / "multi" / "kb", []).index
    paths = [p for p in sorted((ROOT / "tests" / "data").glob("questions*.jsonl")) if p != ENGLISH] + [eval_dir / "dev.jsonl"]
    sets = [Labelled(p.stem.removeprefix("questions_"), seeds, read_cases(p)) for p in paths]
    sets.append(Labelled("multi", multi, read_cases(eval_dir / "multi" / "questions.jsonl")))
    sets.extend(Labelled(path.stem.removeprefix("questions_"), multi, read_cases(path)) for path in MULTI_BLIND)
    return sets


# -- 1. what to embed ---------------------------------------------------------------


def sentence_texts(index: SearchIndex, idx: LanguageIndex) -> list[list[str]]:
    """Per unit, each sentence (each highlight) with the article's title and the heading, as units are embedded."""
    texts = []
    for article_id, section, paragraph in zip(
        idx.unit_article.tolist(), idx.unit_section.tolist(), idx.unit_paragraph.tolist(), strict=True
    ):
        article = index.kb.articles[article_id]
        if section == HIGHLIGHTS:
            parts = list(article.highlights)
        else:
            parts = [s for s in SENTENCE_END.split(unit_text(article, section, paragraph)) if s.strip()]
        texts.append([f"{article.title}. {unit_heading(article, section)}. {part}" for part in parts])
    return texts


def embedding_choices(sets: list[Labelled]) -> str:
    store = VectorStore(VECTORS, MODEL_NAME)
    index = sets[-1].index
    labels = unit_labels(index)
    sentences = {lang: sentence_texts(index, idx) for lang, idx in index.by_lang.items()}
    flat = {
        int(key): text for texts in sentences.values() for unit in texts for key, text in zip(text_keys(unit), unit, strict=True)
    }
    found = store.find(np.fromiter(flat, dtype=np.uint64, count=len(flat)))
    embed_into(store, {key: text for (key, text), have in zip(flat.items(), found, strict=True) if not have}, EMBEDDER)

    def vectors(texts: list[str]) -> np.ndarray:
        parts: list[np.ndarray] = []
        assert store.gather(text_keys(texts), parts.append) is not None, "every sentence was embedded above"
        return np.concatenate(parts).astype(np.float32)

    sentence_vectors = {lang: [vectors(unit) for unit in units] for lang, units in sentences.items()}
    positions = {lang: {label: at for at, label in enumerate(own)} for lang, own in labels.items()}
    columns = [
        "paragraph (the bot)",
        "best sentence",
        "mean over translations",
        "+ 0.2 best translation",
        "+ 0.5 question as passage",
        "hubness reduced",
        "pseudo-relevance feedback",
    ]
    lines = ["| question set | " + " | ".join(columns) + " |", "|---|" + "---:|" * len(columns)]
    matrices = {lang: idx.unit_vectors.vectors() for lang, idx in index.by_lang.items() if idx.unit_vectors is not None}
    hubness = {lang: _mean_nearest(matrix, 5) for lang, matrix in matrices.items()}
    for labelled in sets:
        if labelled.name not in MULTI_SETS:
            continue
        answerable = [case for case in labelled.cases if case["expect"]]
        counts = [0] * len(columns)
        for case in answerable:
            lang, text = case["lang"], case["question"][:300]
            question, units = EMBEDDER.query(text), matrices[lang]
            paragraph = units @ question
            sentence = np.array([float((unit @ question).max()) for unit in sentence_vectors[lang]])
            translations = np.array(
                [
                    [
                        similarity[positions[other][label]] if label in positions[other] else paragraph[at]
                        for at, label in enumerate(labels[lang])
                    ]
                    for other, similarity in ((o, matrix @ question) for o, matrix in matrices.items())
                    if other != lang
                ]
            )
            mean = (paragraph + translations.sum(axis=0)) / (len(translations) + 1)
            nearest = np.argsort(-paragraph)[:2]
            feedback = units @ (question + 0.3 * units[nearest].mean(axis=0))
            choices = (
                paragraph,
                sentence,
                mean,
                paragraph + 0.2 * translations.max(axis=0),
                paragraph + 0.5 * (units @ EMBEDDER.passages([text])[0]),
                paragraph - 0.3 * hubness[lang],
                feedback,
            )
            for i, values in enumerate(choices):
                counts[i] += right(labels[lang][int(np.argmax(values))], case["expect"])
        lines.append(f"| {labelled.name} ({len(answerable)}) | " + " | ".join(map(str, counts)) + " |")
    return "\n".join(lines)


def _mean_nearest(vectors: np.ndarray, k: int) -> np.ndarray:
    """Per unit, its mean similarity to its `k` nearest other units: how near it is to everything (its hubness)."""
    similarity = vectors @ vectors.T
    np.fill_diagonal(similarity, -1.0)
    return np.sort(similarity, axis=1)[:, -k:].mean(axis=1)


# -- 2. how to fuse ------------------------------------------------------------------


@dataclass
class Candidates:
    """One question's candidates: their signal values (one column per signal), and which are right."""

    values: np.ndarray
    right: np.ndarray


def candidates(sets: list[Labelled]) -> dict[str, list[Candidates]]:
    """Per set, every answerable non-summary question's candidates as the bot reads them."""
    found: dict[str, list[Candidates]] = {}
    for labelled in sets:
        labels = unit_labels(labelled.index)
        rankers = {lang: LanguageRanker(idx) for lang, idx in labelled.index.by_lang.items()}
        rows = found.setdefault(labelled.name, [])
        for case in labelled.cases:
            lang = case["lang"]
            reading = rankers[lang].read(case["question"], EMBEDDER.query(case["question"][:300]))
            if not case["expect"] or reading.summary or not len(reading.candidates):
                continue
            values = [signal.values(reading) for signal in SIGNALS]
            highlights = labelled.index.by_lang[lang].unit_section[reading.candidates] == HIGHLIGHTS
            values.append(highlights.astype(np.float64))
            ok = np.array([right(labels[lang][unit], case["expect"]) for unit in reading.candidates.tolist()])
            rows.append(Candidates(np.column_stack(values), ok))
    return found


HAND = np.array([signal.weight(DEFAULT) for signal in SIGNALS])
"""The weights the bot ranks with."""


def top1(rows: list[Candidates], weights: np.ndarray, columns: list[int]) -> int:
    return sum(bool(row.right[int(np.argmax(row.values[:, columns] @ weights))]) for row in rows)


def fit(rows: list[Candidates], columns: list[int], steps: int = 300, l2: float = 0.01) -> np.ndarray:
    """Weights maximising the likelihood that a right candidate ranks first (softmax over each question's candidates; Adam)."""
    rows = [row for row in rows if row.right.any()]
    values = np.concatenate([row.values[:, columns] for row in rows])
    good = np.concatenate([row.right for row in rows]).astype(np.float64)
    starts = np.cumsum([0] + [len(row.right) for row in rows[:-1]])
    sizes = np.diff(np.append(starts, len(good)))
    weights, m, v = np.zeros(len(columns)), np.zeros(len(columns)), np.zeros(len(columns))
    for step in range(1, steps + 1):
        scores = values @ weights
        scores -= np.repeat(np.maximum.reduceat(scores, starts), sizes)
        p = np.exp(scores)
        p /= np.repeat(np.add.reduceat(p, starts), sizes)
        target = p * good
        target /= np.repeat(np.add.reduceat(target, starts), sizes)
        gradient = ((p - target)[:, None] * values).sum(axis=0) / len(rows) + l2 * weights
        m, v = 0.9 * m + 0.1 * gradient, 0.999 * v + 0.001 * gradient**2
        weights -= 0.05 * (m / (1 - 0.9**step)) / (np.sqrt(v / (1 - 0.999**step)) + 1e-8)
    return weights


def fusion_choices(found: dict[str, list[Candidates]]) -> str:
    signals = list(range(len(SIGNALS)))
    models = {"fitted, same signals": signals, "fitted, + highlights": [*signals, len(SIGNALS)]}
    seed_only = [row for name, rows in found.items() if name not in MULTI_SETS for row in rows]
    everything = [row for rows in found.values() for row in rows]
    header = [
        "hand weights (the bot)",
        *(f"{name}, leave-one-set-out" for name in models),
        *(f"{name}, trained on the seed sets" for name in models),
    ]
    lines = ["| question set | " + " | ".join(header) + " |", "|---|" + "---:|" * len(header)]
    cells: dict[str, list[int]] = {name: [top1(rows, HAND, signals)] for name, rows in found.items()}
    for columns in models.values():
        for name, rows in found.items():
            held_out = [row for other, others in found.items() if other != name for row in others]
            cells[name].append(top1(rows, fit(held_out, columns), columns))
    for columns in models.values():
        weights = fit(seed_only, columns)
        for name, rows in found.items():
            cells[name].append(top1(rows, weights, columns) if name in MULTI_SETS else -1)
    total = [sum(c[i] for c in cells.values()) for i in range(1 + len(models))]
    for name, row in cells.items():
        lines.append(f"| {name} ({len(found[name])}) | " + " | ".join("" if c < 0 else str(c) for c in row) + " |")
    lines.append(f"| all ({len(everything)}) | " + " | ".join(map(str, total)) + " |" + " |" * len(models))
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--eval", type=Path, default=ROOT / "benchmarks" / "eval", help="folder of dev.jsonl and multi/")
    args = parser.parse_args()
    sets = question_sets(args.eval)
    print("What to embed and how to compare (semantic signal alone, top-1 right):\n")
    print(embedding_choices(sets))
    print("\nHow to fuse (top-1 right, non-summary answerable questions):\n")
    print(fusion_choices(candidates(sets)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
