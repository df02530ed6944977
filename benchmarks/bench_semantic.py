"""What the semantic signal costs: embedding paragraphs at build, and questions at answer time.

    python benchmarks/bench_semantic.py [--eval benchmarks/eval] [--units 400]

Measured in fresh processes pinned to one core, as the bot runs them:

- build: paragraphs embedded per second by the build child's settings (a
  thread per core, batches of `vectors.BATCH`; the child may use every core), on the
  multi-article knowledge base's units repeated to `--units` distinct texts
  (`bench_embed.py` measures this alone, per core, and checks the vectors);
- answer: latency of `Searcher.answer` over the multi-article set's 200
  questions, warm (after one pass), with the semantic signal and without it
  (`RankingConfig.disabled`), p50 and p99, and how many questions needed the
  question's embedding (the rest the words alone decided);
- memory: peak resident set of the answering process with the model loaded.

Prints a markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

BUILD = """
import json, sys, time
from pathlib import Path
from bot.language.langdetect import guess_article_language
from bot.search.embedding import E5Embedder, cores, embedding_text
from bot.search.index import build_index
from bot.content.parsing import load_knowledge_base
from bot.search.vectors import BATCH
index = build_index(load_knowledge_base(Path(sys.argv[1]), guess_article_language))
texts = []
for idx in index.by_lang.values():
    for a, s, p in zip(idx.unit_article, idx.unit_section, idx.unit_paragraph):
        texts.append(embedding_text(index.articles[int(a)], int(s), int(p)))
wanted = int(sys.argv[2])
texts = [f"{texts[i % len(texts)]} ({i // len(texts)})" for i in range(wanted)]
embedder = E5Embedder(cores())
embedder.passages(texts[:BATCH])
started = time.perf_counter()
for start in range(0, len(texts), BATCH):
    embedder.passages(texts[start:start + BATCH])
print(json.dumps({"units": len(texts), "seconds": time.perf_counter() - started}))
"""

ANSWER = """
import json, resource, sys, time
from pathlib import Path
import numpy as np
from bot.chat.messages import available
from bot.language.langdetect import guess_article_language
from bot.search.embedding import E5Embedder
from bot.search.index_cache import Semantic, load_index
from bot.search.searcher import Searcher
from bot.search.tuning import RankingConfig
index = load_index(Path(sys.argv[1]), None, guess_article_language, semantic=Semantic(Path(sys.argv[2]), 10**9))
questions = [json.loads(line)["question"] for line in open(sys.argv[3], encoding="utf-8") if line.strip()]
config = RankingConfig() if sys.argv[4] == "on" else RankingConfig(disabled=frozenset({"semantic"}))
embedder = E5Embedder()
calls = [0]
query = embedder.query
def counted(text):
    calls[0] += 1
    return query(text)
embedder.query = counted
searcher = Searcher(index, reply_languages=available(), config=config, embedder=embedder)
for q in questions:
    searcher.answer(q)
calls[0] = 0
times = []
for q in questions:
    started = time.perf_counter()
    searcher.answer(q)
    times.append((time.perf_counter() - started) * 1000)
print(json.dumps({
    "p50": float(np.percentile(times, 50)), "p99": float(np.percentile(times, 99)), "mean": float(np.mean(times)),
    "embedded": calls[0], "questions": len(questions), "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}))
"""


def run(script: str, *args: str, cores: str = "0") -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        ["taskset", "-c", cores, sys.executable, "-c", script, *args], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--eval", type=Path, default=ROOT / "benchmarks" / "eval")
    parser.add_argument("--units", type=int, default=400)
    parser.add_argument("--vectors", type=Path, default=ROOT / "data" / "cache" / "embeddings")
    args = parser.parse_args()
    kb, questions = args.eval / "multi" / "kb", args.eval / "multi" / "questions.jsonl"
    build = run(BUILD, str(kb), str(args.units), cores="0,1")
    rows = [(switch, run(ANSWER, str(kb), str(args.vectors), str(questions), switch)) for switch in ("off", "on")]
    per_thousand = build["seconds"] / build["units"] * 1000
    print("| measure | value |\n|---|---:|")
    print(f"| build: paragraphs embedded ({build['units']}, two threads) | {per_thousand:.0f} s per 1,000 |")
    for switch, row in rows:
        label = "with the semantic signal" if switch == "on" else "lexical only"
        print(f"| answer {label}: p50 / p99 / mean | {row['p50']:.1f} / {row['p99']:.1f} / {row['mean']:.1f} ms |")
    on = dict(rows)["on"]
    print(f"| questions embedded (the rest decided by their words) | {on['embedded']} of {on['questions']} |")
    for switch, row in rows:
        print(f"| peak memory, semantic {switch} | {row['rss_mib']:.0f} MiB |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
