"""Reconciliation: read Zendesk's incremental ticket export from the stored cursor.

Tickets whose webhooks were lost become stored inbound events like any other, so the same
idempotent processing applies. The export allows about 10 requests a minute and excludes
tickets changed in the last minute
(https://developer.zendesk.com/api-reference/ticketing/ticket-management/incremental_exports/);
one page per tick stays well inside that, and a 429 pauses the job for its Retry-After.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bot import inbox
from bot.db import transaction
from bot.models import AppState
from bot.tickets import intake
from integrations.clients import Clients
from integrations.zendesk import ZendeskError

log = logging.getLogger("supportbot.zendesk")

STATE = "zendesk.export"
PER_PAGE = 100


def reconcile(
    factory: sessionmaker[Session], clients: Clients, *, backfill: timedelta, now: datetime
) -> dict[str, Any]:
    """Read one export page, store each ticket (with its comments) as an inbound event."""
    if clients.zendesk is None:
        return {}
    with transaction(factory) as session:
        state = dict((session.get(AppState, STATE) or AppState(value={})).value)
    paused = state.get("paused_until")
    if paused and datetime.fromisoformat(paused) > now:
        return {"paused": 1}
    try:
        if state.get("cursor"):
            page = clients.zendesk.export_tickets(cursor=state["cursor"], per_page=PER_PAGE)
        else:
            start = int((now - backfill).timestamp())
            page = clients.zendesk.export_tickets(start_time=start, per_page=PER_PAGE)
        batch = [
            (t, clients.zendesk.comments(str(t["id"])))
            for t in page.tickets
            if t.get("status") != "deleted"
        ]
    except ZendeskError as err:
        if err.retry_after is not None:
            state["paused_until"] = (now + timedelta(seconds=err.retry_after)).isoformat()
            _save(factory, state, now)
        log.warning("zendesk.export_failed status=%s reason=%s", err.status, err.reason)
        return {"failed": 1}
    stored = 0
    with transaction(factory) as session:
        for ticket, comments in batch:
            stored += inbox.store(
                session,
                source="zendesk",
                event_type="export",
                external_id=f"export:{ticket['id']}:{ticket.get('updated_at')}",
                payload={"ticket": ticket, "comments": comments},
                now=now,
                subject=intake.subject(intake.ZENDESK, str(ticket["id"])),
            )
        state["cursor"] = page.after_cursor or state.get("cursor")
        state.pop("paused_until", None)
        _store(session, state, now)
    return {"tickets": len(page.tickets), "stored": stored}


def _save(factory: sessionmaker[Session], state: dict[str, Any], now: datetime) -> None:
    with transaction(factory) as session:
        _store(session, state, now)


def _store(session: Session, state: dict[str, Any], now: datetime) -> None:
    row = session.get(AppState, STATE) or AppState(name=STATE)
    row.value, row.updated_at = dict(state), now
    session.add(row)
