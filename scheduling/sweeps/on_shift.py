"""Every tick: bring each rotation's on-shift user group and channel topic up to date.

What changed is read in a short read-only transaction; the Slack calls follow outside it, and
each outcome is recorded in its own transaction. When nothing changed, no call is made.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from bot.db import reading, transaction
from bot.rotations import on_shift_sync
from integrations.clients import Clients
from integrations.slack_oncall import apply


def sync(
    factory: sessionmaker[Session],
    clients: Clients,
    now: datetime,
    *,
    default_leads: Sequence[str] = (),
) -> dict[str, int]:
    """Set in Slack whatever differs from who is on shift now; returns counts."""
    with reading(factory) as session:
        changes = on_shift_sync.plan(session, now)
    summary = {"synced": 0, "refused": 0}
    for change in changes:
        error = apply(clients.slack, change)
        with transaction(factory) as session:
            on_shift_sync.record(session, change, error, now, default_leads=default_leads)
        summary["refused" if error else "synced"] += 1
    return summary
