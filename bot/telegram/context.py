"""What the handlers and the application's start and stop share: python-telegram-bot's `bot_data`, typed.

python-telegram-bot makes one `BotData` per `Application` (`CONTEXT_TYPES`),
with no arguments, before anything is known. `app.build_application` gives it
what exists before the bot starts, `app._post_init` what starting opens (the
database, the conversation, the background tasks), and the application's stop
ends those. Handlers read it as `context.bot_data`, by attribute: a misspelt
name fails where it is written, and a reader finds every use
(`tests/test_layers.py` keeps string keys out). Its `Context` is the
`context` argument every handler gets.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from telegram.ext import CallbackContext, ContextTypes, ExtBot

from ..chat.dialogue import Dialogue
from ..chat.outage import StoreWatch
from ..chat.reload import ContentReloader
from ..config import Settings
from ..search.background import BackgroundEmbedding
from ..storage import Storage
from .flood import FloodGuard, SharedFloodGuard


class BotData:
    """One per process; the attributes annotated without a value are set by `app.build_application` and `app._post_init`."""

    settings: Settings
    reloader: ContentReloader
    """The content and its reloads: the conversation reads its searcher, `/healthz` whether an index is loaded."""
    flood_guard: FloodGuard | SharedFloodGuard
    """Counts each reader's messages and button presses; counted in the database once `_post_init` finds it shared."""
    inline_flood_guard: FloodGuard | SharedFloodGuard
    """The same for inline queries, which Telegram sends as the reader types, under a limit of their own."""
    dialogue: Dialogue
    """The conversation, made once the database is open: every handler's update goes through it."""

    def __init__(self) -> None:
        self.worker: int | None = None
        """This process's number among forked webhook workers; None when it serves alone."""
        self.store: Storage | None = None
        """The database, None until it is open."""
        self.watch = StoreWatch()
        """Every database call a reader's update makes goes through it, the webhook's delivery check included."""
        self.background: BackgroundEmbedding | None = None
        """The child process embedding paragraphs without vectors, in the one process that embeds."""
        self.watcher: asyncio.Task | None = None
        """Reloads the content when its files change (`CONTENT_CHECK_SECONDS`)."""
        self.vectors: asyncio.Task | None = None
        """Switches languages on as their paragraphs' vectors complete."""
        self.pruner: asyncio.Task | None = None
        """Deletes the question log's entries older than `QUESTION_LOG_DAYS`."""
        self.catch_up: asyncio.Task | None = None
        """A webhook worker's reload at start, for edits made since the parent loaded the index it forked from."""
        self.token_rejected = False
        """Telegram refused the token: the bot is stopping for good, once."""

    async def stop_background(self) -> None:
        """Cancels the background tasks and stops embedding; what was embedded is saved, and the next start goes on from there."""
        for task in (self.watcher, self.catch_up, self.pruner, self.vectors):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if self.background is not None:
            self.background.stop()


class Context(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotData]):
    """The `context` every handler gets: python-telegram-bot's own, its `bot_data` a `BotData`."""

    @property
    def dialogue(self) -> Dialogue:
        """The conversation: a handler turns the update into a call of it, and its reply into messages."""
        return self.bot_data.dialogue


CONTEXT_TYPES = ContextTypes(context=Context, bot_data=BotData)
