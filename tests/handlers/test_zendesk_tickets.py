"""Zendesk tickets become one Slack thread each, kept up to date, whatever the delivery order."""

from __future__ import annotations

import json
import random
from typing import Any

import requests
from harness import ZENDESK_SECRET
from sqlalchemy import func, select

from bot.db import transaction
from bot.models import InboundEvent
from integrations.signatures import sign_zendesk

SUPPORT = "C0SUPPORT"


def _people(app: Any) -> dict[str, Any]:
    z = app.zendesk
    org = z.add_organization("Globex")
    customer = z.add_user("Carla Customer", email="carla@globex.test", organization_id=org["id"])
    ada = z.add_agent("Ada Agent", email="ada@acme.test")
    bob = z.add_agent("Bob Backup", email="bob@acme.test")
    billing = z.add_group("Billing")
    return {"customer": customer, "ada": ada, "bob": bob, "billing": billing, "org": org}


def _text(message: dict[str, Any]) -> str:
    return message["text"] + json.dumps(message.get("blocks") or [])


def _roots(app: Any, channel: str = SUPPORT) -> list[dict[str, Any]]:
    return [m for m in app.slack.messages(channel) if "Zendesk #" in m["text"]]


def test_new_ticket_posts_one_root_message_with_its_details(desk: Any) -> None:
    p = _people(desk)
    ticket = desk.zendesk.create_ticket(
        "Printer on fire",
        "It is smoking <!channel>",
        requester_id=p["customer"]["id"],
        priority="high",
        tags=["hardware", "vip"],
        organization_id=p["org"]["id"],
    )
    desk.settle()
    [root] = _roots(desk)
    shown = _text(root)
    assert f"Zendesk #{ticket['id']}: Printer on fire" in root["text"]
    for expected in ("Carla Customer", "Globex", "high", "hardware, vip", "/agent/tickets/"):
        assert expected in shown, expected
    assert "<!channel>" not in shown and "&lt;!channel&gt;" in shown
    assert "carla@globex.test" not in shown  # contact details stay in the helpdesk
    # The description arrives as the ticket's first comment: the root shows it, once.
    assert desk.slack.replies(SUPPORT, root["ts"]) == []


def test_the_thread_follows_comments_notes_and_changes(desk: Any) -> None:
    p = _people(desk)
    z = desk.zendesk
    ticket = z.create_ticket("Cannot log in", "Help", requester_id=p["customer"]["id"])
    desk.settle()
    desk.clock.advance(seconds=30)
    z.add_comment(ticket["id"], "Have you tried resetting?", author_id=p["ada"]["id"])
    desk.clock.advance(seconds=30)
    z.add_comment(ticket["id"], "Looks like SSO", author_id=p["ada"]["id"], public=False)
    desk.clock.advance(seconds=30)
    z.update_ticket(
        ticket["id"],
        status="pending",
        assignee_id=p["ada"]["id"],
        group_id=p["billing"]["id"],
        actor_id=p["ada"]["id"],
    )
    desk.clock.advance(seconds=30)
    z.solve(ticket["id"], actor_id=p["ada"]["id"])
    desk.settle()
    [root] = _roots(desk)
    replies = [_text(m) for m in desk.slack.replies(SUPPORT, root["ts"])]
    assert any("Have you tried resetting?" in r and "replied" in r for r in replies)
    assert any("Looks like SSO" in r and "internal note" in r for r in replies)
    texts = [m["text"] for m in desk.slack.replies(SUPPORT, root["ts"])]
    # One reply per update, naming who made it.
    assert texts[-2:] == [
        "Ada Agent: status new → pending · assignee → Ada Agent · group → Billing",
        "Ada Agent: status pending → solved",
    ]
    assert root.get("edited")
    assert "solved" in root["text"]
    assert "Ada Agent" in _text(root)


def test_out_of_order_duplicated_and_replayed_events_make_one_thread(desk: Any) -> None:
    p = _people(desk)
    z = desk.zendesk
    z.deliver = "queue"
    ticket = z.create_ticket("Refund", "Please refund", requester_id=p["customer"]["id"])
    desk.clock.advance(seconds=5)
    z.add_comment(ticket["id"], "On it", author_id=p["ada"]["id"])
    desk.clock.advance(seconds=5)
    z.update_ticket(ticket["id"], priority="urgent", status="open", actor_id=p["ada"]["id"])
    desk.clock.advance(seconds=5)
    z.add_comment(ticket["id"], "Refunded", author_id=p["ada"]["id"])
    desk.clock.advance(seconds=5)
    z.solve(ticket["id"], actor_id=p["ada"]["id"])
    queued = list(z.pending_webhooks)
    z.pending_webhooks.clear()
    z.deliver = "sync"
    deliveries = queued[::-1] + random.Random(4).sample(queued, len(queued))
    for item in deliveries:
        z.replay(item.event_id if hasattr(item, "event_id") else item["id"])
    desk.settle()
    for item in queued:  # and all of it once more, later
        z.replay(item.event_id if hasattr(item, "event_id") else item["id"])
    desk.settle()
    [root] = _roots(desk)
    texts = [m["text"] for m in desk.slack.replies(SUPPORT, root["ts"])]
    assert sum("On it" in t for t in texts) == 1
    assert sum("Refunded" in t for t in texts) == 1
    assert "solved" in root["text"] and "urgent" in _text(root)


