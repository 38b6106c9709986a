"""Block Kit rules Slack enforces that slack_sdk's models leave unchecked.

Each rule names its source:
- Text objects hold 1 to 3,000 characters
  (https://docs.slack.dev/reference/block-kit/composition-objects/text-object); Slack answers an
  empty one with "must be more than 0 characters".
- Section `fields`: at most 10, each text at most 2,000 characters
  (https://docs.slack.dev/reference/block-kit/blocks/section-block).
- Header text and button text are `plain_text` only
  (https://docs.slack.dev/reference/block-kit/blocks/header-block,
  https://docs.slack.dev/reference/block-kit/block-elements/button-element).
- Option text at most 75 characters, value at most 150
  (https://docs.slack.dev/reference/block-kit/composition-objects/option-object).
- Checkboxes and radio buttons hold at most 10 options
  (https://docs.slack.dev/reference/block-kit/block-elements/checkboxes-element).
- `block_id` is unique in a message or view ("block_id should be unique for each message and
  each iteration of a message", section-block page above); `action_id` is unique among the
  elements of its block. Slack refuses a repeat with `invalid_blocks` and
  `` `action_id` "x" already exists [json-pointer:/blocks/0/elements/1/action_id] ``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

TEXT_MAX = 3000
FIELD_MAX = 2000
OPTION_TEXT_MAX = 75
OPTION_VALUE_MAX = 150
CHOICES_MAX = 10  # options of a checkboxes or radio_buttons element
TEXT_TYPES = ("plain_text", "mrkdwn")


def problems(blocks: list[Any], pointer: str) -> list[str]:
    """Slack's `[ERROR] … [json-pointer:…]` reasons for every rule these blocks break."""
    found: list[str] = []
    seen: set[str] = set()
    for i, block in enumerate(blocks):
        if not isinstance(block, dict):
            continue
        at = f"{pointer}/{i}"
        block_id = block.get("block_id")
        if isinstance(block_id, str):
            if block_id in seen:
                found.append(f'`block_id` "{block_id}" already exists [json-pointer:{at}/block_id]')
            seen.add(block_id)
        found += _block(block, at)
    return [f"[ERROR] {reason}" for reason in found]


def _block(block: dict[str, Any], at: str) -> list[str]:
    found = [
        reason
        for path, obj in _text_objects(block, at)
        if (reason := _text_problem(obj, path)) is not None
    ]
    kind = block.get("type")
    for j, field in enumerate(block.get("fields") or [] if kind == "section" else []):
        text = field.get("text") if isinstance(field, dict) else None
        if isinstance(text, str) and len(text) > FIELD_MAX:
            found.append(
                f"must be less than {FIELD_MAX + 1} characters [json-pointer:{at}/fields/{j}/text]"
            )
    if kind == "header" and _type_of(block.get("text")) != "plain_text":
        found.append(f"must be plain_text [json-pointer:{at}/text/type]")
    found += _elements(block, at)
    return found


def _elements(block: dict[str, Any], at: str) -> list[str]:
    found: list[str] = []
    elements = block.get("elements") if block.get("type") in ("actions", "context_actions") else []
    accessory = block.get("accessory") or block.get("element")
    listed = [(f"{at}/elements/{j}", e) for j, e in enumerate(elements or [])]
    if isinstance(accessory, dict):
        listed.append((f"{at}/{'accessory' if 'accessory' in block else 'element'}", accessory))
    action_ids: set[str] = set()
    for path, element in listed:
        if not isinstance(element, dict):
            continue
        action_id = element.get("action_id")
        if isinstance(action_id, str):
            if action_id in action_ids:
                found.append(
                    f'`action_id` "{action_id}" already exists [json-pointer:{path}/action_id]'
                )
            action_ids.add(action_id)
        if element.get("type") == "button" and _type_of(element.get("text")) != "plain_text":
            found.append(f"must be plain_text [json-pointer:{path}/text/type]")
        choices = element.get("options") or []
        if element.get("type") in ("checkboxes", "radio_buttons") and len(choices) > CHOICES_MAX:
            found.append(
                f"must provide no more than {CHOICES_MAX} items [json-pointer:{path}/options]"
            )
        for k, option in enumerate(_options(element)):
            found += _option_problems(option, f"{path}/options/{k}")
    return found


def _options(element: dict[str, Any]) -> Iterator[Any]:
    yield from element.get("options") or []
    for group in element.get("option_groups") or []:
        if isinstance(group, dict):
            yield from group.get("options") or []


def _option_problems(option: Any, path: str) -> list[str]:
    if not isinstance(option, dict):
        return []
    found = []
    text = (option.get("text") or {}).get("text") if isinstance(option.get("text"), dict) else None
    if isinstance(text, str) and len(text) > OPTION_TEXT_MAX:
        found.append(
            f"must be less than {OPTION_TEXT_MAX + 1} characters [json-pointer:{path}/text/text]"
        )
    value = option.get("value")
    if isinstance(value, str) and len(value) > OPTION_VALUE_MAX:
        found.append(
            f"must be less than {OPTION_VALUE_MAX + 1} characters [json-pointer:{path}/value]"
        )
    return found


def _type_of(obj: Any) -> str | None:
    return obj.get("type") if isinstance(obj, dict) else None


def _text_objects(node: Any, path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every text object (plain_text or mrkdwn) inside a block, with its json-pointer."""
    if isinstance(node, dict):
        if node.get("type") in TEXT_TYPES and "text" in node:
            yield path, node
            return
        for key, value in node.items():
            yield from _text_objects(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _text_objects(value, f"{path}/{i}")


def _text_problem(obj: dict[str, Any], path: str) -> str | None:
    text = obj.get("text")
    if not isinstance(text, str):
        return None
    if not text:
        return f"must be more than 0 characters [json-pointer:{path}/text]"
    if len(text) > TEXT_MAX:
        return f"must be less than {TEXT_MAX + 1} characters [json-pointer:{path}/text]"
    return None
