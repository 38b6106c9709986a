"""Every scheduled job the leader runs, and how often."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bot.settings import Settings
from integrations.clients import Clients
from scheduling.scheduler import Job, sweep_job
from scheduling.sweeps import directory
from scheduling.sweeps import inbox as inbox_sweep

HOURLY = 3600.0


def build_jobs(factory: sessionmaker[Session], clients: Clients, settings: Settings) -> list[Job]:
    """The jobs of one process (they run only while it leads)."""
    configured_groups = [*settings.support_leads, *settings.product_owners]

    def refresh_directory(now: datetime) -> dict[str, Any]:
        return directory.refresh(factory, clients, configured_groups, now)

    return [
        sweep_job("inbox", factory, inbox_sweep.sweep),
        Job("directory", refresh_directory, HOURLY),
    ]
