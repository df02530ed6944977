"""A first `run` on a knowledge base nobody embedded: how soon it answers, and how its answers improve as it embeds.

    python benchmarks/bench_background.py [--generated 145] [--warm] [--workers N] [--every 0]
    python benchmarks/bench_background.py --content DIR --warm --limit 240     # another knowledge base, a while only

The knowledge base is the issue's kind: `--generated` articles of
`benchmarks/corpus.py` (with the seeds) and the five public multi-article
files of benchmarks/eval/multi/kb, 170 files by default, in
benchmarks/out/background-kb-N. Every run starts from an empty vector store
(and, unless `--warm`, an empty index cache: the owner's very first start)
and runs the real bot, `python -m bot run` (by long polling, or with
`--workers` on a webhook), against the fake Bot API (tests/fake_telegram.py),
with nothing but the usual settings: no `embed`, no restart, no command.

It measures the time from the command to the bot polling (or its webhook
registered), and to the first answer, then asks the public question set
(benchmarks/eval/multi/questions.jsonl, 200 questions) through the fake, one
round after another (`--every` seconds apart), each round as one new reader
asking one question after the other as `ask` does, scored as
score_multi.py scores `ask` (a reply without vote buttons is "no answer").
It keeps asking until the bot has logged that every paragraph has its
vector, and one round after. Meanwhile it notes when each of the bot's
progress lines and "semantic signal on" lines appeared, the reply latency
of each round, and the background child's peak memory (VmHWM) and CPU time.

Once every paragraph has its vector, the bot is started again over the
finished store and asked one round (the fully embedded figure through the same
path), and `ask` is scored over it by score_multi.py. The table and the JSON
(benchmarks/out/background-*.json) give per round its start and end, how far
embedding was, which languages had the signal, the score and the reply
latency; then the time each language switched on and the totals. Replies are
to questions the bot has been asked before from the second round on, and it
remembers their vectors: the latency shows whether embedding holds answers
up, not what a question's own embedding costs.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out"
MULTI = ROOT / "benchmarks" / "eval" / "multi"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(MULTI))

from score_multi import judge, load_kb, load_units, normalize_expect  # noqa: E402

from tests.fake_telegram import FakeTelegram  # noqa: E402
from tests.pg import free_port  # noqa: E402
from tests.test_webhook import post  # noqa: E402

SECRET = "bench-background"


def knowledge_base(generated: int) -> Path:
    """`generated` articles of corpus.py and the seeds, with the public multi-article files over them."""
    from corpus import write

    corpus = OUT / f"realistic-{generated}"
    write(generated, corpus)
    folder = OUT / f"background-kb-{generated}"
    if folder.exists():
        shutil.rmtree(folder)
    shutil.copytree(corpus, folder, ignore=shutil.ignore_patterns(".corpus.json"))
    for path in (MULTI / "kb").glob("*.md"):
        shutil.copy(path, folder / path.name)
    return folder


class Log:
    """The bot's output, read as it grows, each line with the seconds since the start at which it was first seen."""

    def __init__(self, path: Path, began: float) -> None:
        self.path, self.began = path, began
        self.lines: list[tuple[float, str]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._follow, daemon=True)
        self._thread.start()

    def _follow(self) -> None:
        with self.path.open("r", encoding="utf-8", errors="replace") as handle:
            pending = ""
            while not self._stop.is_set():
                chunk = handle.readline()
                if not chunk:
                    time.sleep(0.05)
                    continue
                pending += chunk
                if pending.endswith("\n"):
                    self.lines.append((round(time.monotonic() - self.began, 2), pending.rstrip("\n")))
                    pending = ""

    def find(self, text: str) -> list[tuple[float, str]]:
        return [(at, line) for at, line in list(self.lines) if text in line]

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


