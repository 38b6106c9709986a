"""Simulated `chat.*` and `reactions.*` Web API methods, plus the access rules they share.

Each method takes the workspace state and the merged request arguments and returns the
success body (without `ok`), or raises `SlackFault` for an `ok: false` answer.
"""

from __future__ import annotations

from typing import Any

from integrations.simulators.slack.objects import public_message
from integrations.simulators.slack.payloads import (
    MAX_TEXT,
    flag,
    message_content,
    structured,
    validate_blocks,
    validate_metadata,
)
from integrations.simulators.slack.state import SlackFault, SlackState

# Blocks without top-level `text` leave notifications and screen readers without a fallback.
# Slack only recommends the text ("text, blocks and attachments" on
# https://docs.slack.dev/reference/methods/chat.postMessage) and its SDKs warn client-side;
# the simulator adds a response warning and records it so tests can assert fallbacks are sent.
MISSING_TEXT_WARNING = "missing_text_in_blocks"


def require_scope(state: SlackState, *any_of: str) -> None:
    """Refuse with `missing_scope` unless the token holds one of these scopes."""
    if any_of and not set(any_of) & set(state.scopes):
        raise SlackFault("missing_scope", needed=",".join(any_of), provided=",".join(state.scopes))


def history_scope(channel: dict[str, Any]) -> str:
    """The `*:history` scope that reads this kind of conversation."""
    if channel["is_im"]:
        return "im:history"
    if channel["is_mpim"]:
        return "mpim:history"
    return "groups:history" if channel["is_private"] else "channels:history"


def read_scope(channel: dict[str, Any]) -> str:
    """The `*:read` scope that describes this kind of conversation."""
    return history_scope(channel).replace(":history", ":read")


def visible_channel(state: SlackState, ref: Any) -> dict[str, Any]:
    """A conversation the bot can see: public ones, and private ones it is a member of."""
    channel = state.find_channel(ref)
    if channel is None:
        raise SlackFault("channel_not_found")
    if channel["is_private"] and state.bot_user_id not in channel["members"]:
        raise SlackFault("channel_not_found")
    return channel


def member_channel(state: SlackState, ref: Any) -> dict[str, Any]:
    """A conversation whose history the bot may read (bot tokens must be members)."""
    channel = visible_channel(state, ref)
    if state.bot_user_id not in channel["members"]:
        raise SlackFault("not_in_channel")
    require_scope(state, history_scope(channel))
    return channel


def writable_channel(state: SlackState, ref: Any) -> dict[str, Any]:
    """Where a post lands: a conversation, or the bot's DM when `ref` is a user id."""
    key = str(ref or "")
    if key[:1] in ("U", "W") and key in state.users:
        return state.channels[state.dm_channel(key)]
    channel = visible_channel(state, key)
    if channel["is_archived"]:
        raise SlackFault("is_archived")
    if state.bot_user_id not in channel["members"] and "chat:write.public" not in state.scopes:
        # Public channels accept posts from non-member bots only with chat:write.public
        # (https://docs.slack.dev/reference/scopes/chat.write.public).
        raise SlackFault("not_in_channel")
    return channel


def _warn_missing_text(
    state: SlackState, body: dict[str, Any], method: str, record: dict[str, Any]
) -> None:
    if record.get("blocks") and not record.get("text"):
        body["warning"] = MISSING_TEXT_WARNING
        body["response_metadata"] = {"warnings": [MISSING_TEXT_WARNING]}
        state.warn(MISSING_TEXT_WARNING, method=method, channel=record["channel"], ts=record["ts"])


def post_message(state: SlackState, args: dict[str, Any]) -> dict[str, Any]:
    """chat.postMessage"""
    require_scope(state, "chat:write")
    channel = writable_channel(state, args.get("channel"))
    text, blocks, attachments = message_content(args)
    metadata = validate_metadata(args.get("metadata"))
    thread_ts = str(args["thread_ts"]) if args.get("thread_ts") else None
    extra = {
        "mrkdwn": flag(args.get("mrkdwn"), True),
        "unfurl_links": None if args.get("unfurl_links") is None else flag(args["unfurl_links"]),
        "unfurl_media": None if args.get("unfurl_media") is None else flag(args["unfurl_media"]),
    }
    record = state.store_message(
        channel["id"],
        user=state.bot_user_id,
        text=text,
        blocks=blocks,
        attachments=attachments,
        metadata=metadata or None,
        thread_ts=thread_ts,
        reply_broadcast=bool(thread_ts) and flag(args.get("reply_broadcast")),
        extra=extra,
    )
    body = {"channel": channel["id"], "ts": record["ts"], "message": public_message(record)}
    _warn_missing_text(state, body, "chat.postMessage", record)
    return body


def _own_message(state: SlackState, args: dict[str, Any], error: str) -> tuple[Any, Any]:
    channel = visible_channel(state, args.get("channel"))
    record = state.message(channel, args.get("ts"))
    if record is None:
        raise SlackFault("message_not_found")
    if record.get("bot_id") != state.bot_id:
        raise SlackFault(error)
    return channel, record


