"""Simulated `conversations.*` Web API methods: history, threads, DMs, membership."""

from __future__ import annotations

from typing import Any

from integrations.simulators.slack.chat import member_channel, read_scope, require_scope
from integrations.simulators.slack.chat import visible_channel as _visible
from integrations.simulators.slack.objects import is_top_level, public_message, ts_key
from integrations.simulators.slack.payloads import decode_cursor, encode_cursor, flag, number, page
from integrations.simulators.slack.state import SlackFault, SlackState


def _bound(value: Any, error: str) -> tuple[int, int] | None:
    if value in (None, ""):
        return None
    try:
        return ts_key(value)
    except ValueError:
        raise SlackFault(error) from None


def _window(args: dict[str, Any]) -> tuple[Any, Any, bool]:
    oldest = _bound(args.get("oldest"), "invalid_ts_oldest")
    latest = _bound(args.get("latest"), "invalid_ts_latest")
    return oldest, latest, flag(args.get("inclusive"))


def _inside(ts: str, oldest: Any, latest: Any, inclusive: bool) -> bool:
    key = ts_key(ts)
    if oldest is not None and (key < oldest or (key == oldest and not inclusive)):
        return False
    return latest is None or key < latest or (key == latest and inclusive)


def _limit(args: dict[str, Any], default: int, maximum: int) -> int:
    limit = number(args.get("limit"), default)
    return default if limit <= 0 else min(limit, maximum)


def history(state: SlackState, args: dict[str, Any]) -> dict[str, Any]:
    """conversations.history: top-level messages newest first; metadata only on request."""
    channel = member_channel(state, args.get("channel"))
    oldest, latest, inclusive = _window(args)
    limit = _limit(args, 100, 999)
    before = decode_cursor(args.get("cursor"), "next_ts")
    messages = [
        m
        for m in reversed(channel["messages"])
        if is_top_level(m)
        and _inside(m["ts"], oldest, latest, inclusive)
        and (before is None or ts_key(m["ts"]) < ts_key(before))
    ]
    chunk = messages[:limit]
    has_more = len(messages) > limit
    include = flag(args.get("include_all_metadata"))
    body: dict[str, Any] = {
        "messages": [public_message(m, include_metadata=include) for m in chunk],
        "has_more": has_more,
        "pin_count": 0,
        "channel_actions_ts": None,
        "channel_actions_count": 0,
        "response_metadata": {
            "next_cursor": encode_cursor("next_ts", chunk[-1]["ts"]) if has_more else ""
        },
    }
    for key in ("oldest", "latest"):
        if args.get(key):
            body[key] = str(args[key])
    return body


def replies(state: SlackState, args: dict[str, Any]) -> dict[str, Any]:
    """conversations.replies: the parent first, then replies oldest first."""
    channel = member_channel(state, args.get("channel"))
    record = state.message(channel, args.get("ts"))
    if record is None:
        raise SlackFault("thread_not_found")
    parent_ts = record.get("thread_ts") or record["ts"]
    parent = state.message(channel, parent_ts)
    thread = [parent, *state.replies(channel, parent_ts)] if parent is not None else [record]
    oldest, latest, inclusive = _window(args)
    limit = _limit(args, 1000, 1000)
    after = decode_cursor(args.get("cursor"), "next_ts")
    items = [
        m
        for m in thread
        if _inside(m["ts"], oldest, latest, inclusive)
        and (after is None or ts_key(m["ts"]) > ts_key(after))
    ]
    chunk = items[:limit]
    has_more = len(items) > limit
    include = flag(args.get("include_all_metadata"))
    return {
        "messages": [public_message(m, include_metadata=include) for m in chunk],
        "has_more": has_more,
        "response_metadata": {
            "next_cursor": encode_cursor("next_ts", chunk[-1]["ts"]) if has_more else ""
        },
    }


