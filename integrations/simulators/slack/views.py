"""Simulated modals and App Home (`views.*`), trigger ids and `response_url`s.

- trigger_id: single use, to be exchanged within 3 seconds of the interaction
  (https://docs.slack.dev/tools/bolt-python/concepts/opening-modals); format
  `12345.98765.abcd...` per views.open's `invalid_trigger_id` description.
- Modal stacks hold at most 3 views (views.push `push_limit_reached`).
- response_url: up to 5 uses within 30 minutes of the interaction
  (https://docs.slack.dev/interactivity/handling-user-interaction, "message responses"). Past
  either limit the simulator answers HTTP 404 `expired_url` / `used_url`; Slack's exact
  status and codes there are not documented, so these are a best guess.
"""

from __future__ import annotations

import copy
import re
import secrets
from typing import Any

from slack_sdk.errors import SlackObjectFormationError

from integrations.simulators.slack.payloads import MAX_TEXT, flag, validate_blocks, validate_view
from integrations.simulators.slack.state import SlackFault, SlackState

TRIGGER_TTL = 3.0
STACK_LIMIT = 3
RESPONSE_URL_TTL = 30 * 60.0
RESPONSE_URL_USES = 5
_TRIGGER_FORMAT = re.compile(r"^\d+\.\d+\.[0-9a-zA-Z]+$")
_VIEW_FIELDS = (
    "type",
    "title",
    "submit",
    "close",
    "blocks",
    "private_metadata",
    "callback_id",
    "external_id",
    "clear_on_close",
    "notify_on_close",
    "submit_disabled",
)


def new_trigger_id(state: SlackState, user_id: str) -> str:
    """Issue a trigger id for an interaction by `user_id`."""
    trigger_id = (
        f"{secrets.randbelow(90000) + 10000}.{secrets.randbelow(9 * 10**9) + 10**9}"
        f".{secrets.token_hex(16)}"
    )
    state.triggers[trigger_id] = {
        "user": user_id,
        "issued": state.clock(),
        "used": False,
        "view_id": None,
        "view": None,
    }
    return trigger_id


def _trigger(state: SlackState, args: dict[str, Any]) -> dict[str, Any]:
    trigger_id = str(args.get("trigger_id") or args.get("interactivity_pointer") or "")
    if not trigger_id:
        raise SlackFault(
            "invalid_arguments", response_metadata={"messages": ["invalid `trigger_id`"]}
        )
    trigger = state.triggers.get(trigger_id)
    if not _TRIGGER_FORMAT.match(trigger_id) or trigger is None:
        raise SlackFault("invalid_trigger_id")
    if trigger["used"]:
        raise SlackFault("exchanged_trigger_id")
    if state.clock() - trigger["issued"] > TRIGGER_TTL:
        raise SlackFault("expired_trigger_id")
    return trigger


def _all_views(state: SlackState) -> list[tuple[str, dict[str, Any]]]:
    found = [(user, v) for user, stack in state.modal_stacks.items() for v in stack]
    return found + list(state.homes.items())


def find_view(
    state: SlackState, view_id: str | None = None, external_id: str | None = None
) -> tuple[str, dict[str, Any]] | None:
    """(user id, stored view) by view id or external id."""
    for user, view in _all_views(state):
        if (view_id and view["id"] == view_id) or (
            external_id and view.get("external_id") == external_id
        ):
            return user, view
    return None


def _check_external_id(state: SlackState, payload: dict[str, Any], own_id: str | None) -> None:
    external_id = payload.get("external_id")
    if external_id:
        found = find_view(state, external_id=external_id)
        if found is not None and found[1]["id"] != own_id:
            raise SlackFault("duplicate_external_id")


def _build_view(
    state: SlackState,
    payload: dict[str, Any],
    *,
    view_id: str | None = None,
    root_id: str | None = None,
    previous_id: str | None = None,
) -> dict[str, Any]:
    vid = view_id or state.next_id("V")
    view: dict[str, Any] = {
        "id": vid,
        "team_id": state.team_id,
        "title": None,
        "submit": None,
        "close": None,
        "private_metadata": "",
        "callback_id": "",
        "external_id": "",
        "clear_on_close": False,
        "notify_on_close": False,
    }
    view.update({k: copy.deepcopy(payload[k]) for k in _VIEW_FIELDS if k in payload})
    view.update(
        state={"values": {}},
        hash=f"{int(state.clock())}.{secrets.token_hex(4)}",
        root_view_id=root_id or vid,
        previous_view_id=previous_id,
        app_id=state.app_id,
        app_installed_team_id=state.team_id,
        bot_id=state.bot_id,
    )
    return view


