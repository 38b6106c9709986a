"""SLA alerts in ticket threads, and `/support sla`, driven through the real app: Zendesk
webhooks in, the SLA sweep on a moved clock, thread replies and ephemeral answers out."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from rotation_helpers import ROTATION_CHANNEL, cache_workspace, create_rotation
from sqlalchemy import select

from bot import people
from bot.db import transaction
from bot.rotations.config import FixedShift, RotationSpec
from bot.sla.models import SlaAlert
from bot.tickets.models import Ticket
from scheduling.jobs import build_jobs
from scheduling.sweeps import sla as sla_sweep

SUPPORT = "C0SUPPORT"


def _desk_people(desk: Any) -> dict[str, Any]:
    """A customer and an agent in Zendesk; the agent is also a known Slack member."""
    z = desk.zendesk
    found = {
        "customer": z.add_user("Carla Customer", email="carla@globex.test"),
        "ada": z.add_agent("Ada Agent", email="ada@acme.test"),
    }
    with transaction(desk.runtime.factory) as session:
        people.record_user(
            session, {"id": "U0AGENT", "name": "agent", "real_name": "Ada Agent"}, desk.clock.now()
        )
    return found


def _open(desk: Any, who: dict[str, Any], *, assigned: bool = True, **fields: Any) -> int:
    """A new high-priority ticket (first response due in 4 h, at risk after 3 h), settled."""
    ticket = desk.zendesk.create_ticket(
        "Checkout fails",
        "Card declined",
        requester_id=who["customer"]["id"],
        priority=fields.pop("priority", "high"),
        assignee_id=who["ada"]["id"] if assigned else None,
        **fields,
    )
    desk.settle()
    return int(ticket["id"])


def _sweep(desk: Any, **delta: float) -> dict[str, int]:
    """Move the clock, run the SLA sweep as a tick would, and deliver what it queued."""
    now = desk.clock.advance(**delta) if delta else desk.clock.now()
    with transaction(desk.runtime.factory) as session:
        summary = sla_sweep.sweep(session, now)
    desk.settle()
    return summary


def _replies(desk: Any, ticket_id: int) -> list[str]:
    [root] = [m for m in desk.slack.messages(SUPPORT) if f"Zendesk #{ticket_id}" in m["text"]]
    return [
        m["text"] + json.dumps(m.get("blocks") or [])
        for m in desk.slack.replies(SUPPORT, root["ts"])
    ]


def _sla_replies(desk: Any, ticket_id: int) -> list[str]:
    return [r for r in _replies(desk, ticket_id) if "at risk" in r or "breached" in r]


def _alerts(desk: Any) -> list[tuple[str, str, bool, str | None]]:
    with transaction(desk.runtime.factory) as session:
        rows = session.execute(
            select(SlaAlert.metric, SlaAlert.level, SlaAlert.sent, SlaAlert.mentioned).order_by(
                SlaAlert.id
            )
        ).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def test_at_risk_then_breach_are_each_told_once_mentioning_the_assignee(desk: Any) -> None:
    who = _desk_people(desk)
    ticket = _open(desk, who)
    assert _sweep(desk)["alerts"] == 0
    assert _sweep(desk, hours=3, minutes=5)["alerts"] == 1
    [warning] = _sla_replies(desk, ticket)
    assert "First response at risk" in warning and "(in 55 min)" in warning
    assert "<@U0AGENT>" in warning
    assert _sweep(desk)["alerts"] == 0  # the same tick again: nothing more
    assert _sweep(desk, hours=1, minutes=5)["alerts"] == 1
    assert _sweep(desk)["alerts"] == 0
    replies = _sla_replies(desk, ticket)
    assert len(replies) == 2
    assert "First response target breached 10 min ago" in replies[1]
    assert "<@U0AGENT>" in replies[1]
    assert _alerts(desk) == [
        ("first_response", "at_risk", True, "U0AGENT"),
        ("first_response", "breached", True, "U0AGENT"),
    ]


def test_the_sla_sweep_is_one_of_the_scheduled_jobs(desk: Any) -> None:
    runtime = desk.runtime
    jobs = {job.name: job for job in build_jobs(runtime.factory, runtime.clients, runtime.settings)}
    who = _desk_people(desk)
    ticket = _open(desk, who)
    assert jobs["sla"].run(desk.clock.advance(hours=5)) == {"tickets": 1, "alerts": 1}
    desk.settle()
    [breach] = _sla_replies(desk, ticket)  # the warning came too late to matter: only the breach
    assert "breached" in breach and "at risk" not in breach
    assert [(level, sent) for _, level, sent, _ in _alerts(desk)] == [
        ("at_risk", False),
        ("breached", True),
    ]


def test_a_first_response_stops_the_first_response_alerts(desk: Any) -> None:
    who = _desk_people(desk)
    ticket = _open(desk, who)
    desk.clock.advance(minutes=20)
    desk.zendesk.add_comment(ticket, "Looking into it now", author_id=who["ada"]["id"])
    desk.settle()
    assert _sweep(desk, hours=10)["alerts"] == 0
    assert _sla_replies(desk, ticket) == []
    assert _sweep(desk, hours=9)["alerts"] == 1  # resolution: at risk after 18 of 24 h
    [warning] = _sla_replies(desk, ticket)
    assert "Resolution at risk" in warning and "First response" not in warning


def test_a_solved_ticket_gets_no_alerts(desk: Any) -> None:
    who = _desk_people(desk)
    ticket = _open(desk, who)
    desk.clock.advance(minutes=10)
    desk.zendesk.solve(ticket, actor_id=who["ada"]["id"])
    desk.settle()
    assert _sweep(desk, days=3) == {"tickets": 0, "alerts": 0}
    assert _sla_replies(desk, ticket) == [] and _alerts(desk) == []


def test_an_unassigned_ticket_mentions_whoever_is_on_shift(desk: Any) -> None:
    now = desk.clock.now()
    with transaction(desk.runtime.factory) as session:
        cache_workspace(session, now)
    spec = RotationSpec(
        name="chat-support",
        channel=ROTATION_CHANNEL,
        users=["U0BE1"],
        leads=["U0LEAD"],
        shifts=[FixedShift("U0BE1", now + timedelta(minutes=1), now + timedelta(hours=12))],
    )
    create_rotation(desk.runtime.factory, now, spec)
    who = _desk_people(desk)
    ticket = _open(desk, who, assigned=False)
    assert _sweep(desk, hours=3, minutes=30)["alerts"] == 1
    [warning] = _sla_replies(desk, ticket)
    assert "unassigned; on shift: <@U0BE1>" in warning
    assert _alerts(desk) == [("first_response", "at_risk", True, "U0BE1")]


def test_an_unassigned_ticket_with_nobody_on_shift_says_so(desk: Any) -> None:
    who = _desk_people(desk)
    ticket = _open(desk, who, assigned=False)
    _sweep(desk, hours=3, minutes=30)
    [warning] = _sla_replies(desk, ticket)
    assert "unassigned, and nobody is on shift" in warning


def test_a_lead_setting_targets_moves_the_thresholds_of_open_tickets(desk: Any) -> None:
    who = _desk_people(desk)
    ticket = _open(desk, who)
    other = _open(desk, who, priority="low")
    answer = desk.driver.command(
        "/support",
        "sla set high first-response 1h resolution 8h at-risk 50",
        user_id="U0LEAD",
        channel_id=SUPPORT,
    )
    [text] = answer.ephemeral
    assert "SLA for high tickets" in text
    assert "1 open ticket of that priority updated" in json.dumps(answer.json)
    with transaction(desk.runtime.factory) as session:
        due = {
            t.external_id: (t.opened_at, t.response_risk_at, t.response_due_at)
            for t in session.scalars(select(Ticket))
        }
    opened, risk, first_due = due[str(ticket)]
    assert (risk - opened, first_due - opened) == (timedelta(minutes=30), timedelta(hours=1))
    assert due[str(other)][2] - due[str(other)][0] == timedelta(hours=24)  # low: untouched
    shown = desk.driver.command("/support", "sla", user_id="U0LEAD", channel_id=SUPPORT)
    table = json.dumps(shown.json)
    assert "set by <@U0LEAD>" in table and "first response *1 h*" in table
    assert _sweep(desk, minutes=31)["alerts"] == 1
    assert "First response at risk" in _sla_replies(desk, ticket)[0]
    assert _sla_replies(desk, other) == []


def test_a_lead_can_reset_a_priority_to_the_default(desk: Any) -> None:
    desk.driver.command(
        "/support", "sla set urgent first-response 2h", user_id="U0LEAD", channel_id=SUPPORT
    )
    answer = desk.driver.command(
        "/support", "sla reset urgent", user_id="U0LEAD", channel_id=SUPPORT
    )
    assert "back to the default" in answer.ephemeral[0]
    table = json.dumps(
        desk.driver.command("/support", "sla show", user_id="U0LEAD", channel_id=SUPPORT).json
    )
    assert "set by" not in table and "_default_" in table


def test_only_leads_may_change_the_policy_and_are_named(desk: Any) -> None:
    answer = desk.driver.command(
        "/support", "sla set high first-response 1h", user_id="U0AGENT", channel_id=SUPPORT
    )
    [text] = answer.ephemeral
    assert "leads only" in text and "<@U0LEAD>" in text


def test_bad_arguments_get_a_reason_and_the_usage_line(desk: Any) -> None:
    for args, reason in [
        ("sla set critical first-response 1h", "is not a priority"),
        ("sla set high first-response soon", "30m, 4h or 2d"),
        ("sla set high first-response 4h resolution 1h", "cannot be shorter"),
        ("sla set high at-risk 150", "first-response or a resolution"),
        ("sla set high first-response 1h at-risk 100", "from 1 to 99"),
        ("sla reset", "which priority"),
        ("sla frobnicate", "show, set or reset"),
    ]:
        answer = desk.driver.command("/support", args, user_id="U0LEAD", channel_id=SUPPORT)
        [text] = answer.ephemeral
        assert reason in text, (args, text)
        assert "Usage: `/support sla [show] | set <priority>" in text
        assert "Traceback" not in text


def test_help_explains_the_sla_subcommand(desk: Any) -> None:
    answer = desk.driver.command("/support", "help sla", user_id="U0AGENT", channel_id=SUPPORT)
    shown = json.dumps(answer.json)
    assert "first-response" in shown and "leads only" in shown and "at risk" in shown
