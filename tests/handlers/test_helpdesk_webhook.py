"""The generic helpdesk webhook: documented schema, signature, dedupe, one thread per ticket."""

from __future__ import annotations

import json
from typing import Any

import requests
from harness import HELPDESK_SECRET

from integrations.signatures import sign_helpdesk

SUPPORT = "C0SUPPORT"


def _send(
    app: Any, payload: Any, *, age: int = 0, secret: str = HELPDESK_SECRET, raw: bytes | None = None
) -> requests.Response:
    body = raw if raw is not None else json.dumps(payload).encode()
    stamp = str(int(app.clock.epoch()) - age)
    headers = {
        "Content-Type": "application/json",
        "X-Helpdesk-Timestamp": stamp,
        "X-Helpdesk-Signature": sign_helpdesk(secret, stamp, body),
    }
    return requests.post(f"{app.url}/webhooks/helpdesk", data=body, headers=headers, timeout=10)


def _event(kind: str, **extra: Any) -> dict[str, Any]:
    ticket = {
        "id": "FD-1",
        "subject": "Checkout fails",
        "status": "open",
        "priority": "High",
        "url": "https://desk.example/tickets/1",
        "requester": {"name": "Dana"},
        "organization": "Initech",
        "group": "Payments",
        "tags": ["checkout"],
        "updated_at": "2026-01-01T10:00:00Z",
    }
    ticket.update(extra.pop("ticket", {}))
    return {"type": kind, "source": "freshdesk", "ticket": ticket, **extra}


def test_generic_events_build_one_thread(app: Any) -> None:
    assert _send(app, _event("ticket.created", event_id="e1")).status_code == 200
    app.settle()  # the thread exists: what happens next is told in it
    comment = {
        "id": "c1",
        "body": "Card declined <@U0LEAD>",
        "public": True,
        "author": {"name": "Dana"},
    }
    assert (
        _send(
            app,
            _event(
                "ticket.comment_added",
                event_id="e2",
                comment=comment,
                ticket={"updated_at": "2026-01-01T10:05:00Z"},
            ),
        ).status_code
        == 200
    )
    assert (
        _send(
            app,
            _event(
                "ticket.solved",
                event_id="e3",
                actor={"name": "Dee Agent"},
                ticket={"updated_at": "2026-01-01T10:09:00Z", "assignee": {"name": "Dee Agent"}},
            ),
        ).status_code
        == 200
    )
    app.settle()
    [root] = [m for m in app.slack.messages(SUPPORT) if "freshdesk #FD-1" in m["text"]]
    shown = root["text"] + json.dumps(root["blocks"])
    assert "Checkout fails" in shown and "Initech" in shown and "solved" in root["text"]
    replies = [
        m["text"] + json.dumps(m.get("blocks")) for m in app.slack.replies(SUPPORT, root["ts"])
    ]
    assert any("Card declined" in r and "&lt;@U0LEAD&gt;" in r for r in replies)
    assert replies[-1].startswith("Dee Agent: status open → solved · assignee → Dee Agent")


def test_events_waiting_together_open_the_thread_in_the_latest_state(app: Any) -> None:
    """A new ticket's events processed together (a backlog): the root shows where the ticket
    got to, its comments come once, and nothing from before the thread existed is retold."""
    comment = {"id": "c1", "body": "Card declined", "public": True, "author": {"name": "Dana"}}
    for event in (
        _event("ticket.created", event_id="e1"),
        _event(
            "ticket.comment_added",
            event_id="e2",
            comment=comment,
            ticket={"updated_at": "2026-01-01T10:05:00Z"},
        ),
        _event(
            "ticket.solved",
            event_id="e3",
            actor={"name": "Dee Agent"},
            ticket={"updated_at": "2026-01-01T10:09:00Z", "assignee": {"name": "Dee Agent"}},
        ),
    ):
        assert _send(app, event).status_code == 200
    app.settle()
    [root] = [m for m in app.slack.messages(SUPPORT) if "freshdesk #FD-1" in m["text"]]
    shown = root["text"] + json.dumps(root["blocks"])
    assert "[solved]" in root["text"] and "Dee Agent" in shown
    assert app.slack.calls_to("chat.update") == []  # posted once, never edited
    replies = [m["text"] for m in app.slack.replies(SUPPORT, root["ts"])]
    assert replies == [replies[0]] and replies[0].startswith("Dana: Card declined")


def test_event_id_and_content_deduplicate(app: Any) -> None:
    first = _send(app, _event("ticket.created", event_id="same"))
    again = _send(app, _event("ticket.created", event_id="same"))
    assert again.json()["duplicate"] is True and first.json()["duplicate"] is False
    body = json.dumps(_event("ticket.updated")).encode()
    assert _send(app, None, raw=body).json()["duplicate"] is False
    assert _send(app, None, raw=body).json()["duplicate"] is True
    app.settle()
    assert len(app.slack.messages(SUPPORT)) == 1


def test_bad_signature_stale_and_missing_headers_get_401(app: Any) -> None:
    assert _send(app, _event("ticket.created"), secret="nope").status_code == 401
    assert _send(app, _event("ticket.created"), age=301).status_code == 401
    response = requests.post(
        f"{app.url}/webhooks/helpdesk", json=_event("ticket.created"), timeout=10
    )
    assert response.status_code == 401


def test_wrong_shapes_get_400_naming_the_problem(app: Any) -> None:
    cases = [
        (None, b"{oops", "not JSON"),
        ({"type": "ticket.created"}, None, "ticket"),
        (_event("ticket.created", ticket={"id": ""}), None, "ticket.id"),
        (_event("ticket.comment_added"), None, "comment"),
        ({**_event("ticket.created"), "source": "Zendesk!"}, None, "source"),
    ]
    for payload, raw, reason in cases:
        response = _send(app, payload, raw=raw)
        assert response.status_code == 400, reason
        assert reason in response.json()["error"]


def test_unknown_event_types_are_accepted_and_ignored(app: Any) -> None:
    response = _send(app, _event("ticket.merged"))
    assert response.status_code == 202
    app.settle()
    assert app.slack.messages(SUPPORT) == []


def test_the_schema_is_on_the_openapi_page(app: Any) -> None:
    spec = requests.get(f"{app.url}/openapi.json", timeout=10).json()
    operation = spec["paths"]["/webhooks/helpdesk"]["post"]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    assert "ticket" in schema["properties"] and "X-Helpdesk-Signature" in operation["description"]
