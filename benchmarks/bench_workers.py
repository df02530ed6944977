"""Memory of several webhook processes on one host: forked workers against separate processes.

    python benchmarks/bench_workers.py [--size 10000] [--questions 400] [--count 4] [--semantic] [--synthetic-vectors] [--content DIR]

Runs the real bot (`python -m bot run --webhook`) against the fake Bot API
(tests/fake_telegram.py) on the realistic corpus of `benchmarks/corpus.py`
(`--size` generated articles and the seeds; written, and its index cached,
first when missing), or on `--content`, three ways:

- one process;
- `--count` separate processes, each on its own port, as `--count` instances
  on one host are run without workers;
- one process with `--workers COUNT`: workers forked after the index and the
  language models are loaded (`bot/telegram/workers.py`).

Each arrangement is sent the same `--questions` questions (those of
`bench_search.py`: fragments of paragraphs typed as people type, in five
languages, some out of scope) through its webhook, eight at a time, spread
over its ports; once every question is answered, the proportional set size
(`Pss` of `/proc/PID/smaps_rollup`) of every process the bot started is
added up. PSS splits each shared page among the processes that map it, so
the sum is what the arrangement costs the host. The table gives each sum
and its ratio to one process, and the answers per second over the run
(this driver and the fake Bot API share the machine's cores with the bot,
so it is a comparison between rows, not the bot's ceiling). `SEMANTIC=off` (the lexical path) unless
`--semantic`; `--synthetic-vectors` (which implies it) first fills the vector store with random unit
vectors for every unit (see `bench_search.fill_synthetic_vectors`), so the semantic signal is on for every
language of a corpus too large to embed for a benchmark. The JSON goes to benchmarks/out/workers-*.json.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_search import fill_synthetic_vectors, questions  # noqa: E402

from tests.fake_telegram import FakeTelegram  # noqa: E402
from tests.pg import free_port  # noqa: E402
from tests.test_health import message  # noqa: E402
from tests.test_webhook import post  # noqa: E402

SECRET = "bench-workers"


def ensure_corpus(size: int, content: Path | None, semantic: bool) -> tuple[Path, Path]:
    """The content (given, else the realistic corpus of `size` articles) and its warm index cache, made when missing."""
    if content is None:
        content, cache = OUT / f"realistic-{size}", OUT / f"realistic-cache-{size}"
    else:
        cache = OUT / f"cache-{content.resolve().name}"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CONTENT_DIR": str(content), "CACHE_DIR": str(cache)}
    env["SEMANTIC"] = "on" if semantic else "off"
    if not content.is_dir():
        subprocess.run([sys.executable, str(ROOT / "benchmarks" / "corpus.py"), "--write", str(size), str(content)], check=True)
    subprocess.run(
        [sys.executable, "-m", "bot", "ask", "--json", "maaş aralığı nedir"], env=env, cwd=ROOT, check=True, capture_output=True
    )
    return content, cache


def descendants(pid: int) -> list[int]:
    """`pid` and every process under it."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            todo += [int(child) for child in Path(f"/proc/{current}/task/{current}/children").read_text().split()]
        except OSError:
            continue
    return found


def memory_kib(pid: int) -> dict[str, int]:
    fields = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, value = line.split(":", 1)
        fields[name] = int(value.split()[0])
    return fields


