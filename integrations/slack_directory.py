"""Reading the Slack directory into the cache: users, user groups, a user's name, and who has
an email address.

`usergroups.list` with `include_users` gives every group's handle and members in one call
(https://docs.slack.dev/reference/methods/usergroups.list), and `users.list` pages through
members with their `tz` and `deleted` flag (https://docs.slack.dev/reference/methods/users.list).
Slack calls happen outside any transaction; each write is its own short transaction.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session, sessionmaker

from bot import people
from bot.db import reading, transaction
from bot.models import SlackUserGroup
from integrations.slack_errors import classify

log = logging.getLogger("supportbot.directory")

PAGE = 200


def fetch_user(
    factory: sessionmaker[Session], client: WebClient, user_id: str, now: datetime
) -> dict[str, Any]:
    """Read one user from Slack (`users.info`) and store them."""
    info = client.users_info(user=user_id)["user"]
    with transaction(factory) as session:
        people.record_user(session, info, now)
    return dict(info)


def fetch_group(
    factory: sessionmaker[Session], client: WebClient, group_id: str, now: datetime
) -> list[str]:
    """Read a group's members from Slack and store them."""
    members = client.usergroups_users_list(usergroup=group_id)["users"]
    with transaction(factory) as session:
        known = session.get(SlackUserGroup, group_id)
        handle, name = (known.handle, known.name) if known else ("", "")
        people.replace_group(session, group_id, handle=handle, name=name, members=members, now=now)
    return list(members)


def fetch_groups(factory: sessionmaker[Session], client: WebClient, now: datetime) -> set[str]:
    """Store every user group with its handle and members; returns their ids."""
    answer = client.usergroups_list(include_users=True, include_disabled=False)
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


def fetch_users(factory: sessionmaker[Session], client: WebClient, now: datetime) -> int:
    """Store every workspace member (page by page); returns how many."""
    cursor: str | None = None
    seen = 0
    while True:
        answer = client.users_list(limit=PAGE, cursor=cursor or None)
        members = list(answer.get("members") or [])
        with transaction(factory) as session:
            for info in members:
                people.record_user(session, info, now)
        seen += len(members)
        cursor = (answer.get("response_metadata") or {}).get("next_cursor") or None
        if not cursor:
            return seen


def user_name(
    factory: sessionmaker[Session], client: WebClient, user_id: str, now: datetime
) -> str:
    """The name people know a Slack user by: from the cache, else `users.info`, else the id."""
    with transaction(factory) as session:
        known = people.display_name(session, user_id)
    if known != user_id:
        return known
    try:
        info = fetch_user(factory, client, user_id, now)
    except (SlackApiError, OSError) as err:
        log.warning("directory.user_failed user=%s error=%s", user_id, _reason(err))
        return user_id
    return str(info.get("real_name") or info.get("name") or user_id)


def know_user(
    factory: sessionmaker[Session], client: WebClient, user_id: str, now: datetime
) -> None:
    """Make sure the cache knows a user: read `users.info` when it does not yet. A failure is
    logged and leaves them unknown (so the rules that need a full member say no)."""
    with reading(factory) as session:
        if people.is_full_member(session, user_id) is not None:
            return
    try:
        fetch_user(factory, client, user_id, now)
    except (SlackApiError, OSError) as err:
        log.warning("directory.user_failed user=%s error=%s", user_id, _reason(err))


class DirectoryError(Exception):
    """A directory call Slack did not answer: whether retrying can help, and when to."""

    def __init__(self, method: str, error: str, *, permanent: bool, retry_after: float | None):
        super().__init__(f"Slack {method} failed: {error}")
        self.permanent = permanent
        self.retry_after = retry_after


def lookup_email(client: WebClient, email: str) -> dict[str, Any] | None:
    """The member with this email (`users.lookupByEmail`), or None when Slack knows nobody
    (`users_not_found`); other failures raise DirectoryError."""
    try:
        return dict(client.users_lookupByEmail(email=email)["user"])
    except (SlackApiError, OSError) as err:
        if isinstance(err, SlackApiError) and err.response.get("error") == "users_not_found":
            return None
        failure = classify(err)
        raise DirectoryError(
            "users.lookupByEmail",
            failure.error,
            permanent=failure.permanent,
            retry_after=failure.retry_after,
        ) from None


def _reason(err: Exception) -> str:
    if isinstance(err, SlackApiError):
        return str(err.response.get("error"))
    return type(err).__name__
