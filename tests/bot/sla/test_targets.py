"""SLA rules as plain functions: targets and thresholds, where a ticket stands, which alert is
next, attainment, the alert plan, and the `/support sla` policy rules (on a real database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.db import transaction
from bot.errors import UserError
from bot.models import OutboxMessage
from bot.sla import alerts as sla_alerts
from bot.sla import policy as sla_policy
from bot.sla import render
from bot.sla import targets as sla
from bot.sla.models import SlaAlert, SlaPolicy
from bot.tickets.models import Ticket
from scheduling.sweeps import sla as sla_sweep

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
R, B, FR, RES = sla.AT_RISK, sla.BREACHED, sla.FIRST_RESPONSE, sla.RESOLUTION


def _ticket(number: int = 1, **fields: Any) -> Ticket:
    values: dict[str, Any] = {
        "provider": "zendesk",
        "external_id": str(number),
        "subject": "Card declined",
        "description": "",
        "status": "open",
        "priority": "high",
        "tags": [],
        "channel_id": "C0SUPPORT",
        "routed_channel_id": "C0SUPPORT",
        "root_key": f"ticket:zendesk:{number}:root",
        "version": 1,
        "published_version": 1,
        "first_seen_at": T0,
        "opened_at": T0,
    }
    values.update(fields)
    return Ticket(**values)


def _assigned(ticket: Ticket, table: dict[str, sla.Target] | None = None) -> Ticket:
    """Thresholds filled in without a database (as `sla.assign` stores them)."""
    found = sla.thresholds(
        ticket.opened_at or T0, sla.target_for(table or sla.DEFAULTS, ticket.priority)
    )
    ticket.response_risk_at, ticket.response_due_at = found.response_risk_at, found.response_due_at
    ticket.resolve_risk_at, ticket.resolve_due_at = found.resolve_risk_at, found.resolve_due_at
    ticket.sla_next_at = sla.next_alert_at(ticket, set())
    return ticket


def test_high_priority_defaults_to_four_hours_first_response_at_risk_after_three() -> None:
    found = sla.thresholds(T0, sla.DEFAULTS["high"])
    assert found.response_due_at == T0 + timedelta(hours=4)
    assert found.response_risk_at == T0 + timedelta(hours=3)
    assert found.resolve_due_at == T0 + timedelta(hours=24)
    assert found.resolve_risk_at == T0 + timedelta(hours=18)


def test_the_at_risk_share_is_the_policys_percentage_of_each_target() -> None:
    found = sla.thresholds(T0, sla.Target(100, 1000, at_risk_percent=50))
    assert found.response_risk_at == T0 + timedelta(minutes=50)
    assert found.resolve_risk_at == T0 + timedelta(minutes=500)


def test_missing_or_unknown_priorities_use_the_normal_targets() -> None:
    table = dict(sla.DEFAULTS)
    assert sla.target_for(table, None) == table["normal"]
    assert sla.target_for(table, "Critical") == table["normal"]
    assert sla.target_for(table, "URGENT") == table["urgent"]
    assert sla.priority_of(_ticket(priority=None)) == "normal"


def test_standing_moves_from_ok_to_at_risk_to_breached_and_stops_when_answered() -> None:
    ticket = _assigned(_ticket())
    assert sla.standing(ticket, T0 + timedelta(hours=1)).worst == "ok"
    at_risk = sla.standing(ticket, T0 + timedelta(hours=3, minutes=1))
    assert (at_risk.first_response, at_risk.resolution, at_risk.worst) == (R, "ok", R)
    assert sla.standing(ticket, T0 + timedelta(hours=5)).worst == B
    ticket.first_response_at = T0 + timedelta(hours=1)
    answered = sla.standing(ticket, T0 + timedelta(hours=5))
    assert (answered.first_response, answered.resolution, answered.worst) == (None, "ok", "ok")
    ticket.status = "solved"
    closed = sla.standing(ticket, T0 + timedelta(days=5))
    assert (closed.first_response, closed.resolution) == (None, None)


def test_next_alert_is_the_earliest_live_threshold_without_an_alert() -> None:
    ticket = _assigned(_ticket())
    assert sla.next_alert_at(ticket, set()) == T0 + timedelta(hours=3)
    assert sla.next_alert_at(ticket, {(FR, R)}) == T0 + timedelta(hours=4)
    assert sla.next_alert_at(ticket, {(FR, R), (FR, B)}) == T0 + timedelta(hours=18)
    ticket.first_response_at = T0 + timedelta(minutes=5)
    assert sla.next_alert_at(ticket, set()) == T0 + timedelta(hours=18)
    assert sla.next_alert_at(ticket, {(RES, R), (RES, B)}) is None
    ticket.status = "closed"
    assert sla.next_alert_at(ticket, set()) is None


def test_a_breach_reached_unnoticed_records_the_warning_unannounced() -> None:
    ticket = _assigned(_ticket())
    steps = sla_alerts.plan(ticket, T0 + timedelta(hours=5), set())
    assert [(s.metric, s.level, s.announce) for s in steps] == [(FR, R, False), (FR, B, True)]
    warned = sla_alerts.plan(ticket, T0 + timedelta(hours=5), {(FR, R)})
    assert [(s.metric, s.level, s.announce) for s in warned] == [(FR, B, True)]
    assert sla_alerts.plan(ticket, T0 + timedelta(hours=5), {(FR, R), (FR, B)}) == []


def test_the_alert_reply_says_what_is_due_when_and_for_whom() -> None:
    due = T0 + timedelta(hours=4)
    text, blocks = render.alert_reply(
        [render.AlertLine(FR, R, due)], T0 + timedelta(hours=3, minutes=5), render.Who(("U1",))
    )
    when = f"<!date^{int(due.timestamp())}^{{date_short_pretty}} {{time}}|Mon 5 Jan 13:00 UTC>"
    assert text == f":warning: First response at risk: due {when} (in 55 min) — <@U1>"
    assert blocks[0]["text"]["text"] == text  # each reader sees the time in their own zone
    text, _ = render.alert_reply(
        [render.AlertLine(RES, B, due)], due + timedelta(hours=2), render.Who(name="<Ada>")
    )
    assert "Resolution target breached 2 h ago" in text and "*&lt;Ada&gt;*" in text
    nobody, _ = render.alert_reply([render.AlertLine(FR, R, due)], T0, render.Who(on_shift=True))
    assert "nobody is on shift" in nobody
    assert render.span(90) == "1 h 30 min" and render.span(2 * 1440) == "2 d"


def test_durations_percentages_and_priorities_are_parsed_or_explained() -> None:
    change = sla_policy.parse_set(["HIGH", "first-response", "30m", "resolution", "1d4h"])
    assert change == sla_policy.Change("high", 30, 28 * 60, None)
    assert sla_policy.parse_set(["low", "resolution", "2d", "at-risk", "80%"]).at_risk_percent == 80
    for args, words in [
        (["critical", "first-response", "1h"], "urgent, high, normal, low"),
        (["high", "first-response", "4 hours"], "30m, 4h or 2d"),
        (["high", "first-response", "0m"], "between 1 minute"),
        (["high", "at-risk", "80"], "first-response or a resolution"),
        (["high", "first-response", "1h", "at-risk", "100"], "from 1 to 99"),
        (["high", "speed", "1h"], "not a target"),
        (["high", "resolution"], "needs a value"),
        ([], "which priority"),
    ]:
        with pytest.raises(UserError, match=words):
            sla_policy.parse_set(args)


def test_setting_a_policy_recomputes_only_open_tickets_of_that_priority(
    factory: sessionmaker[Session],
) -> None:
    with transaction(factory) as session:
        for number, priority, status in [
            (1, "normal", "open"),
            (2, None, "new"),
            (3, "Critical", "pending"),  # unknown to us: counts as normal
            (4, "normal", "solved"),
            (5, "high", "open"),
        ]:
            ticket = _ticket(number, priority=priority, status=status)
            session.add(ticket)
            session.flush()
            sla.assign(session, ticket)
        change = sla_policy.parse_set(["normal", "first-response", "1h", "resolution", "2h"])
        assert sla_policy.set_policy(session, change, actor="U0LEAD", now=T0) == 3
    with transaction(factory) as session:
        due = dict(session.execute(select(Ticket.external_id, Ticket.response_due_at)).all())
        assert due["1"] == due["2"] == due["3"] == T0 + timedelta(hours=1)
        assert due["4"] == T0 + timedelta(hours=8)  # closed: left alone
        assert due["5"] == T0 + timedelta(hours=4)
        policy = session.get(SlaPolicy, "normal")
        assert policy is not None and (policy.at_risk_percent, policy.updated_by) == (75, "U0LEAD")
        rows = {r.priority: r for r in sla_policy.table(session)}
        assert rows["normal"].set_by == "U0LEAD" and rows["high"].set_by is None
        sla_policy.set_policy(
            session, sla_policy.Change("normal", at_risk_percent=50), actor="U0LEAD", now=T0
        )
        assert sla.policies(session)["normal"] == sla.Target(60, 120, 50)
        assert sla_policy.reset_policy(session, "normal") == (True, 3)
        assert sla_policy.reset_policy(session, "normal") == (False, 3)
        assert sla.policies(session)["normal"] == sla.DEFAULTS["normal"]


def test_a_resolution_shorter_than_the_first_response_is_refused(
    factory: sessionmaker[Session],
) -> None:
    with transaction(factory) as session, pytest.raises(UserError, match="cannot be shorter"):
        sla_policy.set_policy(session, sla_policy.Change("high", 2 * 1440, None), actor="U", now=T0)
    with transaction(factory) as session:
        assert session.scalars(select(SlaPolicy)).all() == []


def test_the_sweep_alerts_each_threshold_once_however_often_it_runs(
    factory: sessionmaker[Session],
) -> None:
    with transaction(factory) as session:
        session.add(_ticket(1, assignee="Ada Agent"))
        session.add(_ticket(2, published_version=-1))  # never got a thread
        session.flush()
        for ticket in session.scalars(select(Ticket)):
            sla.assign(session, ticket)
    later = T0 + timedelta(hours=5)
    with transaction(factory) as session:
        assert sla_sweep.sweep(session, later) == {"tickets": 2, "alerts": 1}
    with transaction(factory) as session:
        assert sla_sweep.sweep(session, later) == {"tickets": 0, "alerts": 0}
        alerts = session.execute(
            select(Ticket.external_id, SlaAlert.level, SlaAlert.sent, SlaAlert.mentioned)
            .join(Ticket, Ticket.id == SlaAlert.ticket_id)
            .order_by(Ticket.external_id, SlaAlert.level)
        ).all()
        assert alerts == [
            ("1", "at_risk", False, None),
            ("1", "breached", True, "Ada Agent"),
            ("2", "at_risk", False, None),
            ("2", "breached", False, None),
        ]
        [message] = session.scalars(select(OutboxMessage)).all()
        assert message.key == "sla:1:first_response:breached"
        assert message.thread_key == "ticket:zendesk:1:root"
        nexts = dict(session.execute(select(Ticket.external_id, Ticket.sla_next_at)).all())
        assert nexts == {"1": T0 + timedelta(hours=18), "2": T0 + timedelta(hours=18)}


def test_attainment_counts_targets_whose_outcome_is_known(factory: sessionmaker[Session]) -> None:
    until = T0 + timedelta(hours=30)
    with transaction(factory) as session:
        cases = [
            {"first_response_at": T0 + timedelta(hours=1), "solved_at": T0 + timedelta(hours=2)},
            {"first_response_at": T0 + timedelta(hours=6)},  # late answer, resolution overdue
            {"first_response_at": None},  # unanswered and overdue on both
            {"first_seen_at": until - timedelta(hours=1), "opened_at": until - timedelta(hours=1)},
        ]
        for number, fields in enumerate(cases, start=1):
            ticket = _ticket(number, **fields)
            session.add(ticket)
            session.flush()
            sla.assign(session, ticket)
        found = sla.attainment(session, T0 - timedelta(days=1), until)
    assert (found.response_met, found.response_total) == (1, 3)
    assert (found.resolve_met, found.resolve_total) == (1, 3)
    assert found.response_rate == pytest.approx(1 / 3)
    assert sla.Attainment(0, 0, 0, 0).resolve_rate is None