def open_conversation(state: SlackState, args: dict[str, Any]) -> dict[str, Any]:
    """conversations.open: a DM for one user, a group DM for several."""
    require_scope(state, "im:write", "mpim:write")
    return_im = flag(args.get("return_im"))
    if args.get("channel"):
        channel = state.channels.get(str(args["channel"]))
        if channel is None or not (channel["is_im"] or channel["is_mpim"]):
            raise SlackFault("channel_not_found")
        cid, already = channel["id"], True
    else:
        users = [u.strip() for u in str(args.get("users") or "").split(",") if u.strip()]
        if not users:
            raise SlackFault("users_list_not_supplied")
        if len(users) > 8:
            raise SlackFault("too_many_users")
        for user_id in users:
            if state.user(user_id)["deleted"]:
                raise SlackFault("user_disabled")
        if len(users) == 1:
            already = users[0] in state.dm_by_user
            cid = state.dm_channel(users[0])
        else:
            already = False
            cid = state.open_mpim(users)
    body: dict[str, Any] = {"channel": state.conversation(cid) if return_im else {"id": cid}}
    if already and return_im:
        body.update(no_op=True, already_open=True)
    return body


def info(state: SlackState, args: dict[str, Any]) -> dict[str, Any]:
    """conversations.info"""
    channel = _visible(state, args.get("channel"))
    require_scope(state, read_scope(channel))
    num = flag(args.get("include_num_members"))
    return {"channel": state.conversation(channel["id"], num_members=num)}


def members(state: SlackState, args: dict[str, Any]) -> dict[str, Any]:
    """conversations.members (paged)."""
    channel = _visible(state, args.get("channel"))
    require_scope(state, read_scope(channel))
    chunk, cursor = page(list(channel["members"]), args, default_limit=100)
    return {"members": chunk, "response_metadata": {"next_cursor": cursor}}


def join(state: SlackState, args: dict[str, Any]) -> dict[str, Any]:
    """conversations.join: public channels only."""
    require_scope(state, "channels:join")
    channel = state.find_channel(args.get("channel"))
    if channel is None or (channel["is_private"] and state.bot_user_id not in channel["members"]):
        raise SlackFault("channel_not_found")
    if channel["is_private"] or channel["is_im"]:
        raise SlackFault("method_not_supported_for_channel_type")
    if channel["is_archived"]:
        raise SlackFault("is_archived")
    body: dict[str, Any] = {}
    if state.bot_user_id in channel["members"]:
        body.update(
            warning="already_in_channel",
            response_metadata={"warnings": ["already_in_channel"]},
        )
    else:
        channel["members"].append(state.bot_user_id)
    body["channel"] = state.conversation(channel["id"])
    return body


TOPIC_LENGTH = 250


def set_topic(state: SlackState, args: dict[str, Any]) -> dict[str, Any]:
    """conversations.setTopic: plain text up to 250 characters, set by a member
    (https://docs.slack.dev/reference/methods/conversations.setTopic); Slack posts a
    `channel_topic` message saying so."""
    channel = _visible(state, args.get("channel"))
    if channel["is_im"] or channel["is_mpim"]:
        raise SlackFault("method_not_supported_for_channel_type")
    # The per-type scopes (or the wider `*:manage`/`groups:write`); the method reference also
    # names the unified `conversations:write.topic`.
    if channel["is_private"]:
        require_scope(state, "groups:write.topic", "groups:write", "conversations:write.topic")
    else:
        require_scope(state, "channels:write.topic", "channels:manage", "conversations:write.topic")
    if channel["is_archived"]:
        raise SlackFault("is_archived")
    if state.bot_user_id not in channel["members"]:
        raise SlackFault("not_in_channel")
    topic = str(args.get("topic") or "")
    if len(topic) > TOPIC_LENGTH:
        raise SlackFault("too_long")
    now = int(state.clock())
    channel["topic"] = {"value": topic, "creator": state.bot_user_id, "last_set": now}
    state.store_message(
        channel["id"],
        user=state.bot_user_id,
        text=f"set the channel topic: {topic}",
        extra={"subtype": "channel_topic", "topic": topic},
    )
    return {"channel": state.conversation(channel["id"])}
