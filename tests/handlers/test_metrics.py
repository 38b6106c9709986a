"""/metrics in Prometheus' text format: deliveries, queues, Slack's answers, sweeps, leader."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
import requests
from harness import HELPDESK_SECRET, start_app
from prometheus_client.parser import text_string_to_metric_families

from bot import inbox, outbox, pending_calls
from bot.db import transaction
from bot.main import build_runtime
from integrations.signatures import sign_helpdesk
from scheduling.scheduler import Job


def _scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    answer = requests.get(f"{url}/metrics", timeout=10)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain; version=")
    values = {}
    for family in text_string_to_metric_families(answer.text):
        for sample in family.samples:
            values[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return values


def _value(values: dict[Any, float], name: str, **labels: str) -> float:
    return values.get((name, tuple(sorted(labels.items()))), 0.0)


def _helpdesk(app: Any, event_id: str, kind: str = "ticket.created", secret: str = "") -> int:
    body = json.dumps(
        {"event_id": event_id, "type": kind, "source": "desk", "ticket": {"id": "T-1"}}
    ).encode()
    stamp = str(int(app.clock.epoch()))
    headers = {
        "Content-Type": "application/json",
        "X-Helpdesk-Timestamp": stamp,
        "X-Helpdesk-Signature": sign_helpdesk(secret or HELPDESK_SECRET, stamp, body),
    }
    return requests.post(
        f"{app.url}/webhooks/helpdesk", data=body, headers=headers, timeout=10
    ).status_code


def test_webhook_deliveries_are_counted_by_source_and_outcome(app: Any) -> None:
    assert _helpdesk(app, "e1") == 200
    assert _helpdesk(app, "e1") == 200  # Zendesk-style retry of the same event
    assert _helpdesk(app, "e2", secret="wrong") == 401
    assert _helpdesk(app, "e3", kind="ticket.merged") == 202
    event = {"type": "app_home_opened", "user": "U0AGENT", "tab": "home", "event_ts": "1.0"}
    assert app.driver.event(event, event_id="Ev1").status == 200
    assert app.driver.event(event, event_id="Ev1").status == 200
    assert app.driver.event(event, event_id="Ev2", sign=False).status == 401
    assert requests.post(f"{app.url}/webhooks/jira", json={}, timeout=10).status_code == 503
    values = _scrape(app.url)
    name = "supportbot_webhook_deliveries_total"
    assert _value(values, name, source="helpdesk", outcome="stored") == 1
    assert _value(values, name, source="helpdesk", outcome="duplicate") == 1
    assert _value(values, name, source="helpdesk", outcome="refused") == 1
    assert _value(values, name, source="helpdesk", outcome="ignored") == 1
    assert _value(values, name, source="slack", outcome="stored") == 1
    assert _value(values, name, source="slack", outcome="duplicate") == 1
    assert _value(values, name, source="slack", outcome="refused") == 1
    assert _value(values, name, source="jira", outcome="refused") == 1


def test_queue_gauges_are_read_from_the_database_at_scrape_time(app: Any) -> None:
    now = app.clock.now()
    with transaction(app.runtime.factory) as session:
        for n in range(3):
            inbox.store(
                session,
                source="slack",
                external_id=f"Ev{n}",
                event_type="app_home_opened",
                payload={"event": {"type": "app_home_opened", "user": "U0AGENT"}},
                now=now,
            )
        outbox.enqueue_post(session, key="a", channel="C0SUPPORT", text="a", now=now)
        outbox.enqueue_post(session, key="b", channel="C0NOSUCH", text="b", now=now)
        pending_calls.enqueue(session, key="c1", kind="jira.create", payload={}, now=now)
    app.clock.advance(seconds=42)
    values = _scrape(app.url)
    assert _value(values, "supportbot_database_up") == 1
    assert _value(values, "supportbot_inbox_backlog") == 3
    assert _value(values, "supportbot_inbox_lag_seconds") == 42
    assert _value(values, "supportbot_outbox_depth", status="pending") == 2
    assert _value(values, "supportbot_outbox_oldest_age_seconds") == 42
    assert _value(values, "supportbot_pending_calls", kind="jira.create", state="pending") == 1
    app.settle()
    values = _scrape(app.url)
    assert _value(values, "supportbot_inbox_backlog") == 0
    assert _value(values, "supportbot_inbox_lag_seconds") == 0
    assert _value(values, "supportbot_outbox_depth", status="pending") == 0
    assert _value(values, "supportbot_dead_letters", queue="outbox") == 1
    assert _value(values, "supportbot_dead_letters", queue="inbox") == 0
    # Each delivered message is one observation of the latency histogram (42 s here).
    latency = "supportbot_outbox_delivery_latency_seconds"
    assert _value(values, f"{latency}_count", method="chat.postMessage") == 1
    assert _value(values, f"{latency}_bucket", method="chat.postMessage", le="30.0") == 0
    assert _value(values, f"{latency}_bucket", method="chat.postMessage", le="60.0") == 1
    assert _value(values, f"{latency}_count", method="views.publish") == 1  # one Home, once


def test_slack_rate_limits_and_retries_are_counted(app: Any) -> None:
    with transaction(app.runtime.factory) as session:
        outbox.enqueue_post(session, key="x", channel="C0SUPPORT", text="x", now=app.clock.now())
    app.slack.fail(
        "chat.postMessage", 429, {"ok": False, "error": "ratelimited"}, headers={"Retry-After": "3"}
    )
    app.runtime.dispatcher.run_once()
    app.clock.advance(seconds=5)
    app.slack.fail("chat.postMessage", 500, {"ok": False, "error": "internal_error"})
    app.runtime.dispatcher.run_once()
    values = _scrape(app.url)
    assert _value(values, "supportbot_slack_ratelimited_total", method="chat.postMessage") == 1
    assert _value(values, "supportbot_slack_retries_total", method="chat.postMessage") == 1
    app.clock.advance(minutes=5)
    app.settle()
    assert len(app.slack.messages("C0SUPPORT")) == 1


def test_sweep_durations_and_leader_are_reported(app: Any) -> None:
    runtime = build_runtime(app.runtime.settings, clock=app.clock.now, scheduler=True)
    from handlers.server import WebServer

    server = WebServer(runtime.web).start()
    assert runtime.clockwork is not None
    try:
        assert _value(_scrape(server.url), "supportbot_leader") == (
            1 if runtime.engine.dialect.name == "sqlite" else 0
        )
        for _ in range(2):
            runtime.clockwork.run_job(Job("sla", lambda _now: {}))
        values = _scrape(server.url)
        assert _value(values, "supportbot_leader") == 1
        assert _value(values, "supportbot_sweep_duration_seconds_count", job="sla") == 2
        assert _value(values, "supportbot_socket_mode_connected") == 0
    finally:
        server.stop()
        runtime.stop()
    # The app without a scheduler does not lead, and each runtime has its own registry.
    values = _scrape(app.url)
    assert _value(values, "supportbot_leader") == 0
    assert _value(values, "supportbot_sweep_duration_seconds_count", job="sla") == 0


def test_access_log_is_off_by_default_and_one_line_per_request_when_on(
    db_url: str, clock: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="supportbot.access")
    quiet = start_app(db_url, clock=clock)
    try:
        requests.get(f"{quiet.url}/healthz?token=abc", timeout=10)
    finally:
        quiet.stop()
    assert not [r for r in caplog.records if r.name == "supportbot.access"]
    logged = start_app(db_url, clock=clock, access_log=True)
    try:
        requests.get(f"{logged.url}/healthz?token=abc", timeout=10)
        requests.post(f"{logged.url}/webhooks/helpdesk", data=b"{}", timeout=10)
    finally:
        logged.stop()
    lines = [r.getMessage() for r in caplog.records if r.name == "supportbot.access"]
    assert len(lines) == 2
    assert lines[0].startswith("http.request method=GET path=/healthz status=200 duration_ms=")
    assert lines[1].startswith("http.request method=POST path=/webhooks/helpdesk status=401")
    assert "abc" not in " ".join(lines)  # the query string is never logged
