"""Process stored inbound events that are due (new ones, and retries after a failure)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bot import inbox
from bot.processing import processors


def sweep(session: Session, now: datetime) -> dict[str, int]:
    """Process one batch of due events; returns counts by outcome."""
    summary = inbox.process_due(session, now, processors())
    return {
        "done": summary.done,
        "ignored": summary.ignored,
        "retried": summary.retried,
        "failed": summary.failed,
    }
