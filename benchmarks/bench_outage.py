"""How long a reader waits while PostgreSQL is down: the real bot (`python -m bot run`) against the fake Bot API.

    python benchmarks/bench_outage.py [--questions 3]

A throwaway PostgreSQL cluster on 127.0.0.1 (tests/pg.py; as root it runs as
the `postgres` user), the bot polling the fake Bot API (tests/fake_telegram.py)
on the seeds. For each way the server goes away, a reader who chose Italian
asks `--questions` questions and changes their language, and the time from
each message to its reply is printed (or "no reply" after 60 s):

- stopped: `pg_ctl stop -m fast`, as an operator's restart; connections are refused;
- hanging: the server's processes stopped with SIGSTOP, as a server whose
  packets are dropped; connections and statements get no answer.

Then the server is back (started, or SIGCONT), and the script waits for the
first question that finds it back and asks again. The bot's log lines at
WARNING and above follow each case.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.botrunner import BotProcess  # noqa: E402
from tests.fake_telegram import FakeTelegram  # noqa: E402
from tests.pg import Cluster, new_cluster  # noqa: E402

QUESTION = "maaş aralığı nedir"
WAIT = 60.0


def timed(fake: FakeTelegram, user: int, text: str) -> str:
    """Seconds until the bot replies to `text`, and the reply's start."""
    before = len(fake.messages_to(user))
    started = time.perf_counter()
    fake.user_message(text, user_id=user)
    try:
        fake.wait_for(lambda m, p: m == "sendMessage" and p.get("chat_id") == user, count=before + 1, timeout=WAIT)
    except AssertionError:
        return f"no reply within {WAIT:.0f} s"
    reply = fake.messages_to(user)[before]["text"].replace("\n", " ")
    return f"{time.perf_counter() - started:6.2f} s  {reply[:60]}"


def server_processes(cluster: Cluster) -> list[int]:
    """The postmaster and its children."""
    postmaster = int((cluster.data / "postmaster.pid").read_text().split()[0])
    children = Path(f"/proc/{postmaster}/task/{postmaster}/children").read_text().split()
    return [postmaster, *map(int, children)]


def case(fake: FakeTelegram, cluster: Cluster, how: str, user: int, questions: int) -> None:
    process = BotProcess(fake, Path(tempfile.mkdtemp(prefix="kb-bench-outage-")), DATABASE_URL=cluster.url, LOG_LEVEL="WARNING")
    process.start()
    try:
        print(f"\n== {how}")
        print("healthy  /lang it  ", timed(fake, user, "/lang it"))
        print("healthy  question  ", timed(fake, user, QUESTION))
        stopped = server_processes(cluster) if how == "hanging" else []
        if how == "stopped":
            cluster.stop()
        for pid in stopped:
            os.kill(pid, signal.SIGSTOP)
        for _ in range(questions):
            print(f"{how:8} question  ", timed(fake, user, QUESTION))
        print(f"{how:8} /lang da  ", timed(fake, user, "/lang da"))
        if how == "stopped":
            cluster.start()
        for pid in stopped:
            os.kill(pid, signal.SIGCONT)
        back = time.perf_counter()
        asked = 0
        while "the database answers again" not in process.log() and time.perf_counter() - back < WAIT:
            timed(fake, user + 1, QUESTION)
            asked += 1
            time.sleep(0.2)
        print(f"back     found after {time.perf_counter() - back:.1f} s and {asked} questions")
        print("back     /lang da  ", timed(fake, user, "/lang da"))
        print("back     question  ", timed(fake, user, QUESTION))
    finally:
        process.stop()
        lines = [line for line in process.log().splitlines() if line.startswith(("WARNING bot", "ERROR", "CRITICAL"))]
        print("log:", *(line[:160] for line in lines if "schema migrated" not in line), sep="\n  ")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=3, help="questions asked while the server is away")
    args = parser.parse_args()
    fake = FakeTelegram().start()
    cluster = new_cluster()
    try:
        for user, how in ((96_001, "stopped"), (96_101, "hanging")):
            case(fake, cluster, how, user, args.questions)
    finally:
        cluster.remove()
        fake.stop()


if __name__ == "__main__":
    main()
