"""/readyz says why the bot cannot do its job, and becomes ready again by itself."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests
from harness import BOT_TOKEN, HELPDESK_SECRET, SIGNING_SECRET
from sqlalchemy import create_engine, text

from bot import outbox
from bot.db import transaction
from bot.main import build_runtime
from handlers.server import WebServer
from scheduling.scheduler import Job


def _ready(url: str) -> tuple[int, dict[str, Any]]:
    answer = requests.get(f"{url}/readyz", timeout=10)
    return answer.status_code, answer.json()


def _queue(app: Any, key: str, text: str = "hello") -> None:
    with transaction(app.runtime.factory) as session:
        outbox.enqueue_post(session, key=key, channel="C0SUPPORT", text=text, now=app.clock.now())


def test_ready_when_nothing_is_wrong(app: Any) -> None:
    assert _ready(app.url) == (200, {"ready": True, "reasons": []})


def test_stuck_outbox_makes_the_bot_unready_until_slack_takes_the_message(app: Any) -> None:
    app.slack.fail(
        "chat.postMessage", 503, {"ok": False, "error": "service_unavailable"}, times=1000
    )
    _queue(app, "stuck")
    app.settle()
    app.clock.advance(seconds=299)
    assert _ready(app.url)[0] == 200  # late, but not yet stuck
    app.clock.advance(seconds=2)
    status, body = _ready(app.url)
    assert status == 503 and body["ready"] is False
    [reason] = body["reasons"]
    assert reason.startswith("outbox: the oldest undelivered Slack message has waited 301 s")
    assert "OUTBOX_STALL_SECONDS=300" in reason
    app.slack.clear_failures()
    app.settle()
    assert len(app.slack.messages("C0SUPPORT")) == 1
    assert _ready(app.url) == (200, {"ready": True, "reasons": []})


def test_the_stall_threshold_is_a_setting(db_url: str, clock: Any) -> None:
    from harness import start_app

    running = start_app(db_url, clock=clock, outbox_stall_seconds=30)
    try:
        running.slack.fail("chat.postMessage", 500, times=100)
        _queue(running, "slow")
        clock.advance(seconds=31)
        status, body = _ready(running.url)
        assert status == 503 and "OUTBOX_STALL_SECONDS=30)" in body["reasons"][0]
    finally:
        running.stop()


def test_scheduler_that_stopped_ticking_on_the_leader_makes_the_bot_unready(app: Any) -> None:
    runtime = build_runtime(app.runtime.settings, clock=app.clock.now, scheduler=True)
    server = WebServer(runtime.web).start()
    clockwork = runtime.clockwork
    assert clockwork is not None
    tick = Job("tick", lambda _now: {})
    try:
        clockwork.run_job(tick)  # this process leads (and has ticked)
        assert _ready(server.url)[0] == 200
        app.clock.advance(seconds=3 * 30)
        assert _ready(server.url)[0] == 200  # three intervals is the limit, not yet past
        app.clock.advance(seconds=1)
        status, body = _ready(server.url)
        assert status == 503
        assert body["reasons"] == [
            "scheduler: no scheduled job has run for 91 s on the leader (SCHEDULER_TICK_SECONDS=30)"
        ]
        clockwork.run_job(tick)
        assert _ready(server.url) == (200, {"ready": True, "reasons": []})
    finally:
        server.stop()
        runtime.stop()


@contextmanager
def _database_down(app: Any) -> Iterator[None]:
    """Take the app's database away (SQLite: the file; PostgreSQL: connections refused)."""
    engine = app.runtime.engine
    if engine.dialect.name == "sqlite":
        path = Path(engine.url.database)
        aside = path.with_name("aside.db")
        engine.dispose()
        path.rename(aside)
        try:
            yield
        finally:
            engine.dispose()
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            aside.rename(path)
        return
    name = engine.url.database
    admin = create_engine(engine.url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
        conn.execute(
            text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
            {"n": name},
        )
    try:
        yield
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
        admin.dispose()


def test_database_failure_makes_the_bot_unready_and_recovery_ready(app: Any) -> None:
    with _database_down(app):
        status, body = _ready(app.url)
        assert status == 503
        assert len(body["reasons"]) == 1
        assert body["reasons"][0].startswith("database: not answering (")
        assert requests.get(f"{app.url}/healthz", timeout=10).status_code == 503
        assert "supportbot_database_up 0.0" in requests.get(f"{app.url}/metrics", timeout=10).text
    assert _ready(app.url) == (200, {"ready": True, "reasons": []})
    assert requests.get(f"{app.url}/healthz", timeout=10).status_code == 200


def test_readiness_and_metrics_reveal_no_secrets_or_message_text(app: Any) -> None:
    secret_text = "the customer's card 4111 is declined"
    _queue(app, "dead", "dead letter body text")
    with transaction(app.runtime.factory) as session:
        outbox.enqueue_post(
            session, key="lost", channel="C0NOSUCH", text=secret_text, now=app.clock.now()
        )
    app.slack.fail("chat.postMessage", 500, {"ok": False, "error": "internal_error"}, times=100)
    app.driver.app_home_opened("U0AGENT")
    app.settle()
    app.clock.advance(hours=1)
    status, body = _ready(app.url)
    assert status == 503
    exposed = requests.get(f"{app.url}/metrics", timeout=10).text + str(body)
    for secret in (
        BOT_TOKEN,
        SIGNING_SECRET,
        HELPDESK_SECRET,
        secret_text,
        "dead letter body text",
        "U0AGENT",
        "C0NOSUCH",
        "C0SUPPORT",
    ):
        assert secret not in exposed
    if app.runtime.engine.url.password:
        assert app.runtime.engine.url.password not in exposed


@pytest.mark.parametrize("path", ["/readyz", "/metrics", "/healthz"])
def test_operations_endpoints_answer_get_only(app: Any, path: str) -> None:
    assert requests.post(f"{app.url}{path}", timeout=10).status_code == 405
