"""Bug support load as plain functions: ranking, open vs total, unlinks, components, one bug's
tickets, and the Block Kit that shows them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.bugs import load as bug_load
from bot.bugs import records
from bot.bugs.models import Bug
from bot.bugs.render import load as render
from bot.bugs.state import BugState
from bot.db import transaction
from bot.models import OutboxMessage
from bot.render.blocks import MESSAGE_BLOCKS, SECTION_TEXT
from bot.tickets import links
from bot.tickets.models import Ticket

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _ticket(session: Session, number: int, status: str = "open", subject: str = "") -> Ticket:
    row = Ticket(
        provider="zendesk",
        external_id=str(number),
        subject=subject or f"Ticket {number}",
        description="",
        status=status,
        tags=[],
        url=f"https://desk.test/tickets/{number}",
        channel_id="C0SUPPORT",
        routed_channel_id="C0SUPPORT",
        root_key=f"ticket:zendesk:{number}:root",
        version=1,
        published_version=1,
        first_seen_at=T0,
    )
    session.add(row)
    session.flush()
    return row


def _bug(
    session: Session, key: str, components: list[str] | None, created_at: datetime | None = None
) -> Bug:
    state = BugState(
        key=key,
        category="new",
        status="To Do",
        summary=f"Summary of {key}",
        url=f"https://jira.test/browse/{key}",
        components=components,
        created_at=created_at,
    )
    return records.record_bug(session, state, T0)


def _link(session: Session, bug: Bug, ticket: Ticket, minutes: int, user: str = "U0ADA") -> None:
    at = T0 + timedelta(minutes=minutes)
    records.record_link(session, bug, ticket, how="linked", user_id=user, now=at)


@pytest.fixture
def load(factory: sessionmaker[Session]) -> sessionmaker[Session]:
    """SUP-1: 2 open of 3 (plus one unlinked); SUP-2: 2 open of 2; SUP-3: 0 open of 4;
    SUP-10: 2 open of 2 (Backend, the same counts as SUP-2); SUP-9: no current link."""
    with transaction(factory) as s:
        statuses = "open pending solved open new closed solved closed deleted hold open open"
        t = {n: _ticket(s, n, status) for n, status in enumerate(statuses.split(), start=1)}
        sup1 = _bug(s, "SUP-1", ["Billing", "Backend"], created_at=T0 - timedelta(days=12))
        sup2 = _bug(s, "SUP-2", ["Backend"])
        sup3 = _bug(s, "SUP-3", [])
        sup9 = _bug(s, "SUP-9", ["Billing"])
        sup10 = _bug(s, "SUP-10", ["Backend"])
        _link(s, sup1, t[1], 1)
        _link(s, sup1, t[2], 5)
        _link(s, sup1, t[3], 3)
        _link(s, sup1, t[10], 2)  # unlinked below: counts nowhere
        _link(s, sup2, t[4], 1)
        _link(s, sup2, t[5], 2)
        for n in (6, 7, 8, 9):
            _link(s, sup3, t[n], n)
        _link(s, sup9, t[11], 1)
        _link(s, sup10, t[11], 1)
        _link(s, sup10, t[12], 1)
        s.flush()
        for bug, ticket in ((sup1, t[10]), (sup9, t[11])):
            link = next(lk for lk, b in records.links_of(s, ticket.id) if b.id == bug.id)
            link.unlinked_at, link.unlinked_by = T0 + timedelta(minutes=9), "U0ADA"
    return factory


def test_bugs_rank_by_open_then_total_then_key_and_skip_unlinked(
    load: sessionmaker[Session],
) -> None:
    with transaction(load) as s:
        ranked = bug_load.ranked(s, T0)
    assert [(b.key, b.open_tickets, b.total_tickets) for b in ranked] == [
        ("SUP-1", 2, 3),  # 2 open and 3 in all beats 2 open and 2 in all
        ("SUP-10", 2, 2),  # same counts: by key (code points, on both databases)
        ("SUP-2", 2, 2),
        ("SUP-3", 0, 4),  # all solved, closed or deleted: ranked last despite 4 tickets
    ]  # SUP-9 has no current link
    first = ranked[0]
    assert first.components == ["Billing", "Backend"] and first.status == "To Do"
    assert first.last_linked_at == T0 + timedelta(minutes=5)  # the unlinked one is not counted
    assert first.created_at == T0 - timedelta(days=12)  # Jira's creation time
    assert ranked[2].created_at == T0  # unknown in Jira: when we first saw it
    with transaction(load) as s:
        assert [b.key for b in bug_load.ranked(s, T0, limit=2)] == ["SUP-1", "SUP-10"]


def test_component_filter_and_per_component_load(load: sessionmaker[Session]) -> None:
    with transaction(load) as s:
        billing = bug_load.ranked(s, T0, component="billing")
        none = bug_load.ranked(s, T0, component="(no component)")
        comps = bug_load.components(s, T0)
        view = bug_load.overview(s, T0, limit=2, component="Backend")
    assert [b.key for b in billing] == ["SUP-1"]  # SUP-9's only link is gone
    assert [b.key for b in none] == ["SUP-3"]
    assert [(c.name, c.bugs, c.open_tickets, c.total_tickets) for c in comps] == [
        ("Backend", 3, 6, 7),  # SUP-1 (2/3) + SUP-2 (2/2) + SUP-10 (2/2)
        ("Billing", 1, 2, 3),
        ("(no component)", 1, 0, 4),
    ]
    assert [b.key for b in view.bugs] == ["SUP-1", "SUP-10"] and view.linked_bugs == 3
    assert [c.name for c in view.components] == ["Backend"]


def test_nothing_linked_gives_empty_lists(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as s:
        assert bug_load.ranked(s, T0) == [] and bug_load.components(s, T0) == []
        assert bug_load.overview(s, T0).linked_bugs == 0
        assert bug_load.tickets_of(s, "SUP-404") is None


def test_tickets_of_lists_current_links_open_first_with_thread_links(
    load: sessionmaker[Session],
) -> None:
    with transaction(load) as s:
        s.add(
            OutboxMessage(
                key="ticket:zendesk:2:root",
                method="chat.postMessage",
                channel="C0SUPPORT",
                payload={},
                meta={},
                status="sent",
                next_attempt_at=T0,
                created_at=T0,
                posted_channel="C0SUPPORT",
                posted_ts="1767600000.000200",
            )
        )
        found = bug_load.tickets_of(s, " sup-1 ")
        assert found is not None
        bug, linked = found
        assert bug.key == "SUP-1"
        assert bug_load.link_counts(s, bug) == (2, 3)
    assert [(i.ticket.external_id, i.open) for i in linked] == [
        ("2", True),  # open first, newest link first
        ("1", True),
        ("3", False),
    ]
    # Before auth.test told the workspace's address, Slack's generic one redirects.
    assert linked[0].thread_url == "https://slack.com/archives/C0SUPPORT/p1767600000000200"
    assert linked[1].thread_url is None and linked[1].channel == "C0SUPPORT"
    assert (linked[0].how, linked[0].linked_by) == ("linked", "U0ADA")
    with transaction(load) as s:
        links.remember_workspace(s, "https://acme.slack.com/", T0)
        _, again = bug_load.tickets_of(s, "SUP-1", limit=1) or (None, [])
    assert len(again) == 1
    assert again[0].thread_url == "https://acme.slack.com/archives/C0SUPPORT/p1767600000000200"


def test_overview_renders_ranked_bugs_and_components_escaped(
    load: sessionmaker[Session],
) -> None:
    with transaction(load) as s:
        sup2 = records.bug_by_key(s, "SUP-2")
        assert sup2 is not None
        sup2.summary = "Boom <!channel> & <@U1>"
        view = bug_load.overview(s, T0)
    now = T0 + timedelta(hours=3, minutes=5)
    text, blocks = render.overview(view, now)
    body = json.dumps(blocks, ensure_ascii=False)
    assert "SUP-1 (2 open/3)" in text
    assert "<https://jira.test/browse/SUP-1|SUP-1>" in body
    assert "Boom &lt;!channel&gt; &amp; &lt;@U1&gt;" in body and "<!channel>" not in body
    first = blocks[1]["text"]["text"]
    assert "*2 open* / 3 tickets" in first and "Billing, Backend" in first
    assert "age 12d" in first and "last linked 3h ago" in first
    assert "*Backend* — 3 bugs, *6 open* / 7 tickets" in body
    empty_text, empty = render.overview(bug_load.Overview([], [], 0), now, component="Mobile")
    assert "No Jira bugs in component" in empty_text and len(empty) == 2


def test_a_bug_with_many_tickets_fits_one_message(load: sessionmaker[Session]) -> None:
    with transaction(load) as s:
        bug = records.bug_by_key(s, "SUP-3")
        assert bug is not None
        for n in range(100, 400):
            _link(s, bug, _ticket(s, n, subject="<!here> " + "x" * 200), n)
        found = bug_load.tickets_of(s, "SUP-3")
        assert found is not None
        bug, linked = found
        counts = bug_load.link_counts(s, bug)
    assert counts == (300, 304)
    text, blocks = render.bug_tickets(bug, linked, T0, open_tickets=300, total_tickets=304)
    assert len(blocks) <= MESSAGE_BLOCKS
    assert all(len(b["text"]["text"]) <= SECTION_TEXT for b in blocks if b["type"] == "section")
    assert "<!here>" not in json.dumps(
        blocks, ensure_ascii=False
    ) and "&lt;!here&gt;" in json.dumps(blocks, ensure_ascii=False)
    shown = sum(b["text"]["text"].count("\n") + 1 for b in blocks[1:] if b["type"] == "section")
    note = blocks[-1]["elements"][0]["text"]
    assert note == f"_{304 - shown} more linked tickets not shown_"
    assert text == "SUP-3: 300 open of 304 linked tickets"
