"""Signed but malformed requests get a 4xx with a reason and one log line: the cases the fuzz
suite found, kept as plain examples."""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import urlencode

import requests
from fuzzing import check_logs, watching
from harness import HELPDESK_SECRET, JIRA_SECRET, ZENDESK_SECRET

from integrations.signatures import sign_helpdesk, sign_jira, sign_zendesk
from integrations.simulators.zendesk.events import iso

DEEP = b'{"type": ' + b"[" * 5000 + b"]" * 5000 + b"}"
FORM = "application/x-www-form-urlencoded"


def _webhook(app: Any, path: str, body: bytes) -> requests.Response:
    stamp = str(int(app.clock.epoch()))
    headers = {
        "Content-Type": "application/json",
        "X-Helpdesk-Timestamp": stamp,
        "X-Helpdesk-Signature": sign_helpdesk(HELPDESK_SECRET, stamp, body),
        "X-Hub-Signature": sign_jira(JIRA_SECRET, body),
        "X-Atlassian-Webhook-Identifier": str(uuid.uuid4()),
        "X-Zendesk-Webhook-Signature-Timestamp": iso(app.clock.epoch()),
        "X-Zendesk-Webhook-Signature": sign_zendesk(ZENDESK_SECRET, iso(app.clock.epoch()), body),
    }
    return requests.post(f"{app.url}{path}", data=body, headers=headers, timeout=30)


def _zendesk(**changes: Any) -> bytes:
    event: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "type": "zen:event-type:ticket.comment_added",
        "subject": "zen:ticket:7",
        "time": "2026-01-01T10:00:00.123456789Z",
        "detail": {"id": "7", "subject": "Printer", "status": "OPEN", "tags": ["a"]},
        "event": {"comment": {"id": "9", "body": "hi", "author": {"id": "1", "name": "Ada"}}},
    }
    for path, value in changes.items():
        *parents, last = path.split("__")
        target = event
        for step in parents:
            target = target[step]
        target[last] = value
    return json.dumps(event).encode()


def _jira(**fields: Any) -> bytes:
    issue = {
        "key": "SUP-1",
        "fields": {"status": {"name": "Done", "statusCategory": {"key": "done"}}, **fields},
    }
    return json.dumps({"webhookEvent": "jira:issue_updated", "issue": issue}).encode()


def test_malformed_webhooks_are_refused_with_a_reason(bugdesk: Any) -> None:
    helpdesk = {"type": "ticket.created", "source": "freshdesk", "ticket": {"id": "1"}}
    cases = [
        ("/webhooks/zendesk", DEEP, 400, "nested deeper than 64"),
        ("/webhooks/helpdesk", DEEP, 400, "nested deeper than 64"),
        ("/webhooks/jira", DEEP, 400, "nested deeper than 64"),
        ("/webhooks/zendesk", b'{"id": NaN}', 400, "NaN is not a JSON number"),
        ("/webhooks/zendesk", _zendesk(detail__subject="a\u0000b"), 400, "NUL"),
        ("/webhooks/zendesk", _zendesk(detail__tags=5), 400, "'tags' must be a list"),
        ("/webhooks/zendesk", _zendesk(detail__status=["OPEN"]), 400, "'status'"),
        ("/webhooks/zendesk", _zendesk(event__comment__author="Ada"), 400, "'author'"),
        ("/webhooks/zendesk", _zendesk(time="10000-01-01T00:00:00Z"), 400, "time"),
        ("/webhooks/zendesk", _zendesk(detail__group_id="9" * 65), 400, "group_id"),
        ("/webhooks/zendesk", _zendesk(subject="zen:ticket:" + "1" * 65), 400, "external_id"),
        ("/webhooks/helpdesk", json.dumps({**helpdesk, "id": 2**64}).encode(), 400, "range"),
        (
            "/webhooks/helpdesk",
            json.dumps({**helpdesk, "occurred_at": "9999-12-31T23:00:00-05:00"}).encode(),
            400,
            "out of range",
        ),
        ("/webhooks/jira", _jira(status={"statusCategory": "Done"}), 400, "statusCategory"),
        ("/webhooks/jira", _jira(fixVersions=3, resolution="Fixed"), 200, None),
    ]
    with watching() as watch:
        for path, body, status, reason in cases:
            answer = _webhook(bugdesk, path, body)
            assert answer.status_code == status, (path, body[:80], answer.text)
            if reason is not None:
                assert reason in answer.json()["error"], (reason, answer.text)
            check_logs(watch, path, status)


