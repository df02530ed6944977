"""The one place the Telegram `Application` is assembled and run (long polling)."""

from __future__ import annotations

import logging
import sys

from telegram import BotCommand, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import InvalidToken, TelegramError
from telegram.ext import Application, ApplicationBuilder, Defaults

from . import handlers
from .config import Settings
from .dialogue import Dialogue
from .knowledge import load_searcher
from .messages import FALLBACK, message
from .search import Searcher
from .store import Store

log = logging.getLogger(__name__)

COMMANDS = ("start", "help", "highlights", "lang")


class RedactToken(logging.Filter):
    """Replaces the bot token wherever it would appear in a log line (HTTP client logs print URLs)."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        if self.token in text:
            record.msg, record.args = text.replace(self.token, "<token>"), None
        return True


def protect_logs(token: str) -> None:
    for handler in logging.getLogger().handlers:
        handler.addFilter(RedactToken(token))


def build_application(settings: Settings, searcher: Searcher) -> Application:
    application = (
        ApplicationBuilder()
        .token(settings.telegram_token)
        .base_url(settings.telegram_api_base_url)
        .defaults(Defaults(parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True)))
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
        .build()
    )
    application.bot_data["settings"] = settings
    application.bot_data["searcher"] = searcher
    handlers.register(application)
    return application


async def _post_init(application: Application) -> None:
    settings: Settings = application.bot_data["settings"]
    searcher: Searcher = application.bot_data["searcher"]
    store = await Store.open(settings.database_path)
    application.bot_data["store"] = store
    application.bot_data["dialogue"] = Dialogue(searcher, store, settings.default_language)
    await register_commands(application, searcher.languages)


async def _post_shutdown(application: Application) -> None:
    store: Store | None = application.bot_data.get("store")
    if store is not None:
        await store.close()


async def register_commands(application: Application, languages: list[str]) -> None:
    """Command descriptions in each content language, English for everyone else; optional, so never fatal."""
    for lang in [None, *languages]:
        ui = lang or FALLBACK
        commands = [BotCommand(name, message(ui, f"cmd_{name}")) for name in COMMANDS]
        try:
            await application.bot.set_my_commands(commands, language_code=lang)
        except TelegramError as error:
            log.warning("could not register commands for %s: %s", lang or "default", error)


def run(settings: Settings) -> int:
    """Run until SIGINT or SIGTERM; 0 on a clean stop, 2 when the bot cannot start as configured."""
    if not settings.telegram_token:
        print("TELEGRAM_BOT_TOKEN is not set: put the token from @BotFather in .env or the environment.", file=sys.stderr)
        return 2
    protect_logs(settings.telegram_token)
    searcher = load_searcher(settings)
    if not searcher.languages:
        print(f"no articles could be loaded from {settings.content_dir}; run 'python -m bot check'.", file=sys.stderr)
        return 2
    application = build_application(settings, searcher)
    try:
        application.run_polling(allowed_updates=Update.ALL_TYPES)
    except InvalidToken:
        print("Telegram rejected TELEGRAM_BOT_TOKEN: check the token from @BotFather.", file=sys.stderr)
        return 2
    except TelegramError as error:
        reason = str(error).replace(settings.telegram_token, "<token>")
        print(f"could not reach the Telegram Bot API at start-up: {reason}", file=sys.stderr)
        return 1
    return 0
