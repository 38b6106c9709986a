"""Refresh the cached Slack directory: user groups named anywhere, users seen recently, and
helpdesk agents Slack was not asked about yet."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from slack_sdk.errors import SlackApiError
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot import people
from bot.db import transaction
from bot.models import SlackUser, SlackUserGroup
from bot.tickets import agents, links
from integrations.clients import Clients
from integrations.slack_directory import fetch_group, fetch_groups, fetch_user

log = logging.getLogger("supportbot.directory")

USER_MAX_AGE = timedelta(hours=24)


def refresh(
    factory: sessionmaker[Session], clients: Clients, configured: Sequence[str], now: datetime
) -> dict[str, Any]:
    """Re-read every known or configured user group, and users not refreshed for a day."""
    with transaction(factory) as session:
        groups = {g for g in configured if g.startswith("S")}
        groups.update(session.scalars(select(SlackUserGroup.id)))
        stale_users = list(
            session.scalars(
                select(SlackUser.id).where(SlackUser.updated_at < now - USER_MAX_AGE).limit(200)
            )
        )
    refreshed, failed = 0, 0
    try:
        # The workspace's address, so listings can link to threads without a call each.
        answer = clients.slack.auth_test()
        url = answer.get("url")
        with transaction(factory) as session:
            if url:
                links.remember_workspace(session, str(url), now)
            # What the token may do, so settings that need a scope can say so when saved.
            scopes = str(answer.headers.get("x-oauth-scopes") or "")
            if scopes:
                people.remember_scopes(session, scopes.split(","), now)
    except SlackApiError as err:
        failed += 1
        log.warning("directory.auth_test_failed error=%s", err.response.get("error"))
    try:
        # One usergroups.list call reads every group with its members; only groups it did
        # not list (e.g. disabled ones) are read one by one.
        listed = fetch_groups(factory, clients.slack, now)
        refreshed = len(groups & listed)
    except SlackApiError as err:
        listed, failed = set(), failed + 1
        log.warning("directory.groups_failed error=%s", err.response.get("error"))
    for group_id in sorted(groups - listed):
        try:
            fetch_group(factory, clients.slack, group_id, now)
            refreshed += 1
        except SlackApiError as err:
            failed += 1
            log.warning(
                "directory.group_failed group=%s error=%s", group_id, err.response.get("error")
            )
    for user_id in stale_users:
        try:
            fetch_user(factory, clients.slack, user_id, now)
        except SlackApiError as err:
            log.warning(
                "directory.user_failed user=%s error=%s", user_id, err.response.get("error")
            )
    with transaction(factory) as session:
        asked = agents.request_unknown(session, now)
    return {"groups": refreshed, "users": len(stale_users), "failed": failed, "agents": asked}
