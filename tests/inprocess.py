"""The bot's real `Application` (handlers, defaults, rate limiter, `post_init`) run in the test process, without HTTP.

python-telegram-bot's own convention: the bot's `request` is replaced by one that
answers in process, and real `Update` objects go through `Application.process_update`.
The answering is `FakeTelegram._api`, the same code the fake Bot API server runs,
so the updates are the ones the end-to-end tests post, the calls are recorded the
same way, and HTML or length Telegram would refuse is refused here too. What only a
real process shows (signals, kill -9, the polling loop, the webhook server, faults
on the wire) stays in the end-to-end tests marked `slow`.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from telegram import Update

from bot.config import FloodLimit, Settings
from bot.search.searcher import Searcher
from bot.telegram.app import build_application

from .botrunner import button
from .conftest import SEEDS, SHARED_VECTORS
from .fake_telegram import TOKEN, FakeTelegram

DEFAULT_FLOOD_LIMIT = FloodLimit(20, 60.0)


class InProcessBot:
    """One bot over `searcher` and a fresh database in `workdir`; use as a context manager.

    No cache folder: a /reload builds its index in this process, without the build child's start-up.
    """

    def __init__(
        self,
        searcher: Searcher,
        workdir: Path,
        *,
        content_dir: Path = SEEDS,
        admins: frozenset[int] = frozenset(),
        flood_limit: FloodLimit = DEFAULT_FLOOD_LIMIT,
        failing: frozenset[str] = frozenset(),
        question_log_days: int = 30,
    ) -> None:
        self.settings = Settings(
            content_dir,
            None,
            "en",
            "WARNING",
            telegram_token=TOKEN,
            database_path=workdir / "bot.sqlite3",
            admin_user_ids=admins,
            flood_limit=flood_limit,
            content_check_seconds=0,
            vectors_dir=SHARED_VECTORS,
            question_log_days=question_log_days,
        )
        self.fake = FakeTelegram(failing=failing)
        self.application = build_application(self.settings, searcher)
        self.application.bot.request.do_request = self._answer  # type: ignore[method-assign]
        self._virtual_time = 0.0
        limiter = self.application.bot.rate_limiter
        limiter._sleep, limiter._clock = self._skip, lambda: self._virtual_time
        """Retries of failing calls wait on a virtual clock: their budget (`SEND_RETRY_SECONDS`, 4 s for
        setMyCommands) is spent at once, as `test_delivery.py` does with the limiter alone."""
        self._runner = asyncio.Runner()

    async def _skip(self, seconds: float) -> None:
        self._virtual_time += seconds

    async def _answer(self, url: str, method: str, request_data: Any = None, **_timeouts: Any) -> tuple[int, bytes]:
        """What the fake Bot API would answer to this call, recorded as it records it."""
        params = dict(request_data.parameters) if request_data is not None else {}
        status, payload = self.fake._api(url.rsplit("/", 1)[1], params)
        return status, json.dumps(payload).encode()

    def __enter__(self) -> InProcessBot:
        application = self.application
        self._runner.run(application.initialize())
        self._runner.run(application.post_init(application))
        return self

    def __exit__(self, *exc: object) -> None:
        application = self.application
        try:
            self._runner.run(application.post_stop(application))
            self._runner.run(application.shutdown())
            self._runner.run(application.post_shutdown(application))
        finally:
            self._runner.close()
            self.fake.close()

    @property
    def dialogue(self):
        return self.application.bot_data.dialogue

    def post(self, update: dict[str, Any]) -> None:
        """Hand one update to the application and wait until every handler it triggers is done."""
        self._runner.run(self.application.process_update(Update.de_json(update, self.application.bot)))

    def say(self, text: str | None, user: int, *, count: int = 1, **kwargs: Any) -> list[dict[str, Any]]:
        """As `botrunner.say`: send a message as `user`; the bot's next `count` messages to that chat, exactly."""
        chat = kwargs.get("chat_id") or user
        before = len(self.fake.messages_to(chat))
        self.post(self.fake.user_message(text, user_id=user, **kwargs))
        sent = self.fake.messages_to(chat)[before:]
        assert len(sent) == count, [m["text"][:80] for m in sent]
        return sent

    def press_data(self, data: str, on_message: dict[str, Any], user: int, language_code: str | None = "en") -> dict[str, Any]:
        """Press a button carrying `data`; the bot's answerCallbackQuery for it."""
        query = self.fake.press(data, on_message, user_id=user, language_code=language_code)
        self.post(self.fake._updates[-1])
        (answered,) = [p for m, p in self.fake.calls if m == "answerCallbackQuery" and p.get("callback_query_id") == query]
        return answered

    def press_shared(self, data: str, user: int, language_code: str | None = "en") -> dict[str, Any]:
        """Press a button carrying `data` on a message shared in inline mode; the bot's answerCallbackQuery for it."""
        query = self.fake.press_shared(data, user_id=user, language_code=language_code)
        self.post(self.fake._updates[-1])
        (answered,) = [p for m, p in self.fake.calls if m == "answerCallbackQuery" and p.get("callback_query_id") == query]
        return answered

    def inline(self, query: str, user: int, language_code: str | None = "en") -> dict[str, Any]:
        """Type `@bot query` in any chat; the bot's answerInlineQuery for it."""
        query_id = self.fake.inline_query(query, user_id=user, language_code=language_code)
        self.post(self.fake._updates[-1])
        (answered,) = [p for m, p in self.fake.calls if m == "answerInlineQuery" and p.get("inline_query_id") == query_id]
        return answered

    def press(self, sent: dict[str, Any], label: str, user: int, count: int = 1) -> list[dict[str, Any]]:
        """As `botrunner.press`: press the button `label` under `sent`; the bot's next `count` messages."""
        chat = sent["chat_id"]
        before = len(self.fake.messages_to(chat))
        self.press_data(button(sent, label)["callback_data"], sent["_message"], user)
        after = self.fake.messages_to(chat)[before:]
        assert len(after) == count, [m["text"][:80] for m in after]
        return after
