"""Process stored inbound events that are due (new ones, and retries after a failure)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session

from bot import inbox
from bot.events import processors
from bot.settings import Settings
from scheduling.scheduler import Sweep

# One transaction takes up to BATCH events, within the caller's time budget (see
# scheduling/jobs.py), so webhooks and commands never wait long for SQLite's single writer.
BATCH = 50


def sweep_for(
    settings: Settings, batch: int = BATCH, more: Callable[[], bool] | None = None
) -> Sweep:
    """The inbox sweep: process one batch of due events; returns counts by outcome."""
    table = processors(settings)

    def sweep(session: Session, now: datetime) -> dict[str, int]:
        summary = inbox.process_due(session, now, table, limit=batch, more=more)
        return {
            "done": summary.done,
            "ignored": summary.ignored,
            "retried": summary.retried,
            "failed": summary.failed,
            "deferred": summary.deferred,
        }

    return sweep
