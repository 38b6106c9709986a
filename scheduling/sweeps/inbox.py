"""Process stored inbound events that are due (new ones, and retries after a failure)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bot import inbox
from bot.processing import processors
from bot.settings import Settings
from scheduling.scheduler import Sweep


def sweep_for(settings: Settings) -> Sweep:
    """The inbox sweep: process one batch of due events; returns counts by outcome."""
    table = processors(settings)

    def sweep(session: Session, now: datetime) -> dict[str, int]:
        summary = inbox.process_due(session, now, table)
        return {
            "done": summary.done,
            "ignored": summary.ignored,
            "retried": summary.retried,
            "failed": summary.failed,
        }

    return sweep
