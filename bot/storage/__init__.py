"""Storage: what the bot remembers (users' languages, chats' context, the question log, readers' votes and choices,
the owner's verdicts on what readers confirmed).

A layer of its own under the conversation (`chat` imports it, never the
reverse), standing on `config` alone. This module is its face: the
`Storage` interface every caller uses, and the backend `DATABASE_URL` or
`DATABASE_PATH` picks. SQLite (`sqlite.Store`, one file, the default) suits
one host. PostgreSQL (`postgres.PostgresStore`, chosen by
`DATABASE_URL=postgresql://...`) lets several instances on several hosts
share what the bot remembers, their flood counters and the webhook updates
already handled. Both run the same ordered steps (`migrations`), take and
give the same records and raise the same errors (`records`), and answer
every method alike; `tests/test_store.py` runs against each. `retention`
prunes the question log.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from ..config import Settings
from .records import ChatState, Choice, Evidence, FloodOutcome, FloodScope, LoggedQuestion, QuestionStats, Unhelpful
from .sqlite import Store, check_database


class Storage(Protocol):
    shared_by_instances: bool
    """True when every instance using the same database counts in it (PostgreSQL): flood windows
    (`flood_admit`) and the webhook updates already handled (`first_delivery`). Webhook workers count in
    either backend, SQLite included: they share its file (see `telegram.app._counts_together`)."""

    async def close(self) -> None: ...
    async def schema_version(self) -> int: ...
    async def ping(self) -> None: ...
    async def user_language(self, user_id: int) -> str | None: ...
    async def set_user_language(self, user_id: int, language: str | None) -> None: ...
    async def chat_state(self, chat_id: int) -> ChatState: ...
    async def remember_chat(
        self, chat_id: int, article_key: str | None, article_lang: str | None, language: str | None
    ) -> None: ...
    async def record_answer(self, entry: LoggedQuestion, article_lang: str | None) -> int: ...
    async def vote(self, question_id: int, chat_id: int, user_id: int, helpful: bool) -> bool: ...
    async def record_choice(self, question_id: int, chat_id: int, user_id: int, choice: Choice) -> str | None: ...
    async def judge_choice(self, question_id: int, chat_id: int, user_id: int, helpful: bool) -> bool: ...
    async def reader_evidence(self) -> list[Evidence]: ...
    async def decide(self, pairs: Sequence[Evidence], accepted: bool) -> None: ...
    async def unhelpful_answers(self, limit: int = 50, since: datetime | None = None) -> list[Unhelpful]: ...
    async def flood_admit(self, user_id: int, messages: int, seconds: float, scope: FloodScope = "message") -> FloodOutcome: ...
    async def first_delivery(self, update_id: int, window_seconds: float) -> bool: ...
    async def recent_questions(self, limit: int = 100, unanswered: bool = False) -> list[tuple[str, str, int]]: ...
    async def question_stats(self, now: datetime | None = None, top: int = 10) -> QuestionStats: ...
    async def prune_questions(self, before: datetime, limit: int) -> int: ...


async def open_storage(settings: Settings) -> Storage:
    """The store `settings` name, opened and migrated; `StoreError` (one line) when it cannot be used."""
    if settings.database_url:
        from .postgres import PostgresStore

        return await PostgresStore.open(settings.database_url)
    return await Store.open(settings.database_path)


def check_storage(settings: Settings) -> None:
    """Before the bot starts: the database can be used (and is migrated), or `StoreError` says why in one line."""
    if not settings.database_url:
        check_database(settings.database_path)
        return

    async def probe() -> None:
        store = await open_storage(settings)
        await store.close()

    asyncio.run(probe())
