"""Worker processes: one `supportbot run` on PostgreSQL uses more than one core.

A Python interpreter runs one thread at a time, so a process that serves HTTP, delivers to
Slack and processes every stored event is bound to one core. `supportbot run` therefore starts
`supportbot work` children (WORKER_PROCESSES; by default one per core beyond the first, up to
MAX_AUTO). A child is a replica without HTTP, Socket Mode or scheduler: it processes stored
events and pending calls alongside the parent, kept apart from it exactly as replicas are
(claims, and the lock on each ticket), and woken by the same notifications. Delivery to Slack,
the scheduled sweeps and everything a person reaches stay in the parent, so /metrics and
/readyz keep describing the whole of it.

The parent restarts a child that exits; a child whose parent is gone (even by SIGKILL) stops at
once (the pipe it watches, open only in the parent, reads end-of-file), so no orphan keeps
working unseen.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import IO, Any

log = logging.getLogger("supportbot.workers")

MAX_AUTO = 3
NICENESS = 10  # background work: the process serving Slack and webhooks comes first for the CPU
LIFELINE_ENV = "SUPPORTBOT_LIFELINE_FD"  # the pipe a worker process watches (set by its parent)
RESTART_SECONDS = (1.0, 2.0, 5.0, 10.0, 30.0)
DOWN_REASON_AFTER = 15.0  # seconds a child may be down (restarting) before /readyz says so
STOP_SECONDS = 15.0


def wanted(configured: int | None, backend: str) -> int:
    """How many worker processes to start: none on SQLite (one process per database file);
    on PostgreSQL the setting, or by default one per usable core beyond the first."""
    if backend != "postgresql":
        return 0
    if configured is not None:
        return configured
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return max(0, min(cores - 1, MAX_AUTO))


class WorkerProcesses:
    """Start `count` children running `command`, restart any that exits, stop them all."""

    def __init__(
        self, count: int, command: list[str] | None = None, down_after: float = DOWN_REASON_AFTER
    ) -> None:
        self.count = count
        self.command = command or [sys.executable, "-m", "bot.cli", "work"]
        self.down_after = down_after
        self._children: list[subprocess.Popen[bytes] | None] = [None] * count
        self._down_since: list[float | None] = [None] * count
        self._failures = [0] * count
        self._lifelines: list[int | None] = [None] * count
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start every child, and the thread that watches them."""
        if not self.count:
            return
        for slot in range(self.count):
            self._spawn(slot)
        self._thread = threading.Thread(target=self._watch, name="worker-processes", daemon=True)
        self._thread.start()

    def _spawn(self, slot: int) -> None:
        # The child's lifeline: it holds the read end, only this process the write end.
        read_end, write_end = os.pipe()
        try:
            # Same environment and working directory, so the child reads the same settings. A
            # process group of its own: Ctrl-C in a terminal, sent to the foreground group, stops
            # this process, which then stops its children (they would otherwise stop at once and
            # be taken for workers that exited).
            child = subprocess.Popen(  # noqa: S603
                self.command,
                stdin=subprocess.DEVNULL,
                pass_fds=(read_end,),
                process_group=0,
                env={**os.environ, LIFELINE_ENV: str(read_end)},
            )
        except BaseException:
            os.close(write_end)
            raise
        finally:
            os.close(read_end)
        self._close_lifeline(slot)
        self._children[slot], self._lifelines[slot] = child, write_end
        log.info("workers.started slot=%d pid=%d", slot, child.pid)

    def _close_lifeline(self, slot: int) -> None:
        fd, self._lifelines[slot] = self._lifelines[slot], None
        if fd is not None:
            os.close(fd)

    def _watch(self) -> None:
        up_since: list[float] = [time.monotonic()] * self.count
        restart_at: list[float] = [0.0] * self.count
        while not self._stop.wait(0.5):
            now = time.monotonic()
            for slot, child in enumerate(self._children):
                if child is not None and child.poll() is None:
                    if now - up_since[slot] > 60:
                        self._failures[slot] = 0  # up for a minute: a quick restart again
                    continue
                if self._down_since[slot] is None:
                    delay = RESTART_SECONDS[min(self._failures[slot], len(RESTART_SECONDS) - 1)]
                    self._failures[slot] += 1
                    self._down_since[slot], restart_at[slot] = now, now + delay
                    log.warning(
                        "workers.exited slot=%d code=%s restart_in=%.0fs",
                        slot,
                        child.returncode if child is not None else None,
                        delay,
                    )
                elif now >= restart_at[slot] and not self._stop.is_set():
                    try:
                        self._spawn(slot)
                    except OSError as exc:  # no process to be had now (memory, limits)
                        delay = RESTART_SECONDS[-1]
                        restart_at[slot] = now + delay
                        log.warning(
                            "workers.spawn_failed slot=%d error=%s retry_in=%.0fs", slot, exc, delay
                        )
                        continue
                    self._down_since[slot], up_since[slot] = None, now

    def probe(self, _now: datetime) -> str | None:
        """A /readyz reason while a child has been down longer than DOWN_REASON_AFTER."""
        now = time.monotonic()
        down = [s for s in self._down_since if s is not None and now - s > self.down_after]
        if down:
            return (
                f"workers: {len(down)} of {self.count} worker process(es) down for more than "
                f"{self.down_after:g} s (restarting)"
            )
        return None

    def stop(self) -> None:
        """SIGTERM every child (each finishes its batch), then wait; SIGKILL what lingers."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        running = [c for c in self._children if c is not None and c.poll() is None]
        for child in running:
            child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_SECONDS
        for child in running:
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("workers.killed pid=%d", child.pid)
                child.kill()
                child.wait(timeout=5)
        for slot in range(self.count):
            self._close_lifeline(slot)


def watch_parent(stop: Callable[[], None]) -> threading.Thread | None:
    """Call `stop` once the `supportbot run` that started this process is gone, however it
    ended: the read end of a pipe whose write end only it held then reads end-of-file. None
    when no parent handed one over (a `supportbot work` started by hand)."""
    given = os.environ.pop(LIFELINE_ENV, None)
    if not given:
        return None
    fd = int(given)

    def watch() -> None:
        try:
            while os.read(fd, 64):
                pass
        except OSError:
            pass
        log.warning("workers.parent_gone")
        stop()

    thread = threading.Thread(target=watch, name="parent-watch", daemon=True)
    thread.start()
    return thread


def become_worker() -> threading.Event:
    """Make this process a worker: a lower CPU priority, and an event set on SIGTERM, Ctrl-C or
    its parent's end."""
    os.nice(NICENESS)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda _signum, _frame: stop.set())
    signal.signal(signal.SIGINT, lambda _signum, _frame: stop.set())
    watch_parent(stop.set)
    return stop


