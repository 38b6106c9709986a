"""The emerging-patterns sweep: raise each spike of a tag, Jira component or group to the leads
once a day (see bot.insights.patterns). Runs every SCHEDULER_TICK_SECONDS on the leader; a run
that finds nothing new since the last one reads a few maxima and stops."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.insights import patterns
from bot.settings import Settings
from scheduling.scheduler import Sweep


def config_of(settings: Settings) -> patterns.PatternConfig:
    """PATTERN_MIN_TICKETS, PATTERN_FACTOR, LEADS_CHANNEL and SUPPORT_LEADS."""
    return patterns.PatternConfig(
        min_tickets=settings.pattern_min_tickets,
        factor=settings.pattern_factor,
        channel=settings.leads_channel,
        leads=tuple(settings.support_leads),
    )


def sweep_for(settings: Settings) -> Sweep:
    """`sweep(session, now)` with the thresholds and recipients configured in `settings`."""
    config = config_of(settings)

    def sweep(session: Session, now: datetime) -> dict[str, Any]:
        return patterns.sweep(session, now, config)

    return sweep