def update_message(state: SlackState, args: dict[str, Any]) -> dict[str, Any]:
    """chat.update: omitted text/blocks/metadata are kept; `metadata={}` removes it."""
    require_scope(state, "chat:write")
    channel, record = _own_message(state, args, "cant_update_message")
    if channel["is_archived"]:
        raise SlackFault("is_inactive")
    text = record.get("text", "") if args.get("text") is None else str(args["text"])
    blocks = record.get("blocks")
    if "blocks" in args and args["blocks"] is not None:
        blocks = validate_blocks(args["blocks"]) or None
    attachments = record.get("attachments")
    if "attachments" in args and args["attachments"] is not None:
        attachments = structured(args["attachments"], "invalid_attachments") or None
    if not text and not blocks and not attachments:
        raise SlackFault("no_text")
    if len(text) > MAX_TEXT:
        raise SlackFault("msg_too_long")
    metadata = validate_metadata(args.get("metadata")) if "metadata" in args else None
    record["text"] = text
    for key, value in (("blocks", blocks), ("attachments", attachments)):
        if value is None:
            record.pop(key, None)
        else:
            record[key] = value
    if metadata == {}:
        record.pop("metadata", None)
    elif metadata:
        record["metadata"] = metadata
    record["edited"] = {"user": state.bot_user_id, "ts": state.next_ts()}
    body = {
        "channel": channel["id"],
        "ts": record["ts"],
        "text": text,
        "message": public_message(record),
    }
    _warn_missing_text(state, body, "chat.update", record)
    return body


def delete_message(state: SlackState, args: dict[str, Any]) -> dict[str, Any]:
    """chat.delete (only the bot's own messages)."""
    require_scope(state, "chat:write")
    channel, record = _own_message(state, args, "cant_delete_message")
    state.delete_message(channel, record)
    return {"channel": channel["id"], "ts": record["ts"]}


def post_ephemeral(state: SlackState, args: dict[str, Any]) -> dict[str, Any]:
    """chat.postEphemeral: the recipient must be a member of the conversation."""
    require_scope(state, "chat:write")
    channel = writable_channel(state, args.get("channel"))
    user = str(args.get("user") or "")
    if user not in channel["members"]:
        raise SlackFault("user_not_in_channel")
    text, blocks, _ = message_content(args)
    thread_ts = str(args["thread_ts"]) if args.get("thread_ts") else None
    entry = state.record_ephemeral(
        channel["id"], user, text=text, blocks=blocks, thread_ts=thread_ts, source="chat"
    )
    body = {"message_ts": entry["ts"]}
    if blocks and not text:
        body["warning"] = MISSING_TEXT_WARNING
        body["response_metadata"] = {"warnings": [MISSING_TEXT_WARNING]}
        state.warn(MISSING_TEXT_WARNING, method="chat.postEphemeral", channel=channel["id"])
    return body


def get_permalink(state: SlackState, args: dict[str, Any]) -> dict[str, Any]:
    """chat.getPermalink: replies link to themselves with `thread_ts` and `cid` query args."""
    channel = visible_channel(state, args.get("channel"))
    record = state.message(channel, args.get("message_ts"))
    if record is None:
        raise SlackFault("message_not_found")
    cid = channel["id"]
    link = f"https://{state.team_domain}.slack.com/archives/{cid}/p{record['ts'].replace('.', '')}"
    parent = record.get("thread_ts")
    if parent and parent != record["ts"]:
        link += f"?thread_ts={parent}&cid={cid}"
    return {"channel": cid, "permalink": link}


def _reaction_target(state: SlackState, args: dict[str, Any]) -> tuple[Any, Any]:
    if not args.get("channel") or not args.get("timestamp"):
        raise SlackFault("no_item_specified")
    channel = visible_channel(state, args.get("channel"))
    record = state.message(channel, args.get("timestamp"))
    if record is None:
        raise SlackFault("message_not_found")
    return channel, record


def add_reaction(state: SlackState, args: dict[str, Any]) -> dict[str, Any]:
    """reactions.add as the bot user."""
    require_scope(state, "reactions:write")
    name = str(args.get("name") or "").strip(":")
    if not name:
        raise SlackFault("invalid_name")
    _, record = _reaction_target(state, args)
    reactions = record.setdefault("reactions", [])
    entry = next((r for r in reactions if r["name"] == name), None)
    if entry is None:
        entry = {"name": name, "users": [], "count": 0}
        reactions.append(entry)
    if state.bot_user_id in entry["users"]:
        raise SlackFault("already_reacted")
    entry["users"].append(state.bot_user_id)
    entry["count"] = len(entry["users"])
    return {}


def get_reactions(state: SlackState, args: dict[str, Any]) -> dict[str, Any]:
    """reactions.get for a message."""
    require_scope(state, "reactions:read")
    channel, record = _reaction_target(state, args)
    message = public_message(record, include_metadata=False)
    return {"type": "message", "channel": channel["id"], "message": message}
