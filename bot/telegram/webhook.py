"""The webhook's HTTP side: python-telegram-bot's tornado server, with three guards in front of the bot.

python-telegram-bot's handler reads the whole body before it checks the
secret (tornado buffers up to 100 MB by default), and queues every update it
is given, even one it has queued before. Telegram redelivers an update when it
saw no timely 200, so the same question could be answered twice. Here:

- the secret header (and the content type) is checked as soon as the headers
  arrive, before any of the body is read: a wrong secret costs no memory;
- a body over `MAX_BODY_BYTES` is refused with 413 (Telegram's updates are a
  few kilobytes; a message is at most 4,096 characters);
- an `update_id` seen in the last `SEEN_SECONDS` is acknowledged (200) and
  not handled again. Each process remembers its own; behind a load balancer
  a redelivery may reach another instance, so instances sharing PostgreSQL
  also ask the database (`Deliveries`, see `app`). An update counts as seen
  only once it is queued for handling: should the check with the others
  fail in any way, the update is handled (a reader answered twice loses
  less than one never answered), never refused and then acknowledged unhandled
  when Telegram sends it again.

The server under it is `connections.GuardedHTTPServer`: timeouts for slow
requests, a cap on open connections, and an accept loop that survives the
process running out of descriptors.

`GuardedUpdater` is python-telegram-bot's `Updater` with this handler in
place of its own; `run_webhook` keeps doing the rest (setWebhook, signals,
shutdown).

On the same port, for a load balancer and an operator, without the secret:
`GET /healthz` (200 "ok" once the index is loaded and the database answers,
503 naming which is not, never anything about users; a second line says how
far embedding the paragraphs is, which never makes the instance unready) and
`GET /metrics` (the counters of `bot.metrics` in the Prometheus text format).
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from pathlib import Path
from socket import socket
from typing import Any

import tornado.web
from telegram import Bot, Update
from telegram.ext import ExtBot, Updater
from telegram.ext._utils.webhookhandler import WebhookServer

from .. import metrics
from .connections import MAX_BODY_BYTES, GuardedHTTPServer

log = logging.getLogger(__name__)

SEEN_SECONDS = 600.0
SEEN_LIMIT = 100_000
DELIVERY_CHECK_SECONDS = 1.0
"""Longest the check with the other instances may hold an update's 200 before the update is handled anyway."""
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
READINESS_SECONDS = 3.0
"""Longest a readiness check may take before `/healthz` answers 503."""

Readiness = Callable[[], Awaitable[str | None]]
"""None when the instance can answer; otherwise what is missing, in a few words (no user data)."""


async def always_ready() -> str | None:
    return None


Detail = Callable[[], str]
"""More about the instance for `/healthz`, under its first line (how far embedding is); empty for nothing."""


Deliveries = Callable[[int], Awaitable[bool]]
"""True unless another instance already handled this `update_id` (see `pgstore.PostgresStore.first_delivery`)."""


async def alone(update_id: int) -> bool:
    """One instance: what it has not seen itself, nobody has."""
    return True


class SeenUpdates:
    """The update ids handled in the last `seconds`, at most `limit` of them (the oldest are forgotten first)."""

    def __init__(self, seconds: float = SEEN_SECONDS, limit: int = SEEN_LIMIT, clock: Any = time.monotonic) -> None:
        self.seconds = seconds
        self.limit = limit
        self._clock = clock
        self._seen: OrderedDict[int, float] = OrderedDict()

    def first_time(self, update_id: int) -> bool:
        """True the first time `update_id` is offered within the window, and remembers it."""
        now = self._clock()
        while self._seen and (len(self._seen) >= self.limit or next(iter(self._seen.values())) < now - self.seconds):
            self._seen.popitem(last=False)
        if update_id in self._seen:
            return False
        self._seen[update_id] = now
        return True

    def forget(self, update_id: int) -> None:
        """`update_id` was offered but not handled after all: its next copy is a first one."""
        self._seen.pop(update_id, None)

    def __len__(self) -> int:
        return len(self._seen)


