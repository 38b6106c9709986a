"""The SLA sweep: tickets whose next threshold (at risk, breached) has come get their alert.

`sweep(session, now)` claims a batch of tickets with `sla_next_at <= now` (on PostgreSQL with
SKIP LOCKED, so replicas split the work), lets `bot.sla_alerts` record and announce what they
reached, and moves each ticket's `sla_next_at` on. Running it twice or late sends nothing twice.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.sla import alerts as sla_alerts
from bot.sla import targets
from bot.tickets.models import Ticket

BATCH = 500


def sweep(session: Session, now: datetime, *, limit: int = BATCH) -> dict[str, int]:
    """Alert on every threshold reached by `now` (a batch of the most overdue tickets)."""
    query = (
        select(Ticket)
        .where(Ticket.sla_next_at <= now)
        .order_by(Ticket.sla_next_at, Ticket.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    tickets = session.scalars(query).all()
    if not tickets:
        return {"tickets": 0, "alerts": 0}
    done = targets.alerted_many(session, [t.id for t in tickets])
    shift = sla_alerts.on_shift_once(session, now)
    alerts = sum(
        sla_alerts.alert(session, ticket, now, done=done[ticket.id], shift=shift)
        for ticket in tickets
    )
    return {"tickets": len(tickets), "alerts": alerts}
