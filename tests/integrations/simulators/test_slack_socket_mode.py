"""The Slack simulator's Socket Mode: apps.connections.open with slack_sdk's WebClient, and the
WebSocket link spoken by a plain WebSocket client and by slack_sdk's SocketModeClient."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode.builtin import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from integrations.simulators.slack.server import SlackSimulator

APP_TOKEN = "xapp-1-A0SIM-1-abc"


@pytest.fixture
def sim() -> Iterator[SlackSimulator]:
    """A simulator with a bot token and an app-level token."""
    with SlackSimulator(token="xoxb-bot", app_token=APP_TOKEN) as running:
        yield running


def _open(sim: SlackSimulator, token: str) -> str:
    return str(WebClient(base_url=sim.api_url).apps_connections_open(app_token=token)["url"])


@pytest.mark.parametrize(
    ("token", "error"),
    [
        ("xoxb-bot", "not_allowed_token_type"),
        ("xapp-1-A0SIM-1-other", "invalid_auth"),
        ("", "not_authed"),
    ],
)
def test_connections_open_wants_the_app_level_token(
    sim: SlackSimulator, token: str, error: str
) -> None:
    with pytest.raises(SlackApiError) as refused:
        _open(sim, token)
    assert refused.value.response["error"] == error


def test_the_token_must_come_in_the_header_of_a_post(sim: SlackSimulator) -> None:
    url = f"{sim.api_url}apps.connections.open"
    as_argument = requests.post(url, data={"token": APP_TOKEN}, timeout=5).json()
    assert as_argument == {"ok": False, "error": "not_authed"}
    headers = {"Authorization": f"Bearer {APP_TOKEN}"}
    fetched = requests.get(url, headers=headers, timeout=5).json()
    assert fetched == {"ok": False, "error": "insecure_request"}
    assert requests.post(url, headers=headers, timeout=5).json()["ok"] is True


def test_a_revoked_app_token_is_refused(sim: SlackSimulator) -> None:
    sim.socket_mode.revoked = True
    with pytest.raises(SlackApiError) as refused:
        _open(sim, APP_TOKEN)
    assert refused.value.response["error"] == "token_revoked"


def test_the_link_says_hello_and_its_url_opens_once(sim: SlackSimulator) -> None:
    url = _open(sim, APP_TOKEN)
    assert url.startswith("ws://127.0.0.1:") and "/link/?ticket=" in url and "app_id=A0SIM" in url
    with connect(url) as ws:
        hello = json.loads(ws.recv(timeout=5))
        assert hello["type"] == "hello" and hello["num_connections"] == 1
        assert hello["connection_info"] == {"app_id": "A0SIM"}
        assert {"host", "build_number", "approximate_connection_time"} <= set(hello["debug_info"])
        with pytest.raises(InvalidStatus):
            connect(url)  # the ticket was used


def test_envelopes_acks_and_disconnect_on_the_wire(sim: SlackSimulator) -> None:
    with connect(_open(sim, APP_TOKEN)) as ws:
        json.loads(ws.recv(timeout=5))
        envelope = sim.socket_mode.deliver(
            "slash_commands", {"command": "/support"}, accepts_response_payload=True
        )
        sent = json.loads(ws.recv(timeout=5))
        assert sent == {
            "envelope_id": envelope.envelope_id,
            "payload": {"command": "/support"},
            "type": "slash_commands",
            "accepts_response_payload": True,
        }
        ws.send(json.dumps({"envelope_id": envelope.envelope_id, "payload": {"text": "hi"}}))
        assert envelope.wait(5) is not None and envelope.response_payload == {"text": "hi"}
        event = sim.socket_mode.deliver("events_api", {"type": "event_callback"})
        sent = json.loads(ws.recv(timeout=5))
        assert sent["retry_attempt"] == 0 and sent["retry_reason"] == ""
        assert sent["accepts_response_payload"] is False
        ws.send(json.dumps({"envelope_id": event.envelope_id}))
        assert event.wait(5) == {"envelope_id": event.envelope_id}
        sim.socket_mode.disconnect("refresh_requested")
        notice = json.loads(ws.recv(timeout=5))
        assert notice["type"] == "disconnect" and notice["reason"] == "refresh_requested"


@pytest.mark.slack_warnings
def test_a_payload_where_none_is_accepted_is_a_warning(sim: SlackSimulator) -> None:
    with connect(_open(sim, APP_TOKEN)) as ws:
        json.loads(ws.recv(timeout=5))
        event = sim.socket_mode.deliver("events_api", {"type": "event_callback"})
        json.loads(ws.recv(timeout=5))
        ws.send(json.dumps({"envelope_id": event.envelope_id, "payload": {"text": "x"}}))
        assert event.wait(5) is not None
    assert [w["warning"] for w in sim.warnings] == ["socket_mode_payload_not_accepted"]


def test_an_unacked_event_comes_again_on_the_next_link_and_a_command_does_not(
    sim: SlackSimulator,
) -> None:
    with connect(_open(sim, APP_TOKEN)) as ws:
        json.loads(ws.recv(timeout=5))
        event = sim.socket_mode.deliver("events_api", {"type": "event_callback"})
        command = sim.socket_mode.deliver(
            "slash_commands", {"command": "/support"}, accepts_response_payload=True
        )
        ws.recv(timeout=5), ws.recv(timeout=5)
    assert sim.socket_mode.wait_no_links()
    with connect(_open(sim, APP_TOKEN)) as ws:
        json.loads(ws.recv(timeout=5))
        again = json.loads(ws.recv(timeout=5))
        assert again["envelope_id"] == event.envelope_id
        assert again["retry_attempt"] == 1 and again["retry_reason"] == "timeout"
    assert command.wait(0.1) is None and command.deliveries == 1


def test_slack_sdks_client_reconnects_on_refresh_and_after_a_drop(sim: SlackSimulator) -> None:
    seen: list[dict[str, Any]] = []

    def listener(client: SocketModeClient, req: SocketModeRequest) -> None:
        seen.append(req.payload)
        client.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id))

    client = SocketModeClient(
        app_token=APP_TOKEN, web_client=WebClient(base_url=sim.api_url), ping_interval=0.2
    )
    client.socket_mode_request_listeners.append(listener)
    try:
        client.connect()
        link = sim.socket_mode
        assert link.wait_links(1)
        link.disconnect("refresh_requested")
        assert link.wait_links(1, opened=2)
        link.drop()
        assert link.wait_links(1, opened=3, timeout=15)
        envelope = link.deliver("events_api", {"type": "event_callback", "n": 1})
        assert envelope.wait(5) is not None and seen[-1]["n"] == 1
    finally:
        client.close()
