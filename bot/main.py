"""The composition root: builds settings, database, Bolt app, web app, scheduler and dispatcher.

Nothing is built at import time; `supportbot` (bot.cli) calls these functions. The wiring
tables stay beside what they wire; `build_runtime` below plugs in each of them:

  Slack listeners, one `register` per feature  handlers/slack/app.py  build_bolt_app
  Socket Mode link (same listeners)            handlers/socket_mode.py  SocketMode
  web routes: Slack, webhooks, ops, calendars  handlers/web.py  build_web_app
  stored event -> the domain function          bot/events.py  processors (via inbox_step)
  pending call kind -> the call it makes       integrations/calls.py  executors (via calls_step)
  finished call -> the domain's answer         bot/events.py  reactions (via calls_step)
  scheduled jobs, run while this process leads scheduling/jobs.py  build_jobs (+ rotation_jobs,
                                               bug_jobs)
  wake-ups across replicas                     scheduling/wakeups.py  Wakeups.on
  readiness probes and scrape-time metrics     `_observe` below
"""

from __future__ import annotations

import logging
import signal
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import uvicorn
from slack_bolt import App
from slack_sdk import WebClient
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from bot import inbox, outbox, people
from bot.db import Pressure, make_engine, session_factory, transaction
from bot.settings import Settings
from bot.tickets import welcome
from handlers import ops
from handlers.deps import Deps
from handlers.slack.app import build_bolt_app
from handlers.slack.followups import Followups
from handlers.socket_mode import SocketMode
from handlers.web import build_web_app
from integrations.clients import Clients
from integrations.helpdesk_callback import HelpdeskCallback
from integrations.jira import JiraClient
from integrations.metrics import Metrics
from integrations.pacing import Pacer
from integrations.slack_delivery import Dispatcher, make_web_client
from integrations.slack_directory import fetch_groups, fetch_users
from integrations.zendesk import ZendeskClient
from scheduling.jobs import build_jobs, calls_step, inbox_step
from scheduling.leader import Leadership
from scheduling.scheduler import Clockwork, Worker
from scheduling.wakeups import Wakeups
from scheduling.worker_processes import WorkerProcesses

log = logging.getLogger("supportbot")

# The Link modal's issue search answers Slack's options request, which must come back within
# 3 seconds: (connect, read) timeouts well inside that, whatever state Jira is in.
SEARCH_TIMEOUT = (1.0, 1.5)


def utcnow() -> datetime:
    """The wall clock, timezone-aware UTC."""
    return datetime.now(UTC)


@dataclass
class Runtime:
    """Everything one process runs, wired together."""

    settings: Settings
    engine: Engine
    factory: sessionmaker[Session]
    client: WebClient
    clients: Clients
    deps: Deps
    bolt: App
    followups: Followups
    web: Any
    dispatcher: Dispatcher
    leadership: Leadership
    inbox_worker: Worker
    calls_worker: Worker
    clockwork: Clockwork | None
    metrics: Metrics = field(default_factory=Metrics)
    # Readiness probes (see handlers/ops.py); a part wired later appends its own.
    probes: list[ops.Probe] = field(default_factory=list)
    # The Socket Mode link, when SLACK_APP_TOKEN is set (connected by `serve`).
    socket_mode: SocketMode | None = None
    wakeups: Wakeups | None = None

    def announce(self) -> None:
        """Queue the one-time welcome note in the support channel."""
        if self.settings.support_channel:
            with transaction(self.factory) as session:
                welcome.announce(session, self.settings.support_channel, self.deps.clock())

    def start(self) -> None:
        """Start background work: the inbox worker, and the scheduler when enabled."""
        self.announce()
        self.inbox_worker.start()
        self.calls_worker.start()
        if self.wakeups is not None:
            self.wakeups.start()
        if self.clockwork is not None:
            self.clockwork.start()

    def settle(self, timeout: float = 30.0) -> None:
        """Finish the Slack follow-ups, process stored events and pending calls, then deliver
        what can go now (tests, demo)."""
        self.followups.wait(timeout)
        for _ in range(10):
            handled = self.inbox_worker.run_until_idle() + self.calls_worker.run_until_idle()
            if not handled:
                break
        self.dispatcher.drain(timeout=timeout)

    def stop(self) -> None:
        """Stop cleanly: in-flight deliveries finish, queued ones stay queued."""
        if self.socket_mode is not None:
            self.socket_mode.close()
        self.followups.shutdown(wait=True)
        if self.wakeups is not None:
            self.wakeups.stop()
        self.inbox_worker.stop()
        self.calls_worker.stop()
        if self.clockwork is not None:
            self.clockwork.stop()
        else:
            self.dispatcher.close()
        self.engine.dispose()

    def health(self) -> tuple[bool, dict[str, Any]]:
        """(healthy, report) for /healthz."""
        report: dict[str, Any] = {}
        try:
            with transaction(self.factory) as session:
                session.execute(text("SELECT 1"))
                boxes = outbox.counts(session)
                events = inbox.counts(session)
            report["database"] = {"ok": True, "backend": self.engine.dialect.name}
        except Exception as exc:  # noqa: BLE001 - reported, not raised
            report["database"] = {"ok": False, "error": type(exc).__name__}
            return False, report
        clockwork = self.clockwork
        report["scheduler"] = {
            "running": bool(clockwork and clockwork.running),
            "this_process_leads": self.leadership.is_leader if clockwork else False,
            "leader": self.leadership.current(),
            "last_tick": clockwork.last_tick.isoformat()
            if clockwork and clockwork.last_tick
            else None,
            "wakeups_listening": bool(self.wakeups and self.wakeups.listening),
        }
        report["outbox"] = {
            "backlog": boxes.get("pending", 0) + boxes.get("sending", 0),
            "dead_letters": boxes.get("dead", 0),
            "sent": boxes.get("sent", 0),
        }
        report["inbox"] = {"pending": events.get("pending", 0), "failed": events.get("failed", 0)}
        if self.socket_mode is not None:
            report["socket_mode"] = self.socket_mode.state.report()
        return True, report

    def readiness(self) -> list[str]:
        """Why this process cannot do its job now (empty when ready), for /readyz."""
        return ops.ask(self.probes, self.deps.clock())


