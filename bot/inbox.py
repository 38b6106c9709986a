"""Inbound events: stored once by unique key, then processed idempotently off the request path."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, literal_column, select, text
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.orm import Session, sessionmaker

from bot.db import insert_if_absent, transaction, wake, wake_channel
from bot.models import InboundEvent

log = logging.getLogger("supportbot.inbox")

Processor = Callable[[Session, InboundEvent, datetime], str | None]
MAX_ATTEMPTS = 10
# How many more pending events of the batch's subjects one batch may take along.
SIBLINGS_PER_EVENT = 8
# How many due events a batch claims first (then twice as many each time, while time allows).
FIRST_CLAIM = 4
# Pending, as the partial index ix_inbound_events_pending says it (a literal, not a bound
# parameter, so PostgreSQL's planner can use that index for a prepared statement too).
PENDING = InboundEvent.status == literal_column("'pending'")


@dataclass(frozen=True)
class Together:
    """A processor for several events about one subject at once, in arrival order: it returns
    one result per event (None when it acted, else why the event was ignored).

    Applying a ticket's events together brings its thread up to date once rather than once per
    event, which is what keeps a backlog short after a burst."""

    process: Callable[[Session, list[InboundEvent], datetime], list[str | None]]


@dataclass
class InboxSummary:
    """What one processing pass did."""

    done: int = 0
    ignored: int = 0
    retried: int = 0
    failed: int = 0
    # Due events left alone because another transaction was working on their subject: they
    # are due still, and worth looking at again once that transaction has committed.
    deferred: int = 0

    @property
    def total(self) -> int:
        """Events looked at."""
        return self.done + self.ignored + self.retried + self.failed


def store(
    session: Session,
    *,
    source: str,
    external_id: str,
    event_type: str,
    payload: dict[str, Any],
    now: datetime,
    subject: str | None = None,
) -> bool:
    """Record an inbound event; False when the same (source, external id) was stored before.

    `subject` says what the event is about (see `InboundEvent.subject`)."""
    return _insert(session, _row(source, external_id, event_type, payload, now, subject))


def _insert(session: Session, row: dict[str, Any]) -> bool:
    """Insert the event's row unless present; the inbox wakes when the session commits."""
    stored = insert_if_absent(session, InboundEvent, row, ["source", "external_id"])
    if stored:
        wake(session, "inbox")
    return stored


def store_now(
    factory: sessionmaker[Session],
    *,
    source: str,
    external_id: str,
    event_type: str,
    payload: dict[str, Any],
    now: datetime,
    subject: str | None = None,
    sender: str = "",
) -> bool:
    """`store` as a unit of work of its own, committed when this returns (the request path).

    On PostgreSQL it is one statement in autocommit: the row and the inbox's wake-up
    notification (`pg_notify`, from `sender` as in scheduling/wakeups.py) commit together in
    one round trip, where a transaction takes four (BEGIN, INSERT, NOTIFY, COMMIT), each a
    wait the webhook's answer would queue behind. The caller wakes this process's own worker.
    On SQLite: `store` in a `transaction`."""
    row = _row(source, external_id, event_type, payload, now, subject)
    engine = factory.kw["bind"]
    if engine.dialect.name != "postgresql":
        with transaction(factory) as session:
            return _insert(session, row)
    params = {**row, "channel": wake_channel("inbox"), "sender": sender}
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        return conn.execute(_STORE_AND_NOTIFY, params).first() is not None


def _row(
    source: str,
    external_id: str,
    event_type: str,
    payload: dict[str, Any],
    now: datetime,
    subject: str | None,
) -> dict[str, Any]:
    """A new event's row: pending, due now."""
    return {
        "source": source,
        "external_id": external_id[:255],
        "event_type": event_type[:128],
        "payload": payload,
        "status": "pending",
        "attempts": 0,
        "received_at": now,
        "next_attempt_at": now,
        "subject": subject,
    }


def _store_and_notify() -> Any:
    """INSERT … ON CONFLICT DO NOTHING RETURNING id, and pg_notify once per row inserted (none
    for a duplicate): built once, so SQLAlchemy reuses its compiled form."""
    table = InboundEvent.__table__
    columns = ("source", "external_id", "event_type", "payload", "status", "attempts")
    columns += ("received_at", "next_attempt_at", "subject")
    stored = (
        postgresql_insert(table)
        .values({name: bindparam(name, type_=table.c[name].type) for name in columns})
        .on_conflict_do_nothing(index_elements=["source", "external_id"])
        .returning(table.c.id)
        .cte("stored")
    )
    notify = func.pg_notify(bindparam("channel"), bindparam("sender"))
    return select(stored.c.id, notify).select_from(stored)


