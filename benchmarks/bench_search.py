"""Speed and memory of the bot on knowledge bases of growing size, whose vocabulary grows as real text's does.

    python benchmarks/bench_search.py [--sizes 1000 10000 30000] [--questions 400] [--warm-runs 3] [--synthetic-vectors]

For each size the realistic corpus of `corpus.py` is generated (N articles in
five languages plus the seeds; kept between runs) and measured the way a user
meets the bot, `python -m bot ask --json` as a whole process pinned to one
core: a cold build (empty cache), warm starts, the serving process's peak
memory over `--questions` questions typed as people type, and the
proportional memory of four processes serving the same index; then, in one
process, per-question latency and a naive baseline (rapidfuzz
`process.extractOne` over every paragraph) on the same questions, for a
ratio. Prints a markdown table; the JSON of each run goes to
benchmarks/out/realistic-results-*.json. See benchmarks/README.md.

Everything but the cold build is measured on the lexical path (`SEMANTIC=off`)
unless `--synthetic-vectors`: then, once the index is built, the vector store
is filled with random unit vectors (seeded), one per unit, keyed by the text
the bot would embed for it, and every later measurement has the semantic
signal on, over every unit of every language. Embedding 100,000 paragraphs
takes hours here; the similarity, the store and its memory cost the same
whatever the vectors say. The questions are embedded for real, by the model,
as the bot embeds them (the worker's JSON gives that part of the latency apart).
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
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
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


SYNTHETIC_SEED = 22


def fill_synthetic_vectors(content: Path, cache: Path, seed: int = SYNTHETIC_SEED) -> dict[str, float]:
    """Give every unit of the cached index of `content` a random unit vector in the bot's vector store (under `cache`).

    The keys are the index's own (`LanguageIndex.unit_keys`, the hash of the
    text the bot embeds for each unit), so the bot finds every language
    complete and attaches its vectors as it would after `python -m bot embed`.
    Written through the bot's `VectorStore`, in whatever format it keeps.
    """
    import numpy as np

    from bot.language.langdetect import guess_article_language
    from bot.search.embedding import DIMENSIONS, MODEL_NAME
    from bot.search.index_cache import load_index
    from bot.search.vectors import VectorStore

    started = time.perf_counter()
    index = load_index(content, cache, guess_article_language)
    keys = np.unique(np.concatenate([idx.unit_keys for idx in index.by_lang.values()]))
    vectors = np.random.default_rng(seed).standard_normal((len(keys), DIMENSIONS), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    VectorStore(cache / "embeddings", MODEL_NAME).add(keys, vectors)
    return {
        "units": sum(idx.unit_count for idx in index.by_lang.values()),
        "vectors": len(keys),
        "seconds": time.perf_counter() - started,
    }


def worker(mode: str, content: Path, cache: Path, question_file: Path) -> dict[str, float]:
    """One measurement in this process, pinned to one core.

    `latency`: start-up from the cache and per-question latency; `warm`: the
    same and the naive baseline. `SEMANTIC=off` in the environment switches
    the semantic signal off, as it does for the bot.
    """
    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    from rapidfuzz import process

    from bot.config import Settings
    from bot.search.loading import load_searcher

    result: dict[str, float] = {}
    started = time.perf_counter()
    semantic = os.environ.get("SEMANTIC", "on").strip().lower() not in {"off", "false", "0", "no"}
    searcher = load_searcher(Settings(content, cache, "en", "WARNING", semantic=semantic))
    result["startup_s"] = time.perf_counter() - started
    embedding: list[float] = []
    if searcher.embedder is not None:
        embed = searcher.embedder.query

        def timed(text: str):  # noqa: ANN202 - the embedder's own signature
            began = time.perf_counter()
            try:
                return embed(text)
            finally:
                embedding.append((time.perf_counter() - began) * 1000)

        searcher.embedder.query = timed  # type: ignore[method-assign]
    asked = json.loads(question_file.read_text(encoding="utf-8"))
    for q in asked[:20]:
        searcher.answer(q)
    latencies, besides = [], []
    embedding.clear()
    for q in asked:
        started, embedded = time.perf_counter(), len(embedding)
        searcher.answer(q)
        latencies.append((time.perf_counter() - started) * 1000)
        besides.append(latencies[-1] - sum(embedding[embedded:]))
    result["mean_ms"] = sum(latencies) / len(latencies)
    result["p50_ms"] = _percentile(latencies, 0.5)
    result["p99_ms"] = _percentile(latencies, 0.99)
    result["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result["embedded"] = len(embedding)
    result["embed_p50_ms"] = _percentile(embedding, 0.5) if embedding else 0.0
    result["besides_embedding_p50_ms"] = _percentile(besides, 0.5)
    result["besides_embedding_p99_ms"] = _percentile(besides, 0.99)
    result["semantic_languages"] = sum(idx.unit_vectors is not None for idx in searcher.index.by_lang.values())
    if mode == "latency":
        return result
    paragraphs = [p for a in searcher.index.articles for s in a.sections for p in s.paragraphs]
    naive = []
    for q in asked[: max(20, len(asked) // 10)]:
        started = time.perf_counter()
        process.extractOne(q, paragraphs)
        naive.append((time.perf_counter() - started) * 1000)
    result["naive_p50_ms"] = _percentile(naive, 0.5)
    result["naive_p99_ms"] = _percentile(naive, 0.99)
    return result


def _run_worker(
    mode: str, content: Path, cache: Path, question_file: Path, extra_env: dict[str, str] | None = None
) -> dict[str, float]:
    cmd = [sys.executable, __file__, "worker", mode, str(content), str(cache), str(question_file)]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "PYTHONPATH": str(ROOT), **(extra_env or {})}
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


# The realistic corpus (`--corpus realistic`, see corpus.py) is measured the way a
# user meets the bot: `python -m bot ask --json` as a whole process, on one core.
BOT = ["taskset", "-c", "0", sys.executable, "-m", "bot", "ask", "--json"]
FIRST_QUESTION = "maaş aralığı nedir"


def _bot_env(content: Path, cache: Path, semantic: str | None = "off") -> dict[str, str]:
    env = {**os.environ, "CONTENT_DIR": str(content), "CACHE_DIR": str(cache), "OMP_NUM_THREADS": "1"}
    env.update({"OPENBLAS_NUM_THREADS": "1", "LOG_LEVEL": "WARNING"})
    env.pop("SEMANTIC", None)
    if semantic is not None:
        env["SEMANTIC"] = semantic
    return env


def _high_water(pid: int) -> float:
    """The peak resident set of a running process (VmHWM), in MiB; 0 once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry))
    return found


