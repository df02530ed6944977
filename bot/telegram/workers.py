"""Several webhook processes on one host, forked from one that has loaded the index: one copy of it in memory.

Every serving process needs the index, lingua's language models and the
interpreter's own heap (imported modules, tables). Separate processes each
hold the models and the heap privately, so four of them on one host took
about four times the memory of one (benchmarks/README.md). Forked after the
loading, workers share all of it copy-on-write, as gunicorn's `preload_app`
does; `gc.freeze()` keeps the garbage collector from writing to (and so
copying) the pages of what the parent loaded.

The parent binds the webhook's socket before it forks, and every worker
accepts connections from it: the kernel gives each connection to one of them.
Each worker runs its own `Application`, event loop and database connections;
only the first registers the webhook with Telegram. The parent only
supervises: it passes SIGTERM, SIGINT and SIGHUP on to the workers, starts
a worker again when one dies (killed, or crashed), and stops them all with
status 2 when one stops for a reason a restart will not mend (a token Telegram
rejected, a database that cannot be used).

What each worker keeps to itself: a reload (each loads the new index from
the cache, which one of them builds: see `index_cache._building`), and with
SQLite the flood counters and the webhook updates already handled.
PostgreSQL counts both across workers as across hosts.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import gc
import logging
import os
import shutil
import signal
import socket
import sys
import tempfile
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

FORWARDED = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
UNRECOVERABLE = 2
"""A worker's exit status that no restart mends (see `app.run`): every worker stops and the parent exits with it."""
POLL_SECONDS = 0.1
"""How often the parent looks for workers that have ended."""
RESTART_SECONDS = 1.0
"""Pause before a worker that died is started again, so a worker that dies at once does not spin."""


def count_across_workers() -> None:
    """Make the metrics count across processes; must run before `chat.metrics` (prometheus_client) is first imported.

    prometheus_client reads `PROMETHEUS_MULTIPROC_DIR` once, at import, to
    choose where counts live; the folder is this run's own and is removed at
    exit, as its documentation asks (stale files would add old counts in).
    """
    if "prometheus_client" in sys.modules:
        raise RuntimeError("count_across_workers() must run before prometheus_client is imported")
    folder = tempfile.mkdtemp(prefix="kb-bot-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = folder
    parent = os.getpid()
    atexit.register(lambda: os.getpid() == parent and shutil.rmtree(folder, ignore_errors=True))


def listen(address: str, port: int) -> socket.socket:
    """The webhook's socket, bound and listening before the fork, so every worker accepts from it."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    server = socket.create_server((address, port), family=family, backlog=1024)
    server.setblocking(False)
    return server


class _WorkerTag(logging.Filter):
    """Names the worker in every log line it writes, so an operator reading one log can tell them apart."""

    def __init__(self, number: int) -> None:
        super().__init__()
        self.tag = f"worker {number}"

    def filter(self, record: logging.LogRecord) -> bool:
        record.name = f"{record.name} ({self.tag})"
        return True


def _become_worker(number: int, parent: int) -> None:
    for sig in FORWARDED:
        signal.signal(sig, signal.SIG_DFL)
    _end_with(parent)
    tag = _WorkerTag(number)
    for handler in logging.getLogger().handlers:
        handler.addFilter(tag)


def _end_with(parent: int) -> None:
    """Have the kernel send this worker SIGTERM when the parent ends, however it ends (kill -9, out of memory).

    Orphaned workers would go on answering from an index nobody reloads, and
    hold the port, so the bot could not be started again. Linux only
    (`prctl(PR_SET_PDEATHSIG)`); elsewhere a worker outlives a parent killed
    with SIGKILL.
    """
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:
        os.kill(os.getpid(), signal.SIGTERM)


_PR_SET_PDEATHSIG = 1


def _start(number: int, work: Callable[[int], int]) -> int:
    """Fork one worker running `work(number)`; its pid, in the parent. The worker never returns from here."""
    parent = os.getpid()
    pid = os.fork()
    if pid:
        return pid
    status = 1
    try:
        _become_worker(number, parent)
        status = work(number)
    except BaseException:
        log.exception("worker %d failed", number)
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)


def _compact() -> None:
    """Leave the workers only pages worth sharing: collect the garbage, hand the heap's free pages back, freeze the rest.

    A worker's own allocations reuse the parent's free heap; every such page
    written is copied, and the parent keeps its now private original too.
    Handed back first (glibc's `malloc_trim`), they cost nothing twice.
    `gc.freeze()` then keeps the collector from writing to what the parent
    loaded (see the module's docstring).
    """
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    gc.freeze()


class _Supervisor:
    """The parent's side: which worker runs where, whether a stop was asked for, and the status to exit with."""

    def __init__(self, work: Callable[[int], int], restart_seconds: float) -> None:
        self.work = work
        self.restart_seconds = restart_seconds
        self.workers: dict[int, int] = {}
        """pid → worker number."""
        self.stopping = False
        self.status = 0

    def start(self, number: int) -> None:
        self.workers[_start(number, self.work)] = number

    def forward(self, sig: int, _frame: object = None) -> None:
        """A signal handler: SIGHUP makes every worker reload; SIGTERM and SIGINT stop them, and the parent after."""
        self.stopping = self.stopping or sig != signal.SIGHUP
        for pid in list(self.workers):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)

    def ended(self) -> list[tuple[int, int, int]]:
        """(pid, worker number, exit code) of each worker that has ended since the last look.

        Asks after its own workers by pid, never for any child (`os.wait`):
        the process has others (multiprocessing's resource tracker, an index
        build) that are not the supervisor's to reap.
        """
        found = []
        for pid, number in list(self.workers.items()):
            try:
                waited, wait_status = os.waitpid(pid, os.WNOHANG)
                code = os.waitstatus_to_exitcode(wait_status) if waited else 0
            except ChildProcessError:
                waited, code = pid, -1
            if waited:
                del self.workers[pid]
                found.append((pid, number, code))
        return found

    def supervise(self) -> None:
        """Until every worker has ended: start again any that dies before a stop, stop all when one cannot go on."""
        while self.workers:
            time.sleep(POLL_SECONDS)
            for pid, number, code in self.ended():
                if self.stopping:
                    continue
                if code == UNRECOVERABLE:
                    self.status = UNRECOVERABLE
                    self.forward(signal.SIGTERM)
                    continue
                log.warning("worker %d (pid %d) ended with status %d; starting it again", number, pid, code)
                time.sleep(self.restart_seconds)
                if not self.stopping:
                    self.start(number)


def fork_workers(count: int, work: Callable[[int], int], restart_seconds: float = RESTART_SECONDS) -> int:
    """Run `work(n)` in `count` forked workers until SIGTERM or SIGINT; the status to exit with (0, or `UNRECOVERABLE`)."""
    supervisor = _Supervisor(work, restart_seconds)
    previous = {sig: signal.signal(sig, supervisor.forward) for sig in FORWARDED}
    _compact()
    try:
        for number in range(count):
            supervisor.start(number)
        supervisor.supervise()
    finally:
        gc.unfreeze()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return supervisor.status