_STORE_AND_NOTIFY = _store_and_notify()


def process_due(
    session: Session,
    now: datetime,
    processors: Mapping[str, Processor | Together],
    *,
    limit: int = 200,
    more: Callable[[], bool] | None = None,
) -> InboxSummary:
    """Process pending events in arrival order, each subject's in its own savepoint.

    The batch claims a few due events first (FIRST_CLAIM), and with them the other due events
    of the same subjects (at most SIBLINGS_PER_EVENT times as many); while time allows it
    claims again, twice as many each time, up to `limit` events in all (not counting those
    taken along). Events with a subject whose processor is `Together` go to it as one group;
    the rest one at a time. `more()`, asked before every group after the first, ends the batch
    early when false (the caller's time budget); events left over stay pending for the next
    batch. Claiming little at first keeps a batch that the budget cuts short from locking (on
    PostgreSQL) events it will not reach.

    A processor returns None when it acted, or a short reason when the event is of no
    interest (recorded as ignored). An exception rolls back that event alone and schedules a
    retry with backoff (a group that fails is tried again one event at a time, so one bad event
    holds back no other); after MAX_ATTEMPTS it is recorded as failed.
    """
    summary = InboxSummary()
    size, taken, first = min(FIRST_CLAIM, limit), 0, True
    while size > 0:
        # Every event processed so far has left the due set (finished, or retried later), and
        # the session flushes before it queries: a second claim reads only the ones after.
        groups, full, deferred = _claim(session, now, size)
        summary.deferred += deferred
        for ids in groups:
            if not first and more is not None and not more():
                return summary
            first = False
            _process_group(session, _load(session, ids), processors, now, summary)
        if not full:
            break
        taken += size
        size = min(size * 2, limit - taken)
    return summary


def _process_group(
    session: Session,
    group: list[InboundEvent],
    processors: Mapping[str, Processor | Together],
    now: datetime,
    summary: InboxSummary,
) -> None:
    """One subject's events: together when its processor takes them so, else one by one."""
    processor = processors.get(group[0].source)
    if isinstance(processor, Together) and len(group) > 1:
        try:
            with session.begin_nested():
                results = processor.process(session, group, now)
        except Exception as exc:  # noqa: BLE001 - each event is tried again alone below
            log.warning(
                "inbox.group_failed source=%s subject=%s events=%d error=%s",
                group[0].source,
                group[0].subject,
                len(group),
                type(exc).__name__,
            )
        else:
            for event, reason in zip(group, results, strict=True):
                _finished(event, reason, now, summary)
            return
    for event in group:
        _process_one(session, event, processor, now, summary)


def _claim(session: Session, now: datetime, limit: int) -> tuple[list[list[int]], bool, int]:
    """Up to `limit` due events in arrival order with their subjects' other due events,
    grouped by subject (groups in the order of their first event); whether the limit was
    reached (more may be due); and how many due events were left to another transaction
    working on their subject. On PostgreSQL the rows are locked and rows another replica
    holds are skipped.

    Only ids are read; each group's events are loaded when it is reached (`_load`), so a batch
    cut short by its time budget has not read payloads it leaves for the next."""
    due = (PENDING, InboundEvent.next_attempt_at <= now)
    postgres = session.get_bind().dialect.name == "postgresql"
    brief = (InboundEvent.id, InboundEvent.source, InboundEvent.subject)
    query = select(*brief).where(*due).order_by(InboundEvent.id).limit(limit)
    if postgres:
        query = query.with_for_update(skip_locked=True)
    rows = list(session.execute(query))
    full = len(rows) == limit
    subjects = {subject for _, _, subject in rows if subject is not None}
    deferred = 0
    if postgres and subjects:
        # A subject's events that arrived after another claimer took the earlier ones are not
        # locked yet: the subject's lock keeps them for after that claimer commits, so one
        # subject is never worked on in two places at once (threads or replicas).
        subjects = _lock_subjects(session, subjects)
        kept = [row for row in rows if row[2] is None or row[2] in subjects]
        rows, deferred = kept, len(rows) - len(kept)
    if subjects:
        siblings = _siblings(subjects, [id_ for id_, _, _ in rows], now, limit * SIBLINGS_PER_EVENT)
        if postgres:
            siblings = siblings.with_for_update(skip_locked=True)
        rows = sorted(rows + list(session.execute(siblings)))
    groups: dict[object, list[int]] = {}
    for id_, source, subject in rows:
        groups.setdefault((source, subject) if subject is not None else id_, []).append(id_)
    return list(groups.values()), full, deferred


