"""The inbox hands one subject's pending events to a `Together` processor as one group, and a
group that fails is tried again one event at a time, so one bad event holds back no other."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bot import inbox
from bot.db import transaction
from bot.models import AppState, InboundEvent

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _store(factory: sessionmaker[Session], *events: tuple[str, str | None]) -> None:
    with transaction(factory) as session:
        for external_id, subject in events:
            inbox.store(
                session,
                source="desk",
                external_id=external_id,
                event_type="ticket.updated",
                payload={"id": external_id},
                now=NOW,
                subject=subject,
            )


def _mark(session: Session, name: str) -> None:
    session.add(AppState(name=name, value={}, updated_at=NOW))
    session.flush()


def test_one_subjects_events_go_together_in_arrival_order(engine: Engine) -> None:
    factory = sessionmaker(engine, expire_on_commit=False)
    _store(factory, ("a1", "t:A"), ("b1", "t:B"), ("lone", None), ("a2", "t:A"), ("b2", "t:B"))
    groups: list[list[str]] = []

    def process(session: Session, events: list[InboundEvent], now: datetime) -> list[str | None]:
        groups.append([e.external_id for e in events])
        return [None] * len(events)

    with transaction(factory) as session:
        # A batch of one event still takes its subject's other pending events along.
        summary = inbox.process_due(session, NOW, {"desk": inbox.Together(process)}, limit=1)
    assert groups == [["a1", "a2"]] and summary.done == 2
    with transaction(factory) as session:
        summary = inbox.process_due(session, NOW, {"desk": inbox.Together(process)})
    assert groups[1:] == [["b1", "b2"], ["lone"]] and summary.done == 3
    with transaction(factory) as session:
        assert inbox.counts(session) == {"done": 5}


def test_a_failing_group_is_retried_one_event_at_a_time(engine: Engine) -> None:
    factory = sessionmaker(engine, expire_on_commit=False)
    _store(factory, ("good1", "t:A"), ("bad", "t:A"), ("good2", "t:A"))
    sizes: list[int] = []

    def process(session: Session, events: list[InboundEvent], now: datetime) -> list[str | None]:
        sizes.append(len(events))
        for event in events:
            _mark(session, event.external_id)  # rolled back with the group when it fails
            if event.external_id == "bad":
                raise ValueError("cannot apply")
        return [None] * len(events)

    with transaction(factory) as session:
        summary = inbox.process_due(session, NOW, {"desk": inbox.Together(process)})
    assert sizes == [3, 1, 1, 1]
    assert (summary.done, summary.retried) == (2, 1)
    with transaction(factory) as session:
        assert set(session.scalars(select(AppState.name))) == {"good1", "good2"}
        status = dict(session.execute(select(InboundEvent.external_id, InboundEvent.status)).all())
        bad = session.scalar(select(InboundEvent).where(InboundEvent.external_id == "bad"))
        assert status == {"good1": "done", "bad": "pending", "good2": "done"}
        assert bad is not None and bad.attempts == 1 and bad.error == "ValueError: cannot apply"


def test_a_group_is_one_unit_of_the_time_budget(engine: Engine) -> None:
    factory = sessionmaker(engine, expire_on_commit=False)
    _store(factory, ("a1", "t:A"), ("b1", "t:B"), ("a2", "t:A"))
    seen: list[str] = []

    def process(session: Session, events: list[InboundEvent], now: datetime) -> list[str | None]:
        seen.extend(e.external_id for e in events)
        return [None] * len(events)

    with transaction(factory) as session:
        summary = inbox.process_due(
            session, NOW, {"desk": inbox.Together(process)}, more=lambda: False
        )
    assert seen == ["a1", "a2"] and summary.done == 2  # the rest waits for the next batch
    with transaction(factory) as session:
        assert inbox.counts(session) == {"done": 2, "pending": 1}


def test_a_batch_claims_a_few_first_and_more_while_time_allows(engine: Engine) -> None:
    factory = sessionmaker(engine, expire_on_commit=False)
    _store(factory, *((f"e{n}", f"t:{n}") for n in range(10)))
    seen: list[str] = []

    def process(session: Session, events: list[InboundEvent], now: datetime) -> list[str | None]:
        seen.extend(e.external_id for e in events)
        return [None] * len(events)

    with transaction(factory) as session:
        # More than the first claim, fewer than all: the second claim takes the rest of the limit.
        summary = inbox.process_due(session, NOW, {"desk": inbox.Together(process)}, limit=6)
    assert seen == [f"e{n}" for n in range(6)] and summary.done == 6
    with transaction(factory) as session:
        summary = inbox.process_due(session, NOW, {"desk": inbox.Together(process)})
    assert seen == [f"e{n}" for n in range(10)] and summary.done == 4
    with transaction(factory) as session:
        assert inbox.counts(session) == {"done": 10}


def test_a_batch_cut_short_holds_no_event_it_did_not_reach(engine: Engine) -> None:
    """On PostgreSQL a claim locks its events: a batch that its budget ends after one group
    must leave the others free for another replica's batch."""
    if engine.dialect.name != "postgresql":
        pytest.skip("row locks are PostgreSQL's")
    factory = sessionmaker(engine, expire_on_commit=False)
    _store(factory, *((f"e{n}", f"t:{n}") for n in range(20)))

    def process(session: Session, events: list[InboundEvent], now: datetime) -> list[str | None]:
        return [None] * len(events)

    with transaction(factory) as session:
        summary = inbox.process_due(
            session, NOW, {"desk": inbox.Together(process)}, more=lambda: False
        )
        assert summary.done == 1
        with engine.connect() as other:
            free = other.execute(
                select(InboundEvent.id)
                .where(InboundEvent.status == "pending")
                .with_for_update(skip_locked=True)
            ).all()
        assert len(free) >= 15  # at most a first claim's few are held