def run_bot(env: dict[str, str], questions: list[str], watch: bool = False) -> dict[str, object]:
    """`python -m bot ask --json` answering `questions` from stdin: wall time, peak memory, answers, stderr.

    `peak_mib` is the process's `ru_maxrss` from wait4 (which also covers the
    children it waited for, and which Linux carries over an exec from the
    forked copy of this process: after this process has generated a corpus,
    it is this process's size, not the bot's); with `watch`, a thread reads
    the peak (VmHWM, which an exec resets) of the process and of each child
    while they run, so the build child's peak is told apart from the serving
    process's, and neither is this process's.
    """
    with tempfile.TemporaryDirectory() as scratch:
        stdin_path, out_path, err_path = (Path(scratch) / name for name in ("in", "out", "err"))
        stdin_path.write_text("".join(q + "\n" for q in questions), encoding="utf-8")
        peaks: dict[int, float] = {}
        done = threading.Event()
        with stdin_path.open() as stdin, out_path.open("w") as out, err_path.open("w") as err:
            started = time.perf_counter()
            proc = subprocess.Popen(BOT, stdin=stdin, stdout=out, stderr=err, env=env, cwd=ROOT)

            def watcher() -> None:
                while not done.is_set():
                    for pid in [proc.pid, *_children(proc.pid)]:
                        peaks[pid] = max(peaks.get(pid, 0.0), _high_water(pid))
                    done.wait(0.02)

            thread = threading.Thread(target=watcher, daemon=True)
            if watch:
                thread.start()
            _, status, usage = os.wait4(proc.pid, 0)
            elapsed = time.perf_counter() - started
            done.set()
            proc.returncode = os.waitstatus_to_exitcode(status)
            if watch:
                thread.join()
        answers = [json.loads(line) for line in out_path.read_text(encoding="utf-8").splitlines() if line.strip()]
        stderr = err_path.read_text(encoding="utf-8")
    if proc.returncode != 0 or len(answers) != len(questions):
        raise RuntimeError(f"bot exited {proc.returncode} after {len(answers)} answers: {stderr[-2000:]}")
    children = [peak for pid, peak in peaks.items() if pid != proc.pid]
    return {
        "seconds": elapsed,
        "peak_mib": usage.ru_maxrss / 1024,
        "serving_peak_mib": peaks.get(proc.pid, 0.0),
        "child_peak_mib": max(children, default=0.0),
        "first_answer": answers[0],
        "stderr_lines": stderr.splitlines(),
    }


