"""Who is who: cached Slack users and user groups, leads, and full members (not guests)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from bot.models import AppState, SlackUser, SlackUserGroup, SlackUserGroupMember

SCOPES = "slack_scopes"


def record_user(session: Session, info: dict[str, Any], now: datetime) -> SlackUser:
    """Upsert a user from a users.info / users.list `user` object."""
    user = session.get(SlackUser, info["id"]) or SlackUser(id=info["id"])
    profile = info.get("profile") or {}
    user.name = str(info.get("name") or "")
    user.real_name = str(info.get("real_name") or profile.get("real_name") or user.name)
    user.tz = info.get("tz")
    user.is_bot = bool(info.get("is_bot"))
    user.is_guest = bool(info.get("is_restricted") or info.get("is_ultra_restricted"))
    user.deleted = bool(info.get("deleted"))
    user.updated_at = now
    session.add(user)
    return user


def replace_group(
    session: Session,
    group_id: str,
    *,
    handle: str,
    name: str,
    members: Iterable[str],
    now: datetime,
) -> None:
    """Store a user group and replace its membership with `members`."""
    group = session.get(SlackUserGroup, group_id) or SlackUserGroup(id=group_id)
    group.handle, group.name, group.updated_at = handle, name, now
    session.add(group)
    session.flush()
    session.execute(delete(SlackUserGroupMember).where(SlackUserGroupMember.group_id == group_id))
    session.add_all(
        SlackUserGroupMember(group_id=group_id, user_id=u) for u in sorted(set(members))
    )


def group_members(session: Session, group_id: str) -> list[str]:
    """The cached members of a user group."""
    return list(
        session.scalars(
            select(SlackUserGroupMember.user_id)
            .where(SlackUserGroupMember.group_id == group_id)
            .order_by(SlackUserGroupMember.user_id)
        )
    )


def group_by_handle(session: Session, handle: str) -> SlackUserGroup | None:
    """A cached user group by handle (with or without a leading @)."""
    return session.scalar(select(SlackUserGroup).where(SlackUserGroup.handle == handle.lstrip("@")))


def expand(session: Session, ids: Sequence[str]) -> set[str]:
    """User ids named directly or through user groups (S…) in `ids`."""
    users = {i for i in ids if not i.startswith("S")}
    for group in (i for i in ids if i.startswith("S")):
        users.update(group_members(session, group))
    return users


def is_lead(session: Session, leads: Sequence[str], user_id: str) -> bool:
    """True when `user_id` is one of SUPPORT_LEADS, directly or through its user group."""
    return user_id in expand(session, leads)


def describe(ids: Sequence[str]) -> str:
    """How to name a list of users and groups in a message."""
    if not ids:
        return "the support leads (none are configured: set SUPPORT_LEADS)"
    return ", ".join(f"<!subteam^{i}>" if i.startswith("S") else f"<@{i}>" for i in ids)


def is_full_member(session: Session, user_id: str) -> bool | None:
    """True for a known full member, False for a guest or deactivated user, None if unknown."""
    user = session.get(SlackUser, user_id)
    if user is None:
        return None
    return not (user.is_guest or user.deleted or user.is_bot)


def display_name(session: Session, user_id: str) -> str:
    """A user's real name when known, else their id."""
    user = session.get(SlackUser, user_id)
    return (user.real_name or user.name) if user else user_id


def slack_id_named(session: Session, name: str) -> str | None:
    """The Slack user whose real name is exactly `name` (a helpdesk agent's), when only one is."""
    found = session.scalars(
        select(SlackUser.id)
        .where(
            func.lower(SlackUser.real_name) == name.strip().lower(),
            SlackUser.deleted.is_(False),
            SlackUser.is_bot.is_(False),
        )
        .limit(2)
    ).all()
    return found[0] if len(found) == 1 else None


def remember_scopes(session: Session, scopes: Iterable[str], now: datetime) -> None:
    """Store the scopes the bot token was granted (auth.test's `x-oauth-scopes` header)."""
    value = {"scopes": sorted({s.strip() for s in scopes if s.strip()})}
    row = session.get(AppState, SCOPES)
    if row is None:
        session.add(AppState(name=SCOPES, value=value, updated_at=now))
    elif row.value != value:
        row.value, row.updated_at = value, now


def granted_scopes(session: Session) -> set[str] | None:
    """The bot token's scopes as last seen, or None before the directory was first read."""
    row = session.get(AppState, SCOPES)
    return set(row.value.get("scopes") or []) if row is not None else None
