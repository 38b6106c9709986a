"""The inbox hands one subject's pending events to a `Together` processor as one group, and a
group that fails is tried again one event at a time, so one bad event holds back no other."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session, sessionmaker

from bot import inbox
from bot.db import transaction
from bot.models import AppState, InboundEvent
from bot.settings import Settings
from scheduling.jobs import inbox_step

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


def test_one_subject_is_never_worked_on_in_two_places_at_once(engine: Engine) -> None:
    """An event that arrives while another claimer works on its subject is not locked by that
    claimer yet: a second claimer (another thread or replica) must leave it, not apply it
    alongside the first."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer: a second claimer waits for the first")
    factory = sessionmaker(engine, expire_on_commit=False)
    _store(factory, ("x1", "t:X"), ("y1", "t:Y"))
    second: list[list[str]] = []

    def record(session: Session, events: list[InboundEvent], now: datetime) -> list[str | None]:
        second.append([e.external_id for e in events])
        return [None] * len(events)

    meanwhile: list[inbox.InboxSummary] = []

    def first(session: Session, events: list[InboundEvent], now: datetime) -> list[str | None]:
        _store(factory, ("x2", "t:X"))  # arrives meanwhile, committed
        with transaction(factory) as other:
            meanwhile.append(inbox.process_due(other, NOW, {"desk": inbox.Together(record)}))
        return [None] * len(events)

    with transaction(factory) as session:
        summary = inbox.process_due(session, NOW, {"desk": inbox.Together(first)}, limit=1)
    assert summary.done == 1
    assert second == [["y1"]]  # not ["x2"]: X was being worked on
    assert (meanwhile[0].done, meanwhile[0].deferred) == (1, 1)
    with transaction(factory) as session:
        inbox.process_due(session, NOW, {"desk": inbox.Together(record)})
    assert second == [["y1"], ["x2"]]
    with transaction(factory) as session:
        assert inbox.counts(session) == {"done": 3}


def test_a_worker_that_found_only_held_subjects_looks_again(engine: Engine) -> None:
    """A batch that left every event to another transaction must not report "nothing to do":
    that transaction may already have looked for more, and the events would wait for the
    scheduler's tick."""
    if engine.dialect.name != "postgresql":
        pytest.skip("subject locks are PostgreSQL's")
    factory = sessionmaker(engine, expire_on_commit=False)
    settings = Settings(_env_file=None, database_url=engine.url.render_as_string(False))
    step = inbox_step(factory, settings, lambda: NOW)
    _store(factory, ("x1", "t:X"))
    with engine.connect() as other, other.begin():
        other.execute(
            text("SELECT pg_advisory_xact_lock(:space, hashtext('t:X'))"),
            {"space": inbox.SUBJECT_LOCKS},
        )
        assert step() == 1  # left to the holder, and worth another look
        with transaction(factory) as session:
            assert inbox.counts(session) == {"pending": 1}
    assert step() == 1  # the holder let go: processed (no processor for "desk": ignored)
    assert step() == 0
    with transaction(factory) as session:
        assert inbox.counts(session) == {"ignored": 1}


def test_a_claim_finds_its_subjects_other_events_by_the_subject_index(engine: Engine) -> None:
    # During a backlog thousands of events are due: the subjects' few must be found through
    # the (subject, status) index, not by reading every due event and filtering. SQLite plans
    # without statistics, so its choice is fixed; PostgreSQL's depends on them.
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL's plan depends on its statistics")
    query = inbox._siblings({"t:A", "t:B"}, [1, 2], NOW, 32)
    compiled = query.compile(engine, compile_kwargs={"literal_binds": True})
    with engine.connect() as conn:
        plan = " ".join(row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}"))
    assert "ix_inbound_events_subject_status" in plan, plan