def build_runtime(
    settings: Settings,
    *,
    clock: Callable[[], datetime] = utcnow,
    scheduler: bool = True,
    engine: Engine | None = None,
    socket_ping_interval: float = 5.0,
) -> Runtime:
    """Wire one process. `clock` is the app's notion of now (tests move it)."""
    engine = engine or make_engine(settings.database_url)
    factory = session_factory(engine)
    metrics = Metrics()
    client = make_web_client(
        settings.secret("slack_bot_token") or "xoxb-unset", settings.slack_api_url
    )
    dispatcher = Dispatcher(
        factory,
        client,
        max_attempts=settings.outbox_max_attempts,
        channel_rate=settings.outbox_channel_rate,
        batch_size=settings.outbox_batch_size,
        clock=lambda: clock().timestamp(),
        metrics=metrics,
    )
    clients = Clients(slack=client, zendesk=_zendesk_client(settings))
    clients.helpdesk = _helpdesk_callback(settings, clock)
    clients.zendesk_pace = Pacer(settings.zendesk_update_rate, clock)
    clients.jira = _jira_client(settings, clock)
    clients.jira_search = _jira_client(settings, clock, timeout=SEARCH_TIMEOUT)
    pressure = Pressure()
    deps = Deps(
        settings=settings,
        factory=factory,
        clock=clock,
        wake_outbox=dispatcher.notify,
        pressure=pressure,
        metrics=metrics,
    )
    calls_worker = Worker(
        "calls",
        calls_step(factory, clients, settings, clock),
        after=dispatcher.notify,
        pressure=pressure,
    )

    def after_inbox() -> None:
        dispatcher.notify()
        calls_worker.wake()

    inbox_worker = Worker(
        "inbox",
        inbox_step(factory, settings, clock, pressure),
        after=after_inbox,
        pressure=pressure,
        # On PostgreSQL a second thread works while the first waits on the database (claims
        # and subject locks keep them apart); SQLite has one writer, so one thread.
        threads=2 if engine.dialect.name == "postgresql" else 1,
    )
    deps.wake_inbox, deps.wake_calls = inbox_worker.wake, calls_worker.wake
    leadership = Leadership(engine)
    # Work committed here or on another replica wakes the worker that does it (wakeups.py).
    wakeups = Wakeups(engine, leadership.name)
    deps.instance = leadership.name
    wakeups.on("inbox", inbox_worker.wake)
    wakeups.on("outbox", dispatcher.notify)
    wakeups.on("calls", calls_worker.wake)
    wakeups.install(factory)
    followups = Followups()
    bolt = build_bolt_app(deps, client, followups=followups, jira_search=clients.jira_search)
    web = build_web_app(
        deps,
        bolt,
        ops.Operations(lambda: runtime.health(), lambda: runtime.readiness(), metrics),
    )
    clockwork = (
        Clockwork(
            factory,
            leadership,
            dispatcher,
            tick_seconds=settings.scheduler_tick_seconds,
            clock=clock,
            jobs=build_jobs(factory, clients, settings, wake_inbox=inbox_worker.wake),
            pressure=pressure,
            metrics=metrics,
        )
        if scheduler
        else None
    )
    runtime = Runtime(
        settings,
        engine,
        factory,
        client,
        clients,
        deps,
        bolt,
        followups,
        web,
        dispatcher,
        leadership,
        inbox_worker,
        calls_worker,
        clockwork,
        metrics,
        wakeups=wakeups,
    )
    if settings.socket_mode:
        runtime.socket_mode = SocketMode(
            deps, bolt, settings.secret("slack_app_token"), ping_interval=socket_ping_interval
        )
    _observe(runtime)
    return runtime