def _memory_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} for process {pid}")


def shared_memory(env: dict[str, str], count: int = 4) -> dict[str, float]:
    """PSS of one serving process alone, then of `count` serving the same index, each after answering a question."""
    procs: list[subprocess.Popen[str]] = []

    def start() -> None:
        proc = subprocess.Popen(
            BOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, cwd=ROOT, text=True
        )
        procs.append(proc)
        assert proc.stdin and proc.stdout
        proc.stdin.write(FIRST_QUESTION + "\n")
        proc.stdin.flush()
        json.loads(proc.stdout.readline())

    try:
        start()
        alone = _memory_kib(procs[0].pid, "Pss") / 1024
        for _ in range(count - 1):
            start()
        pss = [_memory_kib(p.pid, "Pss") / 1024 for p in procs]
        rss = [_memory_kib(p.pid, "Rss") / 1024 for p in procs]
    finally:
        for proc in procs:
            if proc.stdin:
                proc.stdin.close()
        for proc in procs:
            proc.wait(timeout=60)
    return {"one_pss_mib": alone, "pss_mib": sum(pss), "rss_mib": sum(rss), "ratio": sum(pss) / alone, "count": count}


def measure_realistic(
    size: int, question_count: int, warm_runs: int, semantic_once: bool, synthetic: bool = False
) -> dict[str, object]:
    """Every whole-process measurement of the realistic corpus of `size` generated articles (and the seeds).

    With `synthetic`, all but the cold build have the semantic signal, over synthetic unit vectors.
    """
    from corpus import write

    content, cache = OUT / f"realistic-{size}", OUT / f"realistic-cache-{size}"
    distinct = write(size, content)
    question_file = OUT / f"realistic-questions-{size}.json"
    asked = questions(content, question_count)
    question_file.write_text(json.dumps(asked, ensure_ascii=False), encoding="utf-8")
    shutil.rmtree(cache, ignore_errors=True)
    env = _bot_env(content, cache)
    cold = run_bot(env, [FIRST_QUESTION], watch=True)
    cold["progress_lines"] = len(cold.pop("stderr_lines"))
    filled = None
    if synthetic:
        filled = fill_synthetic_vectors(content, cache)
        env = _bot_env(content, cache, semantic="on")
    warm = [run_bot(env, [FIRST_QUESTION]) for _ in range(warm_runs)]
    for run in warm:
        run.pop("stderr_lines")
    served = run_bot(env, asked, watch=True)
    served.pop("stderr_lines")
    latency = _run_worker("warm", content, cache, question_file, {"SEMANTIC": env["SEMANTIC"]})
    row: dict[str, object] = {
        "semantic": env["SEMANTIC"],
        "synthetic_vectors": filled,
        "files": len(list(content.glob("*.md"))),
        "articles": size,
        "distinct_words": distinct,
        "cold": cold,
        "warm": warm,
        "served": served,
        "latency": latency,
        "shared": shared_memory(env),
    }
    if semantic_once and not synthetic:
        semantic = run_bot(_bot_env(content, cache, semantic=None), [FIRST_QUESTION])
        semantic["stderr_lines"] = semantic["stderr_lines"][-3:]
        row["warm_semantic_default"] = semantic
    return row


