"""Speed and memory of the search core on synthetic knowledge bases of growing size.

    python benchmarks/bench_search.py [--sizes 5 1000 10000] [--questions 400]

For each size a knowledge base is generated from the seed articles (five
languages; words shuffled within paragraphs and a share of them mutated, so the
vocabulary grows as a real corpus's does), then measured in fresh processes
pinned to one core: a cold start (parse, build and write the cache in a child
process, then read it), a warm start (read the cache), per-question latency,
and peak resident memory of the serving process and of the build child. A naive
baseline, rapidfuzz `process.extractOne` over every paragraph, answers the same
questions in the same run, for a ratio. Prints a markdown table; the JSON
results go to benchmarks/out/.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
OUT = Path(__file__).resolve().parent / "out"
OUT_OF_SCOPE = [
    "what is the weather tomorrow",
    "pizza tarifi",
    "ricetta della pizza",
    "vejret i morgen",
    "курс доллара",
    "عاصمة فرنسا",
]


def _mutate(word: str, rng: random.Random) -> str:
    """A plausible new word: one letter changed, or a syllable added."""
    if len(word) < 4 or not word.isalpha():
        return word
    if rng.random() < 0.5:
        i = rng.randrange(1, len(word))
        return word[:i] + rng.choice(word) + word[i + 1 :]
    return word + rng.choice(["ler", "ske", "ino", "ова", "ات", "en", "ti"])


def _shuffle_text(text: str, rng: random.Random, mutation: float) -> str:
    words = text.split()
    rng.shuffle(words)
    return " ".join(_mutate(w, rng) if rng.random() < mutation else w for w in words)


def generate(size: int, folder: Path, seed: int = 7) -> None:
    """`size` articles in five languages; groups of five are translations of one topic."""
    from bot.content.parsing import load_knowledge_base

    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    seeds = load_knowledge_base(SEEDS, lambda _: None).articles
    if size <= len(seeds):
        for path in sorted(SEEDS.glob("*.md"))[:size]:
            shutil.copy(path, folder / path.name)
        return
    rng = random.Random(seed)
    for i in range(size):
        base = seeds[i % len(seeds)]
        topic = f"topic-{i // len(seeds):05d}"
        lines = [
            "---",
            f"title: {_shuffle_text(base.title, rng, 0.5)} {i // len(seeds)}",
            f"description: {_shuffle_text(base.description, rng, 0.3)}",
            "keywords: Careers",
            "---",
            "",
        ]
        lines.append(f"# {base.title}")
        for section in base.sections:
            lines += ["", f"## {_shuffle_text(section.heading, rng, 0.3)}"]
            lines += ["\n" + _shuffle_text(p, rng, 0.3) for p in section.paragraphs]
        lines += ["", f"## {base.highlights_heading}", ""]
        lines += [f"- {_shuffle_text(h, rng, 0.3)}" for h in base.highlights]
        (folder / f"{topic}.{base.lang}.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def questions(folder: Path, count: int, seed: int = 11) -> list[str]:
    """Questions as people type them: a few words from some paragraph, some unaccented, some misspelt."""
    from bot.content.parsing import load_knowledge_base
    from bot.language.textnorm import fold

    rng = random.Random(seed)
    articles = load_knowledge_base(folder, lambda _: None).articles
    out: list[str] = []
    while len(out) < count:
        if rng.random() < 0.1:
            out.append(rng.choice(OUT_OF_SCOPE))
            continue
        article = rng.choice(articles)
        words = rng.choice(rng.choice(article.sections).paragraphs).split()
        start = rng.randrange(max(1, len(words) - 4))
        picked = words[start : start + rng.randint(1, 4)]
        roll = rng.random()
        if roll < 0.3:
            picked = [fold(w) for w in picked]
        elif roll < 0.5:
            picked = [_mutate(w, rng) for w in picked]
        out.append(" ".join(picked))
    return out


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def worker(mode: str, content: Path, cache: Path, question_file: Path) -> dict[str, float]:
    """One measurement in this process, pinned to one core.

    `build`: parse and index time; `cold`: start-up with an empty cache;
    `warm`: start-up from the cache, latency, and the naive baseline.
    """
    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    from rapidfuzz import process

    from bot.config import Settings
    from bot.content.parsing import load_knowledge_base
    from bot.language.langdetect import guess_article_language
    from bot.search.index import build_index
    from bot.search.loading import load_searcher

    result: dict[str, float] = {}
    if mode == "build":
        started = time.perf_counter()
        kb = load_knowledge_base(content, guess_article_language)
        parsed = time.perf_counter()
        build_index(kb)
        result["parse_s"] = parsed - started
        result["build_s"] = time.perf_counter() - parsed
        return result
    started = time.perf_counter()
    searcher = load_searcher(Settings(content, cache, "en", "WARNING"))
    result["startup_s"] = time.perf_counter() - started
    if mode == "cold":
        result["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        result["build_peak_mib"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        return result
    asked = json.loads(question_file.read_text(encoding="utf-8"))
    for q in asked[:20]:
        searcher.answer(q)
    latencies = []
    for q in asked:
        started = time.perf_counter()
        searcher.answer(q)
        latencies.append((time.perf_counter() - started) * 1000)
    result["p50_ms"] = _percentile(latencies, 0.5)
    result["p99_ms"] = _percentile(latencies, 0.99)
    result["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    paragraphs = [p for a in searcher.index.articles for s in a.sections for p in s.paragraphs]
    naive = []
    for q in asked[: max(20, len(asked) // 10)]:
        started = time.perf_counter()
        process.extractOne(q, paragraphs)
        naive.append((time.perf_counter() - started) * 1000)
    result["naive_p50_ms"] = _percentile(naive, 0.5)
    result["naive_p99_ms"] = _percentile(naive, 0.99)
    return result


def _run_worker(mode: str, content: Path, cache: Path, question_file: Path) -> dict[str, float]:
    cmd = [sys.executable, __file__, "worker", mode, str(content), str(cache), str(question_file)]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command")
    work = sub.add_parser("worker")
    work.add_argument("mode", choices=["build", "cold", "warm"])
    work.add_argument("content", type=Path)
    work.add_argument("cache", type=Path)
    work.add_argument("questions", type=Path)
    parser.add_argument("--sizes", type=int, nargs="+", default=[5, 1000, 10000])
    parser.add_argument("--questions", type=int, default=400)
    args = parser.parse_args()
    if args.command == "worker":
        print(json.dumps(worker(args.mode, args.content, args.cache, args.questions)))
        return 0

    sys.path.insert(0, str(ROOT))
    OUT.mkdir(exist_ok=True)
    rows = []
    for size in args.sizes:
        content, cache = OUT / f"kb-{size}", OUT / f"cache-{size}"
        generate(size, content)
        shutil.rmtree(cache, ignore_errors=True)
        question_file = OUT / f"questions-{size}.json"
        question_file.write_text(json.dumps(questions(content, args.questions), ensure_ascii=False), encoding="utf-8")
        build = _run_worker("build", content, cache, question_file)
        cold = _run_worker("cold", content, cache, question_file)
        warm = _run_worker("warm", content, cache, question_file)
        rows.append({"articles": size, "build": build, "cold": cold, "warm": warm})
        print(f"measured {size} articles", file=sys.stderr)
    (OUT / "results.json").write_text(json.dumps(rows, indent=2), encoding="utf-8")
    print(
        "| articles | parse + build | start-up cold | start-up warm | p50 | p99 | peak memory: warm / cold / build child | naive p50 | naive ÷ ours (p50) |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        build, cold, warm = row["build"], row["cold"], row["warm"]
        print(
            f"| {row['articles']:,} | {build['parse_s']:.2f} + {build['build_s']:.2f} s | {cold['startup_s']:.2f} s | {warm['startup_s']:.2f} s "
            f"| {warm['p50_ms']:.2f} ms | {warm['p99_ms']:.2f} ms | {warm['peak_mib']:.0f} / {cold['peak_mib']:.0f} / {cold['build_peak_mib']:.0f} MiB "
            f"| {warm['naive_p50_ms']:.1f} ms | {warm['naive_p50_ms'] / warm['p50_ms']:.0f}× |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