def _observe(runtime: Runtime) -> None:
    """Readiness probes and scrape-time metrics of one process."""
    settings, factory = runtime.settings, runtime.factory
    runtime.probes += [
        ops.database_probe(factory),
        ops.outbox_probe(factory, settings.outbox_stall_seconds),
    ]
    runtime.metrics.watch_queues(factory, runtime.deps.clock)
    if runtime.socket_mode is not None:
        runtime.probes.append(runtime.socket_mode.state.probe)
    clockwork = runtime.clockwork
    if clockwork is not None:
        runtime.probes.append(clockwork.ticking)
        runtime.metrics.watch_leadership(lambda: clockwork.leadership.is_leader)


def _zendesk_client(settings: Settings) -> ZendeskClient | None:
    if not settings.zendesk_configured:
        return None
    return ZendeskClient(
        settings.zendesk_url or "",
        settings.zendesk_email or "",
        settings.secret("zendesk_api_token"),
    )


def _helpdesk_callback(
    settings: Settings, clock: Callable[[], datetime]
) -> HelpdeskCallback | None:
    if not settings.helpdesk_callback_configured:
        return None
    return HelpdeskCallback(
        settings.helpdesk_callback_url or "",
        settings.secret("helpdesk_webhook_secret"),
        clock=lambda: clock().timestamp(),
    )


def _jira_client(
    settings: Settings,
    clock: Callable[[], datetime],
    timeout: float | tuple[float, float] = 10.0,
) -> JiraClient | None:
    if not settings.jira_configured:
        return None
    return JiraClient(
        settings.jira_url or "",
        settings.jira_email or "",
        settings.secret("jira_api_token"),
        timeout=timeout,
        clock=lambda: clock().timestamp(),
    )


def check_connections(settings: Settings) -> list[tuple[str, bool, str]]:
    """(name, ok, detail) for the database and every configured service."""
    from integrations.connections import run_checks

    return run_checks(settings)


def _exit_on_sigterm(_signum: int, _frame: object) -> None:
    raise SystemExit(0)


def serve(runtime: Runtime, sock: socket.socket, workers: WorkerProcesses | None = None) -> None:
    """Serve HTTP on `sock` (and Socket Mode when configured) until Ctrl-C or SIGTERM, with
    `workers` (worker processes) beside this one."""
    if runtime.socket_mode is not None:
        runtime.socket_mode.connect()
    runtime.start()
    if workers is not None and workers.count:
        workers.start()
        runtime.probes.append(workers.probe)
    host, port = sock.getsockname()[:2]
    log.info("supportbot.serving host=%s port=%d", host, port)
    config = uvicorn.Config(runtime.web, log_level="warning", access_log=False, lifespan="off")
    # uvicorn shuts down gracefully on SIGTERM, restores the previous handler and raises the
    # signal again: this handler turns that into a normal exit so `finally` stops the runtime.
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        log.info("supportbot.stopping")
        if workers is not None:
            workers.stop()
        runtime.stop()


def refresh_directory(settings: Settings, factory: sessionmaker[Session]) -> dict[str, int]:
    """Read every user group and user from Slack into the cache (for `rotations apply`)."""
    client = make_web_client(settings.secret("slack_bot_token"), settings.slack_api_url)
    now = utcnow()
    scopes = str(client.auth_test().headers.get("x-oauth-scopes") or "")
    if scopes:
        with transaction(factory) as session:
            people.remember_scopes(session, scopes.split(","), now)
    return {
        "groups": len(fetch_groups(factory, client, now)),
        "users": fetch_users(factory, client, now),
    }
