"""The webhook port's connections: how long a request may take to arrive, how many may be open, and running out of descriptors.

tornado's `HTTPServer`, which python-telegram-bot's `WebhookServer` builds,
waits an hour for a request's headers, keeps any number of connections open,
and accepts them in a loop (`netutil.add_accept_handler`) that, once the
process has no descriptor left (EMFILE), raises into the event loop, which
logs a traceback and calls it again at once. 300 half-sent requests held 300
descriptors for the hour; at a low descriptor limit `/healthz` stopped
answering and the log grew by 51 MB in 5 s. `GuardedHTTPServer`:

- closes a connection that has not sent a request's headers within
  `HEADER_SECONDS` (or has sat idle that long between requests), or its body
  within `BODY_SECONDS`, and refuses a body over `MAX_BODY_BYTES` whatever
  the path (tornado would buffer 100 MB of it);
- keeps at most `capacity()` connections open: one more closes the one that
  has waited longest for a request to arrive in full (its headers, then its
  body); when every one has a request being answered, new ones wait in the
  kernel's queue until one ends (a worker sharing the socket may take them
  meanwhile);
- on EMFILE or ENFILE (the bot's own connections and files have used what
  the cap left) closes the connection waiting longest for a request, or,
  with none, stops accepting for `FULL_PAUSE_SECONDS` instead of trying again
  at once; either says so in one line at most every `SAY_EVERY_SECONDS`.

Telegram sends each update as soon as its connection is open, and opens at
most 40 at a time (`setWebhook`'s `max_connections`), so none of these limits
stands in its way; a probe of `/healthz` is served in the same way.
"""

from __future__ import annotations

import errno
import logging
import os
import resource
import socket
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from tornado import httputil
from tornado.http1connection import HTTP1ServerConnection
from tornado.httpserver import HTTPServer
from tornado.ioloop import IOLoop
from tornado.iostream import IOStream

log = logging.getLogger(__name__)

HEADER_SECONDS = 5.0
"""Longest a connection may take to send a request's headers, or wait for its next request (tornado's default: an hour)."""
BODY_SECONDS = 10.0
"""Longest a request's body may take to arrive (tornado's default: no limit); Telegram's updates are a few kilobytes."""
MAX_BODY_BYTES = 1 << 20
"""Largest body read, on any path: an update is a few kilobytes (a message is at most 4,096 characters)."""
MAX_CONNECTIONS = 256
"""Most connections one process keeps open when its descriptor limit allows that many (see `capacity`)."""
FULL_PAUSE_SECONDS = 0.5
"""How long accepting stops when the process has no descriptor left."""
SAY_EVERY_SECONDS = 60.0
"""Least time between two log lines about the same limit being reached."""
_OUT_OF_RESOURCES = {errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM}
_ACCEPT_BATCH = 32
"""Connections accepted before the event loop serves the others: a burst cannot close the newest before they are read."""


def open_descriptors() -> int:
    """How many descriptors this process has open (0 where the system does not say)."""
    for folder in ("/proc/self/fd", "/dev/fd"):
        try:
            return len(os.listdir(folder))
        except OSError:
            continue
    return 0


