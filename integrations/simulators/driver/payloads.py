"""Interaction payload pieces shaped the way Slack sends them to an app.

Shapes follow docs.slack.dev/reference/interaction-payloads (block_actions, view_submission,
shortcut, message_action, block_suggestion) and the payloads in bolt-python's
`tests/scenario_tests/`. Pure functions: view/message dicts in, payload dicts out.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

from integrations.simulators.slack.objects import INSPECT_DEFAULTS, INTERNAL_KEYS

TEXT_INPUTS = {"plain_text_input", "number_input", "email_text_input", "url_text_input"}
SINGLE_OPTION = {"static_select", "external_select", "radio_buttons", "overflow"}
MULTI_OPTION = {"multi_static_select", "multi_external_select", "checkboxes"}
# element type -> the state/action key Slack fills with the raw selection
PICKED = {
    "users_select": "selected_user",
    "multi_users_select": "selected_users",
    "conversations_select": "selected_conversation",
    "multi_conversations_select": "selected_conversations",
    "channels_select": "selected_channel",
    "multi_channels_select": "selected_channels",
    "datepicker": "selected_date",
    "timepicker": "selected_time",
    "datetimepicker": "selected_date_time",
}


def elements(blocks: list[dict[str, Any]] | None) -> Iterator[tuple[str | None, dict[str, Any]]]:
    """(block_id, element) for every interactive element in a list of blocks."""
    for block in blocks or []:
        block_id = block.get("block_id")
        for key in ("accessory", "element"):
            if isinstance(block.get(key), dict):
                yield block_id, block[key]
        if block.get("type") == "actions":
            for element in block.get("elements") or []:
                yield block_id, element


def find_element(
    blocks: list[dict[str, Any]] | None, action_id: str, block_id: str | None = None
) -> tuple[str | None, dict[str, Any] | None]:
    """The block id and element carrying `action_id` (and `block_id` when given)."""
    for found_block, element in elements(blocks):
        if element.get("action_id") == action_id and block_id in (None, found_block):
            return found_block, element
    return block_id, None


def find_option(element: dict[str, Any], value: Any) -> dict[str, Any]:
    """The option object with this value from a static element, or one built for it."""
    if isinstance(value, dict):
        return copy.deepcopy(value)
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options.extend(group.get("options") or [])
    for option in options:
        if option.get("value") == str(value):
            return copy.deepcopy(option)
    return {"text": {"type": "plain_text", "text": str(value), "emoji": True}, "value": str(value)}


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple | set) else [value]


def selection(element: dict[str, Any], value: Any) -> dict[str, Any]:
    """The value fields Slack reports for an element holding `value` (state and actions)."""
    kind = element.get("type", "")
    if kind in SINGLE_OPTION:
        return {"selected_option": None if value is None else find_option(element, value)}
    if kind in MULTI_OPTION:
        return {"selected_options": [find_option(element, v) for v in _as_list(value)]}
    if kind in PICKED:
        key = PICKED[kind]
        if kind.startswith("multi_"):
            return {key: [str(v) for v in _as_list(value)]}
        if kind == "datetimepicker" and value is not None:
            return {key: int(value)}
        return {key: value}
    if kind == "rich_text_input":
        return {"rich_text_value": value}
    return {"value": None if value is None else str(value)}


def state_values(view: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """`view.state.values` for a submission: every input block, plus any other given value.

    `values` maps block_id -> value, or block_id -> {action_id: value}.
    """
    out: dict[str, dict[str, Any]] = {}
    known = set()
    for block_id, element in elements(view.get("blocks")):
        action_id = element.get("action_id")
        if block_id is None or action_id is None:
            continue
        known.add(block_id)
        given = values.get(block_id)
        is_input = any(
            b.get("block_id") == block_id and b.get("type") == "input"
            for b in view.get("blocks") or []
        )
        if given is None and not is_input:
            continue
        if isinstance(given, dict) and action_id in given:
            given = given[action_id]
        out.setdefault(block_id, {})[action_id] = {
            "type": element.get("type"),
            **selection(element, given),
        }
    unknown = set(values) - known
    if unknown:
        raise ValueError(f"no interactive block with block_id {sorted(unknown)} in the view")
    return out


def action(
    element: dict[str, Any] | None,
    *,
    action_id: str,
    block_id: str | None,
    action_type: str,
    value: Any,
    selected_option: Any,
    action_ts: str,
) -> dict[str, Any]:
    """One entry of a block_actions payload's `actions` list."""
    element = element or {"type": action_type, "action_id": action_id}
    kind = element.get("type", action_type)
    out: dict[str, Any] = {"action_id": action_id, "block_id": block_id, "type": kind}
    if kind == "button":
        out["text"] = copy.deepcopy(
            element.get("text") or {"type": "plain_text", "text": action_id, "emoji": True}
        )
        button_value = element.get("value") if value is None else value
        if button_value is not None:
            out["value"] = str(button_value)
        if element.get("style"):
            out["style"] = element["style"]
    elif kind in SINGLE_OPTION:
        out["selected_option"] = find_option(
            element, selected_option if selected_option is not None else value
        )
    else:
        out.update(selection(element, value))
    out["action_ts"] = action_ts
    return out


def user_ref(user: dict[str, Any]) -> dict[str, Any]:
    """The `user` object of an interaction payload."""
    return {
        "id": user["id"],
        "username": user["name"],
        "name": user["name"],
        "team_id": user["team_id"],
    }


def channel_name(conversation: dict[str, Any]) -> str:
    """What Slack puts in `channel_name` / `channel.name` for a conversation."""
    if conversation.get("is_im"):
        return "directmessage"
    return str(conversation.get("name", ""))


def channel_type(conversation: dict[str, Any]) -> str:
    """The Events API `channel_type` of a conversation object."""
    if conversation.get("is_im"):
        return "im"
    if conversation.get("is_mpim"):
        return "mpim"
    return "group" if conversation.get("is_private") else "channel"


def public(message: dict[str, Any]) -> dict[str, Any]:
    """A message from the simulator's inspection API as it appears inside a payload."""
    return {
        k: copy.deepcopy(v)
        for k, v in message.items()
        if k not in INTERNAL_KEYS and not (k in INSPECT_DEFAULTS and v == INSPECT_DEFAULTS[k])
    }
