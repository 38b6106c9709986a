"""Pending calls to Zendesk or Jira: enqueued in the caller's transaction, claimed by a sweep.

Each kind has a core reaction to success and to failure (given by the area that owns the
kind), so the sweep that makes the call stays ignorant of what the call means. A reaction may
return a follow-up, run in a transaction of its own once the call's outcome is committed (see
`bot.tickets.names` for why one needs to).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.db import compare_and_set, insert_if_absent, wake
from bot.models import PendingCall

LEASE = timedelta(minutes=2)
MAX_ATTEMPTS = 10

FollowUp = Callable[[Session, datetime], None]
OnSuccess = Callable[[Session, PendingCall, dict[str, Any], datetime], FollowUp | None]
OnFailure = Callable[[Session, PendingCall, str, bool, datetime], FollowUp | None]


@dataclass(frozen=True)
class Reactions:
    """What the owning area does when a call of its kind succeeds or fails."""

    on_success: OnSuccess
    on_failure: OnFailure


def enqueue(
    session: Session,
    *,
    key: str,
    kind: str,
    payload: dict[str, Any],
    now: datetime,
    requested_by: str | None = None,
) -> bool:
    """Queue a call; False when a call with this key exists already."""
    queued = insert_if_absent(
        session,
        PendingCall,
        {
            "key": key[:255],
            "kind": kind,
            "payload": payload,
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "requested_by": requested_by,
            "created_at": now,
        },
        ["key"],
    )
    if queued:
        wake(session, "calls")
    return queued


@dataclass(frozen=True)
class Claimed:
    """A call to make now."""

    id: int
    key: str
    kind: str
    payload: dict[str, Any]
    attempts: int
    requested_by: str | None


def claim(session: Session, now: datetime, kinds: Sequence[str], limit: int = 20) -> list[Claimed]:
    """Claim due calls of the given kinds (pending, or running with a lapsed lease)."""
    rows = session.scalars(
        select(PendingCall)
        .where(
            PendingCall.kind.in_(list(kinds)),
            PendingCall.next_attempt_at <= now,
            (PendingCall.status == "pending")
            | ((PendingCall.status == "running") & (PendingCall.lease_until <= now)),
        )
        .order_by(PendingCall.id)
        .limit(limit)
    ).all()
    claimed = []
    for row in rows:
        won = compare_and_set(
            session,
            PendingCall,
            PendingCall.id == row.id,
            PendingCall.status == row.status,
            PendingCall.attempts == row.attempts,
            status="running",
            lease_until=now + LEASE,
            attempts=row.attempts + 1,
        )
        if won:
            claimed.append(
                Claimed(row.id, row.key, row.kind, row.payload, row.attempts + 1, row.requested_by)
            )
    return claimed


def succeeded(
    session: Session,
    call_id: int,
    result: dict[str, Any],
    now: datetime,
    reactions: Mapping[str, Reactions],
) -> FollowUp | None:
    """Record a call's result and let its owner react; returns the reaction's follow-up."""
    call = session.get(PendingCall, call_id)
    if call is None or call.status == "done":
        return None
    call.status, call.result, call.done_at, call.lease_until = "done", result, now, None
    call.last_error = None
    owner = reactions.get(call.kind)
    return owner.on_success(session, call, result, now) if owner else None


def failed(
    session: Session,
    call_id: int,
    error: str,
    now: datetime,
    *,
    permanent: bool,
    reactions: Mapping[str, Reactions],
    retry_after: float | None = None,
) -> FollowUp | None:
    """Record a failure: retry later with backoff, or give up; the owner reacts either way."""
    call = session.get(PendingCall, call_id)
    if call is None or call.status == "done":
        return None
    give_up = permanent or call.attempts >= MAX_ATTEMPTS
    call.last_error, call.lease_until = error[:1000], None
    if give_up:
        call.status = "failed"
    else:
        call.status = "pending"
        wait = retry_after if retry_after is not None else min(30 * 2 ** (call.attempts - 1), 3600)
        call.next_attempt_at = now + timedelta(seconds=wait)
    owner = reactions.get(call.kind)
    return owner.on_failure(session, call, error, give_up, now) if owner else None


def release(session: Session, call_id: int, at: datetime) -> None:
    """Put a claimed call back, not counted as an attempt, to be made at `at` (paced)."""
    call = session.get(PendingCall, call_id)
    if call is None or call.status != "running":
        return
    call.status, call.lease_until, call.next_attempt_at = "pending", None, at
    call.attempts = max(call.attempts - 1, 0)


def get(session: Session, key: str) -> PendingCall | None:
    """A call by its key."""
    return session.scalar(select(PendingCall).where(PendingCall.key == key))


def open_counts(session: Session) -> dict[tuple[str, str], int]:
    """Calls not done, by (kind, status): pending, running, failed."""
    rows = session.execute(
        select(PendingCall.kind, PendingCall.status, func.count())
        .where(PendingCall.status.in_(["pending", "running", "failed"]))
        .group_by(PendingCall.kind, PendingCall.status)
    ).all()
    return {(kind, status): n for kind, status, n in rows}
