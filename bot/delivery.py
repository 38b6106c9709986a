"""The dispatcher's side of the outbox: claim the rows that can go now, settle what happened.

Rows of one channel go out in order, and a row that fails blocks the rows behind it in its
channel until it is sent or dead; a thread reply waits for its parent's `ts`, an update for its
target. A claim is a lease: a process that dies mid-send leaves rows that another claims after
`LEASE`, marked uncertain so the dispatcher first looks for them in Slack (by metadata).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.db import update_rows
from bot.models import OutboxMessage
from bot.outbox import ACTIVE

LEASE = timedelta(seconds=60)


@dataclass
class Claimed:
    """A row claimed for sending, with what the Slack call needs resolved."""

    id: int
    key: str
    method: str
    channel: str
    payload: dict[str, Any]
    meta: dict[str, Any]
    thread_ts: str | None
    target: tuple[str, str] | None
    uncertain: bool
    attempts: int
    created_at: datetime


@dataclass
class Outcome:
    """What happened to one claimed row."""

    id: int
    sent: bool = False
    channel: str | None = None
    ts: str | None = None
    error: str | None = None
    permanent: bool = False
    retry_at: datetime | None = None
    uncertain: bool = False
    not_attempted: bool = False
    counts_attempt: bool = True


@dataclass
class Batch:
    """Rows claimed in one round, grouped by lane (see `lane_of`) in sending order."""

    by_channel: dict[str, list[Claimed]] = field(default_factory=dict)

    def __len__(self) -> int:
        return sum(len(rows) for rows in self.by_channel.values())


def lane_of(channel: str, thread: str | None) -> tuple[str, str]:
    """The queue a row keeps its order in: its thread (a reply, or an edit of one message),
    else its channel's top level. Lanes go out side by side; a channel's pacing spans them."""
    return channel, thread or ""


def _lane_key() -> Any:
    return func.coalesce(
        OutboxMessage.thread_key, OutboxMessage.thread_ts, OutboxMessage.target_key, ""
    )


SCANNED = (
    OutboxMessage.id,
    OutboxMessage.method,
    OutboxMessage.channel,
    OutboxMessage.thread_key,
    OutboxMessage.thread_ts,
    OutboxMessage.target_key,
    OutboxMessage.status,
    OutboxMessage.next_attempt_at,
    OutboxMessage.lease_until,
)


def claim(
    session: Session,
    now: datetime,
    *,
    scan: int = 5000,
    limit: int = 200,
    allowance: Callable[[str, str], int] | None = None,
) -> Batch:
    """Claim the ready head of each lane (see `lane_of`), at most `allowance(channel, method)`
    rows per channel and `limit` in all.

    The scan reads only the columns that decide, and locks nothing; payloads are loaded for
    the chosen rows alone. On PostgreSQL the chosen rows are then locked (SKIP LOCKED, the
    state re-checked), so two dispatchers never claim the same row, and a lane stops at a row
    another dispatcher holds, keeping its order; SQLite runs one writer at a time.
    """
    query = (
        select(*SCANNED, _lane_key())
        .where(OutboxMessage.status.in_(ACTIVE))
        .order_by(OutboxMessage.id)
        .limit(scan)
    )
    rows = session.execute(query).all()
    parents = _parent_positions(session, rows)
    blocked: set[tuple[str, str]] = set()
    per_channel: dict[tuple[str, str], int] = {}
    chosen: list[tuple[Any, tuple[str, str], tuple[str | None, tuple[str, str] | None]]] = []
    for row in rows:
        lane = lane_of(row.channel, row[-1])
        if lane in blocked or len(chosen) >= limit:
            continue
        resolved = _resolve(row, parents)
        ready = row.next_attempt_at <= now and (
            row.status == "pending" or (row.lease_until is not None and row.lease_until <= now)
        )
        taken = per_channel.get((row.channel, row.method), 0)
        if (
            resolved is None
            or not ready
            or (allowance is not None and taken >= allowance(row.channel, row.method))
        ):
            blocked.add(lane)
            continue
        per_channel[(row.channel, row.method)] = taken + 1
        chosen.append((row, lane, resolved))
    if session.get_bind().dialect.name == "postgresql":
        chosen = _lock(session, chosen, now)
    batch = Batch()
    if not chosen:
        return batch
    loaded = {
        r.id: r
        for r in session.execute(
            select(
                OutboxMessage.id,
                OutboxMessage.key,
                OutboxMessage.payload,
                OutboxMessage.meta,
                OutboxMessage.uncertain,
                OutboxMessage.attempts,
                OutboxMessage.created_at,
            ).where(OutboxMessage.id.in_([row.id for row, _, _ in chosen]))
        )
    }
    fresh: list[int] = []
    lapsed: list[int] = []
    for row, lane, (thread_ts, target) in chosen:
        full = loaded[row.id]
        in_flight = row.status == "sending"  # claimed before and never settled: maybe sent
        (lapsed if in_flight else fresh).append(row.id)
        name = f"{lane[0]} {lane[1]}" if lane[1] else lane[0]
        batch.by_channel.setdefault(name, []).append(
            Claimed(
                row.id,
                full.key,
                row.method,
                row.channel,
                full.payload,
                full.meta,
                thread_ts,
                target,
                full.uncertain or in_flight,
                full.attempts,
                full.created_at,
            )
        )
    for ids, extra in ((fresh, {}), (lapsed, {"uncertain": True})):
        if ids:
            update_rows(
                session,
                OutboxMessage,
                OutboxMessage.id.in_(ids),
                status="sending",
                lease_until=now + LEASE,
                **extra,
            )
    return batch


def _lock(session: Session, chosen: list[Any], now: datetime) -> list[Any]:
    """Lock the chosen rows that are still free and due; each lane keeps its rows up to the
    first one another dispatcher holds or has claimed since the scan."""
    free = (OutboxMessage.status == "pending") | (OutboxMessage.lease_until <= now)
    locked = set(
        session.scalars(
            select(OutboxMessage.id)
            .where(OutboxMessage.id.in_([row.id for row, _, _ in chosen]), free)
            .with_for_update(skip_locked=True)
        )
    )
    stopped: set[tuple[str, str]] = set()
    kept = []
    for item in chosen:
        row, lane, _ = item
        if lane in stopped:
            continue
        if row.id not in locked:
            stopped.add(lane)
            continue
        kept.append(item)
    return kept


def _parent_positions(
    session: Session, rows: Sequence[Any]
) -> dict[str, tuple[str, str | None, str | None]]:
    keys = {r.thread_key for r in rows if r.thread_key} | {
        r.target_key for r in rows if r.target_key
    }
    if not keys:
        return {}
    found = session.execute(
        select(
            OutboxMessage.key,
            OutboxMessage.status,
            OutboxMessage.posted_channel,
            OutboxMessage.posted_ts,
        ).where(OutboxMessage.key.in_(keys))
    ).all()
    return {k: (status, ch, ts) for k, status, ch, ts in found}


def _resolve(
    row: Any, parents: dict[str, tuple[str, str | None, str | None]]
) -> tuple[str | None, tuple[str, str] | None] | None:
    """(thread_ts, update target) once known; None while a parent is still unsent."""
    thread_ts = row.thread_ts
    if row.thread_key:
        parent = parents.get(row.thread_key)
        if parent is None or parent[0] != "sent" or not parent[2]:
            return None
        thread_ts = parent[2]
    target = None
    if row.target_key:
        parent = parents.get(row.target_key)
        if parent is None or parent[0] != "sent" or not parent[1] or not parent[2]:
            return None
        target = (parent[1], parent[2])
    return thread_ts, target


def settle(session: Session, outcomes: Sequence[Outcome], now: datetime, max_attempts: int) -> None:
    """Record each claimed row's outcome: sent, rescheduled, released or dead."""
    found = {
        row.id: row
        for row in session.scalars(
            select(OutboxMessage).where(OutboxMessage.id.in_([o.id for o in outcomes]))
        )
    }
    for outcome in outcomes:
        row = found.get(outcome.id)
        if row is None or row.status != "sending":
            continue
        if outcome.sent:
            row.status, row.sent_at = "sent", now
            row.posted_channel, row.posted_ts = outcome.channel, outcome.ts
            row.uncertain, row.lease_until, row.last_error = False, None, None
            row.attempts += 1
            continue
        row.lease_until = None
        if outcome.not_attempted:
            row.status = "pending"
            continue
        if outcome.counts_attempt:
            row.attempts += 1
        row.uncertain = row.uncertain or outcome.uncertain
        row.last_error = outcome.error
        if outcome.permanent or row.attempts >= max_attempts:
            row.status = "dead"
        else:
            row.status = "pending"
            row.next_attempt_at = outcome.retry_at or now
    _bury_orphans(session)