def capacity(limit: int | None = None, in_use: int | None = None) -> int:
    """Connections one process keeps open: half the descriptors free when it starts serving, at most `MAX_CONNECTIONS`.

    The other half stays for what the bot opens itself: its connections to
    Telegram and to the database, content files and index builds during a
    reload. Each worker has a limit and descriptors of its own.
    """
    limit = resource.getrlimit(resource.RLIMIT_NOFILE)[0] if limit is None else limit
    in_use = open_descriptors() if in_use is None else in_use
    if limit == resource.RLIM_INFINITY:
        return MAX_CONNECTIONS
    return max(1, min(MAX_CONNECTIONS, (limit - in_use) // 2))


class _Sparse:
    """Says something at most once every `SAY_EVERY_SECONDS`, with how often it happened in between."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.said_at: float | None = None
        self.unsaid = 0

    def say(self, text: str, *args: object, exc_info: bool = False) -> None:
        now = self.clock()
        if self.said_at is not None and now - self.said_at < SAY_EVERY_SECONDS:
            self.unsaid += 1
            return
        since = f" ({self.unsaid} more times since it was last said)" if self.unsaid else ""
        log.warning(text + since, *args, exc_info=exc_info)
        self.said_at, self.unsaid = now, 0


class _Arrived(httputil.HTTPMessageDelegate):
    """Passes a request on to its handler, and tells the server once all of it (headers and body) is in."""

    def __init__(self, delegate: httputil.HTTPMessageDelegate, arrived: Callable[[], None]) -> None:
        self.delegate = delegate
        self.arrived = arrived

    def headers_received(
        self, start_line: httputil.RequestStartLine | httputil.ResponseStartLine, headers: httputil.HTTPHeaders
    ) -> Any:
        return self.delegate.headers_received(start_line, headers)

    def data_received(self, chunk: bytes) -> Any:
        return self.delegate.data_received(chunk)

    def finish(self) -> None:
        self.arrived()
        self.delegate.finish()

    def on_connection_close(self) -> None:
        self.delegate.on_connection_close()


class _Acceptor:
    """Accepts connections from one listening socket, in place of `tornado.netutil.add_accept_handler`.

    Stops while the server is full of busy connections (`full`) or the process
    is out of descriptors (`resting`), so that neither makes the event loop spin.
    """

    def __init__(self, server: GuardedHTTPServer, listening: socket.socket) -> None:
        self.server = server
        self.listening = listening
        self.loop = IOLoop.current()
        self.full = False
        self.resting = False
        self.removed = False
        self.watching = False
        self._update()

    def remove(self) -> None:
        """What `TCPServer.stop` calls: accept no more."""
        self.removed = True
        self._update()

    def set_full(self, full: bool) -> None:
        self.full = full
        self._update()

    def _rest(self) -> None:
        self.resting = True
        self._update()
        self.loop.call_later(FULL_PAUSE_SECONDS, self._wake)

    def _wake(self) -> None:
        self.resting = False
        self._update()

    def _update(self) -> None:
        wanted = not (self.removed or self.full or self.resting)
        if wanted and not self.watching:
            self.loop.add_handler(self.listening, self._accept, IOLoop.READ)
        elif self.watching and not wanted:
            self.loop.remove_handler(self.listening)
        self.watching = wanted

    def _accept(self, fd: Any, events: int) -> None:
        """The listening socket is readable. Never raises: the event loop would log it and call again at once, for good."""
        try:
            self._accept_some()
        except Exception:
            self.server.accept_failed()
            self._rest()

    def _accept_some(self) -> None:
        for _ in range(_ACCEPT_BATCH):
            if not self.watching:
                return
            if not self.server.make_room():
                self.set_full(True)
                return
            try:
                connection, address = self.listening.accept()
            except BlockingIOError:
                return
            except ConnectionAbortedError:
                continue
            except OSError as error:
                if error.errno not in _OUT_OF_RESOURCES:
                    raise
                if self.server.out_of_descriptors(error):
                    continue
                self._rest()
                return
            self.server.accepted(connection, address)


class GuardedHTTPServer(HTTPServer):
    """tornado's `HTTPServer` with the limits of this module; `max_connections` None: `capacity()` when it starts."""

    def initialize(self, request_callback: Any, max_connections: int | None = None, **kwargs: Any) -> None:
        super().initialize(
            request_callback,
            idle_connection_timeout=HEADER_SECONDS,
            body_timeout=BODY_SECONDS,
            max_body_size=MAX_BODY_BYTES,
            **kwargs,
        )
        self.max_connections = max_connections
        self._waiting: OrderedDict[IOStream, None] = OrderedDict()
        """The streams of connections waiting for a request to arrive in full, the longest waiting first."""
        self._closed_early: set[IOStream] = set()
        """Connections closed to make room whose serving has not ended yet (their descriptor is free already)."""
        self._acceptors: list[_Acceptor] = []
        self._full_said = _Sparse()
        self._descriptors_said = _Sparse()
        self._failure_said = _Sparse()

    def add_sockets(self, sockets: Any) -> None:
        if self.max_connections is None:
            self.max_connections = capacity()
            log.debug("webhook: at most %d connections open at a time", self.max_connections)
        for listening in sockets:
            acceptor = _Acceptor(self, listening)
            self._acceptors.append(acceptor)
            self._sockets[listening.fileno()] = listening
            self._handlers[listening.fileno()] = acceptor.remove

    def open_connections(self) -> int:
        return len(self._connections) - len(self._closed_early)

    def make_room(self) -> bool:
        """Whether one more connection may be accepted, once the one waiting longest for a request is closed if need be."""
        assert self.max_connections is not None
        if self.open_connections() < self.max_connections:
            return True
        if not self._close_longest_waiting():
            self._full_said.say(
                "webhook: %d connections open, all with a request being answered: new ones wait until one ends",
                self.max_connections,
            )
            return False
        self._full_said.say(
            "webhook: %d connections open, the most this process keeps: closing those waiting longest for a request",
            self.max_connections,
        )
        return True

    def _close_longest_waiting(self) -> bool:
        """Close the connection that has waited longest for a request to arrive; False when none is waiting."""
        if not self._waiting:
            return False
        oldest, _ = self._waiting.popitem(last=False)
        self._closed_early.add(oldest)
        oldest.close()
        return True

    def accepted(self, connection: socket.socket, address: Any) -> None:
        self._handle_connection(connection, address)

    def out_of_descriptors(self, error: OSError) -> bool:
        """Accepting failed for want of a descriptor: whether one was freed, by closing a connection waiting for a request."""
        freed = self._close_longest_waiting()
        self._descriptors_said.say(
            "webhook: cannot accept a connection (%s; %d connections open, descriptor limit %s): %s",
            error.strerror,
            self.open_connections(),
            resource.getrlimit(resource.RLIMIT_NOFILE)[0],
            "closing those waiting longest for a request" if freed else f"not accepting for {FULL_PAUSE_SECONDS} s at a time",
        )
        return freed

    def accept_failed(self) -> None:
        self._failure_said.say(
            "webhook: accepting a connection failed; trying again in %.1f s", FULL_PAUSE_SECONDS, exc_info=True
        )

    def handle_stream(self, stream: IOStream, address: tuple) -> None:
        """A connection just accepted waits for its first request."""
        self._waiting[stream] = None
        super().handle_stream(stream, address)

    def start_request(self, server_conn: object, request_conn: httputil.HTTPConnection) -> httputil.HTTPMessageDelegate:
        """Called as a connection starts waiting for a request: its first, or the next on a kept-alive one."""
        assert isinstance(server_conn, HTTP1ServerConnection)
        stream = server_conn.stream
        if stream not in self._waiting:
            self._waiting[stream] = None
            self._room_again()
        delegate = super().start_request(server_conn, request_conn)
        return _Arrived(delegate, lambda: self._waiting.pop(stream, None))

    def on_close(self, server_conn: object) -> None:
        super().on_close(server_conn)
        assert isinstance(server_conn, HTTP1ServerConnection)
        self._waiting.pop(server_conn.stream, None)
        self._closed_early.discard(server_conn.stream)
        self._room_again()

    def _room_again(self) -> None:
        """A connection ended, or waits for a request and so could be closed to make room: accept again if full."""
        for acceptor in self._acceptors:
            if acceptor.full:
                acceptor.set_full(False)
