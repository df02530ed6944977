"""What an operator watches, in the Prometheus text format (`GET /metrics` in webhook mode, see `telegram.webhook`).

Counts only: no question text, user or chat id ever becomes a label, so the
page leaks nothing about anyone. Labels take few values: a language code, an
outcome, a Bot API method name, a reload's status.

Webhook workers forked from one process (`telegram.workers`) each count in
their own memory, and a scrape reaches whichever worker the kernel gives the
connection to. They use prometheus_client's multiprocess mode instead: with
`PROMETHEUS_MULTIPROC_DIR` set before this module is first imported, every
process writes its counts to files in that folder, and `render` adds up all
of them, those of workers since restarted included, so the totals never step
back.
"""

from __future__ import annotations

import os

from prometheus_client import CONTENT_TYPE_LATEST as CONTENT_TYPE
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess

__all__ = [
    "CONTENT_TYPE",
    "REGISTRY",
    "QUESTIONS",
    "ANSWER_SECONDS",
    "SEND_FAILURES",
    "SEND_RETRIES",
    "RELOADS",
    "FLOOD_NOTICES",
    "render",
]

REGISTRY = CollectorRegistry()
"""The bot's own registry: only these metrics are served (no process or platform collectors)."""

QUESTIONS = Counter(
    "kb_bot_questions",
    "Questions asked, by the language they were answered in and whether the content had an answer",
    ["language", "outcome"],
    registry=REGISTRY,
)
ANSWER_SECONDS = Histogram(
    "kb_bot_answer_seconds",
    "From a question's arrival to its reply sent (search, storage and Telegram together)",
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0),
    registry=REGISTRY,
)
SEND_FAILURES = Counter(
    "kb_bot_telegram_send_failures",
    "Bot API calls that failed for good (refused, or still failing after the retries)",
    ["method"],
    registry=REGISTRY,
)
SEND_RETRIES = Counter(
    "kb_bot_telegram_send_retries",
    "Bot API calls sent again after a 5xx, a timeout or a dropped connection",
    ["method"],
    registry=REGISTRY,
)
RELOADS = Counter(
    "kb_bot_reloads", "Content reloads, by outcome (reloaded, unchanged, failed, busy)", ["result"], registry=REGISTRY
)
FLOOD_NOTICES = Counter("kb_bot_flood_notices", "Users told to slow down by the flood limit", registry=REGISTRY)


MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"


def render() -> bytes:
    if os.environ.get(MULTIPROCESS_DIR):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest(REGISTRY)
