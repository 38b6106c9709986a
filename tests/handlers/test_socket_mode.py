"""Slack over Socket Mode: commands, clicks, modals and events as envelopes on the simulator's
WebSocket link, acknowledged by the app; the link dropping or refreshed mid-stream; /readyz
while it is down."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from harness import APP_TOKEN, BOT_TOKEN, start_app
from rotation_helpers import add_workspace, form_values, refresh_directory
from sqlalchemy import func, select

from bot.db import transaction
from bot.ids import RotationField as F
from bot.main import build_runtime
from bot.models import InboundEvent
from bot.rotations.models import Rotation
from bot.settings import Settings
from integrations.simulators.slack.server import SlackSimulator

PEOPLE = [f"U0P{i:02d}" for i in range(12)]


@pytest.fixture
def socket_app(db_url: str, clock: Any) -> Iterator[Any]:
    """The app connected to the Slack simulator through Socket Mode."""
    running = start_app(db_url, clock=clock, socket_mode=True)
    for user in PEOPLE:
        running.slack.add_user(user, user.lower())
    yield running
    running.stop()


def _stored(app: Any) -> int:
    with transaction(app.runtime.factory) as session:
        return session.scalar(select(func.count()).select_from(InboundEvent)) or 0


def _home_opened(user: str) -> dict[str, Any]:
    return {"type": "app_home_opened", "user": user, "channel": f"D{user}", "tab": "home"}


def _open_event(app: Any, user: str, event_id: str) -> Any:
    event = dict(_home_opened(user), event_ts=f"{app.clock.epoch():.6f}")
    return app.driver.event(event, event_id=event_id)


def _stored_here(runtime: Any) -> float:
    """Events this process stored, from its metrics."""
    wanted = 'supportbot_webhook_deliveries_total{outcome="stored",source="slack"} '
    text = runtime.metrics.exposition().decode()
    return sum(float(x.split()[-1]) for x in text.splitlines() if x.startswith(wanted))


def _gauge(app: Any) -> float:
    text = requests.get(f"{app.url}/metrics", timeout=10).text
    line = next(x for x in text.splitlines() if x.startswith("supportbot_socket_mode_connected "))
    return float(line.split()[1])


def _wait(condition: Any, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


def test_support_help_is_acknowledged_with_the_help_message(socket_app: Any) -> None:
    link = socket_app.slack.socket_mode
    answer = socket_app.driver.command(
        "/support", "help", user_id="U0AGENT", channel_id="C0SUPPORT"
    )
    envelope = socket_app.driver.envelopes[-1]
    assert envelope.type == "slash_commands" and envelope.accepts_response_payload
    assert answer.status == 200
    assert answer.json["response_type"] == "ephemeral"
    assert "/support help" in json.dumps(answer.json["blocks"])
    assert answer.ephemeral and "help" in answer.ephemeral[0]
    assert link.unacked() == []
    assert _gauge(socket_app) == 1.0


def test_a_button_click_is_acknowledged_without_a_payload_and_acted_on(socket_app: Any) -> None:
    socket_app.driver.block_action("U0AGENT", "home_refresh", view={"type": "home", "id": "V0HOME"})
    envelope = socket_app.driver.envelopes[-1]
    assert envelope.type == "interactive" and not envelope.accepts_response_payload
    assert envelope.ack == {"envelope_id": envelope.envelope_id}
    socket_app.settle()
    assert len(socket_app.slack.calls_to("views.publish")) == 1


def test_a_modal_opens_answers_field_errors_in_the_ack_and_saves(socket_app: Any) -> None:
    add_workspace(socket_app.slack)
    refresh_directory(socket_app)
    driver = socket_app.driver
    opened = driver.command("/support", "rotation create", user_id="U0LEAD", channel_id="C0SUPPORT")
    view = opened.view
    assert view is not None and view["callback_id"] == "rotation_form"
    refused = driver.view_submission("U0LEAD", view, form_values(**{F.TIMEZONE: "Mars/Olympus"}))
    assert refused.json["response_action"] == "errors"
    assert refused.errors and any("unknown time zone" in e for e in refused.errors.values())
    assert driver.envelopes[-1].accepts_response_payload
    saved = driver.view_submission("U0LEAD", view, form_values())
    assert saved.errors is None
    with transaction(socket_app.runtime.factory) as session:
        assert session.scalar(select(Rotation.name)) == "chat-support"


def test_an_event_is_stored_before_its_ack_and_a_redelivery_is_not_doubled(
    socket_app: Any,
) -> None:
    event = dict(_home_opened("U0AGENT"), event_ts="1700000000.000100")
    first = socket_app.driver.event(event, event_id="Ev0HOME")
    assert first.status == 200 and first.json is None
    assert _stored(socket_app) == 1  # stored by the time Slack had the ack
    again = socket_app.driver.event(event, event_id="Ev0HOME", retry_num=1, retry_reason="timeout")
    assert again.status == 200
    assert socket_app.driver.envelopes[-1].message()["retry_attempt"] == 1
    assert _stored(socket_app) == 1
    socket_app.settle()
    assert len(socket_app.slack.calls_to("views.publish")) == 1


def test_a_dropped_link_reconnects_and_no_event_is_lost_or_doubled(socket_app: Any) -> None:
    link = socket_app.slack.socket_mode
    sent = []
    for number, user in enumerate(PEOPLE):
        if number == 4:
            # The app stores this one, but its ack never reaches Slack: the link drops.
            link.lose_acks = 1
            socket_app.driver.ack_timeout = 0.5
            lost = _open_event(socket_app, user, f"Ev{number:03d}")
            assert lost.status == 504
            link.drop()
            socket_app.driver.ack_timeout = 10.0
            sent.append(socket_app.driver.envelopes[-1])
            continue
        if number == 8:
            link.disconnect("refresh_requested")
        answer = _open_event(socket_app, user, f"Ev{number:03d}")
        assert answer.status == 200, f"event {number} was not acknowledged"
        sent.append(socket_app.driver.envelopes[-1])
    redelivered = sent[4]
    assert redelivered.wait(10) is not None, "the unacknowledged event was not delivered again"
    assert redelivered.retry_attempt == 1 and redelivered.retry_reason == "timeout"
    assert link.opened >= 3  # first link, after the drop, after the refresh
    assert link.unacked() == []
    assert _stored(socket_app) == len(PEOPLE)
    socket_app.settle()
    published = [c.args["user_id"] for c in socket_app.slack.calls_to("views.publish")]
    assert sorted(published) == sorted(PEOPLE)


def test_a_disconnect_warning_moves_to_a_new_link_without_going_down(socket_app: Any) -> None:
    link = socket_app.slack.socket_mode
    link.disconnect("warning")
    assert link.wait_links(1, opened=2)
    assert _wait(lambda: len(link.links) == 1)
    assert socket_app.runtime.socket_mode.state.disconnected_since is None
    answer = socket_app.driver.command(
        "/support", "help", user_id="U0AGENT", channel_id="C0SUPPORT"
    )
    assert answer.status == 200 and "/support help" in json.dumps(answer.json)


def test_readyz_reports_socket_mode_down_for_more_than_a_minute(socket_app: Any) -> None:
    link, state = socket_app.slack.socket_mode, socket_app.runtime.socket_mode.state
    ready = f"{socket_app.url}/readyz"
    assert requests.get(ready, timeout=10).status_code == 200
    link.refusing = True
    link.drop()
    assert _wait(lambda: state.disconnected_since is not None), "the drop went unnoticed"
    assert requests.get(ready, timeout=10).status_code == 200  # down, but not for a minute
    health = requests.get(f"{socket_app.url}/healthz", timeout=10)
    assert health.status_code == 200 and health.json()["socket_mode"]["connected"] is False
    assert _gauge(socket_app) == 0.0
    socket_app.clock.advance(seconds=61)
    answer = requests.get(ready, timeout=10)
    assert answer.status_code == 503
    reasons = answer.json()["reasons"]
    assert len(reasons) == 1 and reasons[0].startswith("socket_mode: disconnected from Slack")
    assert "xapp" not in answer.text
    link.refusing = False
    assert link.wait_links(1, opened=2)
    assert _wait(lambda: state.disconnected_since is None)
    assert requests.get(ready, timeout=10).status_code == 200
    assert _gauge(socket_app) == 1.0


def test_a_first_link_slack_refuses_is_tried_again_in_the_background(
    db_url: str, clock: Any
) -> None:
    sim = SlackSimulator(token=BOT_TOKEN, app_token=APP_TOKEN).start()
    sim.fail("apps.connections.open", 200, {"ok": False, "error": "internal_error"}, times=2)
    settings = Settings(
        _env_file=None,
        slack_bot_token=BOT_TOKEN,
        slack_app_token=APP_TOKEN,
        slack_api_url=sim.api_url,
        database_url=db_url,
    )
    runtime = build_runtime(settings, clock=clock.now, scheduler=False, socket_ping_interval=0.1)
    try:
        runtime.socket_mode.connect()
        assert sim.socket_mode.wait_links(1, timeout=10)
        assert len(sim.calls_to("apps.connections.open")) == 3
    finally:
        runtime.stop()
        sim.stop()


def test_a_malformed_payload_is_refused_in_one_line_and_acknowledged(
    socket_app: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO")
    link = socket_app.slack.socket_mode
    envelope = link.deliver("interactive", {"type": "block_actions", "user": {"id": 7}})
    assert envelope.wait(10) == {"envelope_id": envelope.envelope_id}
    refused = [r.getMessage() for r in caplog.records if "request.refused" in r.getMessage()]
    assert len(refused) == 1 and "endpoint=socket_mode" in refused[0]
    assert not any(r.exc_info for r in caplog.records)
    metrics = requests.get(f"{socket_app.url}/metrics", timeout=10).text
    assert 'supportbot_webhook_deliveries_total{outcome="refused",source="slack"} 1.0' in metrics
    assert _stored(socket_app) == 0


def test_a_thread_reply_in_a_synced_channel_becomes_one_note_over_socket_mode(
    db_url: str, clock: Any
) -> None:
    desk = start_app(db_url, clock=clock, zendesk=True, socket_mode=True)
    try:
        customer = desk.zendesk.add_user("Carla Customer", email="carla@globex.test")
        ticket = desk.zendesk.create_ticket("Broken", "It broke", requester_id=customer["id"])
        desk.settle()
        [root] = [m for m in desk.slack.messages("C0SUPPORT") if "Zendesk #" in m["text"]]
        answer = desk.driver.command(
            "/support", "sync on", user_id="U0LEAD", channel_id="C0SUPPORT"
        )
        assert answer.status == 200, "the command's envelope was not acknowledged"
        assert any("is now sent to the ticket" in t for t in answer.ephemeral), answer.ephemeral
        desk.clock.advance(seconds=1)
        _, reply = desk.driver.user_message("U0AGENT", "C0SUPPORT", "synced", thread_ts=root["ts"])
        assert reply.status == 200 and desk.driver.envelopes[-1].type == "events_api"
        desk.settle()
        notes = [c["body"] for c in desk.zendesk.comments[ticket["id"]] if not c["public"]]
        assert len(notes) == 1 and "synced" in notes[0]
    finally:
        desk.stop()


def test_two_processes_share_the_envelopes_and_store_each_event_once(socket_app: Any) -> None:
    link = socket_app.slack.socket_mode
    other = build_runtime(
        socket_app.runtime.settings,
        clock=socket_app.clock.now,
        scheduler=False,
        socket_ping_interval=0.2,
    )
    try:
        other.socket_mode.connect()
        assert link.wait_links(2)
        for number, user in enumerate(PEOPLE):
            assert _open_event(socket_app, user, f"Ev{number:03d}").status == 200
        # Slack sends one event again after a lost ack: whichever process gets it, once.
        first = socket_app.driver.envelopes[0]
        again = link.deliver("events_api", first.payload, retry_attempt=1, retry_reason="timeout")
        assert again.wait(10) is not None
        assert _stored(socket_app) == len(PEOPLE)
        stored = [_stored_here(r) for r in (socket_app.runtime, other)]
        assert all(n > 0 for n in stored) and sum(stored) == len(PEOPLE)
    finally:
        other.stop()
