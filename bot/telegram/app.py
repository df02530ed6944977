"""The one place the Telegram `Application` is assembled and run, by long polling or on a webhook.

Long polling needs nothing but outgoing HTTPS and suits a single instance;
a webhook lets Telegram push updates to a public HTTPS address, which is what
several instances behind a load balancer need (only one process may poll).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import signal
import socket
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from telegram import Bot, BotCommand, BotCommandScopeChat, LinkPreviewOptions, Update, User
from telegram.constants import ParseMode
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.ext import Application, ApplicationBuilder, Defaults

from ..chat.dialogue import Dialogue
from ..chat.messages import FALLBACK, available, message
from ..chat.reload import ContentReloader
from ..config import Settings
from ..search.background import BackgroundEmbedding, embedding_job
from ..search.loading import load_searcher, vector_coverage
from ..search.searcher import Searcher
from ..storage import check_storage, open_storage
from ..storage.records import StoreError, StoreUnavailable
from ..storage.retention import keep_pruned
from . import handlers, workers
from .context import CONTEXT_TYPES, BotData
from .delivery import PatientRateLimiter, WatchedRequest, tls_context
from .flood import FloodGuard, SharedFloodGuard
from .webhook import DELIVERY_CHECK_SECONDS, SEEN_SECONDS, GuardedUpdater

log = logging.getLogger(__name__)

COMMANDS = ("start", "help", "highlights", "lang")
ADMIN_COMMANDS = ("stats", "reload")
_REJECTED = "Telegram rejected TELEGRAM_BOT_TOKEN (revoked or mistyped): put the current token from @BotFather in .env."


class RedactToken(logging.Filter):
    """Replaces the bot token wherever it would appear in a log line, tracebacks included.

    HTTP client logs print URLs, and python-telegram-bot's `InvalidToken`
    quotes the rejected token in its message, which a logged traceback shows.
    """

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        if self.token in text:
            record.msg, record.args = text.replace(self.token, "<token>"), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text and self.token in record.exc_text:
            record.exc_text = record.exc_text.replace(self.token, "<token>")
        if record.stack_info and self.token in record.stack_info:
            record.stack_info = record.stack_info.replace(self.token, "<token>")
        return True


def _not_a_rejected_token(record: logging.LogRecord) -> bool:
    """python-telegram-bot logs a rejected token with a traceback; `run` says it in one line and stops."""
    return not (record.exc_info and isinstance(record.exc_info[1], InvalidToken))


def _one_line_for_a_last_poll_unconfirmed(record: logging.LogRecord) -> bool:
    """The Bot API unreachable as polling stops (the fake chat quit first, Telegram down): one line, not 80 of traceback.

    python-telegram-bot then logs its failed last `getUpdates`, which confirms
    the updates already fetched, as an error with the network failure's whole
    traceback; what a reader needs is what it means.
    """
    error = record.exc_info[1] if record.exc_info else None
    if record.name == "telegram.ext.Updater" and isinstance(error, NetworkError) and "one more time" in str(record.msg):
        record.msg = "Bot API unreachable as polling stopped (%s): the last updates fetched may be fetched, and answered, again at the next start"
        record.args, record.exc_info, record.exc_text = (error,), None, None
        record.levelno, record.levelname = logging.WARNING, logging.getLevelName(logging.WARNING)
    return True


def protect_logs(token: str) -> None:
    for handler in logging.getLogger().handlers:
        handler.addFilter(_one_line_for_a_last_poll_unconfirmed)
        handler.addFilter(RedactToken(token))
        handler.addFilter(_not_a_rejected_token)


def build_application(settings: Settings, searcher: Searcher, worker: int | None = None) -> Application:
    """The bot's `Application`; `worker` is its number when it is one of several forked workers (`workers`)."""
    requests = WatchedRequest(connection_pool_size=256), WatchedRequest(connection_pool_size=1)
    application = (
        ApplicationBuilder()
        .token(settings.telegram_token)
        .base_url(settings.telegram_api_base_url)
        .defaults(Defaults(parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True)))
        .request(requests[0])
        .get_updates_request(requests[1])
        .rate_limiter(PatientRateLimiter(settings.max_messages_per_second, settings.send_retry_seconds))
        .concurrent_updates(settings.concurrent_updates)
        .context_types(CONTEXT_TYPES)
        .post_init(_post_init)
        .post_stop(_post_stop)
        .post_shutdown(_post_shutdown)
        .build()
    )
    shared: BotData = application.bot_data
    shared.settings = settings
    shared.worker = worker
    shared.reloader = ContentReloader(settings, searcher, _tell_workers(worker))
    shared.flood_guard = FloodGuard(settings.flood_limit)
    shared.inline_flood_guard = FloodGuard(settings.inline_flood_limit)
    handlers.register(application, settings.admin_user_ids)
    for request in requests:
        request.on_unauthorized = lambda: _token_rejected(application)
    return application


