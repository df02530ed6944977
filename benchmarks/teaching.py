"""A copy of a knowledge base taught a labelled question set, as a content owner would teach it: its `questions.yml`.

    python benchmarks/teaching.py QUESTIONS.jsonl KB OUT [--langs tr,ar,it] [--half 0|1]

Each question of the set is taught with its first expected paragraph (as
`reach.py teach` gives it: the unit the evaluation labels "article:P3", or the
highlights, "article:H"), in the question's language, or, for a question in
a language the knowledge base lacks (English asked of the multi-article
one), in the first of its languages by code, the question's own language
kept; an out-of-scope question is taught as one the knowledge base has no
answer to. The articles
are copied beside the file, so the copy is a content folder the bot reads as
it would any (`CONTENT_DIR=OUT python -m bot ask`). `ablation.py` and
`calibration.py` measure the `taught` signal on such copies.

`--half N` teaches every other question of each language (the N-th of each
pair) and writes the others to `OUT/asked.jsonl`: needs nobody taught, asked
of a folder taught its neighbours', as a bot partly taught meets them. Score
that file against OUT and against KB: teaching should cost them nothing.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from bot.content.articles import HIGHLIGHTS, Article
from bot.content.parsing import load_knowledge_base
from bot.content.taught import TAUGHT_FILE, Asked, ParagraphRef, TaughtEntry, dump_taught, reference
from bot.language.langdetect import guess_article_language

Expect = Callable[[dict], list[str]]
"""A case's expected units, as the evaluation labels them ("article:P3", "article:H")."""


def places(article: Article) -> dict[str, tuple[int, int]]:
    """Each unit's label in `article`: paragraphs numbered in reading order ("P1", ...), the highlights "H"."""
    found: dict[str, tuple[int, int]] = {"H": (HIGHLIGHTS, 0)} if article.highlights else {}
    count = 0
    for s, section in enumerate(article.sections):
        for p in range(len(section.paragraphs)):
            count += 1
            found[f"P{count}"] = (s, p)
    return found


def teach(kb: Path, cases: list[dict], expect: Expect, into: Path) -> Path:
    """Write `into` as a copy of `kb` taught `cases`: the articles and `synonyms.yml` copied, `questions.yml` written."""
    if into.exists():
        shutil.rmtree(into)
    into.mkdir(parents=True)
    for path in kb.iterdir():
        if path.is_file() and path.name != TAUGHT_FILE:
            shutil.copy2(path, into / path.name)
    knowledge = load_knowledge_base(kb, guess_article_language)
    articles = {(article.key, article.lang): article for article in knowledge.articles}
    single = next(iter(articles.values())).key if len({key for key, _ in articles}) == 1 else None
    answers: dict[ParagraphRef | None, list[Asked]] = {}
    for case in cases:
        wanted = expect(case)
        if not wanted:
            answers.setdefault(None, []).append(Asked(case["question"], case["lang"]))
            continue
        key, _, label = wanted[0].rpartition(":")
        key = key or single
        lang = case["lang"] if (key, case["lang"]) in articles else min(code for k, code in articles if k == key)
        article = articles[(key, lang)]
        section, paragraph = places(article)[label]
        asked = Asked(case["question"], None if lang == case["lang"] else case["lang"])
        answers.setdefault(reference(article, section, paragraph), []).append(asked)
    entries = [TaughtEntry(tuple(asked), ref) for ref, asked in answers.items()]
    (into / TAUGHT_FILE).write_text(dump_taught(entries), encoding="utf-8")
    return into


def halves(cases: list[dict], half: int) -> tuple[list[dict], list[dict]]:
    """The cases to teach (the `half`-th of each pair of one language's questions) and the others, to ask."""
    counts: Counter[str] = Counter()
    taught: list[dict] = []
    asked: list[dict] = []
    for case in cases:
        (taught if counts[case["lang"]] % 2 == half else asked).append(case)
        counts[case["lang"]] += 1
    return taught, asked


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("questions", type=Path)
    parser.add_argument("kb", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--langs", default="", help="teach only the questions in these languages (comma-separated)")
    parser.add_argument("--half", type=int, choices=(0, 1), help="teach every other question per language; ask the rest")
    args = parser.parse_args()
    keep = set(args.langs.split(",")) if args.langs else None
    cases = [json.loads(line) for line in args.questions.read_text(encoding="utf-8").splitlines() if line.strip()]
    cases = [case for case in cases if keep is None or case["lang"] in keep]
    asked: list[dict] = []
    if args.half is not None:
        cases, asked = halves(cases, args.half)
    teach(args.kb, cases, lambda case: case["expect"], args.out)
    if asked:
        lines = "".join(json.dumps(case, ensure_ascii=False) + "\n" for case in asked)
        (args.out / "asked.jsonl").write_text(lines, encoding="utf-8")
    print(f"{len(cases)} questions taught in {args.out / TAUGHT_FILE}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
