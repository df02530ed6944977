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
a worker again when one dies (killed, crashed, or unable to reach the
database at its start: the others answer meanwhile), and stops them all with
status 2 when one stops for a reason a restart will not mend (a token Telegram
rejected, a database that refuses the bot's settings).

Each worker reloads on its own (SIGHUP, `/reload`, its periodic content
check); one that has swapped in new content has the parent pass SIGHUP on,
and the others then load the index it built (`index_cache._building` keeps
them from building it again). A worker started again after a crash catches
up the same way. The flood limit and the webhook updates already handled
are counted in the database, which the workers share (a SQLite file
included), not in each worker's memory: a reader's messages, and Telegram's
copies of an update, reach any of them.
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
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

FORWARDED = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
UNRECOVERABLE = 2
"""A worker's exit status that no restart mends (see `app.run`): every worker stops and the parent exits with it."""
POLL_SECONDS = 0.1
"""How often the parent looks for workers that have ended."""
RESTART_SECONDS = (1.0, 30.0)
"""Pause before a worker that died is started again: the first, doubled while it keeps dying within `STEADY_SECONDS`
of its start (Telegram unreachable, say), up to the second."""
STEADY_SECONDS = 60.0
STOP_SECONDS = 25.0
"""How long workers asked to stop may take to finish what they are answering before they are killed."""
METRICS_PREFIX = "kb-bot-metrics-"
_PR_SET_PDEATHSIG = 1


def count_across_workers() -> None:
    """Make the metrics count across processes; must run before `bot.metrics` (prometheus_client) is first imported.

    prometheus_client reads `PROMETHEUS_MULTIPROC_DIR` once, at import, to
    choose where counts live. An operator's own folder is used as it is (they
    empty it between runs, as prometheus_client's documentation asks: stale
    files would add old counts in). Otherwise the folder is this run's own,
    named by its pid and removed at exit; folders of runs killed before they
    could remove theirs are removed here.
    """
    if "prometheus_client" in sys.modules:
        raise RuntimeError("count_across_workers() must run before prometheus_client is imported")
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return
    for stale in Path(tempfile.gettempdir()).glob(f"{METRICS_PREFIX}*"):
        owner = stale.name.removeprefix(METRICS_PREFIX).split("-")[0]
        if owner.isdigit() and not _alive(int(owner)):
            shutil.rmtree(stale, ignore_errors=True)
    parent = os.getpid()
    folder = tempfile.mkdtemp(prefix=f"{METRICS_PREFIX}{parent}-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = folder
    atexit.register(lambda: os.getpid() == parent and shutil.rmtree(folder, ignore_errors=True))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


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
    """The child's first steps, with the forwarded signals still blocked (see `_Supervisor.start`).

    SIGHUP is ignored until the worker's event loop handles it (a reload);
    one sent meanwhile is caught up by the reload each worker makes at start.
    """
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    _end_with(parent)
    tag = _WorkerTag(number)
    for handler in logging.getLogger().handlers:
        handler.addFilter(tag)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, FORWARDED)


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


def _fork(number: int, work: Callable[[int], int]) -> int:
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


@dataclass
class _Worker:
    number: int
    started: float
    pause: float
    """How long to wait before starting it again if it dies now."""


class _Supervisor:
    """The parent's side: which worker runs where, whether a stop was asked for, and the status to exit with."""

    def __init__(self, work: Callable[[int], int], clock: Callable[[], float] = time.monotonic) -> None:
        self.work = work
        self.clock = clock
        self.workers: dict[int, _Worker] = {}
        """By pid, the workers running."""
        self.due: dict[int, tuple[float, float]] = {}
        """By worker number, those that died: when to start each again, and its pause."""
        self.stopping: float | None = None
        """When a stop was asked for."""
        self.killed = False
        self.status = 0

    def start(self, number: int, pause: float | None = None) -> None:
        """Fork worker `number` with the forwarded signals blocked, so none is lost or handled twice meanwhile.

        A signal that comes while they are blocked is handled once they are
        unblocked, with the new worker already listed (the child unblocks
        them after resetting their handlers); one that came before, during a
        stop, is passed on here.
        """
        signal.pthread_sigmask(signal.SIG_BLOCK, FORWARDED)
        try:
            pid = _fork(number, self.work)
            self.workers[pid] = _Worker(number, self.clock(), RESTART_SECONDS[0] if pause is None else pause)
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, FORWARDED)
        if self.stopping is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    def forward(self, sig: int, _frame: object = None) -> None:
        """A signal handler: SIGHUP makes every worker reload; SIGTERM and SIGINT stop them, and the parent after."""
        if sig != signal.SIGHUP and self.stopping is None:
            self.stopping = self.clock()
            self.due.clear()
        self._signal_all(sig)

    def _signal_all(self, sig: int) -> None:
        for pid in list(self.workers):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)

    def reap(self) -> None:
        """Note each worker that has ended, and what follows from how it ended.

        Asks after its own workers by pid, never for any child (`os.wait`):
        the process has others (multiprocessing's resource tracker, an index
        build) that are not the supervisor's to reap.
        """
        for pid, worker in list(self.workers.items()):
            try:
                waited, wait_status = os.waitpid(pid, os.WNOHANG)
                code = os.waitstatus_to_exitcode(wait_status) if waited else 0
            except ChildProcessError:
                waited, code = pid, -1
            if not waited:
                continue
            del self.workers[pid]
            if self.stopping is not None:
                continue
            if code == UNRECOVERABLE:
                self.status = UNRECOVERABLE
                self.forward(signal.SIGTERM)
                continue
            steady = self.clock() - worker.started >= STEADY_SECONDS
            pause = RESTART_SECONDS[0] if steady else worker.pause
            log.warning("worker %d (pid %d) ended with status %d; starting it again in %.0f s", worker.number, pid, code, pause)
            self.due[worker.number] = (self.clock() + pause, min(2 * pause, RESTART_SECONDS[1]))

    def restart_due(self) -> None:
        for number, (when, pause) in list(self.due.items()):
            if self.clock() >= when and self.stopping is None:
                del self.due[number]
                self.start(number, pause)

    def kill_overdue(self) -> None:
        """Workers asked to stop get `STOP_SECONDS` to finish what they are answering, then SIGKILL."""
        if self.stopping is not None and not self.killed and self.clock() - self.stopping > STOP_SECONDS:
            self.killed = True
            log.warning("%d workers still running %.0f s after the stop; killing them", len(self.workers), STOP_SECONDS)
            self._signal_all(signal.SIGKILL)

    def supervise(self) -> None:
        """Until every worker has ended and, unless a stop was asked for, none is due to start again."""
        while self.workers or (self.due and self.stopping is None):
            time.sleep(POLL_SECONDS)
            self.reap()
            self.restart_due()
            self.kill_overdue()


def fork_workers(count: int, work: Callable[[int], int]) -> int:
    """Run `work(n)` in `count` forked workers until SIGTERM or SIGINT; the status to exit with (0, or `UNRECOVERABLE`)."""
    supervisor = _Supervisor(work)
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