def _tell_workers(worker: int | None) -> Callable[[], None]:
    """For a worker that has reloaded: have the parent pass SIGHUP on, so the others reload now (they find the new cache).

    The parent is the one this worker was forked from, never a process that
    adopted it (init, as root) should the parent have died.
    """
    if worker is None:
        return lambda: None
    parent = os.getppid()

    def tell() -> None:
        if os.getppid() == parent:
            os.kill(parent, signal.SIGHUP)

    return tell


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGABRT)


class StopOnce:
    """A stop signal's handler: the first ends the event loop's run, as python-telegram-bot's own does; later ones do nothing.

    For webhook workers, which get two as a rule: Ctrl-C reaches every
    process of the terminal's group, and the parent passes it on as well
    (systemd likewise signals every process of the service). python-telegram-bot's
    handler stays in place during the shutdown, so the second raised
    `SystemExit` in the middle of it: replies in flight were dropped and the
    database was not closed. Both may be queued before the first is handled,
    so it is a flag that says a stop is under way, not a change of handler. A
    process serving alone keeps the library's handler, whose second signal
    is the way to cut a slow shutdown short; a worker's is the parent's kill
    after `workers.STOP_SECONDS`.
    """

    def __init__(self) -> None:
        self.stopping = False

    def __call__(self) -> None:
        if not self.stopping:
            self.stopping = True
            raise SystemExit


def _token_rejected(application: Application) -> None:
    """Stop for good: a token Telegram rejects (revoked in @BotFather) will not work on a retry."""
    shared: BotData = application.bot_data
    if shared.token_rejected:
        return
    shared.token_rejected = True
    if application.running:
        application.stop_running()


def _refused(error: TelegramError, settings: Settings) -> int:
    """One line for a Bot API that will not serve the bot, and the exit status: 2 for a rejected token, 1 for no answer."""
    if isinstance(error, InvalidToken):
        print(_REJECTED, file=sys.stderr)
        return 2
    reason = str(error).replace(settings.telegram_token, "<token>")
    print(f"could not reach the Telegram Bot API at {settings.telegram_api_base_url}: {reason}", file=sys.stderr)
    return 1


def _finish_shutdown(application: Application, loop: asyncio.AbstractEventLoop) -> None:
    """The rest of python-telegram-bot's shutdown, when its updater stopped it short.

    Stopping the updater re-raises the polling loop's last error (a rejected
    token), and `run_polling` then skips stopping the application and
    `post_stop`/`post_shutdown`: the database's worker thread would keep the
    process alive for good.
    """
    with contextlib.suppress(TelegramError):
        if application.running:
            loop.run_until_complete(application.stop())
            if application.post_stop:
                loop.run_until_complete(application.post_stop(application))
        loop.run_until_complete(application.shutdown())
        if application.post_shutdown:
            loop.run_until_complete(application.post_shutdown(application))


async def _identify(settings: Settings) -> User:
    """Who the bot is (`getMe`), asked once before anything else starts, so a bad token or an unreachable API is one line."""
    async with Bot(settings.telegram_token, base_url=settings.telegram_api_base_url) as bot:
        return bot.bot