def work(runtime: Any, stop: threading.Event) -> None:
    """With `runtime` (bot.main's, built without scheduler), process stored events and pending
    calls, woken like any replica, until `stop` is set; then finish the batch in hand and stop.
    Delivery, the scheduler and HTTP stay with the process that serves."""
    runtime.inbox_worker.start()
    runtime.calls_worker.start()
    if runtime.wakeups is not None:
        runtime.wakeups.start()
    log.info("supportbot.working name=%s", runtime.leadership.name)
    stop.wait()
    log.info("supportbot.stopping")
    runtime.stop()


_HELD: list[IO[str]] = []


def sole_process(path: Path) -> str | None:
    """Hold an OS lock on `<db>.lock` for this process's life: SQLite cannot share work between
    processes (replicas need PostgreSQL). What stops this one from running, if anything."""
    try:
        import fcntl
    except ImportError:  # not a POSIX system: nothing to hold
        return None
    handle = path.with_name(path.name + ".lock").open("a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.seek(0)
        holder = handle.read().strip() or "unknown"
        handle.close()
        return (
            f"another supportbot process (pid {holder}) is running on {path}; SQLite allows "
            "one process per database: stop it first, or use PostgreSQL (DATABASE_URL) to run "
            "replicas"
        )
    handle.seek(0)
    handle.truncate()
    handle.write(f"{os.getpid()}\n")
    handle.flush()
    _HELD.append(handle)  # released by the OS when this process ends, however it ends
    return None