def views_open(state: SlackState, args: dict[str, Any]) -> dict[str, Any]:
    """views.open: a new modal stack for the trigger's user."""
    payload = validate_view(args.get("view"))
    trigger = _trigger(state, args)
    _check_external_id(state, payload, None)
    view = _build_view(state, payload)
    state.modal_stacks[trigger["user"]] = [view]
    trigger.update(used=True, view_id=view["id"], view=copy.deepcopy(view))
    return {"view": copy.deepcopy(view)}


def views_push(state: SlackState, args: dict[str, Any]) -> dict[str, Any]:
    """views.push onto the trigger user's open modal stack."""
    payload = validate_view(args.get("view"))
    trigger = _trigger(state, args)
    stack = state.modal_stacks.get(trigger["user"]) or []
    if not stack:
        raise SlackFault("not_found")
    if len(stack) >= STACK_LIMIT:
        raise SlackFault("push_limit_reached")
    _check_external_id(state, payload, None)
    view = _build_view(state, payload, root_id=stack[0]["id"], previous_id=stack[-1]["id"])
    stack.append(view)
    trigger.update(used=True, view_id=view["id"], view=copy.deepcopy(view))
    return {"view": copy.deepcopy(view)}


def replace_view(state: SlackState, old: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
    """Swap a stored view's content in place, keeping its id and position; new hash."""
    _check_external_id(state, payload, old["id"])
    new = _build_view(
        state,
        payload,
        view_id=old["id"],
        root_id=old["root_view_id"],
        previous_id=old["previous_view_id"],
    )
    kept = {b.get("block_id") for b in new.get("blocks") or []}
    new["state"]["values"] = {k: v for k, v in old["state"]["values"].items() if k in kept}
    old.clear()
    old.update(new)
    return old


def views_update(state: SlackState, args: dict[str, Any]) -> dict[str, Any]:
    """views.update by view_id or external_id, with optional `hash` race protection."""
    view_id, external_id = args.get("view_id"), args.get("external_id")
    if not view_id and not external_id:
        raise SlackFault(
            "invalid_arguments",
            response_metadata={"messages": ["either view_id or external_id is required"]},
        )
    found = find_view(state, view_id=view_id, external_id=external_id)
    if found is None:
        raise SlackFault("not_found")
    _, old = found
    payload = validate_view(args.get("view"), kinds=(old["type"],))
    if args.get("hash") and args["hash"] != old["hash"]:
        raise SlackFault("hash_conflict")
    return {"view": copy.deepcopy(replace_view(state, old, payload))}


def views_publish(state: SlackState, args: dict[str, Any]) -> dict[str, Any]:
    """views.publish: the user's App Home tab."""
    user_id = str(args.get("user_id") or "")
    if user_id not in state.users:
        raise SlackFault("invalid_arguments", response_metadata={"messages": ["invalid `user_id`"]})
    payload = validate_view(args.get("view"), kinds=("home",))
    old = state.homes.get(user_id)
    if old is not None and args.get("hash") and args["hash"] != old["hash"]:
        raise SlackFault("hash_conflict")
    if old is not None:
        return {"view": copy.deepcopy(replace_view(state, old, payload))}
    _check_external_id(state, payload, None)
    state.homes[user_id] = _build_view(state, payload)
    return {"view": copy.deepcopy(state.homes[user_id])}


def close_view(state: SlackState, user_id: str, view_id: str) -> None:
    """Close a modal view and any views pushed above it."""
    stack = state.modal_stacks.get(user_id) or []
    for i, view in enumerate(stack):
        if view["id"] == view_id:
            del stack[i:]
            break
    if not stack:
        state.modal_stacks.pop(user_id, None)


def apply_view_response(
    state: SlackState, user_id: str, view_id: str, action: str | None, payload: Any
) -> None:
    """Follow a view_submission answer: update, push, clear, errors, or close (empty 200)."""
    stack = state.modal_stacks.get(user_id) or []
    current = next((v for v in stack if v["id"] == view_id), None)
    if current is None or action == "errors":
        return
    if action == "clear":
        state.modal_stacks.pop(user_id, None)
        return
    if action not in ("update", "push"):
        close_view(state, user_id, view_id)
        return
    try:
        checked = validate_view(payload)
    except (SlackFault, SlackObjectFormationError) as err:
        state.warn("invalid_response_action_view", action=action, reason=str(err))
        return
    if action == "update":
        replace_view(state, current, checked)
    elif len(stack) >= STACK_LIMIT:
        state.warn("push_limit_reached", action=action, view_id=view_id)
    else:
        stack.append(
            _build_view(state, checked, root_id=stack[0]["id"], previous_id=stack[-1]["id"])
        )


def new_response_url(
    state: SlackState,
    base_url: str,
    channel_id: str,
    user_id: str,
    *,
    message_ts: str | None = None,
    is_ephemeral: bool = False,
) -> str:
    """Issue a response_url for an interaction in `channel_id` by `user_id`."""
    key = secrets.token_hex(12)
    state.response_urls[key] = {
        "channel": channel_id,
        "user": user_id,
        "created": state.clock(),
        "uses": 0,
        "message_ts": message_ts,
        "is_ephemeral": is_ephemeral,
        "posted": [],
    }
    return f"{base_url}/response/{key}"


def use_response_url(state: SlackState, key: str, payload: Any) -> tuple[int, dict[str, Any]]:
    """Apply one POST to a response_url; returns (HTTP status, JSON body)."""
    entry = state.response_urls.get(key)
    if entry is None or state.clock() - entry["created"] > RESPONSE_URL_TTL:
        return 404, {"ok": False, "error": "expired_url"}
    if entry["uses"] >= RESPONSE_URL_USES:
        return 404, {"ok": False, "error": "used_url"}
    if not isinstance(payload, dict):
        return 400, {"ok": False, "error": "invalid_payload"}
    text = str(payload.get("text") or "")
    try:
        blocks = validate_blocks(payload.get("blocks"))
    except SlackFault as fault:
        return 400, {"ok": False, "error": fault.error, **fault.extra}
    delete = flag(payload.get("delete_original"))
    if not delete and not text and not blocks:
        return 400, {"ok": False, "error": "no_text"}
    if len(text) > MAX_TEXT:
        return 400, {"ok": False, "error": "msg_too_long"}
    entry["uses"] += 1
    entry["posted"].append(copy.deepcopy(payload))
    if blocks and not text and not delete:
        state.warn("missing_text_in_blocks", method="response_url", channel=entry["channel"])
    _deliver(state, entry, payload, text, blocks, delete)
    return 200, {"ok": True}


def _deliver(
    state: SlackState,
    entry: dict[str, Any],
    payload: dict[str, Any],
    text: str,
    blocks: list[dict[str, Any]] | None,
    delete: bool,
) -> None:
    channel = state.channels.get(entry["channel"])
    original = None
    if channel is not None and entry["message_ts"] and not entry["is_ephemeral"]:
        original = state.message(channel, entry["message_ts"])
    if channel is not None and original is not None and original.get("bot_id") == state.bot_id:
        if delete:
            state.delete_message(channel, original)
            return
        if flag(payload.get("replace_original")):
            original.update(text=text, edited={"user": state.bot_user_id, "ts": state.next_ts()})
            if blocks is None:
                original.pop("blocks", None)
            else:
                original["blocks"] = blocks
            return
    if delete:
        return  # nothing of the app's to delete (an ephemeral original or a human's message)
    if payload.get("response_type") == "in_channel" and channel is not None:
        state.store_message(
            channel["id"],
            user=state.bot_user_id,
            text=text,
            blocks=blocks,
            thread_ts=payload.get("thread_ts") or None,
        )
        return
    state.record_ephemeral(
        entry["channel"],
        entry["user"],
        text=text,
        blocks=blocks,
        thread_ts=payload.get("thread_ts"),
        source="response_url",
    )