async def _post_init(application: Application) -> None:
    shared: BotData = application.bot_data
    settings, reloader, worker, watch = shared.settings, shared.reloader, shared.worker, shared.watch
    store = shared.store = await open_storage(settings)
    if _counts_together(shared):
        shared.flood_guard = SharedFloodGuard(settings.flood_limit, store, watch=watch)
        shared.inline_flood_guard = SharedFloodGuard(settings.inline_flood_limit, store, "inline", watch)
    shared.dialogue = Dialogue(reloader, store, settings.default_language, settings.admin_user_ids, watch)
    loop = asyncio.get_running_loop()
    with contextlib.suppress(NotImplementedError, AttributeError):
        loop.add_signal_handler(signal.SIGHUP, lambda: application.create_task(reloader.reload(tell_others=False), name="reload"))
    if settings.content_check_seconds:
        shared.watcher = loop.create_task(reloader.watch(settings.content_check_seconds))
    if settings.semantic:
        # One process embeds (the one serving alone, or worker 0); every one switches languages on as they complete.
        job = embedding_job(settings) if not worker else None
        background = shared.background = BackgroundEmbedding(job) if job else None
        await reloader.look_at_vectors(background)  # before the webhook serves: /healthz says how far embedding is from the first
        shared.vectors = loop.create_task(reloader.watch_vectors(background=background))
    if settings.question_log_days and not worker:
        # One pruner per instance: workers share its database, and the first is enough.
        shared.pruner = loop.create_task(keep_pruned(store, settings.question_log_days))
    if worker is not None:
        # Forked from the index the parent loaded at start: a worker started again later catches up with edits since.
        shared.catch_up = loop.create_task(reloader.reload())
    if not worker:
        await register_commands(application, reloader.searcher.languages, settings.admin_user_ids)


async def _missing(shared: BotData) -> str | None:
    """For `/healthz`: None once the index is loaded and the database answers, else which of them is not there."""
    if not shared.reloader.searcher.languages:
        return "index not loaded"
    store = shared.store
    if store is None:
        return "database not open"
    try:
        await store.ping()
    except Exception as error:
        log.warning("readiness: the database does not answer: %s", error)
        return "database not answering"
    return None


def _embedded(shared: BotData) -> str:
    """For `/healthz`, under its first line: how far embedding is (empty with the semantic signal off)."""
    embedding = shared.reloader.embedding
    if embedding is None:
        return ""
    return f"embedded: {embedding.embedded}/{embedding.units} paragraphs ({embedding.percent}%)"


def _counts_together(shared: BotData) -> bool:
    """Whether flood windows and handled updates are counted in the database rather than in this process's memory.

    So they are when other processes share it: instances on PostgreSQL, and
    webhook workers, which share even a SQLite file and one socket (a
    reader's messages, and Telegram's copy of an update, reach any of them).
    """
    return shared.store is not None and (shared.store.shared_by_instances or shared.worker is not None)


async def _first_delivery(shared: BotData, update_id: int) -> bool:
    """For the webhook: whether no other instance sharing the database has handled `update_id` (always so with SQLite).

    When the database does not answer, or not within `DELIVERY_CHECK_SECONDS`, the update is handled:
    a reader answered twice loses less than one never answered, and Telegram waits for the 200. The check
    goes through the conversation's `StoreWatch`, so an outage is logged once, not once per update, and
    while it lasts updates are handled without waiting on the database.
    """
    store, watch = shared.store, shared.watch
    if store is None or not _counts_together(shared):
        return True
    try:
        # Shielded: given up on, the check still finishes (its transaction committed or rolled back) in the background.
        check = asyncio.ensure_future(watch.write("webhook delivery check", store.first_delivery, update_id, SEEN_SECONDS))
        check.add_done_callback(lambda done: done.cancelled() or done.exception())  # its failure is logged below
        return await asyncio.wait_for(asyncio.shield(check), DELIVERY_CHECK_SECONDS)
    except (StoreError, TimeoutError) as error:
        if not watch.failing:
            log.warning("webhook: update %s not checked against other instances, handling it: %s", update_id, error or "timed out")
        return True


