"""`/support queue` over signed HTTP: counts, SLA risks with thread links, shifts, filters."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from harness import SUPPORT_CHANNEL
from rotation_helpers import add_workspace, cache_workspace, chat_support, create_rotation, seats

from bot.db import transaction
from scheduling.sweeps import directory

OTHER = "C0BILLING"


def _answer(resp: Any) -> str:
    body = resp.json if isinstance(resp.json, dict) else {}
    return str(body.get("text", "")) + json.dumps(body.get("blocks") or [])


def _queue(app: Any, text: str = "", user: str = "U0AGENT") -> Any:
    return app.driver.command(
        "/support", f"queue {text}".strip(), user_id=user, channel_id=SUPPORT_CHANNEL
    )


def _ticket_aged(app: Any, hours: float, subject: str, **fields: Any) -> dict[str, Any]:
    """A Zendesk ticket created `hours` ago (the shared clock goes back, then forward)."""
    customer = app.extras.get("customer") or app.zendesk.add_user("Carla Customer")
    app.extras["customer"] = customer
    now = app.clock.now()
    app.clock.current = now - timedelta(hours=hours)
    try:
        ticket = app.zendesk.create_ticket(
            subject, "details", requester_id=customer["id"], **fields
        )
        app.settle()
    finally:
        app.clock.current = now
    return ticket


def _learn_workspace(app: Any) -> None:
    """What the hourly directory job does first: auth.test tells the workspace's address."""
    directory.refresh(app.runtime.factory, app.runtime.clients, [], app.clock.now())


def test_queue_counts_open_tickets_and_lists_sla_breaches_with_thread_links(desk: Any) -> None:
    _learn_workspace(desk)
    agent = desk.zendesk.add_agent("Ada Agent", email="ada@acme.test")
    late = _ticket_aged(desk, 2, "Checkout <!channel> down", priority="urgent")
    _ticket_aged(desk, 0.5, "Invoice question", priority="low", assignee_id=agent["id"])
    _ticket_aged(desk, 0.2, "Password reset", priority="high")
    solved = _ticket_aged(desk, 0.1, "Already fixed", priority="normal")
    desk.zendesk.solve(solved["id"])
    desk.settle()

    resp = _queue(desk)
    shown = _answer(resp)
    assert resp.status == 200 and resp.json.get("response_type") == "ephemeral"
    assert "3 open, 2 unassigned, 1 breaching SLA, 0 at risk" in resp.json["text"]
    assert "urgent *1*" in shown and "high *1*" in shown and "low *1*" in shown
    assert "Already fixed" not in shown
    # The breach names its ticket (escaped) and links to its thread.
    [root] = [m for m in desk.slack.messages(SUPPORT_CHANNEL) if f"#{late['id']}:" in m["text"]]
    link = f"/archives/{SUPPORT_CHANNEL}/p{root['ts'].replace('.', '')}"
    assert link in shown and "first response due 1h ago" in shown
    assert "&lt;!channel&gt;" in shown and "<!channel>" not in shown
    assert "*Oldest waiting:* <https://" in shown and f"#{late['id']} Checkout" in shown
    assert f"<#{SUPPORT_CHANNEL}> *3*" in shown


def test_queue_filters_by_priority_group_and_channel(desk: Any) -> None:
    billing = desk.zendesk.add_group("Billing")
    _ticket_aged(desk, 0.1, "Refund", priority="high", group_id=billing["id"])
    _ticket_aged(desk, 0.1, "Crash", priority="urgent")
    assert "1 open" in _queue(desk, "priority:urgent").json["text"]
    assert "1 open" in _queue(desk, "group:billing").json["text"]
    assert "2 open" in _queue(desk, f"<#{SUPPORT_CHANNEL}|support>").json["text"]
    assert "0 open" in _queue(desk, f"<#{OTHER}|billing>").json["text"]


def test_bad_filters_get_the_usage_line(desk: Any) -> None:
    for text in ("priority:sometimes", "everything"):
        [shown] = _queue(desk, text).ephemeral
        assert "Usage: `/support queue [public]" in shown
        assert "Traceback" not in shown


def test_public_queue_is_posted_in_the_channel(desk: Any) -> None:
    _ticket_aged(desk, 0.1, "Crash", priority="urgent")
    resp = _queue(desk, "public")
    assert resp.json["response_type"] == "in_channel"
    assert resp.ephemeral == []
    assert any("Support queue: 1 open" in m["text"] for m in desk.slack.messages(SUPPORT_CHANNEL))


def test_queue_says_who_is_on_shift_next(desk: Any) -> None:
    add_workspace(desk.slack)
    now = desk.clock.now()
    with transaction(desk.runtime.factory) as session:
        cache_workspace(session, now)
    start = now + timedelta(minutes=10)
    spec = chat_support(
        timezone="UTC",
        days=["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
        start=f"{start:%H:%M}",
    )
    rotation_id = create_rotation(desk.runtime.factory, now, spec)
    holder = seats(desk.runtime.factory, rotation_id)[0].user_id
    shown = _answer(_queue(desk))
    assert "*chat-support*: now nobody; next" in shown and f"<@{holder}>" in shown