def _bury_orphans(session: Session) -> None:
    """Rows whose thread parent or update target is dead can never go out: dead too."""
    dead_keys = select(OutboxMessage.key).where(OutboxMessage.status == "dead").scalar_subquery()
    update_rows(
        session,
        OutboxMessage,
        OutboxMessage.status == "pending",
        (OutboxMessage.thread_key.in_(dead_keys)) | (OutboxMessage.target_key.in_(dead_keys)),
        status="dead",
        last_error="parent_dead: the message it belongs to failed",
    )


def release_leases(session: Session, now: datetime) -> int:
    """End every claim's lease now (the dispatcher that held them is gone); returns how many.

    The rows are claimed again as uncertain, so each is first looked for in Slack by its
    metadata: nothing is sent twice.
    """
    return update_rows(
        session,
        OutboxMessage,
        OutboxMessage.status == "sending",
        OutboxMessage.lease_until > now,
        lease_until=now,
    )


def due_count(session: Session, now: datetime) -> int:
    """Rows that are queued and due now (pending with their time come, or a lapsed lease)."""
    return (
        session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(
                ((OutboxMessage.status == "pending") & (OutboxMessage.next_attempt_at <= now))
                | ((OutboxMessage.status == "sending") & (OutboxMessage.lease_until <= now))
            )
        )
        or 0
    )
