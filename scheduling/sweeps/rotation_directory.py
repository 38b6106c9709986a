"""Keep rotations' teams current: read every user group and user from Slack, then re-sync.

`usergroups.list` with `include_users` gives every group's handle and members in one call
(https://docs.slack.dev/reference/methods/usergroups.list), and `users.list` pages through
members with their `tz` and `deleted` flag (https://docs.slack.dev/reference/methods/users.list).
Slack calls happen outside any transaction; each write is its own short transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from slack_sdk.errors import SlackApiError
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot import people, rotations
from bot.db import transaction
from bot.models import Rotation
from integrations.clients import Clients

log = logging.getLogger("supportbot.rotations")

PAGE = 200


def fetch_groups(factory: sessionmaker[Session], clients: Clients, now: datetime) -> set[str]:
    """Store every user group with its handle and members; returns their ids."""
    answer = clients.slack.usergroups_list(include_users=True, include_disabled=False)
    groups: list[dict[str, Any]] = list(answer.get("usergroups") or [])
    with transaction(factory) as session:
        for group in groups:
            people.replace_group(
                session,
                group["id"],
                handle=str(group.get("handle") or ""),
                name=str(group.get("name") or ""),
                members=group.get("users") or [],
                now=now,
            )
    return {str(g["id"]) for g in groups}


def fetch_users(factory: sessionmaker[Session], clients: Clients, now: datetime) -> int:
    """Store every workspace member (page by page); returns how many."""
    cursor: str | None = None
    seen = 0
    while True:
        answer = clients.slack.users_list(limit=PAGE, cursor=cursor or None)
        members = list(answer.get("members") or [])
        with transaction(factory) as session:
            for info in members:
                people.record_user(session, info, now)
        seen += len(members)
        cursor = (answer.get("response_metadata") or {}).get("next_cursor") or None
        if not cursor:
            return seen


def sync_all(
    session: Session, now: datetime, *, default_leads: Sequence[str] = ()
) -> dict[str, int]:
    """Re-sync every rotation's members with the cached groups (a pure sweep)."""
    joined = left = 0
    for rotation in session.scalars(
        select(Rotation).where(Rotation.status == "active").order_by(Rotation.id)
    ):
        new, gone = rotations.sync_members(session, rotation, now, default_leads=default_leads)
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
        summary["groups"] = len(fetch_groups(factory, clients, now))
        summary["users"] = fetch_users(factory, clients, now)
    except SlackApiError as err:
        summary["failed"] = 1
        log.warning("rotations.directory_failed error=%s", err.response.get("error"))
        return summary
    with transaction(factory) as session:
        summary.update(sync_all(session, now, default_leads=default_leads))
    return summary