def _siblings(subjects: set[str], claimed: list[int], now: datetime, limit: int) -> Any:
    """The other due events of `subjects` (not `claimed`), in arrival order: ids, sources and
    subjects."""
    return (
        select(InboundEvent.id, InboundEvent.source, InboundEvent.subject)
        .where(
            PENDING,
            # Not `next_attempt_at <= now`: written so that no index on next_attempt_at can
            # serve it. SQLite plans without statistics and would read every due event through
            # ix_inbound_events_status_next, filtering the subjects out of thousands during a
            # backlog, where the (subject, status) index finds these few rows at once.
            # (The column is never null; PostgreSQL chooses by its statistics either way.)
            func.coalesce(InboundEvent.next_attempt_at, now) <= now,
            InboundEvent.subject.in_(subjects),
            InboundEvent.id.not_in(claimed),
        )
        .order_by(InboundEvent.id)
        .limit(limit)
    )


# The first key of the two-key advisory locks on subjects (a key space of their own: one-key
# advisory locks, as the leader's and the migrations' are, never collide with them).
SUBJECT_LOCKS = 727_270_100
_LOCK_SUBJECTS = text(
    "SELECT s FROM unnest(CAST(:subjects AS text[])) AS s "
    "WHERE pg_try_advisory_xact_lock(:space, hashtext(s))"
)


def _lock_subjects(session: Session, subjects: set[str]) -> set[str]:
    """The subjects this transaction now holds (PostgreSQL): those another transaction holds
    are left out (held until commit or rollback)."""
    found = session.scalars(_LOCK_SUBJECTS, {"subjects": sorted(subjects), "space": SUBJECT_LOCKS})
    return set(found)


def _load(session: Session, ids: list[int]) -> list[InboundEvent]:
    """A group's events, in arrival order."""
    query = select(InboundEvent).where(InboundEvent.id.in_(ids)).order_by(InboundEvent.id)
    return list(session.scalars(query))


def _process_one(
    session: Session,
    event: InboundEvent,
    processor: Processor | Together | None,
    now: datetime,
    summary: InboxSummary,
) -> None:
    """Process one event in its own savepoint, recording the outcome on it."""
    try:
        with session.begin_nested():
            if processor is None:
                reason = f"no processor for {event.source}"
            elif isinstance(processor, Together):
                [reason] = processor.process(session, [event], now)
            else:
                reason = processor(session, event, now)
    except Exception as exc:  # noqa: BLE001 - recorded on the event and logged in full
        event.attempts += 1
        event.error = f"{type(exc).__name__}: {str(exc)[:500]}"
        log.exception(
            "inbox.failed source=%s id=%s type=%s attempt=%d",
            event.source,
            event.external_id,
            event.event_type,
            event.attempts,
        )
        if event.attempts >= MAX_ATTEMPTS:
            event.status = "failed"
            summary.failed += 1
        else:
            event.next_attempt_at = now + timedelta(seconds=min(2**event.attempts, 600))
            summary.retried += 1
        return
    _finished(event, reason, now, summary)


def _finished(
    event: InboundEvent, reason: str | None, now: datetime, summary: InboxSummary
) -> None:
    """Record a processed event: done, or ignored with the reason."""
    event.processed_at = now
    if reason:
        event.status, event.error = "ignored", reason[:500]
        log.info(
            "inbox.ignored source=%s id=%s type=%s reason=%s",
            event.source,
            event.external_id,
            event.event_type,
            reason,
        )
        summary.ignored += 1
    else:
        event.status = "done"
        summary.done += 1


def counts(session: Session) -> dict[str, int]:
    """Events per status."""
    from sqlalchemy import func

    rows = session.execute(
        select(InboundEvent.status, func.count()).group_by(InboundEvent.status)
    ).all()
    return {status: n for status, n in rows}


def waiting(session: Session) -> dict[str, int]:
    """Events pending and failed for good (the index on status; finished events skipped)."""
    from sqlalchemy import func

    rows = session.execute(
        select(InboundEvent.status, func.count())
        .where(InboundEvent.status.in_(["pending", "failed"]))
        .group_by(InboundEvent.status)
    ).all()
    return {status: n for status, n in rows}


def oldest_pending(session: Session) -> datetime | None:
    """When the oldest event still waiting to be processed arrived (None when none waits)."""
    return session.scalar(
        select(InboundEvent.received_at).where(PENDING).order_by(InboundEvent.id).limit(1)
    )
