"""The Jira jobs: the bug status poll every five minutes, and the hourly metadata refresh."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bot.events import bug_config
from bot.settings import Settings
from integrations.clients import Clients
from scheduling.scheduler import Job
from scheduling.sweeps import jira_poll


def bug_jobs(factory: sessionmaker[Session], clients: Clients, settings: Settings) -> list[Job]:
    """Nothing without Jira; else the poll (lost webhooks) and the modal's option cache."""
    if clients.jira is None:
        return []
    config = bug_config(settings)

    def poll(now: datetime) -> dict[str, Any]:
        return jira_poll.poll(factory, clients, config, now)

    def meta(now: datetime) -> dict[str, Any]:
        return jira_poll.refresh_meta(factory, clients, config, now)

    return [Job("jira_poll", poll, jira_poll.EVERY), Job("jira_meta", meta, jira_poll.META_EVERY)]
