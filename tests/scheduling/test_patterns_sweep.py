"""The emerging-patterns sweep on the database alone: replicas racing, bad tag values, and the
spike rule's thresholds (Slack delivery is covered in tests/handlers/test_patterns_slack.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from races import together
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.bugs.models import Bug, BugLink
from bot.db import transaction
from bot.insights import patterns
from bot.insights.models import Pattern
from bot.models import OutboxMessage
from bot.tickets.models import Ticket

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
CONFIG = patterns.PatternConfig(min_tickets=5, factor=3.0, channel="C0LEADS")


def _add(session: Session, n: int, tags: list, *, hours_ago: float = 1, start: int = 0) -> None:
    for i in range(start, start + n):
        session.add(
            Ticket(
                provider="zendesk",
                external_id=str(i),
                subject=f"Ticket {i}",
                tags=tags,
                channel_id="C0SUPPORT",
                routed_channel_id="C0SUPPORT",
                root_key=f"ticket:zendesk:{i}:root",
                first_seen_at=NOW - timedelta(hours=hours_ago),
            )
        )


def _sweep(factory: sessionmaker[Session]) -> dict[str, int]:
    with transaction(factory) as session:
        return patterns.sweep(session, NOW, CONFIG)


def test_replicas_racing_raise_each_spike_once(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as session:
        _add(session, 6, ["billing"])
    engine = factory.kw["bind"]
    tables = ["patterns", "outbox_messages", "app_state"]
    results = together(engine, tables, *(lambda: _sweep(factory) for _ in range(3)))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(r["raised"] for r in results) == 1
    with transaction(factory) as session:
        assert len(session.scalars(select(Pattern)).all()) == 1
        keys = session.scalars(select(OutboxMessage.key)).all()
        assert len([k for k in keys if k.startswith("pattern:")]) == 1


def test_odd_tags_neither_crash_nor_count(factory: sessionmaker[Session]) -> None:
    huge = "x" * 5000
    with transaction(factory) as session:
        _add(session, 6, ["", huge, "<!channel> *bold*", "naïve—ünïcode"])
        _add(session, 6, [], start=100)
    assert _sweep(factory)["raised"] == 3
    with transaction(factory) as session:
        values = {p.value for p in session.scalars(select(Pattern))}
        texts = [m.payload["text"] for m in session.scalars(select(OutboxMessage))]
    assert values == {huge[:255], "<!channel> *bold*", "naïve—ünïcode"}
    assert all("<!channel>" not in t for t in texts)
    assert any("&lt;!channel&gt;" in t for t in texts)


def test_the_thresholds_decide(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as session:
        _add(session, 5, ["billing"])
        _add(session, 56, ["billing"], hours_ago=24 * 10, start=1000)  # 2 a day: 5 < 3 x 2
        _add(session, 4, ["login"], start=2000)  # under the minimum
    with transaction(factory) as session:
        assert patterns.spikes(session, NOW, CONFIG) == []
        relaxed = patterns.PatternConfig(min_tickets=4, factor=2.0)
        found = {(s.value, s.tickets) for s in patterns.spikes(session, NOW, relaxed)}
    assert found == {("billing", 5), ("login", 4)}


def test_a_component_counts_each_ticket_once_through_its_bugs(
    factory: sessionmaker[Session],
) -> None:
    with transaction(factory) as session:
        _add(session, 5, [])
        bugs = [
            Bug(
                key=f"SUP-{i}",
                summary="Checkout",
                fix_versions=[],
                components=["Checkout"],
                created_at=NOW,
                updated_at=NOW,
            )  # fmt: skip
            for i in (1, 2)
        ]
        session.add_all(bugs)
        session.flush()
        for ticket in session.scalars(select(Ticket)):
            for bug in bugs:  # every ticket reaches Checkout twice
                session.add(BugLink(bug_id=bug.id, ticket_id=ticket.id, how="linked",
                                    linked_by="U0AGENT", linked_at=NOW))  # fmt: skip
    with transaction(factory) as session:
        [spike] = patterns.spikes(session, NOW, CONFIG)
        assert (spike.kind, spike.value, spike.tickets) == ("component", "Checkout", 5)
        assert len(patterns.spike_tickets(session, spike, NOW)) == 5
    assert _sweep(factory)["raised"] == 1
    with transaction(factory) as session:
        [raised] = session.scalars(select(Pattern))
        assert raised.bug_key == "SUP-1" and len(raised.ticket_ids) == 5
