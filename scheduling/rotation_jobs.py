"""The rotation jobs: the tick sweep, hourly planning, and the hourly team refresh."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bot.settings import Settings
from integrations.clients import Clients
from scheduling.scheduler import Job, sweep_job
from scheduling.sweeps import on_shift, rotation_directory
from scheduling.sweeps import rotations as rotation_sweeps

HOURLY = 3600.0


def rotation_jobs(
    factory: sessionmaker[Session], clients: Clients, settings: Settings
) -> list[Job]:
    """Reminders, start posts, no-shows, offers and the on-shift user groups and topics every
    tick; planning and teams hourly."""
    leads = list(settings.support_leads)

    def refresh_teams(now: datetime) -> dict[str, Any]:
        return rotation_directory.refresh(factory, clients, now, default_leads=leads)

    def sync_on_shift(now: datetime) -> dict[str, Any]:
        return on_shift.sync(factory, clients, now, default_leads=leads)

    return [
        sweep_job("rotations", factory, partial(rotation_sweeps.tick, default_leads=leads)),
        sweep_job(
            "rotation_plan", factory, partial(rotation_sweeps.plan, default_leads=leads), HOURLY
        ),
        Job("rotation_teams", refresh_teams, HOURLY),
        Job("on_shift_sync", sync_on_shift),
    ]
