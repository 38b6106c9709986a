"""Argument parsing and payload validation shared by the simulated Slack Web API methods.

Slack accepts the same argument as a query parameter, a form field or a JSON body member, so
structured arguments (`blocks`, `metadata`, `view`) may arrive as JSON strings and booleans as
`"true"`/`"1"`. Validation failures raise `SlackFault` with Slack's error code and, as Slack
does, human-readable reasons in `response_metadata.messages`.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from integrations.simulators.slack import blockkit
from integrations.simulators.slack.state import SlackFault

MAX_TEXT = 40_000
MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100


def flag(value: Any, default: bool = False) -> bool:
    """A Slack boolean argument: true, 1, "true", "1" (and false, 0, "false", "0", "")."""
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value != 0
    return str(value).strip().lower() in {"1", "true", "yes"}


def number(value: Any, default: int, *, error: str = "invalid_limit") -> int:
    """An integer argument, or SlackFault(error) when it is not one."""
    if value in (None, ""):
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise SlackFault(error) from None


def structured(value: Any, error: str) -> Any:
    """A JSON-valued argument that may arrive as a string (form/query) or as JSON."""
    if isinstance(value, str):
        if not value.strip():
            return None
        try:
            return json.loads(value)
        except ValueError:
            raise SlackFault(error) from None
    return value


def _invalid(error: str, reasons: list[str]) -> SlackFault:
    return SlackFault(error, response_metadata={"messages": reasons})


def validate_blocks(value: Any, *, limit: int = MAX_MESSAGE_BLOCKS) -> list[dict[str, Any]] | None:
    """Parsed, validated message blocks, or SlackFault(invalid_blocks[_format])."""
    blocks = structured(value, "invalid_blocks_format")
    if blocks is None:
        return None
    if not isinstance(blocks, list) or not all(isinstance(b, dict) for b in blocks):
        raise SlackFault("invalid_blocks_format")
    if len(blocks) > limit:
        raise _invalid(
            "invalid_blocks", [f"[ERROR] no more than {limit} items allowed [json-pointer:/blocks]"]
        )
    reasons = [
        f"[ERROR] {reason} [json-pointer:/blocks/{i}]"
        for i, block in enumerate(blocks)
        if (reason := block_problem(block)) is not None
    ]
    reasons += blockkit.problems(blocks, "/blocks")
    if reasons:
        raise _invalid("invalid_blocks", reasons)
    return blocks


def block_problem(block: dict[str, Any]) -> str | None:
    """Why slack_sdk's Block Kit models reject one block, or None when it is valid."""
    try:
        parsed = Block.parse(dict(block))
        if parsed is None:
            return f"unsupported block type {block.get('type')!r}"
        parsed.to_dict()  # runs the validators of the block and every nested element
    except (SlackObjectFormationError, TypeError, ValueError, AttributeError, KeyError) as err:
        return str(err) or type(err).__name__
    return None


def validate_view(value: Any, *, kinds: tuple[str, ...] = ("modal",)) -> dict[str, Any]:
    """A parsed, validated view payload, or SlackFault(invalid_arguments) with the reasons."""
    view = structured(value, "invalid_arguments")
    if not isinstance(view, dict):
        raise _invalid("invalid_arguments", ["[ERROR] missing required field: view"])
    if view.get("type") not in kinds:
        allowed = " or ".join(kinds)
        raise _invalid(
            "invalid_arguments", [f"[ERROR] view type must be {allowed} [json-pointer:/view/type]"]
        )
    reasons: list[str] = []
    if view.get("type") == "modal" and not view.get("title"):
        reasons.append("[ERROR] missing required field: title [json-pointer:/view]")
    blocks = view.get("blocks")
    if not isinstance(blocks, list):
        reasons.append("[ERROR] missing required field: blocks [json-pointer:/view]")
    else:
        if len(blocks) > MAX_VIEW_BLOCKS:
            reasons.append(
                f"[ERROR] no more than {MAX_VIEW_BLOCKS} items allowed [json-pointer:/view/blocks]"
            )
        for i, block in enumerate(blocks):
            problem = block_problem(block) if isinstance(block, dict) else "must be an object"
            if problem is not None:
                reasons.append(f"[ERROR] {problem} [json-pointer:/view/blocks/{i}]")
        reasons += blockkit.problems(blocks, "/view/blocks")
    if not reasons:
        try:
            View(**view).to_dict()
        except (SlackObjectFormationError, TypeError, ValueError) as err:
            reasons.append(f"[ERROR] {err} [json-pointer:/view]")
    if reasons:
        raise _invalid("invalid_arguments", reasons)
    return view


def validate_metadata(value: Any) -> dict[str, Any] | None:
    """Message metadata {event_type, event_payload}; `{}` (remove) comes back as `{}`."""
    metadata = structured(value, "invalid_metadata_format")
    if metadata is None:
        return None
    if not isinstance(metadata, dict):
        raise SlackFault("invalid_metadata_format")
    if metadata and (
        not isinstance(metadata.get("event_type"), str)
        or not isinstance(metadata.get("event_payload", {}), dict)
    ):
        raise SlackFault("invalid_metadata_schema")
    return metadata


def message_content(args: dict[str, Any]) -> tuple[str, list[dict[str, Any]] | None, Any]:
    """(text, blocks, attachments) of a message call, with Slack's content checks."""
    text = args.get("text")
    text = "" if text is None else str(text)
    blocks = validate_blocks(args.get("blocks"))
    attachments = structured(args.get("attachments"), "invalid_attachments")
    if not text and not blocks and not attachments:
        raise SlackFault("no_text")
    if len(text) > MAX_TEXT:
        raise SlackFault("msg_too_long")
    return text, blocks, attachments


def encode_cursor(kind: str, value: Any) -> str:
    """An opaque next_cursor in Slack's style (base64 of `kind:value`)."""
    return base64.b64encode(f"{kind}:{value}".encode()).decode("ascii")


def decode_cursor(cursor: Any, kind: str) -> str | None:
    """The value inside a cursor made by `encode_cursor`, or SlackFault(invalid_cursor)."""
    if not cursor:
        return None
    try:
        decoded = base64.b64decode(str(cursor), validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        raise SlackFault("invalid_cursor") from None
    prefix, sep, value = decoded.partition(":")
    if prefix != kind or not sep:
        raise SlackFault("invalid_cursor")
    return value


def page(items: list[Any], args: dict[str, Any], *, default_limit: int) -> tuple[list[Any], str]:
    """One offset-cursor page of a list method: (items, next_cursor or "")."""
    start = int(decode_cursor(args.get("cursor"), "offset") or 0)
    limit = number(args.get("limit"), default_limit)
    if limit <= 0:
        limit = len(items) or 1
    chunk = items[start : start + limit]
    more = start + limit < len(items)
    return chunk, encode_cursor("offset", start + limit) if more else ""
