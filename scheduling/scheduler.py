"""The process's clockwork: APScheduler ticks, leader-gated sweeps, dispatcher, inbox worker."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy.orm import Session, sessionmaker

from bot import delivery
from bot.db import Pressure, transaction
from bot.logs import scrub
from integrations.metrics import Metrics
from integrations.slack_delivery import Dispatcher
from scheduling.leader import Leadership

log = logging.getLogger("supportbot.scheduler")

Sweep = Callable[[Session, datetime], dict[str, Any]]

# How often a replica that does not lead tries for the leader lock.
ELECTION_SECONDS = 2.0
Task = Callable[[datetime], dict[str, Any]]


@dataclass(frozen=True)
class Job:
    """Scheduled work: `run(now)` every `seconds` (the tick interval when None).

    A pure sweep runs inside one transaction (see `sweep_job`); a job that calls Slack,
    Zendesk or Jira opens its own short transactions around the calls, never across them.
    """

    name: str
    run: Task
    seconds: float | None = None


def sweep_job(
    name: str, factory: sessionmaker[Session], sweep: Sweep, seconds: float | None = None
) -> Job:
    """A job running `sweep(session, now)` in one transaction."""

    def run(now: datetime) -> dict[str, Any]:
        with transaction(factory) as session:
            return sweep(session, now)

    return Job(name, run, seconds)


class Worker:
    """Runs a step as soon as it is woken, until it finds nothing to do (in every process).

    The inbox worker processes stored events right after a handler stores one; the calls
    worker makes pending Zendesk/Jira calls right after they are queued. The leader's ticks
    run the same steps, so nothing waits on a worker that died. With `threads` above one,
    as many threads run the step side by side (the step's claims keep them apart).
    """

    def __init__(
        self,
        name: str,
        step: Callable[[], int],
        after: Callable[[], None],
        pressure: Pressure | None = None,
        threads: int = 1,
    ) -> None:
        self.name = name
        self.step = step
        self.after = after
        self.pressure = pressure
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._run, name=f"{name}-{n}", daemon=True)
            for n in range(threads)
        ]

    def start(self) -> None:
        """Start the worker threads."""
        for thread in self._threads:
            thread.start()

    def wake(self) -> None:
        """Something is waiting: do it now."""
        self._wake.set()

    def stop(self) -> None:
        """Finish the current step and stop."""
        self._stop.set()
        self._wake.set()
        for thread in self._threads:
            if thread.ident is not None:
                thread.join(timeout=10)

    def run_until_idle(self) -> int:
        """Run steps until one does nothing; returns how many items were handled."""
        total = 0
        while True:
            handled = self.step()
            if not handled:
                return total
            total += handled
            self.after()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait()
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                while not self._stop.is_set():
                    if self.pressure is not None:
                        self.pressure.wait()
                    handled = self.step()
                    if not handled:
                        break
                    self.after()
            except Exception:  # noqa: BLE001 - the leader's tick runs the same step again
                log.exception("worker.failed name=%s", self.name)


class Clockwork:
    """APScheduler ticks running leader-gated sweeps, and the outbox dispatcher thread."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        leadership: Leadership,
        dispatcher: Dispatcher,
        *,
        tick_seconds: float,
        clock: Callable[[], datetime],
        jobs: list[Job],
        pressure: Pressure | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.factory = factory
        self.metrics = metrics or Metrics()
        self.leadership = leadership
        self.dispatcher = dispatcher
        self.tick_seconds = tick_seconds
        self.clock = clock
        self.jobs = jobs
        self.pressure = pressure or Pressure()
        self.scheduler = BackgroundScheduler(timezone="UTC")
        self._stop = threading.Event()
        self._dispatch_thread: threading.Thread | None = None
        self.last_tick: datetime | None = None
        self.since = clock()
        self._campaign_thread: threading.Thread | None = None
        leadership.on_acquired = self.took_over

    @property
    def running(self) -> bool:
        """Whether the scheduler is started."""
        return bool(self.scheduler.running)

    def start(self) -> None:
        """Start ticking and delivering."""
        for job in self.jobs:
            self.scheduler.add_job(
                self.run_job,
                "interval",
                args=[job],
                seconds=job.seconds or self.tick_seconds,
                id=job.name,
                max_instances=1,
                coalesce=True,
                next_run_time=self.clock(),
            )
        self.scheduler.start()
        self._dispatch_thread = threading.Thread(
            target=self.dispatcher.run,
            args=(self._stop,),
            kwargs={"active": lambda: self.leadership.is_leader, "yield_to": self.pressure.wait},
            name="dispatcher",
            daemon=True,
        )
        self._dispatch_thread.start()
        if not self.leadership.single_process:
            self._campaign_thread = threading.Thread(
                target=self._campaign, name="leader-election", daemon=True
            )
            self._campaign_thread.start()

    def _campaign(self) -> None:
        """Try for the lock every ELECTION_SECONDS, between ticks: a killed leader's place is
        taken within seconds whatever SCHEDULER_TICK_SECONDS is."""
        while not self._stop.wait(ELECTION_SECONDS):
            self.leadership.acquire()

    def took_over(self) -> None:
        """This process just became leader: what the last one claimed and never settled is
        free again (only the leader dispatches), and every job runs now."""
        with transaction(self.factory) as session:
            released = delivery.release_leases(session, self.clock())
        log.info("leader.took_over name=%s released=%d", self.leadership.name, released)
        # A takeover between ticks runs every job now (at start they are due anyway).
        if self.scheduler.running and threading.current_thread() is self._campaign_thread:
            for job in self.jobs:
                self.scheduler.modify_job(job.name, next_run_time=self.clock())
        self.dispatcher.notify()

    def run_job(self, job: Job) -> dict[str, Any] | None:
        """Run one job if this process leads."""
        if not self.leadership.acquire():
            return None
        now = self.clock()
        self.last_tick = now
        started = time.perf_counter()
        try:
            summary = job.run(now)
        except OSError as exc:  # Slack, Jira or Zendesk unreachable: the next tick tries again
            reason = scrub(str(getattr(exc, "reason", None) or exc))[:200]
            name = type(exc).__name__
            log.warning("sweep.unreachable job=%s error=%s: %s", job.name, name, reason)
            return None
        finally:
            self.metrics.sweep_duration.labels(job.name).observe(time.perf_counter() - started)
        if any(summary.values()):
            log.info(
                "sweep.done job=%s %s", job.name, " ".join(f"{k}={v}" for k, v in summary.items())
            )
            self.dispatcher.notify()
        return summary

    def ticking(self, now: datetime) -> str | None:
        """Readiness: on the leader, a job must have run within three tick intervals."""
        if not self.leadership.is_leader:
            return None
        quiet = (now - (self.last_tick or self.since)).total_seconds()
        if quiet <= 3 * self.tick_seconds:
            return None
        return (
            f"scheduler: no scheduled job has run for {quiet:.0f} s on the leader "
            f"(SCHEDULER_TICK_SECONDS={self.tick_seconds:g})"
        )

    def stop(self) -> None:
        """Stop ticking; in-flight deliveries finish, the rest stay queued."""
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        self._stop.set()
        self.dispatcher.notify()
        if self._campaign_thread is not None:
            self._campaign_thread.join(timeout=10)
        if self._dispatch_thread is not None:
            self._dispatch_thread.join(timeout=15)
        self.dispatcher.close()
        self.leadership.release()