async def _post_stop(application: Application) -> None:
    await application.bot_data.stop_background()


async def _post_shutdown(application: Application) -> None:
    store = application.bot_data.store
    if store is not None:
        await store.close()


async def register_commands(application: Application, languages: list[str], admins: frozenset[int] = frozenset()) -> None:
    """Command descriptions in each content language, English for everyone else; optional, so never fatal.

    Admins see their two extra commands in their own chats' menus only. The
    menus are set side by side: each failing call is retried for a few
    seconds, and one after another they held polling back by that much per
    language and admin when Telegram refused them.
    """
    menus = [(None, COMMANDS)] + [(BotCommandScopeChat(admin), COMMANDS + ADMIN_COMMANDS) for admin in sorted(admins)]

    async def register(scope: BotCommandScopeChat | None, names: tuple[str, ...], lang: str | None) -> None:
        commands = [BotCommand(name, message(lang or FALLBACK, f"cmd_{name}")) for name in names]
        try:
            await application.bot.set_my_commands(commands, scope=scope, language_code=lang)
        except TelegramError as error:
            log.warning("could not register commands for %s: %s", lang or "default", error)

    await asyncio.gather(*(register(scope, names, lang) for scope, names in menus for lang in [None, *languages]))


@dataclass(frozen=True)
class Loaded:
    """What a bot process has loaded before it serves: checked settings, the searcher, and who the bot is."""

    settings: Settings
    searcher: Searcher
    username: str
    listening: socket.socket | None = None
    """The webhook's socket, bound and listening (`workers.listen`); None when polling."""


def load(settings: Settings, webhook: bool) -> Loaded | int:
    """Everything checked and loaded that serving needs, or the exit status and one line on stderr saying why not.

    The webhook's port is bound first, before the index is loaded and before
    Telegram is told the webhook's address: an address that is not this
    host's, a name that does not resolve or a port in use is one line now,
    not a traceback once Telegram already posts to a server that never came up.
    """
    if not settings.telegram_token:
        print("TELEGRAM_BOT_TOKEN is not set: put the token from @BotFather in .env or the environment.", file=sys.stderr)
        return 2
    if webhook and not urlsplit(settings.webhook_url).scheme.startswith("http"):
        print("--webhook needs TELEGRAM_WEBHOOK_URL, the public https address Telegram should post to.", file=sys.stderr)
        return 2
    protect_logs(settings.telegram_token)
    listening = _listen(settings) if webhook else None
    if isinstance(listening, str):
        print(
            f"WEBHOOK_LISTEN={settings.webhook_listen} WEBHOOK_PORT={settings.webhook_port}: cannot listen there: {listening}",
            file=sys.stderr,
        )
        return 2
    loaded = _load_behind(settings, listening)
    if isinstance(loaded, int) and listening is not None:
        listening.close()
    return loaded


def _listen(settings: Settings) -> socket.socket | str:
    """The webhook's socket, bound and listening; or why not, in a few words (a name that does not resolve included)."""
    try:
        socket.getaddrinfo(settings.webhook_listen, settings.webhook_port, type=socket.SOCK_STREAM)
    except OSError as error:
        return str(error.strerror)
    try:
        return workers.listen(settings.webhook_listen, settings.webhook_port)
    except OSError as error:
        return os.strerror(error.errno) if error.errno else str(error)


def _load_behind(settings: Settings, listening: socket.socket | None) -> Loaded | int:
    """`load`'s part after the port: the database, the index, and who the bot is."""
    try:
        check_storage(settings)
    except StoreError as error:
        print(error, file=sys.stderr)
        return 2
    # With a folder to keep vectors in, new paragraphs are all embedded in the background: the bot answers at once.
    background = embedding_job(settings) is not None
    searcher = load_searcher(settings, reply_languages=available(), embed_limit=0 if background else None)
    if not searcher.languages:
        print(f"no articles could be loaded from {settings.content_dir}; run 'python -m bot check'.", file=sys.stderr)
        return 2
    embedding = vector_coverage(settings, searcher.index)
    if embedding is not None and embedding.missing and not background:
        log.warning(
            "%d paragraphs have no vector and are answered on their words alone: without CACHE_DIR or EMBEDDINGS_DIR "
            "there is no folder to embed them into in the background (EMBED_AT_BUILD, %d, are embedded at start)",
            embedding.missing,
            settings.embed_at_build,
        )
    try:
        me = asyncio.run(_identify(settings))
    except TelegramError as error:
        return _refused(error, settings)
    # Made here, not per worker: every worker must check the secret that the one registering the webhook sent.
    secret = settings.webhook_secret or secrets.token_urlsafe(32)
    return Loaded(replace(settings, webhook_secret=secret), searcher, me.username, listening)


