"""A real PostgreSQL server for the tests, never a mock: started once per session from Debian's `postgresql` package.

`TEST_DATABASE_URL` (a server's maintenance database, such as
postgresql://postgres@127.0.0.1:5432/postgres) uses a running server instead.
Otherwise `initdb` and `pg_ctl` make a throwaway cluster in a temporary folder,
listening on a free port on 127.0.0.1 only, run as the `postgres` user when the
tests run as root (PostgreSQL refuses root). Durability is switched off
(`fsync=off`): the tests never survive a power cut, and it makes them fast.
A test that stops the server starts a cluster of its own (`new_cluster`).

Where no server can be started the tests that need one are skipped, saying
why; with `KB_REQUIRE_POSTGRES=1` (set by `.ci/run`) they fail instead, so CI is
never such a place. Each test gets a database of its own (`pg_url`).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _unavailable(reason: str) -> None:
    if os.environ.get("KB_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"PostgreSQL is required here (KB_REQUIRE_POSTGRES=1) but {reason}")
    pytest.skip(f"no PostgreSQL server: {reason}")


def _binaries() -> Path | None:
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0
    )
    if found:
        return Path(found[-1]).parent
    pg_ctl = shutil.which("pg_ctl")
    return Path(pg_ctl).parent if pg_ctl else None


class Cluster:
    """A throwaway PostgreSQL cluster in a temporary folder, on a free port of 127.0.0.1, that a test may stop and start.

    Run as the `postgres` user when the tests run as root (PostgreSQL refuses root).
    """

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.as_user: list[str] = []
        self.folder = Path(tempfile.mkdtemp(prefix="kb-bot-pg-"))
        self.data, self.port = self.folder / "data", free_port()
        if os.geteuid() == 0:
            try:
                owner = pwd.getpwnam("postgres")
            except KeyError:
                shutil.rmtree(self.folder, ignore_errors=True)
                _unavailable("the tests run as root and there is no postgres user to run the server as")
            os.chown(self.folder, owner.pw_uid, owner.pw_gid)
            self.as_user = ["runuser", "-u", "postgres", "--"]

    @property
    def url(self) -> str:
        """The maintenance database's URL."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, program: str, *args: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run([*self.as_user, str(self.bindir / program), *args], check=True, capture_output=True)

    def create(self) -> Cluster:
        """`initdb` and a first start; the test is skipped (or, under `KB_REQUIRE_POSTGRES=1`, failed) when either fails."""
        try:
            self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C", "--no-sync")
            self.start()
        except subprocess.CalledProcessError as error:
            log = self.folder / "server.log"
            text = log.read_text(errors="replace") if log.exists() else ""
            self.remove()
            _unavailable(f"the server did not start: {error.stderr.decode(errors='replace')}{text}")
        return self

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.folder / "server.log"), "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        """`fast`: the server ends every session, telling each client, as an operator's restart does."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def remove(self) -> None:
        subprocess.run(
            [*self.as_user, str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"], capture_output=True
        )
        shutil.rmtree(self.folder, ignore_errors=True)


def new_cluster() -> Cluster:
    """A cluster of a test's own, started; `remove` it after."""
    bindir = _binaries()
    if bindir is None:
        _unavailable("initdb and pg_ctl were not found (apt-get install postgresql)")
    return Cluster(bindir).create()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """The URL of a running server's maintenance database."""
    if os.environ.get("TEST_DATABASE_URL"):
        yield os.environ["TEST_DATABASE_URL"]
        _drop_spare(os.environ["TEST_DATABASE_URL"])
        return
    cluster = new_cluster()
    try:
        yield cluster.url
    finally:
        _drop_spare(cluster.url)
        cluster.remove()


async def _admin(server: str, statement: str) -> None:
    db = await asyncpg.connect(server)
    try:
        await db.execute(statement)
    finally:
        await db.close()


def database_url(server: str, name: str) -> str:
    return server.rsplit("/", 1)[0] + f"/{name}"


class _Spare:
    """The next test's new database, made in a thread while this test runs: PostgreSQL takes a quarter of a second
    to copy its template into each, and some twenty tests want one of their own."""

    def __init__(self, server: str) -> None:
        self.server = server
        self._maker = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="spare-database")
        self._next = self._maker.submit(self._create)

    def _create(self) -> str:
        name = f"kb_test_{uuid.uuid4().hex[:12]}"
        asyncio.run(_admin(self.server, f"CREATE DATABASE {name}"))
        return name

    def take(self) -> str:
        name, self._next = self._next.result(), self._maker.submit(self._create)
        return name

    def drop(self) -> None:
        asyncio.run(_admin(self.server, f"DROP DATABASE IF EXISTS {self._next.result()} WITH (FORCE)"))
        self._maker.shutdown()


_spares: dict[str, _Spare] = {}


def _drop_spare(server: str) -> None:
    if server in _spares:
        _spares.pop(server).drop()


@pytest.fixture
def pg_url(postgres_server: str) -> Iterator[str]:
    """A new, empty database on the server, dropped after the test."""
    if postgres_server not in _spares:
        _spares[postgres_server] = _Spare(postgres_server)
    name = _spares[postgres_server].take()
    yield database_url(postgres_server, name)
    asyncio.run(_admin(postgres_server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
