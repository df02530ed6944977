"""A TCP proxy on 127.0.0.1 in front of a PostgreSQL server, which can make the connections through it die unseen.

A connection can die without a word to the client: the server's host
restarted, a failover moved its address, a firewall forgot the flow. The
client still holds the socket, and learns of it only at the next statement,
which the other end answers with a reset. `forget` does that to every
connection open through the proxy; `reset_on` resets one connection when the
client sends a given statement, either before it reaches the server or just
after (so the server runs it, but the client never hears back). Otherwise
bytes pass as they are, and a connection the server closes is closed to the
client too, as a server's own closing is seen.

It runs on an event loop in a thread of its own, so a test in any process
(the bot's own, or the test's) can use it.
"""

from __future__ import annotations

import asyncio
import socket
import struct
import threading
from dataclasses import dataclass, field


@dataclass
class _Link:
    client: asyncio.StreamWriter
    server: asyncio.StreamWriter
    forgotten: bool = False


@dataclass
class _Trap:
    marker: bytes
    after: bool
    sprung: threading.Event = field(default_factory=threading.Event)


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with a reset (RST), not a FIN: what a host that no longer knows the connection answers."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


class PostgresProxy:
    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self._links: list[_Link] = []
        self._traps: list[_Trap] = []
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="pgproxy", daemon=True)
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(asyncio.start_server(self._serve, "127.0.0.1", 0), self._loop).result()
        self.port: int = self._server.sockets[0].getsockname()[1]

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def forget(self) -> int:
        """Every connection open now dies unseen: the server's side is closed, the client's is reset at its next write."""

        async def forget() -> int:
            links, self._links = self._links, []
            for link in links:
                link.forgotten = True
                link.server.transport.abort()
            return len(links)

        return asyncio.run_coroutine_threadsafe(forget(), self._loop).result()

    def reset_on(self, marker: bytes, *, after: bool = False) -> threading.Event:
        """The next connection whose client sends `marker` is reset: before the server has it, or (`after`) once it has."""
        trap = _Trap(marker, after)
        self._traps.append(trap)
        return trap.sprung

    def close(self) -> None:
        async def close() -> None:
            self._server.close()
            for link in self._links:
                link.client.transport.abort()
                link.server.transport.abort()

        asyncio.run_coroutine_threadsafe(close(), self._loop).result()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    async def _serve(self, client_in: asyncio.StreamReader, client_out: asyncio.StreamWriter) -> None:
        try:
            server_in, server_out = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            _reset(client_out)  # the server is down: as near to a refused connection as a proxy gets
            return
        link = _Link(client_out, server_out)
        self._links.append(link)
        await asyncio.gather(self._upstream(link, client_in), self._downstream(link, server_in), return_exceptions=True)
        if link in self._links:
            self._links.remove(link)

    async def _upstream(self, link: _Link, client_in: asyncio.StreamReader) -> None:
        while data := await client_in.read(65536):
            if link.forgotten:
                _reset(link.client)
                return
            trap = next((trap for trap in self._traps if trap.marker in data), None)
            if trap is not None:
                self._traps.remove(trap)
                link.forgotten = True  # from now on, nothing the server says reaches the client
                if trap.after:
                    link.server.write(data)
                    await link.server.drain()
                    await asyncio.sleep(0.2)  # the server runs it meanwhile
                link.server.transport.abort()
                _reset(link.client)
                trap.sprung.set()
                return
            link.server.write(data)
            await link.server.drain()
        if not link.forgotten:
            link.server.close()

    async def _downstream(self, link: _Link, server_in: asyncio.StreamReader) -> None:
        while data := await server_in.read(65536):
            if link.forgotten:
                return
            link.client.write(data)
            await link.client.drain()
        if not link.forgotten:
            link.client.close()