def run(settings: Settings, webhook: bool = False) -> int:
    """Run until SIGINT or SIGTERM; 0 on a clean stop, 2 when the bot cannot start as configured.

    With a webhook and `webhook_workers` above one, the process that loaded
    everything forks that many workers to serve it (`workers`).
    """
    loaded = load(settings, webhook)
    if isinstance(loaded, int):
        return loaded
    count = settings.webhook_workers if webhook else 1
    mode = f"on the webhook {settings.webhook_url}" if webhook else "by long polling"
    if count > 1:
        mode += f" in {count} worker processes"
    print(
        f"@{loaded.username} is answering from {len(loaded.searcher.index.articles)} article files "
        f"({', '.join(loaded.searcher.languages)}) {mode}; Ctrl-C or SIGTERM stops it.",
        file=sys.stderr,
    )
    if count > 1:
        # Loaded before the fork, so that the workers share them: the models questions need, the trusted certificates.
        loaded.searcher.preload_language_models()
        tls_context()
        # Telegram's send allowance is the bot's, not each process's.
        shared = replace(
            loaded, settings=replace(loaded.settings, max_messages_per_second=max(1, settings.max_messages_per_second // count))
        )
        status = workers.fork_workers(count, lambda number: serve(shared, webhook, number))
    else:
        status = serve(loaded, webhook)
    if status == 0:
        print(f"@{loaded.username} stopped.", file=sys.stderr)
    return status


def serve(loaded: Loaded, webhook: bool, worker: int | None = None) -> int:
    """Serve until SIGINT or SIGTERM; 0 on a clean stop, 1 or 2 (as `run`) when Telegram or the database fails.

    A `worker` accepts connections from the webhook socket it shares with the
    others; only worker 0 (or a process serving alone) tells Telegram the
    webhook's address and the bot's commands. A database that does not answer
    when this opens it is 1, not 2: `load` found it usable moments or hours
    before, so waiting may mend it, and a worker's supervisor starts the worker
    again later rather than stopping the others, which go on answering
    (`workers`).
    """
    settings = loaded.settings
    application = build_application(settings, loaded.searcher, worker)
    shared: BotData = application.bot_data
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    own_stop: dict[str, None] = {}
    if worker is not None:
        stop = StopOnce()
        for sig in STOP_SIGNALS:
            loop.add_signal_handler(sig, stop)
        own_stop["stop_signals"] = None
    try:
        if webhook:
            application.updater = GuardedUpdater(
                application.bot,
                application.update_queue,
                lambda: _missing(shared),
                lambda update_id: _first_delivery(shared, update_id),
                loaded.listening,
                lambda: _embedded(shared),
            )
            application.run_webhook(
                listen=settings.webhook_listen,
                port=settings.webhook_port,
                url_path=urlsplit(settings.webhook_url).path.strip("/"),
                webhook_url=settings.webhook_url if not worker else None,
                secret_token=settings.webhook_secret,
                allowed_updates=Update.ALL_TYPES,
                close_loop=False,
                **own_stop,
            )
        else:
            application.run_polling(allowed_updates=Update.ALL_TYPES, close_loop=False)
    except StoreError as error:
        _finish_shutdown(application, loop)
        print(error, file=sys.stderr)
        return 1 if isinstance(error, StoreUnavailable) else 2
    except TelegramError as error:
        _finish_shutdown(application, loop)
        return _refused(error, settings)
    finally:
        loop.close()
    return 0