def _slack(app: Any, body: bytes, content_type: str = FORM) -> Any:
    return app.driver.post(body, content_type)


def _interaction(**changes: Any) -> bytes:
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": {"id": "U0AGENT", "team_id": "T0SIM"},
        "team": {"id": "T0SIM"},
        "container": {"type": "message", "channel_id": "C0SUPPORT"},
        "channel": {"id": "C0SUPPORT"},
        "trigger_id": "1.2.abc",
        "actions": [{"action_id": "ticket_open", "type": "button", "action_ts": "1.5"}],
    }
    payload.update(changes)
    return urlencode({"payload": json.dumps(payload)}).encode()


def _view(callback_id: str, metadata: str) -> dict[str, Any]:
    return {
        "id": "V0FORM",
        "callback_id": callback_id,
        "private_metadata": metadata,
        "state": {"values": {}},
    }


def test_malformed_slack_requests_are_refused_before_bolt(app: Any) -> None:
    command = {
        "command": "/support",
        "text": "help",
        "user_id": "U0AGENT",
        "channel_id": "C0S",
        "response_url": "https://hooks.slack.com/commands/T0SIM/1/x",
        "trigger_id": "1.2.x",
    }
    cases = [
        (_interaction(), 200, None),
        (_interaction(user=None), 400, "'user' is missing"),
        (_interaction(user=5), 400, "'user' must be an object"),
        (_interaction(user={"name": "x"}), 400, "'user.id' is missing"),
        (_interaction(actions=[]), 400, "'actions' must not be empty"),
        (_interaction(actions=[{"type": "button"}]), 400, "'actions[0].action_id' is missing"),
        (_interaction(actions=[{"action_id": 7}]), 400, "'actions[0].action_id'"),
        (_interaction(container=None), 400, "'container' is missing"),
        (_interaction(container=[1]), 400, "'container' must be an object"),
        (_interaction(team=3), 400, "'team'"),
        (_interaction(authorizations=[1]), 400, "'authorizations[0]'"),
        (_interaction(actions=[{"action_id": "no_such_action"}]), 404, None),
        (
            _interaction(view=_view("bug_file_form", "not json")),
            400,
            "not JSON",
        ),
        (
            _interaction(view=_view("bug_file_form", '{"ticket": "7"}')),
            400,
            "'view.private_metadata.ticket' must be a whole number",
        ),
        (
            _interaction(type="view_submission", view=_view("rotation_form", "[]")),
            400,
            "'view.private_metadata' must be an object",
        ),
        (_interaction(type="dialog_submission"), 400, "unsupported payload type"),
        (b"payload=" + DEEP, 400, "nested deeper than 64"),
        (urlencode({**command, "user_id": "u0agent"}).encode(), 400, "'user_id'"),
        (urlencode({**command, "user_id": ""}).encode(), 400, "'user_id' must be"),
        (
            urlencode({k: v for k, v in command.items() if k != "response_url"}).encode(),
            400,
            "'response_url' is missing",
        ),
        (urlencode(command).encode(), 200, None),
    ]
    event = {"type": "event_callback", "event_id": "Ev1", "team_id": "T0SIM"}
    message = {"type": "message", "channel": "C0SUPPORT", "user": "U0AGENT", "thread_ts": "1.2"}
    json_cases = [
        ({**event, "event": {**message, "ts": "1e9"}}, 400, "'event.ts'"),
        ({**event, "event": {**message, "ts": "99999999999.000001"}}, 400, "'event.ts'"),
        ({**event, "event": {"type": "app_home_opened", "tab": "home"}}, 400, "'event.user'"),
        ({**event, "event": "app_home_opened"}, 400, "'event' must be an object"),
        ({**event, "event": {**message, "ts": "1.3"}, "is_ext_shared_channel": 1}, 400, "shared"),
    ]
    with watching() as watch:
        for body, status, reason in cases:
            answer = _slack(app, body)
            assert answer.status == status, (body[:120], answer.text)
            if reason is not None:
                assert reason in answer.json["error"], (reason, answer.text)
            check_logs(watch, "/slack/events", status)
        for envelope, status, reason in json_cases:
            answer = _slack(app, json.dumps(envelope).encode(), "application/json")
            assert answer.status == status and reason in answer.json["error"], answer.text
            check_logs(watch, "/slack/events", status)