def arrangement(fake: FakeTelegram, env: dict[str, str], processes: int, workers: int, asked: list[str]) -> dict[str, object]:
    """Start the bot as `processes` separate processes (each with `workers` workers), ask `asked`, read their memory."""
    started, hooks = [], []
    workdir = Path(tempfile.mkdtemp(prefix="bench-workers-"))
    try:
        for number in range(processes):
            port = free_port()
            hook = f"http://127.0.0.1:{port}/telegram"
            own = {**env, "TELEGRAM_WEBHOOK_URL": hook, "WEBHOOK_PORT": str(port), "WEBHOOK_WORKERS": str(workers)}
            own["DATABASE_PATH"] = str(workdir / f"bot-{number}.sqlite3")
            registered = fake.count("setWebhook")
            log = (workdir / f"bot-{number}.log").open("wb")
            started.append(
                subprocess.Popen([sys.executable, "-m", "bot", "run", "--webhook"], env=own, cwd=workdir, stdout=log, stderr=log)
            )
            fake.wait_for(lambda m, p: m == "setWebhook", count=registered + 1, timeout=120)
            hooks.append(hook)
        users = range(5_000_000, 5_000_000 + len(asked))
        before = fake.count("sendMessage")
        began = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            statuses = list(
                pool.map(lambda i: post(hooks[i % len(hooks)], message(users[i], users[i], asked[i]), SECRET), range(len(asked)))
            )
        assert statuses == [200] * len(asked), statuses
        fake.wait_for(lambda m, p: m == "sendMessage", count=before + len(asked), timeout=600)
        elapsed = time.perf_counter() - began
        pids = [pid for proc in started for pid in descendants(proc.pid)]
        memory = {pid: memory_kib(pid) for pid in pids}
    finally:
        for proc in started:
            proc.send_signal(signal.SIGTERM)
        for proc in started:
            proc.wait(60)
    return {
        "processes": processes,
        "workers": workers,
        "pids": len(pids),
        "pss_mib": sum(m["Pss"] for m in memory.values()) / 1024,
        "rss_mib": sum(m["Rss"] for m in memory.values()) / 1024,
        "private_mib": sum(m["Private_Clean"] + m["Private_Dirty"] for m in memory.values()) / 1024,
        "answer_seconds": elapsed,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=10_000, help="generated articles (default 10000)")
    parser.add_argument("--questions", type=int, default=400)
    parser.add_argument("--count", type=int, default=4, help="processes, and workers (default 4)")
    parser.add_argument("--semantic", action="store_true", help="with the semantic signal (default: SEMANTIC=off)")
    parser.add_argument("--synthetic-vectors", action="store_true", help="--semantic over random unit vectors for every unit")
    parser.add_argument("--content", type=Path, help="another knowledge base instead of the realistic corpus")
    args = parser.parse_args()
    args.semantic = args.semantic or args.synthetic_vectors

    content, cache = ensure_corpus(args.size, args.content.resolve() if args.content else None, args.semantic)
    if args.synthetic_vectors:
        print(f"synthetic vectors: {fill_synthetic_vectors(content, cache)}", file=sys.stderr)
    saved = OUT / f"realistic-questions-{args.size}.json"
    asked = json.loads(saved.read_text(encoding="utf-8")) if saved.is_file() and not args.content else []
    asked = asked[: args.questions] if len(asked) >= args.questions else questions(content, args.questions)
    fake = FakeTelegram().start()
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": fake.token,
        "TELEGRAM_API_BASE_URL": fake.base_url,
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "CONTENT_DIR": str(content),
        "CACHE_DIR": str(cache),
        "SEMANTIC": "on" if args.semantic else "off",
        "CONTENT_CHECK_SECONDS": "0",
        "FLOOD_LIMIT": "off",
        "MAX_MESSAGES_PER_SECOND": "1000",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }
    try:
        rows = [
            ("one process", arrangement(fake, env, 1, 1, asked)),
            (f"{args.count} separate processes", arrangement(fake, env, args.count, 1, asked)),
            (f"{args.count} forked workers", arrangement(fake, env, 1, args.count, asked)),
        ]
    finally:
        fake.stop()
    one = rows[0][1]["pss_mib"]
    OUT.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    result = {"size": args.size, "synthetic_vectors": args.synthetic_vectors, "rows": dict(rows)}
    (OUT / f"workers-{stamp}.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    vectors = " (synthetic vectors)" if args.synthetic_vectors else ""
    print(f"{len(list(content.glob('*.md'))):,} files, {len(asked)} questions, SEMANTIC={env['SEMANTIC']}{vectors}\n")
    print("| arrangement | processes | PSS, all processes | ratio to one | RSS, all processes | private | answers/s |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, row in rows:
        print(
            f"| {name} | {row['pids']} | {row['pss_mib']:.0f} MiB | {row['pss_mib'] / one:.2f}× "
            f"| {row['rss_mib']:.0f} MiB | {row['private_mib']:.0f} MiB | {len(asked) / row['answer_seconds']:.0f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
