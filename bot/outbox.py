"""The outbox's core: enqueue Slack calls in the caller's transaction; claim and settle them.

Rules: every row has a unique key, so enqueuing twice is a no-op; a thread reply waits for its
parent's `ts`, an update waits for its target; rows of one channel go out in order, and a
row that fails blocks the rows behind it in its channel until it is sent or dead.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bot.db import insert_if_absent
from bot.models import OutboxMessage

POST = "chat.postMessage"
UPDATE = "chat.update"
PUBLISH_HOME = "views.publish"
EPHEMERAL = "chat.postEphemeral"
METADATA_EVENT_TYPE = "supportbot_message"
LEASE = timedelta(seconds=60)
ACTIVE = ("pending", "sending")


def enqueue_post(
    session: Session,
    *,
    key: str,
    channel: str,
    text: str,
    now: datetime,
    blocks: list[dict[str, Any]] | None = None,
    thread_key: str | None = None,
    thread_ts: str | None = None,
    meta: dict[str, Any] | None = None,
    reply_broadcast: bool = False,
    link_key: str | None = None,
) -> bool:
    """Queue a chat.postMessage (channel id, or user id for a DM); False if the key exists.

    With `link_key`, the message waits until that row's message is posted, and `{permalink}`
    in its text and blocks becomes a link to it.
    """
    payload: dict[str, Any] = {"text": text, "unfurl_links": False, "unfurl_media": False}
    if blocks:
        payload["blocks"] = blocks
    if reply_broadcast:
        payload["reply_broadcast"] = True
    return _insert(
        session,
        key=key,
        method=POST,
        channel=channel,
        payload=payload,
        now=now,
        meta=meta,
        thread_key=thread_key,
        thread_ts=thread_ts,
        target_key=link_key,
    )


def enqueue_update(
    session: Session,
    *,
    key: str,
    target_key: str,
    text: str,
    now: datetime,
    blocks: list[dict[str, Any]] | None = None,
) -> bool:
    """Queue a chat.update of the message another row posted; older pending updates lapse."""
    target = session.scalar(select(OutboxMessage.channel).where(OutboxMessage.key == target_key))
    if target is None:
        raise ValueError(f"no outbox message with key {target_key!r} to update")
    payload: dict[str, Any] = {"text": text, "blocks": blocks or []}
    inserted = _insert(
        session,
        key=key,
        method=UPDATE,
        channel=target,
        payload=payload,
        now=now,
        target_key=target_key,
    )
    if inserted:
        _supersede(
            session,
            (OutboxMessage.method == UPDATE) & (OutboxMessage.target_key == target_key),
            key,
        )
    return inserted


def enqueue_ephemeral(
    session: Session,
    *,
    key: str,
    channel: str,
    user_id: str,
    text: str,
    now: datetime,
    thread_ts: str | None = None,
) -> bool:
    """Queue a message only `user_id` sees in `channel` (at most once: never retried blind)."""
    payload: dict[str, Any] = {"text": text, "user": user_id}
    return _insert(
        session,
        key=key,
        method=EPHEMERAL,
        channel=channel,
        payload=payload,
        now=now,
        thread_ts=thread_ts,
    )


def enqueue_home(
    session: Session, *, key: str, user_id: str, view: dict[str, Any], now: datetime
) -> bool:
    """Queue a views.publish of a user's App Home; older pending publishes lapse."""
    inserted = _insert(
        session, key=key, method=PUBLISH_HOME, channel=user_id, payload={"view": view}, now=now
    )
    if inserted:
        _supersede(
            session,
            (OutboxMessage.method == PUBLISH_HOME) & (OutboxMessage.channel == user_id),
            key,
        )
    return inserted


def _insert(
    session: Session,
    *,
    key: str,
    method: str,
    channel: str,
    payload: dict[str, Any],
    now: datetime,
    meta: dict[str, Any] | None = None,
    thread_key: str | None = None,
    thread_ts: str | None = None,
    target_key: str | None = None,
) -> bool:
    if len(key) > 255:
        raise ValueError("outbox keys are at most 255 characters")
    values = {
        "key": key,
        "method": method,
        "channel": channel,
        "thread_key": thread_key,
        "thread_ts": thread_ts,
        "target_key": target_key,
        "payload": payload,
        "meta": meta or {},
        "status": "pending",
        "attempts": 0,
        "uncertain": False,
        "next_attempt_at": now,
        "created_at": now,
    }
    return insert_if_absent(session, OutboxMessage, values, ["key"])


def _supersede(session: Session, condition: Any, keep_key: str) -> None:
    """Drop queued, unclaimed rows that a newer row replaces (only the latest state matters)."""
    session.execute(
        update(OutboxMessage)
        .where(condition, OutboxMessage.status == "pending", OutboxMessage.key != keep_key)
        .values(status="superseded")
        .execution_options(synchronize_session=False)
    )


