"""Many people asking at once: the real bot (`python -m bot run`) against the fake Bot API.

    python benchmarks/bench_load.py [--users 200] [--questions 2000] [--rate 150]

The bot runs pinned to one core, the fake Bot API (tests/fake_telegram.py) and
this driver on the other. Two phases, each sending `--questions` questions in
five languages (some out of scope) from `--users` users:

- steady: questions arrive at `--rate` per second (open loop: arrivals do not
  wait for answers), which gives the time from update to reply (p50, p95);
- burst: every question at once, which gives the most answers per second.

Resident memory of the bot is read before, between and after the phases. The
bot's outgoing pace is raised to 1,000 messages a second (MAX_MESSAGES_PER_SECOND)
so the bot, not Telegram's ~30/s allowance, is what is measured; the flood
limit stays at its default (20 per user per minute), which 10 questions per
user stay under.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fake_telegram import FakeTelegram  # noqa: E402

QUESTIONS = [
    "maaş aralığı nedir",
    "hesap yoneticisi ne yapar",
    "ما هي مهام مدير الحساب",
    "نطاق رواتب مديري الحسابات",
    "cosa fa un account manager",
    "fascia di stipendio",
    "hvad laver en kundechef",
    "hvordan far man en hojere lon",
    "что делает менеджер по работе с клиентами",
    "диапазон зарплат",
    "pizza tarifi",
    "what's the weather tomorrow",
]


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def phase(fake: FakeTelegram, users: list[int], count: int, rate: float | None, rng: random.Random) -> dict[str, float]:
    """Send `count` questions (at `rate` per second, or all at once) and time each reply."""
    sent_at: dict[int, list[float]] = {u: [] for u in users}
    answered_before = {u: len(fake.messages_to(u)) for u in users}
    sent_before = fake.count("sendMessage")
    started = time.monotonic()
    for i in range(count):
        if rate:
            delay = started + i / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        user = users[i % len(users)]
        sent_at[user].append(time.monotonic())
        fake.user_message(rng.choice(QUESTIONS), user_id=user, language_code=None)
    fake.wait_for(lambda m, p: m == "sendMessage", count=sent_before + count, timeout=300)
    latencies, last = [], 0.0
    for user in users:
        replies = fake.messages_to(user)[answered_before[user] :]
        for asked, reply in zip(sent_at[user], replies, strict=True):
            latencies.append((reply["_received"] - asked) * 1000)
            last = max(last, reply["_received"])
    return {
        "answers": len(latencies),
        "answers_per_s": len(latencies) / (last - started),
        "p50_ms": percentile(latencies, 0.5),
        "p95_ms": percentile(latencies, 0.95),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--questions", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=100.0, help="arrivals per second in the steady phase")
    args = parser.parse_args()

    cores = sorted(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cores[-1]})
    fake = FakeTelegram(record_times=True).start()
    workdir = Path(tempfile.mkdtemp(prefix="bench-load-"))
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": fake.token,
        "TELEGRAM_API_BASE_URL": fake.base_url,
        "CONTENT_DIR": str(ROOT / "seeds"),
        "CACHE_DIR": str(workdir / "cache"),
        "DATABASE_PATH": str(workdir / "bot.sqlite3"),
        "MAX_MESSAGES_PER_SECOND": "1000",
        "CONTENT_CHECK_SECONDS": "0",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }
    with (workdir / "bot.log").open("wb") as log:
        bot = subprocess.Popen(
            ["taskset", "-c", str(cores[0]), sys.executable, "-m", "bot", "run"], cwd=workdir, env=env, stdout=log, stderr=log
        )
    try:
        if not fake.polling.wait(60):
            raise SystemExit(f"the bot did not start; see {workdir / 'bot.log'}")
        rng = random.Random(5)
        users = list(range(1_000_000, 1_000_000 + args.users))
        phase(fake, users[:20], 40, None, rng)
        memory = [rss_mib(bot.pid)]
        steady = phase(fake, users, args.questions, args.rate, rng)
        memory.append(rss_mib(bot.pid))
        burst = phase(fake, [u + args.users for u in users], args.questions, None, rng)
        memory.append(rss_mib(bot.pid))
    finally:
        bot.terminate()
        bot.wait(30)
        fake.stop()
    result = {
        "users": args.users,
        "questions": args.questions,
        "rate": args.rate,
        "steady": steady,
        "burst": burst,
        "rss_mib": memory,
    }
    out = ROOT / "benchmarks" / "out"
    out.mkdir(exist_ok=True)
    (out / "load.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    print("| phase | questions | users | answers/s | p50 update→reply | p95 update→reply |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, row in (("steady", steady), ("burst", burst)):
        label = f"steady, {args.rate:.0f}/s arriving" if name == "steady" else "burst, all at once"
        print(
            f"| {label} | {row['answers']:,} | {args.users} | {row['answers_per_s']:.0f} | {row['p50_ms']:.0f} ms | {row['p95_ms']:.0f} ms |"
        )
    print(
        f"\nbot memory (RSS): {memory[0]:.0f} MiB after warm-up, {memory[1]:.0f} MiB after steady, {memory[2]:.0f} MiB after burst"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
