"""The one place the Telegram `Application` is assembled and run, by long polling or on a webhook.

Long polling needs nothing but outgoing HTTPS and suits a single instance;
a webhook lets Telegram push updates to a public HTTPS address, which is what
several instances behind a load balancer need (only one process may poll).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import signal
import sys
from urllib.parse import urlsplit

from telegram import BotCommand, BotCommandScopeChat, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import InvalidToken, TelegramError
from telegram.ext import Application, ApplicationBuilder, Defaults

from ..chat.dialogue import Dialogue
from ..chat.messages import FALLBACK, available, message
from ..chat.reload import ContentReloader
from ..chat.store import Store
from ..config import Settings
from ..search.loading import load_searcher
from ..search.searcher import Searcher
from . import handlers
from .delivery import PatientRateLimiter
from .flood import FloodGuard

log = logging.getLogger(__name__)

COMMANDS = ("start", "help", "highlights", "lang")
ADMIN_COMMANDS = ("stats", "reload")


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
        .rate_limiter(PatientRateLimiter(settings.max_messages_per_second))
        .concurrent_updates(settings.concurrent_updates)
        .post_init(_post_init)
        .post_stop(_post_stop)
        .post_shutdown(_post_shutdown)
        .build()
    )
    application.bot_data["settings"] = settings
    application.bot_data["reloader"] = ContentReloader(settings, searcher)
    application.bot_data["flood_guard"] = FloodGuard(settings.flood_limit)
    handlers.register(application, settings.admin_user_ids)
    return application


async def _post_init(application: Application) -> None:
    settings: Settings = application.bot_data["settings"]
    reloader: ContentReloader = application.bot_data["reloader"]
    store = await Store.open(settings.database_path)
    application.bot_data["store"] = store
    application.bot_data["dialogue"] = Dialogue(reloader, store, settings.default_language, settings.admin_user_ids)
    loop = asyncio.get_running_loop()
    with contextlib.suppress(NotImplementedError, AttributeError):
        loop.add_signal_handler(signal.SIGHUP, lambda: application.create_task(reloader.reload(), name="reload"))
    if settings.content_check_seconds:
        application.bot_data["watcher"] = loop.create_task(reloader.watch(settings.content_check_seconds))
    await register_commands(application, reloader.searcher.languages, settings.admin_user_ids)


async def _post_stop(application: Application) -> None:
    watcher: asyncio.Task | None = application.bot_data.get("watcher")
    if watcher is not None:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher


async def _post_shutdown(application: Application) -> None:
    store: Store | None = application.bot_data.get("store")
    if store is not None:
        await store.close()


async def register_commands(application: Application, languages: list[str], admins: frozenset[int] = frozenset()) -> None:
    """Command descriptions in each content language, English for everyone else; optional, so never fatal.

    Admins see their two extra commands in their own chats' menus only.
    """
    menus = [(None, COMMANDS)] + [(BotCommandScopeChat(admin), COMMANDS + ADMIN_COMMANDS) for admin in sorted(admins)]
    for scope, names in menus:
        for lang in [None, *languages]:
            ui = lang or FALLBACK
            commands = [BotCommand(name, message(ui, f"cmd_{name}")) for name in names]
            try:
                await application.bot.set_my_commands(commands, scope=scope, language_code=lang)
            except TelegramError as error:
                log.warning("could not register commands for %s: %s", lang or "default", error)


def run(settings: Settings, webhook: bool = False) -> int:
    """Run until SIGINT or SIGTERM; 0 on a clean stop, 2 when the bot cannot start as configured."""
    if not settings.telegram_token:
        print("TELEGRAM_BOT_TOKEN is not set: put the token from @BotFather in .env or the environment.", file=sys.stderr)
        return 2
    if webhook and not urlsplit(settings.webhook_url).scheme.startswith("http"):
        print("--webhook needs TELEGRAM_WEBHOOK_URL, the public https address Telegram should post to.", file=sys.stderr)
        return 2
    protect_logs(settings.telegram_token)
    searcher = load_searcher(settings, reply_languages=available())
    if not searcher.languages:
        print(f"no articles could be loaded from {settings.content_dir}; run 'python -m bot check'.", file=sys.stderr)
        return 2
    application = build_application(settings, searcher)
    try:
        if webhook:
            application.run_webhook(
                listen=settings.webhook_listen,
                port=settings.webhook_port,
                url_path=urlsplit(settings.webhook_url).path.strip("/"),
                webhook_url=settings.webhook_url,
                secret_token=settings.webhook_secret or secrets.token_urlsafe(32),
                allowed_updates=Update.ALL_TYPES,
            )
        else:
            application.run_polling(allowed_updates=Update.ALL_TYPES)
    except InvalidToken:
        print("Telegram rejected TELEGRAM_BOT_TOKEN: check the token from @BotFather.", file=sys.stderr)
        return 2
    except TelegramError as error:
        reason = str(error).replace(settings.telegram_token, "<token>")
        print(f"could not reach the Telegram Bot API at start-up: {reason}", file=sys.stderr)
        return 1
    return 0