class Child:
    """The background child's peak memory and CPU time, read from /proc while it lives."""

    def __init__(self, parent: int) -> None:
        self.parent = parent
        self.peak_kib = 0
        self.cpu_seconds = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _children(self) -> list[int]:
        found, todo = [], [self.parent]
        while todo:
            pid = todo.pop()
            try:
                kids = [int(kid) for kid in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
            except OSError:
                continue
            found += kids
            todo += kids
        return found

    def _watch(self) -> None:
        ticks = os.sysconf("SC_CLK_TCK")
        while not self._stop.wait(0.5):
            for pid in self._children():
                try:
                    command = Path(f"/proc/{pid}/cmdline").read_bytes()
                    if b"multiprocessing" not in command or b"bot\0run" in command:
                        continue
                    status = Path(f"/proc/{pid}/status").read_text()
                    stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                peak = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:"))
                self.peak_kib = max(self.peak_kib, peak)
                self.cpu_seconds = max(self.cpu_seconds, (int(stat[11]) + int(stat[12])) / ticks)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def ask_round(fake: FakeTelegram, user: int, questions: list[str], hook: str | None) -> tuple[list[dict], list[float]]:
    """The questions asked one after the other by one reader; each reply as score_multi reads an answer, and its latency."""
    answers, latencies = [], []
    for number, question in enumerate(questions):
        before = len(fake.messages_to(user))
        started = time.monotonic()
        if hook:
            sender = {"id": user, "is_bot": False, "first_name": "Reader"}
            sent = {"message_id": number + 1, "date": int(time.time()), "chat": {"id": user, "type": "private"}, "from": sender}
            assert post(hook, {"update_id": user * 1000 + number, "message": {**sent, "text": question}}, SECRET) == 200
        else:
            fake.user_message(question, user_id=user, language_code=None)
        fake.wait_for(lambda m, p: m == "sendMessage" and p.get("chat_id") == user, count=before + 1, timeout=120)
        latencies.append(time.monotonic() - started)
        reply = fake.messages_to(user)[before]
        markup = reply.get("reply_markup") or {}
        votes = any(b.get("callback_data", "").startswith("v:") for row in markup.get("inline_keyboard", []) for b in row)
        answers.append({"text": reply.get("text", ""), "kind": "paragraph" if votes else "none"})
    return answers, latencies


def restart_round(
    fake: FakeTelegram,
    command: list[str],
    env: dict[str, str],
    workdir: Path,
    cases: list[dict],
    expects: list,
    units,
    hook: str | None,
) -> int:
    """The score of one round from the bot started again over the vectors the first run embedded: the fully embedded
    figure, through the same path."""
    registered = fake.count("setWebhook")
    fake.polling.clear()
    with (workdir / "restarted.log").open("wb") as output:
        bot = subprocess.Popen(command, env=env, cwd=workdir, stdout=output, stderr=output)
    try:
        if hook:
            fake.wait_for(lambda m, p: m == "setWebhook", count=registered + 1, timeout=120)
        else:
            assert fake.polling.wait(120), (workdir / "restarted.log").read_text()
        answers, _ = ask_round(fake, 99_999, [case["question"] for case in cases], hook)
    finally:
        bot.terminate()
        bot.wait(60)
    return sum(judge(case, expect, out, units)[0] for case, expect, out in zip(cases, expects, answers, strict=True))


def memory(pid: int) -> dict[str, int]:
    """Peak resident (VmHWM) and proportional set size (Pss) of a process, in KiB; empty once it has gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text().splitlines()
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()
    except OSError:
        return {}
    fields = {line.split(":")[0]: int(line.split()[1]) for line in status + rollup[1:] if line.split()[-1:] == ["kB"]}
    return {"peak_rss_kib": fields.get("VmHWM", 0), "pss_kib": fields.get("Pss", 0)}


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--generated", type=int, default=145, help="generated articles beside the public ones (default 145)")
    parser.add_argument("--content", type=Path, help="another knowledge base (then only the public set's own articles score)")
    parser.add_argument("--warm", action="store_true", help="build the index cache first (a restart), not at the bot's start")
    parser.add_argument("--workers", type=int, default=0, help="webhook workers (default: long polling, one process)")
    parser.add_argument(
        "--every", type=float, default=0.0, help="seconds between the starts of two rounds (default: back to back)"
    )
    parser.add_argument("--limit", type=float, default=3600.0, help="give up after this many seconds")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    content = args.content.resolve() if args.content else knowledge_base(args.generated)
    files = len(list(content.glob("*.md")))
    cases = [json.loads(line) for line in (MULTI / "questions.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    kb = load_kb(MULTI / "kb")
    expects = [normalize_expect(case, kb) for case in cases]
    units = load_units(MULTI / "kb")
    workdir = Path(tempfile.mkdtemp(prefix="bench-background-"))
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "CONTENT_DIR": str(content),
        "CACHE_DIR": str(workdir / "cache"),
        "DATABASE_PATH": str(workdir / "bot.sqlite3"),
        "FLOOD_LIMIT": "off",
        "CONTENT_CHECK_SECONDS": "0",
    }
    fake = FakeTelegram().start()
    env |= {"TELEGRAM_BOT_TOKEN": fake.token, "TELEGRAM_API_BASE_URL": fake.base_url}
    if args.warm:
        subprocess.run(
            [sys.executable, "-m", "bot", "ask", "x"],
            env={**env, "EMBED_AT_BUILD": "0"},
            cwd=workdir,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        shutil.rmtree(workdir / "cache" / "embeddings", ignore_errors=True)
    command = [sys.executable, "-m", "bot", "run"]
    hook = None
    if args.workers:
        port = free_port()
        hook = f"http://127.0.0.1:{port}/telegram"
        env |= {"TELEGRAM_WEBHOOK_URL": hook, "WEBHOOK_PORT": str(port), "TELEGRAM_WEBHOOK_SECRET": SECRET}
        command += ["--webhook", "--workers", str(args.workers)]
    log_path = workdir / "bot.log"
    began = time.monotonic()
    with log_path.open("wb") as output:
        bot = subprocess.Popen(command, env=env, cwd=workdir, stdout=output, stderr=output)
    log = Log(log_path, began)
    child = Child(bot.pid)
    rounds: list[dict] = []
    finished_at: float | None = None
    try:
        if hook:
            fake.wait_for(lambda m, p: m == "setWebhook", count=1, timeout=120)
        else:
            assert fake.polling.wait(120), log_path.read_text()
        listening = time.monotonic() - began
        first, _ = ask_round(fake, 1, [cases[0]["question"]], hook)
        first_answer = time.monotonic() - began
        user = 100
        while time.monotonic() - began < args.limit:
            start = time.monotonic() - began
            embedded = [line for _, line in log.find("embedding in the background: ")]
            switched = [
                line.split("semantic signal on for ")[1].split(" (")[0] for _, line in log.find("semantic signal on for ")
            ]
            user += 1
            answers, latencies = ask_round(fake, user, [case["question"] for case in cases], hook)
            right = sum(judge(case, expect, out, units)[0] for case, expect, out in zip(cases, expects, answers, strict=True))
            rounds.append(
                {
                    "start_s": round(start, 1),
                    "end_s": round(time.monotonic() - began, 1),
                    "embedding_at_start": embedded[-1] if embedded else "(no progress line yet)",
                    "semantic_languages_at_start": sorted({lang for group in switched for lang in group.split(", ")}),
                    "semantic_languages_at_end": sorted(
                        {
                            lang
                            for _, line in log.find("semantic signal on for ")
                            for lang in line.split("semantic signal on for ")[1].split(" (")[0].split(", ")
                        }
                    ),
                    "right": right,
                    "questions": len(cases),
                    "reply_p50_ms": round(1000 * statistics.median(latencies), 1),
                    "reply_p90_ms": round(1000 * percentile(latencies, 0.9), 1),
                }
            )
            print(json.dumps(rounds[-1], ensure_ascii=False), flush=True)
            done = log.find("every paragraph has its vector")
            if done and finished_at is None:
                finished_at = done[0][0]
            elif finished_at is not None and start > finished_at + 2.5:
                break  # a whole round after the last language switched on (the bot looks every 2 s)
            if args.every:
                time.sleep(max(0.0, start + args.every - (time.monotonic() - began)))
    finally:
        serving = memory(bot.pid)
        bot.terminate()
        bot.wait(60)
        child.stop()
        log.stop()
    restarted, asked = None, "(not run: embedding had not finished)"
    try:
        if finished_at is not None:
            restarted = restart_round(fake, command, env, workdir, cases, expects, units, hook)
    finally:
        fake.stop()
    asked = (
        asked
        if finished_at is None
        else (
            subprocess.run(
                [
                    sys.executable,
                    str(MULTI / "score_multi.py"),
                    str(MULTI / "questions.jsonl"),
                    "--",
                    sys.executable,
                    "-m",
                    "bot",
                    "ask",
                    "--json",
                ],
                env=env,
                cwd=workdir,
                capture_output=True,
                text=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
    )
    result = {
        "files": files,
        "warm_cache": args.warm,
        "workers": args.workers,
        "polling_or_webhook_s": round(listening, 2),
        "first_answer_s": round(first_answer, 2),
        "first_answer": first[0]["text"][:80],
        "progress_lines": [{"at_s": at, "line": line} for at, line in log.find("embedding")],
        "switched_on": [{"at_s": at, "line": line.split(": ", 1)[-1]} for at, line in log.find("semantic signal on for ")],
        "all_embedded_s": finished_at,
        "serving_process_kib": serving,
        "child_peak_rss_mib": round(child.peak_kib / 1024, 1),
        "child_cpu_s": round(child.cpu_seconds, 1),
        "rounds": rounds,
        "restarted_right": restarted,
        "ask_score": asked,
        "load_average": os.getloadavg(),
    }
    name = OUT / f"background-{files}-{'warm' if args.warm else 'cold'}{f'-workers{args.workers}' if args.workers else ''}.json"
    name.write_text(json.dumps(result, indent=2, ensure_ascii=False), encoding="utf-8")
    print(f"\n{files} files, {'warm' if args.warm else 'cold'} index cache, {args.workers or 'no'} workers")
    print(
        f"polling (or webhook registered) after {result['polling_or_webhook_s']} s; first answer after {result['first_answer_s']} s"
    )
    for item in result["progress_lines"] + result["switched_on"]:
        print(f"  {item['at_s']:7.1f} s  {item['line']}")
    print(f"child: peak RSS {result['child_peak_rss_mib']} MiB, {result['child_cpu_s']} s of CPU; the bot's process: {serving}")
    print(
        "\n| round (s) | languages with the signal, at its start → end | right of 200 | reply p50 / p90 (ms) |\n|---|---|---:|---:|"
    )
    for row in rounds:
        languages = (
            f"{', '.join(row['semantic_languages_at_start']) or 'none'} → {', '.join(row['semantic_languages_at_end']) or 'none'}"
        )
        print(
            f"| {row['start_s']}-{row['end_s']} | {languages} | {row['right']} | {row['reply_p50_ms']} / {row['reply_p90_ms']} |"
        )
    print(f"\nthe same bot started again, every vector there from the start: {restarted} right of {len(cases)}")
    print(f"`ask` over the same content and vectors (score_multi.py): {asked}")
    print(f"\n{name}; the bot's log in {log_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
