"""Emerging patterns: tickets arrive from Zendesk, the sweep raises a spike to the leads once a
day, `/support patterns` lists it, and File one bug for all files one Jira bug linking every
ticket, all over signed HTTP against the simulators."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from bug_helpers import initial_values, refresh_meta, text_of

from bot.bugs import records
from bot.bugs.models import Bug, BugLink
from bot.db import transaction
from bot.insights import patterns
from bot.insights.models import Pattern
from bot.tickets.models import Ticket
from scheduling.sweeps import directory
from scheduling.sweeps import patterns as patterns_sweep

LEADS = "C0LEADS"
SUPPORT = "C0SUPPORT"
# Patterns are raised once per UTC day and listed by day and week: the tests run at a fixed
# time (a Wednesday morning), so an hour or two days later is the same day or week whatever
# the time the suite runs.
pytestmark = pytest.mark.travel(datetime(2026, 12, 2, 9, 30, tzinfo=UTC))


@pytest.fixture
def leads_app(db_url: str, clock: Any) -> Iterator[Any]:
    """The app with Zendesk and Jira, and LEADS_CHANNEL set."""
    from harness import start_app

    running = start_app(db_url, clock=clock, zendesk=True, jira=True, leads_channel=LEADS)
    running.slack.add_channel(LEADS, "support-leads", members=["U0LEAD"])
    # What the hourly directory job does first: auth.test tells the workspace's address.
    directory.refresh(running.runtime.factory, running.runtime.clients, [], clock.now())
    yield running
    running.stop()


def _tickets(app: Any, count: int, tag: str, subject: str = "Invoice is wrong") -> list[dict]:
    z = app.zendesk
    customer = z.add_user("Carla Customer", email="carla@globex.test")
    made = [
        z.create_ticket(
            f"{subject} {i}", "The total is off", requester_id=customer["id"], tags=[tag, "web"]
        )
        for i in range(count)
    ]
    app.settle()
    return made


def _baseline(app: Any, tag: str, per_week: int) -> None:
    """`per_week` tickets a week with `tag` over the four weeks before the last 24 hours."""
    now = app.clock.now()
    with transaction(app.runtime.factory) as session:
        for i in range(per_week * 4):
            seen = now - timedelta(days=2) - timedelta(hours=i * 168 / per_week)
            session.add(
                Ticket(
                    provider="zendesk",
                    external_id=f"old{i}",
                    subject="Older ticket",
                    tags=[tag],
                    channel_id=SUPPORT,
                    routed_channel_id=SUPPORT,
                    root_key=f"ticket:zendesk:old{i}:root",
                    first_seen_at=seen,
                )
            )


def _sweep(app: Any) -> dict[str, Any]:
    with transaction(app.runtime.factory) as session:
        result = patterns_sweep.sweep_for(app.runtime.settings)(session, app.clock.now())
    app.settle()
    return result


def _alerts(app: Any) -> list[dict[str, Any]]:
    return [m for m in app.slack.messages(LEADS) if "Emerging pattern" in m["text"]]


def test_a_spike_is_raised_once_with_its_tickets_and_links(leads_app: Any) -> None:
    _baseline(leads_app, "billing", per_week=3)  # under half a ticket a day
    _tickets(leads_app, 5, "billing")
    # The tag `web` has the same 5 tickets and no baseline: it is raised too.
    assert _sweep(leads_app)["raised"] == 2
    alert = next(a for a in _alerts(leads_app) if "billing" in a["text"])
    shown = text_of(alert)
    assert "tag `billing`" in shown and "5 tickets in 24 hours" in shown
    assert "11.7× the daily average of 0.4" in shown
    assert shown.count("https://acme.slack.com/archives/C0SUPPORT/p") == 5
    assert "File one bug for all" in shown
    # A second sweep the same day raises nothing, even with one more ticket.
    _tickets(leads_app, 1, "billing")
    assert _sweep(leads_app)["raised"] == 0
    assert len(_alerts(leads_app)) == 2  # billing and web, once each
    leads_app.clock.advance(hours=1)
    assert _sweep(leads_app) == {"raised": 0, "skipped": 0}
    assert len(_alerts(leads_app)) == 2


def test_nothing_new_is_a_cheap_no_op(leads_app: Any) -> None:
    _tickets(leads_app, 2, "billing")
    assert _sweep(leads_app) == {"raised": 0, "skipped": 0}
    assert _sweep(leads_app) == {"raised": 0, "skipped": 1}


def test_below_either_threshold_raises_nothing(leads_app: Any) -> None:
    _baseline(leads_app, "billing", per_week=14)  # two a day: 5 is under 3x
    _tickets(leads_app, 5, "billing")
    _tickets(leads_app, 4, "login", subject="Cannot sign in")  # under PATTERN_MIN_TICKETS
    with transaction(leads_app.runtime.factory) as session:
        found = {(s.kind, s.value) for s in patterns.spikes(session, leads_app.clock.now(),
                 patterns_sweep.config_of(leads_app.runtime.settings))}  # fmt: skip
    assert ("tag", "billing") not in found and ("tag", "login") not in found
    assert ("tag", "web") in found  # 9 tickets, no baseline
    _sweep(leads_app)
    assert ["web" in a["text"] for a in _alerts(leads_app)] == [True]


def test_leads_get_dms_without_a_leads_channel(app: Any) -> None:
    now = app.clock.now()
    with transaction(app.runtime.factory) as session:
        for i in range(6):
            session.add(
                Ticket(
                    provider="zendesk",
                    external_id=str(900 + i),
                    subject=f"Export <b>fails</b> {i}",
                    tags=[],
                    group_name="Billing team",
                    channel_id=SUPPORT,
                    routed_channel_id=SUPPORT,
                    root_key=f"ticket:zendesk:{900 + i}:root",
                    first_seen_at=now - timedelta(hours=i),
                )
            )
    assert _sweep(app)["raised"] == 1
    dm = app.slack.open_dm("U0LEAD")
    [alert] = [m for m in app.slack.messages(dm) if "Emerging pattern" in m["text"]]
    assert "group `Billing team`" in alert["text"]
    assert "&lt;b&gt;fails" in text_of(alert) and "<b>" not in text_of(alert)


def test_patterns_lists_today_and_this_week(leads_app: Any) -> None:
    _tickets(leads_app, 5, "billing")
    _sweep(leads_app)
    answer = leads_app.driver.command("/support", "patterns", user_id="U0AGENT", channel_id=SUPPORT)
    body = answer.json
    assert body["response_type"] == "ephemeral"
    shown = body["text"] + json.dumps(body["blocks"])
    assert "2 today" in body["text"] and "tag `billing`" in shown
    leads_app.clock.advance(days=2)
    later = leads_app.driver.command("/support", "patterns", user_id="U0AGENT", channel_id=SUPPORT)
    assert "0 today, 2 earlier this week" in later.json["text"]
    helped = leads_app.driver.command("/support", "help", user_id="U0AGENT", channel_id=SUPPORT)
    assert "patterns" in json.dumps(helped.json)


def test_file_one_bug_for_all_links_every_ticket(leads_app: Any) -> None:
    refresh_meta(leads_app)
    made = _tickets(leads_app, 5, "billing")
    _sweep(leads_app)
    alert = next(a for a in _alerts(leads_app) if "billing" in a["text"])
    opened = leads_app.driver.block_action(
        "U0LEAD", "pattern_file", message=alert, channel_id=LEADS
    )
    assert opened.view is not None, opened.ephemeral
    values = initial_values(opened.view)
    assert values["bug_summary"] == "5 support tickets: tag billing"
    for ticket in made:
        assert ticket["subject"] in values["bug_description"]
    answer = leads_app.driver.view_submission("U0LEAD", opened.view, values)
    assert answer.status == 200 and answer.errors is None
    leads_app.settle()
    assert leads_app.jira.issue("SUP-1")["fields"]["summary"] == "5 support tickets: tag billing"
    with transaction(leads_app.runtime.factory) as session:
        assert session.query(BugLink).count() == 5
        bug = session.query(Bug).one()
        assert bug.key == "SUP-1"
        for ticket in session.query(Ticket).all():
            assert [b.key for _, b in records.links_of(session, ticket.id)] == ["SUP-1"]
    for m in leads_app.slack.messages(SUPPORT):
        if "Invoice is wrong" in m["text"]:
            replies = leads_app.slack.replies(SUPPORT, m["ts"])
            assert any("Filed SUP-1" in r["text"] for r in replies), m["text"]
    assert len(leads_app.jira.remote_links("SUP-1")) == 10  # ticket and thread, each


def test_the_bug_most_tickets_share_is_named(leads_app: Any) -> None:
    _tickets(leads_app, 5, "billing")
    now = leads_app.clock.now()
    with transaction(leads_app.runtime.factory) as session:
        bug = Bug(key="SUP-7", summary="Totals off", url="https://jira.example/browse/SUP-7",
                  fix_versions=[], components=[], created_at=now, updated_at=now)  # fmt: skip
        session.add(bug)
        session.flush()
        for ticket in session.query(Ticket).order_by(Ticket.id).limit(3):
            session.add(BugLink(bug_id=bug.id, ticket_id=ticket.id, how="linked",
                                linked_by="U0AGENT", linked_at=now))  # fmt: skip
    _sweep(leads_app)
    with transaction(leads_app.runtime.factory) as session:
        rows = {p.value: p.bug_key for p in session.query(Pattern)}
    assert rows["billing"] == "SUP-7"
    alert = next(a for a in _alerts(leads_app) if "billing" in a["text"])
    assert "3 of 5 are linked to <https://jira.example/browse/SUP-7|SUP-7>" in text_of(alert)
