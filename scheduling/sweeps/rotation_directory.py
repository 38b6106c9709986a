"""Keep rotations' teams current: read every user group and user from Slack, then re-sync."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from slack_sdk.errors import SlackApiError
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.db import transaction
from bot.rotations import lifecycle
from bot.rotations.models import Rotation
from integrations.clients import Clients
from integrations.slack_directory import fetch_groups, fetch_users

log = logging.getLogger("supportbot.rotations")


def sync_all(
    session: Session, now: datetime, *, default_leads: Sequence[str] = ()
) -> dict[str, int]:
    """Re-sync every rotation's members with the cached groups (a pure sweep)."""
    joined = left = 0
    for rotation in session.scalars(
        select(Rotation).where(Rotation.status == "active").order_by(Rotation.id)
    ):
        new, gone = lifecycle.sync_members(session, rotation, now, default_leads=default_leads)
        joined, left = joined + len(new), left + len(gone)
    return {"joined": joined, "left": left}


def refresh(
    factory: sessionmaker[Session],
    clients: Clients,
    now: datetime,
    *,
    default_leads: Sequence[str] = (),
) -> dict[str, int]:
    """Read groups and users from Slack, then follow membership changes in every rotation."""
    summary = {"groups": 0, "users": 0, "failed": 0}
    try:
        summary["groups"] = len(fetch_groups(factory, clients.slack, now))
        summary["users"] = fetch_users(factory, clients.slack, now)
    except SlackApiError as err:
        summary["failed"] = 1
        log.warning("rotations.directory_failed error=%s", err.response.get("error"))
        return summary
    with transaction(factory) as session:
        summary.update(sync_all(session, now, default_leads=default_leads))
    return summary
