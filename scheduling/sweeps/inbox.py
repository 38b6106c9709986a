"""Process stored inbound events that are due (new ones, and retries after a failure)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bot import inbox
from bot.events import processors
from bot.settings import Settings
from scheduling.scheduler import Sweep

# Small batches keep each transaction short, so webhooks and commands never wait long for
# SQLite's single writer.
BATCH = 25


def sweep_for(settings: Settings, batch: int = BATCH) -> Sweep:
    """The inbox sweep: process one batch of due events; returns counts by outcome."""
    table = processors(settings)

    def sweep(session: Session, now: datetime) -> dict[str, int]:
        summary = inbox.process_due(session, now, table, limit=batch)
        return {
            "done": summary.done,
            "ignored": summary.ignored,
            "retried": summary.retried,
            "failed": summary.failed,
        }

    return sweep
