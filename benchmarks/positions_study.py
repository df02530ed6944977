"""How to read a paragraph's translations for a question in a language the content lacks: by the best one, their
mean, or their mean drawn towards the question's average (`RankingConfig.translation_prior`), on the public knowledge
base as it is and made non-parallel two ways.

    python benchmarks/positions_study.py

By meaning alone (the first position, before the decision): for each answerable question of the English set, the
blind English set and `questions.jsonl` (the latter read without its own language), whether the first position is an
expected one. The knowledge base is `multi/kb` (every article in five languages, the same shape), then two variants
of each of three articles: left in Danish alone ("lone"), and with the Danish translation given an extra opening
paragraph (a copy of its first), so that its paragraphs sit one place on ("shift"). Prints one row per knowledge base:
the right first positions of 275 per method, `max`, `mean`, and `kK`, the mean counting K translations more at the
question's average similarity. The same numbers every run on one machine.
"""

from __future__ import annotations

import collections
import json
from pathlib import Path

import numpy as np
from ablation import EMBEDDER, ROOT, multi_corpus
from calibration import position_labels

from bot.search.searcher import MAX_EMBEDDED_CHARS

Translations = dict[str, dict[str, np.ndarray]]
"""Per position label ("mutual-fund:P3"), each language's vector of it."""

METHODS = ("max", "mean", "k0.5", "k1", "k2")
ARTICLES = ("account-manager", "mutual-fund", "personal-budget")
SETS = (
    ROOT / "tests" / "data" / "questions_english_multi.jsonl",
    ROOT / "benchmarks" / "data" / "questions_english_blind.jsonl",
    ROOT / "benchmarks" / "eval" / "multi" / "questions.jsonl",
)


def parallel() -> Translations:
    corpus = multi_corpus(ROOT / "benchmarks" / "eval")
    labels = position_labels(corpus.index)
    out: Translations = collections.defaultdict(dict)
    for lang, idx in corpus.index.by_lang.items():
        vectors = idx.unit_vectors.vectors()
        for unit in range(len(idx.unit_article)):
            key = (int(idx.unit_article[unit]), int(idx.unit_section[unit]), int(idx.unit_paragraph[unit]))
            out[labels[key]][lang] = vectors[unit]
    return out


def lone(kb: Translations, article: str, keep: str) -> Translations:
    """`article` left in the language `keep` alone."""
    return {key: {lang: v for lang, v in vs.items() if lang == keep or not key.startswith(article + ":")} for key, vs in kb.items()}


def shifted(kb: Translations, article: str, lang: str) -> Translations:
    """`article`'s translation in `lang` with an extra opening paragraph: each of its paragraphs one place on."""
    out = {key: dict(vs) for key, vs in kb.items()}
    paragraphs = sorted((key for key in kb if key.startswith(article + ":P")), key=lambda key: int(key.split(":P")[1]))
    moved = [kb[paragraphs[0]][lang]] + [kb[key][lang] for key in paragraphs]
    for key, vector in zip(paragraphs, moved, strict=False):
        out[key][lang] = vector
    out[f"{article}:P{len(paragraphs) + 1}x"] = {lang: moved[-1]}
    return out


def score(method: str, values: list[float], average: float) -> float:
    if method == "max":
        return max(values)
    if method == "mean":
        return sum(values) / len(values)
    prior = float(method[1:])
    return (sum(values) + prior * average) / (len(values) + prior)


def main() -> None:
    base = parallel()
    variants = {"parallel": base}
    for article in ARTICLES:
        variants[f"lone {article}"] = lone(base, article, "da")
        variants[f"shift {article}"] = shifted(base, article, "da")
    cases = [json.loads(line) for path in SETS for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
    cases = [case for case in cases if case["expect"]]
    vectors = {case["question"]: EMBEDDER.query(case["question"][:MAX_EMBEDDED_CHARS]) for case in cases}
    for name, kb in variants.items():
        right = collections.Counter()
        for case in cases:
            vector = vectors[case["question"]]
            sims = {key: [float(v @ vector) for lang, v in vs.items() if lang != case["lang"]] for key, vs in kb.items()}
            sims = {key: values for key, values in sims.items() if values}
            average = float(np.mean([value for values in sims.values() for value in values]))
            for method in METHODS:
                best = max(sims, key=lambda key, method=method: score(method, sims[key], average))
                right[method] += best in case["expect"] or best.partition(":")[2] in case["expect"]
        print(f"{name:26s}", " ".join(f"{method} {right[method]}" for method in METHODS), f"(of {len(cases)})")


if __name__ == "__main__":
    main()