def posted(session: Session, key: str) -> tuple[str, str] | None:
    """The (channel, ts) a sent row's message has in Slack, or None while it is not sent."""
    row = session.execute(
        select(OutboxMessage.posted_channel, OutboxMessage.posted_ts).where(
            OutboxMessage.key == key, OutboxMessage.status == "sent"
        )
    ).first()
    return (row[0], row[1]) if row and row[1] else None


def posted_many(session: Session, keys: Sequence[str]) -> dict[str, tuple[str, str]]:
    """(channel, ts) of the rows already sent, by key (the rest are missing)."""
    found: dict[str, tuple[str, str]] = {}
    keys = list(keys)
    for start in range(0, len(keys), 500):
        rows = session.execute(
            select(OutboxMessage.key, OutboxMessage.posted_channel, OutboxMessage.posted_ts).where(
                OutboxMessage.key.in_(keys[start : start + 500]), OutboxMessage.status == "sent"
            )
        ).all()
        found.update({key: (channel, ts) for key, channel, ts in rows if channel and ts})
    return found


# ---- the dispatcher's side ------------------------------------------------------------------


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
    """Rows claimed in one round, grouped by channel in sending order."""

    by_channel: dict[str, list[Claimed]] = field(default_factory=dict)

    def __len__(self) -> int:
        return sum(len(rows) for rows in self.by_channel.values())


def claim(
    session: Session,
    now: datetime,
    *,
    scan: int = 2000,
    limit: int = 200,
    allowance: Callable[[str, str], int] | None = None,
) -> Batch:
    """Claim the ready head of each channel's queue (at most `allowance(channel, method)` rows).

    On PostgreSQL the scanned rows are locked (SKIP LOCKED), so two dispatchers never claim
    the same row; SQLite runs one writer at a time.
    """
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.status.in_(ACTIVE))
        .order_by(OutboxMessage.id)
        .limit(scan)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = session.scalars(query).all()
    parents = _parent_positions(session, rows)
    batch = Batch()
    blocked: set[str] = set()
    fresh: list[int] = []
    lapsed: list[int] = []
    for row in rows:
        lane = row.channel
        if lane in blocked or len(fresh) + len(lapsed) >= limit:
            continue
        resolved = _resolve(row, parents)
        ready = row.next_attempt_at <= now and (
            row.status == "pending" or (row.lease_until is not None and row.lease_until <= now)
        )
        queue = batch.by_channel.setdefault(lane, [])
        if (
            resolved is None
            or not ready
            or (allowance is not None and len(queue) >= allowance(lane, row.method))
        ):
            blocked.add(lane)
            continue
        in_flight = row.status == "sending"  # claimed before and never settled: maybe sent
        (lapsed if in_flight else fresh).append(row.id)
        thread_ts, target = resolved
        queue.append(
            Claimed(
                row.id,
                row.key,
                row.method,
                row.channel,
                row.payload,
                row.meta,
                thread_ts,
                target,
                row.uncertain or in_flight,
                row.attempts,
                row.created_at,
            )
        )
    for ids, extra in ((fresh, {}), (lapsed, {"uncertain": True})):
        if ids:
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(ids))
                .values(status="sending", lease_until=now + LEASE, **extra)
                .execution_options(synchronize_session=False)
            )
    batch.by_channel = {lane: q for lane, q in batch.by_channel.items() if q}
    return batch


def _parent_positions(
    session: Session, rows: Sequence[OutboxMessage]
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
    row: OutboxMessage, parents: dict[str, tuple[str, str | None, str | None]]
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
    for outcome in outcomes:
        row = session.get(OutboxMessage, outcome.id)
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
    session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.status == "pending",
            (OutboxMessage.thread_key.in_(dead_keys)) | (OutboxMessage.target_key.in_(dead_keys)),
        )
        .values(status="dead", last_error="parent_dead: the message it belongs to failed")
        .execution_options(synchronize_session=False)
    )


def retry_dead(session: Session, now: datetime, ids: Sequence[int] | None = None) -> int:
    """Put dead letters (all, or the given ids) back in the queue; returns how many."""
    statement = update(OutboxMessage).where(OutboxMessage.status == "dead")
    if ids:
        statement = statement.where(OutboxMessage.id.in_(list(ids)))
    return session.execute(
        statement.values(
            status="pending", attempts=0, next_attempt_at=now, last_error=None
        ).execution_options(synchronize_session=False)
    ).rowcount


def counts(session: Session) -> dict[str, int]:
    """Rows per status."""
    found = session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    ).all()
    return {status: n for status, n in found}


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


def listing(session: Session, statuses: Sequence[str], limit: int = 50) -> list[OutboxMessage]:
    """The oldest rows in the given statuses."""
    return list(
        session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.status.in_(list(statuses)))
            .order_by(OutboxMessage.id)
            .limit(limit)
        )
    )