def _post(app: Any, body: bytes, headers: dict[str, str]) -> requests.Response:
    return requests.post(f"{app.url}/webhooks/zendesk", data=body, headers=headers, timeout=10)


def _signed(app: Any, body: bytes, *, age: int = 0, secret: str = ZENDESK_SECRET) -> dict[str, str]:
    moment = app.clock.now().timestamp() - age
    from datetime import UTC, datetime

    stamp = datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "Content-Type": "application/json",
        "X-Zendesk-Webhook-Signature-Timestamp": stamp,
        "X-Zendesk-Webhook-Signature": sign_zendesk(secret, stamp, body),
    }


def _stored(app: Any) -> int:
    with transaction(app.runtime.factory) as session:
        return session.scalar(select(func.count()).select_from(InboundEvent)) or 0


EVENT = {
    "type": "zen:event-type:ticket.created",
    "id": "01HXYZ",
    "account_id": 1,
    "subject": "zen:ticket:77",
    "time": "2026-01-01T10:00:00Z",
    "zendesk_event_version": "2022-11-06",
    "detail": {"id": "77", "subject": "Hi", "status": "NEW", "updated_at": "2026-01-01T10:00:00Z"},
    "event": {},
}


def test_bad_missing_and_stale_signatures_get_401_and_store_nothing(desk: Any) -> None:
    body = json.dumps(EVENT).encode()
    assert _post(desk, body, {"Content-Type": "application/json"}).status_code == 401
    assert _post(desk, body, _signed(desk, body, secret="wrong")).status_code == 401
    assert _post(desk, body, _signed(desk, body, age=301)).status_code == 401
    tampered = _signed(desk, body)
    assert _post(desk, body + b" ", tampered).status_code == 401
    assert _stored(desk) == 0


def test_malformed_bodies_get_400_with_the_reason(desk: Any) -> None:
    cases = {
        b"not json": "not JSON",
        b"[]": "JSON object",
        json.dumps({**EVENT, "subject": "ticket 77"}).encode(): "zen:ticket",
        json.dumps({**EVENT, "detail": "x"}).encode(): "detail",
        json.dumps({k: v for k, v in EVENT.items() if k != "id"}).encode(): "'id'",
    }
    for body, reason in cases.items():
        response = _post(desk, body, _signed(desk, body))
        assert response.status_code == 400, body
        assert reason in response.json()["error"]
    assert _stored(desk) == 0


def test_oversized_body_gets_413(desk: Any) -> None:
    body = json.dumps({**EVENT, "pad": "x" * (1024 * 1024)}).encode()
    assert _post(desk, body, _signed(desk, body)).status_code == 413
    assert _stored(desk) == 0


def test_unknown_event_types_get_202_and_are_ignored(desk: Any) -> None:
    body = json.dumps({**EVENT, "type": "zen:event-type:user.created", "subject": "zen:user:1"})
    response = _post(desk, body.encode(), _signed(desk, body.encode()))
    assert response.status_code == 202
    assert _stored(desk) == 0


def test_the_same_delivery_twice_is_stored_once(desk: Any) -> None:
    body = json.dumps(EVENT).encode()
    first = _post(desk, body, _signed(desk, body))
    again = _post(desk, body, _signed(desk, body))
    assert first.status_code == again.status_code == 200
    assert again.json()["duplicate"] is True
    assert _stored(desk) == 1
    desk.settle()
    assert len(_roots(desk)) == 1


def test_long_comments_are_cut_with_a_link_to_the_ticket(desk: Any) -> None:
    p = _people(desk)
    ticket = desk.zendesk.create_ticket("Logs", "see below", requester_id=p["customer"]["id"])
    desk.zendesk.add_comment(ticket["id"], "line\n" * 2000, author_id=p["customer"]["id"])
    desk.settle()
    [root] = _roots(desk)
    long_reply = desk.slack.replies(SUPPORT, root["ts"])[-1]
    assert all(len(b.get("text", {}).get("text", "")) <= 3000 for b in long_reply["blocks"])
    assert "read the whole comment" in _text(long_reply)
    assert not desk.slack.warnings


def test_one_update_is_one_reply_with_distinct_status_and_priority_icons(desk: Any) -> None:
    p = _people(desk)
    z = desk.zendesk
    ticket = z.create_ticket("VPN drops", "Every hour", requester_id=p["customer"]["id"])
    desk.settle()
    desk.clock.advance(minutes=1)
    z.deliver = "queue"
    z.update_ticket(ticket["id"], status="open", priority="high", actor_id=p["bob"]["id"])
    events = list(z.pending_webhooks)
    z.pending_webhooks.clear()
    z.deliver = "sync"
    for item in events + events[::-1]:  # each event twice, the update's two in either order
        z.replay(item["id"])
    desk.settle()
    [root] = _roots(desk)
    [reply] = desk.slack.replies(SUPPORT, root["ts"])
    assert reply["text"] == "Bob Backup: status new → open · priority → high"
    line = reply["blocks"][0]["elements"][0]["text"]
    assert line.startswith("*Bob Backup*: :large_orange_circle: status new → *open*")
    assert ":exclamation: priority → *high*" in line
    z.update_ticket(ticket["id"], priority="urgent", actor_id=p["bob"]["id"])
    desk.settle()
    assert desk.slack.replies(SUPPORT, root["ts"])[-1]["text"] == (
        "Bob Backup: priority high → urgent"
    )
