"""Simulated identity and directory methods: `auth.test`, `team.info`, `users.*`, `usergroups.*`."""

from __future__ import annotations

import copy
from typing import Any

from integrations.simulators.slack.chat import require_scope
from integrations.simulators.slack.payloads import flag, page
from integrations.simulators.slack.state import SlackFault, SlackState


def auth_test(state: SlackState, args: dict[str, Any]) -> dict[str, Any]:
    """auth.test for the bot token."""
    return {
        "url": f"https://{state.team_domain}.slack.com/",
        "team": state.team_name,
        "user": state.users[state.bot_user_id]["name"],
        "team_id": state.team_id,
        "user_id": state.bot_user_id,
        "bot_id": state.bot_id,
        "is_enterprise_install": False,
    }


def team_info(state: SlackState, args: dict[str, Any]) -> dict[str, Any]:
    """team.info"""
    require_scope(state, "team:read")
    return {
        "team": {
            "id": state.team_id,
            "name": state.team_name,
            "domain": state.team_domain,
            "email_domain": f"{state.team_domain}.example.com",
            "icon": {"image_default": True},
            "is_verified": False,
        }
    }


def users_info(state: SlackState, args: dict[str, Any]) -> dict[str, Any]:
    """users.info"""
    require_scope(state, "users:read")
    return {"user": copy.deepcopy(state.user(args.get("user")))}


def users_list(state: SlackState, args: dict[str, Any]) -> dict[str, Any]:
    """users.list (paged; no limit returns everyone, as Slack tries to)."""
    require_scope(state, "users:read")
    everyone = [copy.deepcopy(u) for u in state.users.values()]
    chunk, cursor = page(everyone, args, default_limit=0)
    return {
        "members": chunk,
        "cache_ts": int(state.clock()),
        "response_metadata": {"next_cursor": cursor},
    }


def lookup_by_email(state: SlackState, args: dict[str, Any]) -> dict[str, Any]:
    """users.lookupByEmail (needs users:read.email; unknown address is `users_not_found`)."""
    require_scope(state, "users:read.email")
    email = str(args.get("email") or "").strip().lower()
    for user in state.users.values():
        if email and str(user["profile"].get("email", "")).lower() == email:
            return {"user": copy.deepcopy(user)}
    raise SlackFault("users_not_found")


def add_usergroup(
    state: SlackState, group_id: str, handle: str, name: str | None, users: list[str]
) -> dict[str, Any]:
    """Create or replace a user group in the state."""
    now = int(state.clock())
    state.usergroups[group_id] = {
        "id": group_id,
        "team_id": state.team_id,
        "is_usergroup": True,
        "is_subteam": True,
        "name": name or handle,
        "description": "",
        "handle": handle,
        "is_external": False,
        "date_create": now,
        "date_update": now,
        "date_delete": 0,
        "auto_type": None,
        "created_by": state.bot_user_id,
        "updated_by": state.bot_user_id,
        "deleted_by": None,
        "prefs": {"channels": [], "groups": []},
        "users": list(dict.fromkeys(users)),
        "user_count": len(dict.fromkeys(users)),
    }
    return copy.deepcopy(state.usergroups[group_id])


def usergroups_list(state: SlackState, args: dict[str, Any]) -> dict[str, Any]:
    """usergroups.list (`users` only with include_users, `user_count` with include_count,
    disabled groups only with include_disabled)."""
    require_scope(state, "usergroups:read")
    with_users = flag(args.get("include_users"))
    with_count = flag(args.get("include_count"))
    with_disabled = flag(args.get("include_disabled"))
    groups = []
    for group in state.usergroups.values():
        if group["date_delete"] and not with_disabled:
            continue
        out = copy.deepcopy(group)
        if not with_users:
            out.pop("users")
        if not with_count:
            out.pop("user_count")
        groups.append(out)
    return {"usergroups": groups}


def usergroup_users(state: SlackState, args: dict[str, Any]) -> dict[str, Any]:
    """usergroups.users.list"""
    require_scope(state, "usergroups:read")
    group = state.usergroups.get(str(args.get("usergroup") or ""))
    if group is None:
        raise SlackFault("no_such_subteam")
    return {"users": list(group["users"])}


def _editable(state: SlackState, args: dict[str, Any]) -> dict[str, Any]:
    """The group a write method names, if the token may change it."""
    require_scope(state, "usergroups:write")
    ref = str(args.get("usergroup") or "")
    if not ref:
        raise SlackFault("missing_argument")
    group = state.usergroups.get(ref)
    if group is None:
        raise SlackFault("no_such_subteam")
    if ref in state.locked_usergroups:
        # Workspaces can restrict who manages user groups; the app is then refused
        # (https://docs.slack.dev/reference/methods/usergroups.users.update, permission_denied).
        raise SlackFault("permission_denied")
    return group


def _answer(state: SlackState, group: dict[str, Any]) -> dict[str, Any]:
    now = int(state.clock())
    group.update(date_update=now, updated_by=state.bot_user_id)
    return {"usergroup": copy.deepcopy(group)}


def usergroup_users_update(state: SlackState, args: dict[str, Any]) -> dict[str, Any]:
    """usergroups.users.update: replaces every member. An empty list is refused
    (`no_users_provided`); to empty a group's mentions, disable it instead."""
    group = _editable(state, args)
    raw = args.get("users")
    users = raw if isinstance(raw, list) else str(raw or "").split(",")
    users = [str(u).strip() for u in users if str(u).strip()]
    if not users:
        raise SlackFault("no_users_provided")
    for user_id in users:
        known = state.users.get(user_id)
        if known is None or known["deleted"]:
            raise SlackFault("invalid_users")
    group["users"] = list(dict.fromkeys(users))
    group["user_count"] = len(group["users"])
    return _answer(state, group)


def usergroups_disable(state: SlackState, args: dict[str, Any]) -> dict[str, Any]:
    """usergroups.disable: the handle stops notifying anyone; members are kept."""
    group = _editable(state, args)
    group.update(date_delete=int(state.clock()), deleted_by=state.bot_user_id)
    return _answer(state, group)


def usergroups_enable(state: SlackState, args: dict[str, Any]) -> dict[str, Any]:
    """usergroups.enable"""
    group = _editable(state, args)
    group.update(date_delete=0, deleted_by=None)
    return _answer(state, group)