def realistic_table(rows: list[dict[str, object]]) -> str:
    lines = [
        "| files | distinct words (tr / ar / it / da / ru) | cold build (whole process) | build child peak | warm start | mean | p50 | p99 | serving peak (all the questions) | PSS one / four (ratio) | naive p50 | naive ÷ ours (p50) |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        words = " / ".join(f"{row['distinct_words'][lang] / 1000:.0f}k" for lang in ("tr", "ar", "it", "da", "ru"))
        warm = sorted(run["seconds"] for run in row["warm"])
        cold, latency, shared = row["cold"], row["latency"], row["shared"]
        lines.append(
            f"| {row['files']:,} | {words} | {cold['seconds']:.1f} s | {cold['child_peak_mib']:.0f} MiB "
            f"| {warm[len(warm) // 2]:.2f} s ({warm[0]:.2f}-{warm[-1]:.2f}) | {latency['mean_ms']:.2f} ms | {latency['p50_ms']:.2f} ms "
            f"| {latency['p99_ms']:.2f} ms | {row['served']['serving_peak_mib']:.0f} MiB "
            f"| {shared['one_pss_mib']:.0f} / {shared['pss_mib']:.0f} MiB ({shared['ratio']:.2f}×) "
            f"| {latency['naive_p50_ms']:.0f} ms | {latency['naive_p50_ms'] / latency['p50_ms']:.0f}× |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command")
    work = sub.add_parser("worker")
    work.add_argument("mode", choices=["warm", "latency"])
    work.add_argument("content", type=Path)
    work.add_argument("cache", type=Path)
    work.add_argument("questions", type=Path)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 30000], help="generated articles")
    parser.add_argument("--questions", type=int, default=400)
    parser.add_argument("--warm-runs", type=int, default=3, help="warm starts per size (the table gives the median)")
    parser.add_argument(
        "--synthetic-vectors", action="store_true", help="the semantic signal on, over random unit vectors for every unit"
    )
    args = parser.parse_args()
    if args.command == "worker":
        print(json.dumps(worker(args.mode, args.content, args.cache, args.questions)))
        return 0

    sys.path.insert(0, str(ROOT))
    OUT.mkdir(exist_ok=True)
    rows = []
    for size in args.sizes:
        rows.append(
            measure_realistic(
                size, args.questions, args.warm_runs, semantic_once=size == min(args.sizes), synthetic=args.synthetic_vectors
            )
        )
        print(f"measured {size} articles", file=sys.stderr)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (OUT / f"realistic-results-{stamp}.json").write_text(json.dumps(rows, indent=2, ensure_ascii=False), encoding="utf-8")
    if args.synthetic_vectors:
        print("The semantic signal on, over synthetic unit vectors for every unit; questions embedded by the model.\n")
    print(realistic_table(rows))
    for row in rows if args.synthetic_vectors else []:
        latency = row["latency"]
        print(
            f"\n{row['files']:,} files: {latency['embedded']} of {args.questions} questions embedded, "
            f"{latency['embed_p50_ms']:.1f} ms at p50; besides embedding p50 {latency['besides_embedding_p50_ms']:.2f} ms, "
            f"p99 {latency['besides_embedding_p99_ms']:.2f} ms"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