@tornado.web.stream_request_body
class GuardedHandler(tornado.web.RequestHandler):
    SUPPORTED_METHODS = ("POST",)  # type: ignore[assignment]

    def initialize(
        self, bot: Bot, update_queue: asyncio.Queue, secret_token: str | None, seen: SeenUpdates, elsewhere: Deliveries
    ) -> None:
        self.bot = bot
        self.update_queue = update_queue
        self.secret_token = secret_token
        self.seen = seen
        self.elsewhere = elsewhere
        self.body = bytearray()

    def prepare(self) -> None:
        """Runs once the headers are in, before tornado reads any of the body."""
        secret = self.request.headers.get(SECRET_HEADER, "")
        wrong_secret = bool(self.secret_token) and not hmac.compare_digest(secret.encode(), str(self.secret_token).encode())
        not_json = self.request.headers.get("Content-Type", "").split(";")[0].strip() != "application/json"
        if wrong_secret or not_json:
            self._refuse(HTTPStatus.FORBIDDEN)
        else:
            length = self.request.headers.get("Content-Length", "0")
            if not length.isdigit() or int(length) > MAX_BODY_BYTES:
                self._refuse(HTTPStatus.REQUEST_ENTITY_TOO_LARGE)

    def data_received(self, chunk: bytes) -> None:
        if len(self.body) + len(chunk) > MAX_BODY_BYTES:
            self._refuse(HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
            return
        self.body += chunk

    def _refuse(self, status: HTTPStatus) -> None:
        """Answer now and close the connection, so an unread body is never read."""
        if self._finished:
            return
        self.request.connection.set_close_callback(None)
        self.set_status(status)
        self.finish()
        self.request.connection.stream.close()

    async def post(self) -> None:
        try:
            data = json.loads(bytes(self.body))
            update = Update.de_json(data, self.bot)
        except Exception:
            log.warning("webhook: a request with the secret held no valid update; refused")
            self.set_status(HTTPStatus.BAD_REQUEST)
            return
        self.set_status(HTTPStatus.OK)
        if update is None:
            return
        # Noted before the check with the others, so that a copy arriving meanwhile is not handled as well;
        # forgotten again unless the update is queued, so that Telegram's next copy of it is.
        if not self.seen.first_time(update.update_id):
            log.info("webhook: update %s delivered again; acknowledged, not handled twice", update.update_id)
            return
        try:
            if not await self._first_everywhere(update.update_id):
                log.info("webhook: update %s already handled by another instance; acknowledged", update.update_id)
                return
            if isinstance(self.bot, ExtBot):
                self.bot.insert_callback_data(update)
            await self.update_queue.put(update)
        except BaseException:
            self.seen.forget(update.update_id)
            raise

    async def _first_everywhere(self, update_id: int) -> bool:
        """Whether no other instance has handled `update_id`; when that cannot be told, for whatever reason, True."""
        try:
            return await self.elsewhere(update_id)
        except Exception as error:
            log.warning(
                "webhook: update %s not checked against other instances, handling it: %s: %s",
                update_id,
                type(error).__name__,
                error,
            )
            return True

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        log.debug("webhook request failed", exc_info=(typ, value, tb) if typ and value and tb else None)


class HealthHandler(tornado.web.RequestHandler):
    SUPPORTED_METHODS = ("GET", "HEAD")  # type: ignore[assignment]

    def initialize(self, readiness: Readiness, detail: Detail) -> None:
        self.readiness = readiness
        self.detail = detail

    async def get(self) -> None:
        try:
            missing = await asyncio.wait_for(self.readiness(), READINESS_SECONDS)
        except Exception as error:
            log.warning("readiness check failed: %s", type(error).__name__)
            missing = "readiness check failed"
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        detail = self.detail()
        more = f"{detail}\n" if detail else ""
        if missing:
            self.set_status(HTTPStatus.SERVICE_UNAVAILABLE)
            self.finish(f"unavailable: {missing}\n{more}")
        else:
            self.finish(f"ok\n{more}")

    head = get


class MetricsHandler(tornado.web.RequestHandler):
    SUPPORTED_METHODS = ("GET",)  # type: ignore[assignment]

    def get(self) -> None:
        self.set_header("Content-Type", metrics.CONTENT_TYPE)
        self.set_header("Cache-Control", "no-store")
        self.finish(metrics.render())


class GuardedWebhookApp(tornado.web.Application):
    def __init__(
        self,
        webhook_path: str,
        bot: Bot,
        update_queue: asyncio.Queue,
        secret_token: str | None,
        readiness: Readiness = always_ready,
        elsewhere: Deliveries = alone,
        detail: Detail = str,
    ) -> None:
        shared = {
            "bot": bot,
            "update_queue": update_queue,
            "secret_token": secret_token,
            "seen": SeenUpdates(),
            "elsewhere": elsewhere,
        }
        super().__init__(
            [
                (rf"{webhook_path}/?", GuardedHandler, shared),
                (r"/healthz", HealthHandler, {"readiness": readiness, "detail": detail}),
                (r"/metrics", MetricsHandler),
            ]
        )

    def log_request(self, handler: tornado.web.RequestHandler) -> None:
        """python-telegram-bot logs what matters; tornado's access log would repeat every request."""


class GuardedWebhookServer(WebhookServer):
    """python-telegram-bot's server, on `GuardedHTTPServer` rather than tornado's own `HTTPServer`.

    It adds a socket object given as `unix` as it is, whatever its family: the
    socket bound before the index was loaded (`app.load`), shared by workers.
    """

    def __init__(self, listen: str, port: int, app: GuardedWebhookApp, unix: str | Path | socket | None) -> None:
        super().__init__(listen, port, app, None, unix)
        self._http_server = GuardedHTTPServer(app)


class GuardedUpdater(Updater):
    """python-telegram-bot's `Updater`, serving the webhook with `GuardedHandler`; TLS is left to a proxy in front.

    `listening` is a socket already bound and listening, which workers forked
    from one process share (`telegram.workers`): each accepts connections from
    it. Without it the server binds `listen:port` itself.
    """

    def __init__(
        self,
        bot: Bot,
        update_queue: asyncio.Queue,
        readiness: Readiness = always_ready,
        elsewhere: Deliveries = alone,
        listening: socket | None = None,
        detail: Detail = str,
    ) -> None:
        super().__init__(bot, update_queue)
        self.readiness = readiness
        self.elsewhere = elsewhere
        self.listening = listening
        self.detail = detail

    async def _start_webhook(  # type: ignore[override]
        self,
        listen: str,
        port: int,
        url_path: str,
        bootstrap_retries: int,
        allowed_updates: Any,
        cert: str | Path | None = None,
        key: str | Path | None = None,
        drop_pending_updates: bool | None = None,
        webhook_url: str | None = None,
        ready: asyncio.Event | None = None,
        ip_address: str | None = None,
        max_connections: int = 40,
        secret_token: str | None = None,
        unix: str | Path | socket | None = None,
    ) -> None:
        if cert is not None or key is not None:
            raise ValueError("GuardedUpdater serves plain HTTP; terminate TLS in front of it")
        app = GuardedWebhookApp(
            f"/{url_path.lstrip('/')}", self.bot, self.update_queue, secret_token, self.readiness, self.elsewhere, self.detail
        )
        self._httpd = GuardedWebhookServer(listen, port, app, self.listening or unix)
        if webhook_url:
            await self._bootstrap(
                max_retries=bootstrap_retries,
                drop_pending_updates=drop_pending_updates,
                webhook_url=webhook_url,
                allowed_updates=allowed_updates,
                ip_address=ip_address,
                max_connections=max_connections,
                secret_token=secret_token,
            )
        await self._httpd.serve_forever(ready=ready)
