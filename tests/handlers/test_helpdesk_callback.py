"""The generic helpdesk talks back: notes and public replies POSTed, signed, exactly once."""

from __future__ import annotations

import json
from typing import Any

import requests
from bug_helpers import SUPPORT, bug_replies, file_bug, submit
from harness import HELPDESK_SECRET

from integrations.signatures import sign_helpdesk


def _post_event(app: Any, payload: dict[str, Any]) -> None:
    body = json.dumps(payload).encode()
    stamp = str(int(app.clock.epoch()))
    headers = {
        "Content-Type": "application/json",
        "X-Helpdesk-Timestamp": stamp,
        "X-Helpdesk-Signature": sign_helpdesk(HELPDESK_SECRET, stamp, body),
    }
    answer = requests.post(f"{app.url}/webhooks/helpdesk", data=body, headers=headers, timeout=10)
    assert answer.status_code == 200, answer.text


def _ticket(app: Any, ticket_id: str = "FD-1", subject: str = "Checkout fails") -> dict:
    _post_event(
        app,
        {
            "event_id": f"created-{ticket_id}",
            "type": "ticket.created",
            "source": "freshdesk",
            "ticket": {
                "id": ticket_id,
                "subject": subject,
                "status": "open",
                "requester": {"name": "Dana"},
                "updated_at": "2026-01-01T10:00:00Z",
            },
        },
    )
    app.settle()
    return next(m for m in app.slack.messages(SUPPORT) if subject in m["text"])


def _close_bug(app: Any, root: dict[str, Any]) -> None:
    file_bug(app, root)
    app.settle()
    app.clock.advance(minutes=1)
    app.jira.close("SUP-1", resolution="Fixed", fix_version="3.1")
    app.settle()


def test_a_thread_reply_reaches_the_desk_as_a_signed_internal_note_once(backdesk: Any) -> None:
    root = _ticket(backdesk)
    message, _ = backdesk.driver.user_message(
        "U0AGENT", SUPPORT, "Customer is on plan X", thread_ts=root["ts"]
    )
    for _ in range(2):
        backdesk.driver.message_shortcut(
            "send_to_ticket", user_id="U0AGENT", channel_id=SUPPORT, message=message
        )
    backdesk.settle()
    [note] = backdesk.helpdesk.notes("FD-1")
    assert "Customer is on plan X" in note and "Ada Agent" in note
    [event] = backdesk.helpdesk.received
    assert event["source"] == "freshdesk" and event["comment"]["public"] is False
    assert any("Sent to ticket" in e["text"] for e in backdesk.slack.ephemerals(user="U0AGENT"))


def test_bug_notes_and_the_customers_reply_reach_the_generic_desk(backdesk: Any) -> None:
    root = _ticket(backdesk)
    _close_bug(backdesk, root)
    notes = backdesk.helpdesk.notes("FD-1")
    assert any("SUP-1" in n and "is done" in n for n in notes)
    [notice] = bug_replies(backdesk, root, "is done")
    opened = backdesk.driver.block_action(
        "U0AGENT", "customers_tell", value="SUP-1", message=notice, channel_id=SUPPORT
    )
    assert opened.view is not None, opened.ephemeral
    submit(backdesk, opened.view, customers_status="solved")
    submit(backdesk, opened.view, customers_status="solved")
    backdesk.settle()
    [reply] = backdesk.helpdesk.replies("FD-1")
    assert "3.1" in reply
    assert backdesk.helpdesk.statuses["FD-1"] == "solved"
    assert len(bug_replies(backdesk, root, "told the customer")) == 1


def test_a_refusing_callback_url_is_retried_and_the_agent_told(backdesk: Any) -> None:
    root = _ticket(backdesk)
    _close_bug(backdesk, root)
    [notice] = bug_replies(backdesk, root, "is done")
    opened = backdesk.driver.block_action(
        "U0AGENT", "customers_tell", value="SUP-1", message=notice, channel_id=SUPPORT
    )
    backdesk.helpdesk.fail("callback", 503, {"error": "maintenance"}, times=2)
    submit(backdesk, opened.view)
    backdesk.settle()
    assert backdesk.helpdesk.replies("FD-1") == []
    [warning] = [m for m in backdesk.slack.dms("U0AGENT") if "did not take" in m["text"]]
    assert "503" in warning["text"] and "maintenance" in warning["text"]
    for _ in range(3):
        backdesk.clock.advance(minutes=5)
        backdesk.settle()
    assert len(backdesk.helpdesk.replies("FD-1")) == 1


def test_a_lost_answer_is_applied_once_by_its_idempotency_key(backdesk: Any) -> None:
    root = _ticket(backdesk)
    message, _ = backdesk.driver.user_message("U0AGENT", SUPPORT, "Plan X", thread_ts=root["ts"])
    backdesk.helpdesk.fail("callback", 504, times=1, after_effect=True)
    backdesk.driver.message_shortcut(
        "send_to_ticket", user_id="U0AGENT", channel_id=SUPPORT, message=message
    )
    backdesk.settle()
    backdesk.clock.advance(minutes=2)
    backdesk.settle()
    assert len(backdesk.helpdesk.notes("FD-1")) == 1
    assert backdesk.helpdesk.duplicates == 1
    [first, second] = backdesk.helpdesk.calls_to("callback")
    assert first.args["idempotency_key"] == second.args["idempotency_key"]


def test_without_a_callback_url_generic_tickets_say_how_to_take_notes(app: Any) -> None:
    root = _ticket(app)
    message, _ = app.driver.user_message("U0AGENT", SUPPORT, "Plan X", thread_ts=root["ts"])
    answer = app.driver.message_shortcut(
        "send_to_ticket", user_id="U0AGENT", channel_id=SUPPORT, message=message
    )
    assert any("HELPDESK_CALLBACK_URL" in t for t in answer.ephemeral)
