"""What `/stats` costs on the largest question log the retention allows: one reader at the flood limit all along.

    python benchmarks/bench_stats.py [--days 30] [--per-day 28800] [--chars 4096] [--database PATH | --database-url URL]

Fills a SQLite database (the default backend), or with `--database-url` an
empty PostgreSQL database, with `--days` days of questions at `--per-day`
(28,800 is one reader at the default flood limit, 20 a minute, around the
clock), each `--chars` characters of Cyrillic words (Telegram's longest
message; two bytes a character) and none answered, all different: the
worst case for the list of unanswered questions. Then it runs
`question_stats`, what `/stats` reads, three times, and reports for each its
time, the longest the event loop went without running anything else, and
the longest another reader's read of their chat (`chat_state`, what every
question starts with) waited meanwhile, from when it was due to when it was
done. Where the store can prune (`prune_questions`), it then prunes the
oldest day and reports the longest batch: with SQLite, the longest the
file's write lock was held at a time.

The database is made by the code this script sits in, so the same script in
an older checkout measures that version. The SQLite file is removed at the
end unless `--database` names where to keep it; a PostgreSQL database is left
as it is, to be dropped.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.storage import Storage  # noqa: E402
from bot.storage.postgres import PostgresStore  # noqa: E402
from bot.storage.records import question_key  # noqa: E402
from bot.storage.sqlite import Store  # noqa: E402

WORDS = [
    "зарплата",
    "менеджер",
    "клиент",
    "отдел",
    "договор",
    "счёт",
    "премия",
    "отпуск",
    "график",
    "офис",
    "проект",
    "отчёт",
    "задача",
    "вопрос",
    "сотрудник",
    "компания",
    "работа",
    "рынок",
    "продажа",
    "цена",
    "скидка",
    "товар",
    "услуга",
    "склад",
    "доставка",
    "оплата",
]
FILL_BATCH = 20_000
COLUMNS = ("asked_at", "chat_id", "user_id", "question", "language", "kind", "article_key", "section", "score", "answered")


def questions(count: int, chars: int, seed: int = 0) -> list[str]:
    """`count` different questions of `chars` characters: slices of one long random text, numbered."""
    rng = random.Random(seed)
    text = " ".join(rng.choice(WORDS) for _ in range(2_000_000 // 6))
    return [f"{n} {text[(start := rng.randrange(len(text) - chars)) : start + chars]}"[:chars] for n in range(count)]


def batches(days: int, per_day: int, chars: int, keyed: bool):
    """The log's rows, `FILL_BATCH` at a time, as the bot's `record_answer` would have written them over `days` days."""
    total = days * per_day
    step = timedelta(days=days) / total
    start = datetime.now(UTC) - timedelta(days=days)
    pool = questions(min(total, 50_000), chars)
    for first in range(0, total, FILL_BATCH):
        rows = []
        for n in range(first, min(total, first + FILL_BATCH)):
            question = f"{n} {pool[n % len(pool)]}"[:chars]
            row = [start + n * step, 1, 1, question, "ru", "none", None, None, 0.0, False]
            if keyed:
                row.append(question_key(question))
            rows.append(row)
        yield rows
        print(f"\r  {first + len(rows):,} of {total:,} questions written", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)


def fill_sqlite(path: Path, days: int, per_day: int, chars: int) -> None:
    db = sqlite3.connect(path)
    keyed = "question_key" in [row[1] for row in db.execute("PRAGMA table_info(questions)")]
    names = COLUMNS + (("question_key",) if keyed else ())
    insert = f"INSERT INTO questions ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
    for rows in batches(days, per_day, chars, keyed):
        db.executemany(insert, [(row[0].isoformat(timespec="seconds"), *row[1:]) for row in rows])
        db.commit()
    db.close()


async def fill_postgres(url: str, days: int, per_day: int, chars: int) -> None:
    import asyncpg

    db = await asyncpg.connect(url)
    try:
        query = "SELECT 1 FROM information_schema.columns WHERE table_name = 'questions' AND column_name = 'question_key'"
        keyed = await db.fetchval(query) is not None
        names = COLUMNS + (("question_key",) if keyed else ())
        for rows in batches(days, per_day, chars, keyed):
            await db.copy_records_to_table("questions", records=rows, columns=names)
        await db.execute("VACUUM ANALYZE questions")
    finally:
        await db.close()


async def timed_stats(store: Storage) -> tuple[float, float, float]:
    """(seconds for question_stats, longest event-loop stall, longest wait of another reader's chat_state)."""
    done = asyncio.Event()
    stall = wait = 0.0

    async def ticker() -> None:
        nonlocal stall
        last = time.perf_counter()
        while not done.is_set():
            await asyncio.sleep(0.005)
            now = time.perf_counter()
            stall = max(stall, now - last - 0.005)
            last = now

    async def reader() -> None:
        """Reads every 10 ms; a wait is from when a read was due to when it was done, a stalled event loop included."""
        nonlocal wait
        due = time.perf_counter()
        while not done.is_set():
            await store.chat_state(2)
            done_at = time.perf_counter()
            wait = max(wait, done_at - due)
            due = done_at + 0.01
            await asyncio.sleep(0.01)

    tasks = [asyncio.create_task(ticker()), asyncio.create_task(reader())]
    await asyncio.sleep(0.05)
    began = time.perf_counter()
    await store.question_stats()
    took = time.perf_counter() - began
    done.set()
    await asyncio.gather(*tasks)
    return took, stall, wait


async def timed_prune(store: Storage, days: int) -> tuple[int, int, float]:
    """Prunes the oldest day as the bot does, batch by batch: (rows, batches, longest batch in seconds)."""
    from bot.storage.retention import BATCH

    before = datetime.now(UTC) - timedelta(days=days - 1)
    rows = count = 0
    longest = 0.0
    while True:
        began = time.perf_counter()
        deleted = await store.prune_questions(before, BATCH)
        longest = max(longest, time.perf_counter() - began)
        rows, count = rows + deleted, count + 1
        if deleted < BATCH:
            return rows, count, longest


async def measure(store: Storage, days: int) -> None:
    try:
        runs = [await timed_stats(store) for _ in range(3)]
        for took, stall, wait in runs:
            print(f"  /stats {took:.3f} s; event loop stalled at most {stall:.3f} s; another reader waited at most {wait:.3f} s")
        print(f"  median /stats {statistics.median(r[0] for r in runs):.3f} s")
        if hasattr(store, "prune_questions"):
            rows, count, longest = await timed_prune(store, days)
            print(f"  pruning the oldest day: {rows:,} questions in {count} batches, the longest {longest:.3f} s")
    finally:
        await store.close()


async def create(database: Path, url: str | None) -> None:
    """The database, made and migrated by the bot's own code."""
    store = await (PostgresStore.open(url) if url else Store.open(database))
    await store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--per-day", type=int, default=28_800)
    parser.add_argument("--chars", type=int, default=4096)
    parser.add_argument("--database", type=Path, help="where to keep the SQLite database (default: a temporary file, removed)")
    parser.add_argument("--database-url", help="an empty PostgreSQL database to use instead (postgresql://...)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-stats-") as scratch:
        path = args.database or Path(scratch) / "bot.sqlite3"
        began = time.perf_counter()
        asyncio.run(create(path, args.database_url))
        if args.database_url:
            asyncio.run(fill_postgres(args.database_url, args.days, args.per_day, args.chars))
        else:
            fill_sqlite(path, args.days, args.per_day, args.chars)
        took = time.perf_counter() - began
        print(f"{args.days * args.per_day:,} questions over {args.days} days, written in {took:.0f} s")
        if not args.database_url:
            size = path.stat().st_size + sum(p.stat().st_size for p in path.parent.glob(path.name + "-*"))
            print(f"  the file: {size / 1e9:.2f} GB")

        async def run() -> None:
            store = await (PostgresStore.open(args.database_url) if args.database_url else Store.open(path))
            await measure(store, args.days)

        asyncio.run(run())


if __name__ == "__main__":
    main()
