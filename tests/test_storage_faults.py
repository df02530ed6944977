"""A database the bot cannot use: found at start with one line, and noticed while the bot runs.

At start: a file that is not a database, a truncated one, a folder in its place,
a file on a read-only mount, a folder that cannot be created. Each stops
`python -m bot run` with one line naming the file and the fix, and the process
exits. While running: a database deleted under the bot, a full disk, or
another process holding the file's write lock makes writes fail; a `/lang`
change is then not confirmed, questions are still answered, and the log says
so once, and once more when writes succeed again.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.chat.dialogue import Asker, Dialogue
from bot.chat.messages import message
from bot.chat.reload import ContentReloader
from bot.config import Settings
from bot.search.searcher import Searcher
from bot.storage.records import LoggedQuestion, StoreError
from bot.storage.sqlite import Store, check_database

from .botrunner import BotProcess, say
from .conftest import SEEDS
from .fake_telegram import FakeTelegram


def real_database(path: Path) -> Path:
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE t (x)")
    db.executemany("INSERT INTO t VALUES (?)", [("x" * 500,)] * 400)
    db.commit()
    db.close()
    return path


def garbage(path: Path) -> None:
    path.write_bytes(os.urandom(8192))


def truncated(path: Path) -> None:
    data = real_database(path).read_bytes()
    path.write_bytes(data[: len(data) // 2])


def folder(path: Path) -> None:
    path.mkdir()


def under_a_file(path: Path) -> None:
    path.parent.write_text("not a folder")


BROKEN = {
    "garbage": (garbage, "is not a usable SQLite database", "move it aside"),
    "truncated": (truncated, "is not a usable SQLite database", "restore it from a backup"),
    "folder": (folder, "is a folder", "set DATABASE_PATH to a file"),
    "parent is a file": (under_a_file, "cannot be written", "set DATABASE_PATH to a file in a writable folder"),
}


@contextlib.contextmanager
def mounted(*args: str, target: Path) -> Iterator[None]:
    """A mount for the test's length, as root can make one; the test is skipped where it cannot."""
    done = subprocess.run(["mount", *args, str(target)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount here ({done.stderr.strip()}); read-only storage checked by code review only")
    try:
        yield
    finally:
        subprocess.run(["umount", "-l", str(target)], check=False)


@contextlib.contextmanager
def read_only(folder: Path) -> Iterator[None]:
    """`folder` made read-only by a read-only bind mount over itself, which binds even root."""
    with mounted("--bind", str(folder), target=folder):
        done = subprocess.run(["mount", "-o", "remount,ro,bind", str(folder)], capture_output=True, text=True)
        if done.returncode != 0:
            pytest.skip(f"cannot remount read-only here ({done.stderr.strip()})")
        yield


@pytest.mark.parametrize("kind", BROKEN)
def test_an_unusable_database_is_one_error_naming_the_file_and_the_fix(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "data" / "bot.sqlite3"
    if kind != "parent is a file":
        path.parent.mkdir()
    make, problem, fix = BROKEN[kind]
    make(path)
    with pytest.raises(StoreError) as raised:
        check_database(path)
    message = str(raised.value)
    assert str(path) in message and problem in message and fix in message and "\n" not in message
    with pytest.raises(StoreError):
        asyncio.run(Store.open(path))


def test_a_database_on_a_read_only_mount_is_refused(tmp_path: Path) -> None:
    path = real_database(tmp_path / "bot.sqlite3")
    with read_only(tmp_path), pytest.raises(StoreError, match=r"cannot be written \(.*\): make it and its folder writable"):
        check_database(path)


def test_a_database_folder_on_a_read_only_mount_is_refused(tmp_path: Path) -> None:
    with read_only(tmp_path), pytest.raises(StoreError, match="Read-only file system"):
        check_database(tmp_path / "data" / "bot.sqlite3")


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["garbage", "truncated"])
def test_the_bot_stops_at_start_with_one_line_and_exits(fake: FakeTelegram, tmp_path: Path, kind: str) -> None:
    database = tmp_path / "bot.sqlite3"
    BROKEN[kind][0](database)
    process = BotProcess(fake, tmp_path, LOG_LEVEL="WARNING")
    with pytest.raises(AssertionError, match="bot did not start"):
        process.start()
    assert process.process is not None and process.process.wait(10) == 2
    lines = process.log().splitlines()
    assert lines == [
        f"{database} is not a usable SQLite database (file is not a database): move it aside to start with an empty one, "
        "or restore it from a backup (DATABASE_PATH)"
    ] or (kind == "truncated" and len(lines) == 1 and "database disk image is malformed" in lines[0]), lines


def test_a_database_deleted_while_running_refuses_writes(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"

    async def scenario() -> None:
        store = await Store.open(path)
        try:
            await store.set_user_language(1, "da")
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            with pytest.raises(StoreError, match="deleted or replaced while the bot was running: restart the bot"):
                await store.set_user_language(1, "it")
            with pytest.raises(StoreError):
                await store.record_answer(LoggedQuestion(1, 1, "q", "it", "none", None, None, 0.0), None)
        finally:
            await store.close()

    asyncio.run(scenario())


def test_a_full_disk_is_a_failed_write_and_the_store_recovers(tmp_path: Path) -> None:
    disk = tmp_path / "disk"
    disk.mkdir()
    with mounted("-t", "tmpfs", "-o", "size=400k", "tmpfs", target=disk):

        async def scenario() -> None:
            store = await Store.open(disk / "bot.sqlite3")
            filler = disk / "filler"
            try:
                with contextlib.suppress(OSError), filler.open("wb") as out:
                    while True:
                        out.write(b"\0" * 4096)
                        out.flush()
                with pytest.raises(StoreError, match="full"):
                    for i in range(2000):
                        await store.record_answer(LoggedQuestion(i, i, "x" * 1000, "it", "none", None, None, 0.0), None)
                filler.unlink()
                await store.set_user_language(1, "da")
                assert await store.user_language(1) == "da"
            finally:
                await store.close()

        asyncio.run(scenario())


@pytest.fixture
def bot(fake: FakeTelegram, tmp_path: Path) -> Iterator[BotProcess]:
    process = BotProcess(fake, tmp_path).start()
    yield process
    assert process.stop() == 0, process.log()


@pytest.mark.slow
def test_a_database_deleted_under_the_running_bot_is_noticed(fake: FakeTelegram, bot: BotProcess, tmp_path: Path) -> None:
    user = 61_001
    (confirmed,) = say(fake, "/lang it", user)
    assert confirmed["text"].startswith("Ora la tua lingua è Italiano")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{tmp_path / 'bot.sqlite3'}{suffix}").unlink(missing_ok=True)
    (refused,) = say(fake, "/lang da", user)
    assert refused["text"] == "Jeg kunne ikke gemme dit valg af sprog lige nu, så intet er ændret. Prøv igen senere."
    (answer,) = say(fake, "maaş aralığı nedir", user)
    assert "45.000 ila 85.000" in answer["text"]
    deadline = time.monotonic() + 5
    while f"chat {user}: the question was answered but not logged" not in bot.log() and time.monotonic() < deadline:
        time.sleep(0.1)
    log = bot.log()
    assert f"chat {user}: the language choice da was not saved" in log
    assert f"chat {user}: the question was answered but not logged" in log


FAILING, BACK = "the database is failing", "the database answers again"


def outage(fake: FakeTelegram, bot: BotProcess, user: int, fault: contextlib.AbstractContextManager[object]) -> None:
    """Readers go on being answered while `fault` lasts, the log says so once and once more after, and then
    what they store is stored again."""
    (chosen,) = say(fake, "/lang it", user)
    assert chosen["text"].startswith("Ora la tua lingua è Italiano")
    with fault:
        (answer,) = say(fake, "maaş aralığı nedir", user)
        assert "45.000 ila 85.000" in answer["text"]
        (refused,) = say(fake, "/lang da", user)
        assert refused["text"] == "Jeg kunne ikke gemme dit valg af sprog lige nu, så intet er ændret. Prøv igen senere."
        assert bot.log().count(FAILING) == 1
    for asker in range(user + 1, user + 60):  # the first question after the fault tries the database again
        if BACK in bot.log():
            break
        (answer,) = say(fake, "fascia di stipendio", asker)
        time.sleep(0.5)
    (saved,) = say(fake, "/lang da", user)
    assert saved["text"].startswith("Dit sprog er nu Dansk")
    log = bot.log()
    assert log.count(FAILING) == 1 and log.count(BACK) == 1 and "language choice ×1" in log


@contextlib.contextmanager
def locked(database: Path) -> Iterator[None]:
    """Another process holding the file's write lock: a backup tool, an operator's `sqlite3` shell inside a transaction."""
    holder = sqlite3.connect(database, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()


@pytest.mark.slow
def test_a_database_locked_by_another_process_costs_readers_seconds_not_answers(
    fake: FakeTelegram, bot: BotProcess, tmp_path: Path
) -> None:
    """Each write would wait out SQLite's busy timeout (5 s), one after another: a reader waits 3 s at most, once."""
    outage(fake, bot, 61_101, locked(tmp_path / "bot.sqlite3"))


@contextlib.contextmanager
def full(disk: Path) -> Iterator[None]:
    """The disk the database is on, filled by something else."""
    filler = disk / "filler"
    with contextlib.suppress(OSError), filler.open("wb") as out:
        while True:
            out.write(b"\0" * 4096)
            out.flush()
    try:
        yield
    finally:
        filler.unlink()


@pytest.mark.slow
def test_a_disk_filled_under_the_running_bot_costs_readers_nothing_but_what_it_stores(fake: FakeTelegram, tmp_path: Path) -> None:
    disk = tmp_path / "disk"
    disk.mkdir()
    with mounted("-t", "tmpfs", "-o", "size=2m", "tmpfs", target=disk):
        process = BotProcess(fake, tmp_path, DATABASE_PATH=str(disk / "bot.sqlite3")).start()
        try:
            outage(fake, process, 61_201, full(disk))
        finally:
            assert process.stop() == 0, process.log()


def test_a_database_damaged_under_the_store_fails_its_reads_as_store_error_and_readers_are_answered(
    searcher: Searcher, tmp_path: Path
) -> None:
    """A read SQLite finds malformed (a disk error, a file overwritten) is a `StoreError`, which the conversation answers
    without. In the running bot the damage may stay hidden behind SQLite's cache and write-ahead log, so this is in process."""
    path = tmp_path / "bot.sqlite3"

    async def scenario() -> tuple[str, str]:
        store = await Store.open(path)
        try:
            with open(path, "r+b") as damaged:
                damaged.seek(100)  # past the header: the schema and every table
                damaged.write(os.urandom(path.stat().st_size - 100))
            with pytest.raises(StoreError, match="database disk image is malformed"):
                await store.user_language(1)
            settings = Settings(SEEDS, None, "en", "WARNING", database_path=path)
            dialogue = Dialogue(ContentReloader(settings, searcher), store, "en")
            asker = Asker(chat_id=1, user_id=1, language_code="it")
            return (await dialogue.ask(asker, "maaş aralığı nedir")).texts[0], (await dialogue.language(asker, None)).texts[0]
        finally:
            await store.close()

    answer, menu = asyncio.run(scenario())
    assert "45.000 ila 85.000" in answer
    assert menu == message("it", "lang_unreadable")
