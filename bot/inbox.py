"""Inbound events: stored once by unique key, then processed idempotently off the request path."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.db import insert_if_absent, wake
from bot.models import InboundEvent

log = logging.getLogger("supportbot.inbox")

Processor = Callable[[Session, InboundEvent, datetime], str | None]
MAX_ATTEMPTS = 10


@dataclass
class InboxSummary:
    """What one processing pass did."""

    done: int = 0
    ignored: int = 0
    retried: int = 0
    failed: int = 0

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
) -> bool:
    """Record an inbound event; False when the same (source, external id) was stored before."""
    stored = insert_if_absent(
        session,
        InboundEvent,
        {
            "source": source,
            "external_id": external_id[:255],
            "event_type": event_type[:128],
            "payload": payload,
            "status": "pending",
            "attempts": 0,
            "received_at": now,
            "next_attempt_at": now,
        },
        ["source", "external_id"],
    )
    if stored:
        wake(session, "inbox")
    return stored


def process_due(
    session: Session,
    now: datetime,
    processors: Mapping[str, Processor],
    *,
    limit: int = 200,
    more: Callable[[], bool] | None = None,
) -> InboxSummary:
    """Process pending events in arrival order, each in its own savepoint.

    `more()`, asked before every event after the first, ends the batch early when false (the
    caller's time budget); events left over stay pending for the next batch.

    A processor returns None when it acted, or a short reason when the event is of no
    interest (recorded as ignored). An exception rolls back that event alone and schedules a
    retry with backoff; after MAX_ATTEMPTS it is recorded as failed.
    """
    query = (
        select(InboundEvent)
        .where(InboundEvent.status == "pending", InboundEvent.next_attempt_at <= now)
        .order_by(InboundEvent.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    summary = InboxSummary()
    for index, event in enumerate(session.scalars(query).all()):
        if index and more is not None and not more():
            break
        processor = processors.get(event.source)
        try:
            with session.begin_nested():
                reason = (
                    processor(session, event, now)
                    if processor
                    else f"no processor for {event.source}"
                )
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
            continue
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
    return summary


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
        select(InboundEvent.received_at)
        .where(InboundEvent.status == "pending")
        .order_by(InboundEvent.id)
        .limit(1)
    )
