"""The weekly digest sweep: post the latest scheduled digest once, within a tick of its time.

The calendar is APScheduler's `CronTrigger` (day of week, hour, minute, time zone: DST is
its business); the sent/not-sent state lives in the database (`digest_runs`, unique on the
scheduled time), so nothing depends on APScheduler's memory. The sweep runs every
SCHEDULER_TICK_SECONDS: running it twice, late, or on two replicas posts once, and a digest
found more than 24 hours late is recorded as skipped (see bot.digest.due).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.triggers.cron import CronTrigger
from sqlalchemy.orm import Session

from bot.insights import digest
from bot.settings import Settings
from scheduling.scheduler import Sweep


def last_fire(config: digest.DigestConfig, now: datetime) -> datetime | None:
    """The latest scheduled time <= now (UTC), looking back a little over a week."""
    trigger = CronTrigger(**config.cron())
    moment = trigger.get_next_fire_time(None, now - timedelta(days=8))
    latest = None
    while moment is not None and moment <= now:
        latest = moment
        moment = trigger.get_next_fire_time(moment, moment + timedelta(seconds=1))
    return latest.astimezone(UTC) if latest is not None else None


def sweep_for(settings: Settings) -> Sweep:
    """`sweep(session, now)` for the schedule configured in `settings` (and changed in Slack)."""
    defaults = digest.defaults(settings)

    def sweep(session: Session, now: datetime) -> dict[str, Any]:
        config = digest.current(session, defaults)
        if not config.enabled:
            return {"sent": 0, "skipped": 0}
        return digest.due(session, now, last_fire(config, now), config)

    return sweep
