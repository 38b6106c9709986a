"""Shapes of the Slack objects the simulator returns: users, conversations, messages.

Field names follow the users.info, conversations.info and conversations.history examples on
docs.slack.dev (mirrored in slack-ruby/slack-api-ref `docs.slack.dev/methods/*.json`).
"""

from __future__ import annotations

import copy
import secrets
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

# Keys kept on stored messages for inspection that Slack never returns from the Web API.
INTERNAL_KEYS = frozenset({"channel", "mrkdwn", "unfurl_links", "unfurl_media"})
# Defaults filled in when tests inspect a message, so `msg["metadata"]` never raises.
INSPECT_DEFAULTS: dict[str, Any] = {
    "blocks": None,
    "metadata": None,
    "thread_ts": None,
    "reply_count": 0,
    "edited": None,
    "bot_id": None,
    "subtype": None,
}


def ts_key(ts: Any) -> tuple[int, int]:
    """Sortable (seconds, microseconds) form of a Slack `ts`; ValueError when malformed."""
    sec, _, frac = str(ts).strip().partition(".")
    if not sec.isdigit() or (frac and not frac.isdigit()) or len(frac) > 6:
        raise ValueError(f"malformed ts {ts!r}")
    return int(sec), int(frac.ljust(6, "0")) if frac else 0


def is_top_level(message: dict[str, Any]) -> bool:
    """True for messages that show in channel history (parents, plain, broadcast replies)."""
    thread_ts = message.get("thread_ts")
    return (
        not thread_ts or thread_ts == message["ts"] or message.get("subtype") == "thread_broadcast"
    )


def public_message(record: dict[str, Any], *, include_metadata: bool = True) -> dict[str, Any]:
    """The Web API form of a stored message (internal keys removed, metadata optional)."""
    out = {k: copy.deepcopy(v) for k, v in record.items() if k not in INTERNAL_KEYS}
    if not include_metadata:
        out.pop("metadata", None)
    return out


def inspect_message(record: dict[str, Any]) -> dict[str, Any]:
    """A deep copy of a stored message with the inspection defaults filled in."""
    out = copy.deepcopy(record)
    for key, default in INSPECT_DEFAULTS.items():
        out.setdefault(key, default)
    return out


def build_user(
    user_id: str,
    name: str,
    *,
    team_id: str,
    now: float,
    real_name: str | None = None,
    tz: str = "America/New_York",
    tz_offset: int | None = None,
    email: str | None = None,
    is_bot: bool = False,
    deleted: bool = False,
    is_restricted: bool = False,
    is_ultra_restricted: bool = False,
    is_admin: bool = False,
) -> dict[str, Any]:
    """A users.info `user` object; the tz offset and label follow `tz` at time `now`."""
    local = datetime.fromtimestamp(now, ZoneInfo(tz))
    offset = local.utcoffset()
    real = real_name if real_name is not None else name
    first, _, last = real.partition(" ")
    profile: dict[str, Any] = {
        "title": "",
        "phone": "",
        "skype": "",
        "real_name": real,
        "real_name_normalized": real,
        "display_name": name,
        "display_name_normalized": name,
        "first_name": first,
        "last_name": last,
        "status_text": "",
        "status_emoji": "",
        "avatar_hash": secrets.token_hex(6),
        "image_48": f"https://avatars.example.invalid/{user_id}_48.png",
        "team": team_id,
    }
    if email is not None:
        profile["email"] = email
    return {
        "id": user_id,
        "team_id": team_id,
        "name": name,
        "deleted": deleted,
        "color": "9f69e7",
        "real_name": real,
        "tz": tz,
        "tz_label": local.tzname() or tz,
        "tz_offset": tz_offset if tz_offset is not None else int(offset.total_seconds()),
        "profile": profile,
        "is_admin": is_admin,
        "is_owner": False,
        "is_primary_owner": False,
        "is_restricted": is_restricted,
        "is_ultra_restricted": is_ultra_restricted,
        "is_bot": is_bot,
        "is_app_user": False,
        "updated": int(now),
        "has_2fa": False,
    }


def new_channel(
    channel_id: str,
    name: str,
    *,
    now: float,
    members: list[str],
    is_private: bool = False,
    is_im: bool = False,
    is_mpim: bool = False,
    is_archived: bool = False,
) -> dict[str, Any]:
    """The simulator's record of a conversation (messages kept in ts order)."""
    return {
        "id": channel_id,
        "name": name,
        "is_private": is_private or is_im or is_mpim,
        "is_im": is_im,
        "is_mpim": is_mpim,
        "is_archived": is_archived,
        "members": members,
        "created": int(now),
        "messages": [],
        "by_ts": {},
    }


def conversation_object(
    c: dict[str, Any],
    *,
    team_id: str,
    bot_user_id: str,
    now: float,
    user_deleted: bool = False,
    num_members: bool = False,
) -> dict[str, Any]:
    """The conversations.info `channel` object of a conversation record."""
    if c["is_im"]:
        return {
            "id": c["id"],
            "created": c["created"],
            "is_archived": False,
            "is_im": True,
            "is_org_shared": False,
            "context_team_id": team_id,
            "updated": int(now),
            "user": c["user"],
            "is_user_deleted": user_deleted,
            "priority": 0,
        }
    blank = {"value": "", "creator": "", "last_set": 0}
    out: dict[str, Any] = {
        "id": c["id"],
        "name": c["name"],
        "is_channel": not c["is_mpim"],
        "is_group": False,
        "is_im": False,
        "is_mpim": c["is_mpim"],
        "is_private": c["is_private"],
        "created": c["created"],
        "is_archived": c["is_archived"],
        "is_general": False,
        "unlinked": 0,
        "name_normalized": c["name"],
        "is_shared": False,
        "is_org_shared": False,
        "is_ext_shared": False,
        "is_pending_ext_shared": False,
        "pending_shared": [],
        "context_team_id": team_id,
        "updated": int(now),
        "parent_conversation": None,
        "creator": "",
        "shared_team_ids": [team_id],
        "is_member": bot_user_id in c["members"],
        "topic": dict(c.get("topic") or blank),
        "purpose": dict(blank),
        "previous_names": [],
    }
    if num_members:
        out["num_members"] = len(c["members"])
    return out
