"""How long the question log is kept: entries older than `QUESTION_LOG_DAYS` are deleted, with their votes.

One reader at the flood limit writes 28,800 questions a day, up to 8 KB
each, so a log kept for ever grows by about 220 MB a day for them alone.
Pruning runs in the background, never on a reader's update: a batch of
`BATCH` entries per transaction, with a pause between batches, so
SQLite's write lock is never held for long and the bot's own writes (and
other workers') go in between. Instances sharing PostgreSQL each prune;
rows one is deleting the others skip.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from . import Storage
from .records import StoreError

log = logging.getLogger(__name__)

BATCH = 500
"""Entries deleted per transaction: 4 MB of the longest questions, a few milliseconds of the write lock."""
PAUSE_SECONDS = 0.05
"""Between batches, so writes waiting for the lock get it."""
EVERY_SECONDS = 3600.0
"""Between prunings: a day's retention is never overrun by more than an hour."""


async def prune(store: Storage, days: int) -> int:
    """Deletes every entry older than `days` days, batch by batch; how many."""
    before = datetime.now(UTC) - timedelta(days=days)
    total = 0
    while True:
        deleted = await store.prune_questions(before, BATCH)
        total += deleted
        if deleted < BATCH:
            return total
        await asyncio.sleep(PAUSE_SECONDS)


async def keep_pruned(store: Storage, days: int, every: float = EVERY_SECONDS) -> None:
    """Prunes now and then every `every` seconds, until cancelled; a failure is logged and tried again next time."""
    while True:
        try:
            deleted = await prune(store, days)
        except StoreError as error:
            log.warning("the question log was not pruned this time: %s", error)
        else:
            if deleted:
                log.info("question log: %d entries older than %d days deleted", deleted, days)
        await asyncio.sleep(every)
