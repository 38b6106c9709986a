"""Only one process runs scheduled work: the holder of the PostgreSQL advisory lock."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from sqlalchemy import Engine, select

from bot import events, inbox
from bot.db import make_engine, transaction
from bot.models import InboundEvent
from integrations.clients import Clients
from integrations.slack_delivery import make_web_client
from scheduling.jobs import build_jobs
from scheduling.leader import Leadership
from scheduling.scheduler import Clockwork, Job


def test_sqlite_process_always_leads(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite assumes a single process")
    leadership = Leadership(engine, "solo")
    assert leadership.acquire() and leadership.is_leader and leadership.current() == "solo"


def test_one_leader_among_replicas_and_takeover(db_url: str) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("leader election needs PostgreSQL")
    first_engine, second_engine = make_engine(db_url), make_engine(db_url)
    first, second = Leadership(first_engine, "replica-a"), Leadership(second_engine, "replica-b")
    try:
        assert first.acquire() is True
        assert second.acquire() is False
        assert first.acquire() is True  # keeps leading, tick after tick
        assert second.current() == "replica-a"
        first.release()
        assert second.acquire() is True
        assert first.acquire() is False
        assert first.current() == "replica-b"
    finally:
        first.release()
        second.release()
        first_engine.dispose()
        second_engine.dispose()


def test_sweeps_run_only_on_the_leader(db_url: str, app: Any) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("leader election needs PostgreSQL")
    ran: list[str] = []

    def sweep(_now: Any) -> dict[str, int]:
        ran.append("x")
        return {}

    engines = [make_engine(db_url), make_engine(db_url)]
    leaders = [Leadership(e, f"r{i}") for i, e in enumerate(engines)]
    clocks = [
        Clockwork(
            app.runtime.factory,
            lead,
            app.runtime.dispatcher,
            tick_seconds=30,
            clock=app.clock.now,
            jobs=[Job("x", sweep)],
        )
        for lead in leaders
    ]
    try:
        for _ in range(3):
            for clockwork in clocks:
                clockwork.run_job(clockwork.jobs[0])
        assert len(ran) == 3
    finally:
        for lead, engine in zip(leaders, engines, strict=True):
            lead.release()
            engine.dispose()


def _leader_job(app: Any, clients: Clients, name: str) -> tuple[Clockwork, Job]:
    """A clockwork of its own running the app's scheduled jobs with `clients`; and job `name`."""
    clockwork = Clockwork(
        app.runtime.factory,
        Leadership(app.runtime.engine),
        app.runtime.dispatcher,
        tick_seconds=30,
        clock=app.clock.now,
        jobs=build_jobs(app.runtime.factory, clients, app.runtime.settings),
    )
    [job] = [j for j in clockwork.jobs if j.name == name]
    return clockwork, job


def test_inbox_sweep_processes_stored_events_once(app: Any) -> None:
    with transaction(app.runtime.factory) as session:
        inbox.store(
            session,
            source="slack",
            external_id="Ev1",
            event_type="app_home_opened",
            payload={"event": {"type": "app_home_opened", "user": "U0AGENT"}},
            now=app.clock.now(),
        )
    clockwork, job = _leader_job(app, app.runtime.clients, "inbox")
    try:
        assert clockwork.run_job(job) == {
            "done": 1,
            "ignored": 0,
            "retried": 0,
            "failed": 0,
            "deferred": 0,
        }
        assert clockwork.run_job(job) == {
            "done": 0,
            "ignored": 0,
            "retried": 0,
            "failed": 0,
            "deferred": 0,
        }
    finally:
        clockwork.leadership.release()  # the lock would outlive the test on its connection
    app.runtime.dispatcher.drain()
    assert len(app.slack.calls_to("views.publish")) == 1


def test_failing_event_is_retried_with_backoff_then_recorded_as_failed(app: Any) -> None:
    with transaction(app.runtime.factory) as session:
        inbox.store(
            session,
            source="slack",
            external_id="Ev2",
            event_type="app_home_opened",
            payload={"event": {"type": "app_home_opened"}},  # no user: processing fails
            now=app.clock.now(),
        )
    config = events.home_config(app.runtime.settings)

    def process(session: Any, event: Any, now: Any) -> str | None:
        return events.slack_event(session, event, now, config)

    waits = []
    for attempt in range(1, inbox.MAX_ATTEMPTS + 1):
        with transaction(app.runtime.factory) as session:
            assert inbox.process_due(session, app.clock.now(), {"slack": process}).total == 1
            [stored] = session.scalars(select(InboundEvent)).all()
            assert (stored.attempts, stored.error) == (attempt, "KeyError: 'user'")
            waits.append((stored.next_attempt_at - app.clock.now()).total_seconds())
            app.clock.current = stored.next_attempt_at  # the backoff has passed
    assert waits[:3] == [2, 4, 8]  # exponential backoff between attempts
    with transaction(app.runtime.factory) as session:
        assert inbox.counts(session) == {"failed": 1}
        assert inbox.process_due(session, app.clock.now(), {"slack": process}).total == 0


def test_a_sweep_that_cannot_reach_slack_logs_one_line_and_runs_again_next_tick(
    app: Any, caplog: pytest.LogCaptureFixture
) -> None:
    # Nothing listens on port 9 (discard): every Slack call is refused.
    clients = Clients(slack=make_web_client("xoxb-test", "http://127.0.0.1:9/api/"))
    clockwork, job = _leader_job(app, clients, "directory")
    try:
        with caplog.at_level(logging.WARNING, logger="supportbot"):
            assert clockwork.run_job(job) is None
        [line] = [r for r in caplog.records if r.name.startswith("supportbot")]
        assert line.getMessage().startswith("sweep.unreachable job=directory error=URLError")
        assert line.exc_info is None  # one line, no traceback
        assert clockwork.last_tick is not None  # it ran, and runs again at the next tick
    finally:
        clockwork.leadership.release()
