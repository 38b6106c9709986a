"""Render what the Slack simulator holds as text a person can read (the demo's output)."""

from __future__ import annotations

import re
from typing import Any

from integrations.simulators.slack.server import SlackSimulator

_MENTION = re.compile(r"<@([A-Z0-9]+)>")
_LINK = re.compile(r"<(https?://[^|>]+)\|([^>]+)>")
_DATE = re.compile(r"<!date\^\d+\^[^|>]*\|([^>]*)>")


def _unescape(text: str, names: dict[str, str]) -> str:
    text = _DATE.sub(lambda m: m.group(1), text)
    text = _MENTION.sub(lambda m: "@" + names.get(m.group(1), m.group(1)), text)
    text = _LINK.sub(lambda m: f"{m.group(2)} ({m.group(1)})", text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def readable(text: str, sim: SlackSimulator) -> str:
    """Message text as a person reads it: names for mentions, dates in their fallback form."""
    return _unescape(text, user_names(sim))


def _text_of(obj: Any) -> str:
    return obj.get("text", "") if isinstance(obj, dict) else ""


def blocks_to_lines(blocks: list[dict[str, Any]], names: dict[str, str]) -> list[str]:
    """Block Kit blocks as plain lines: headers, sections, fields, context, buttons."""
    lines: list[str] = []
    for block in blocks:
        kind = block.get("type")
        if kind == "header":
            lines.append(f"*{_text_of(block.get('text'))}*")
        elif kind == "section":
            if block.get("text"):
                lines.extend(_unescape(_text_of(block["text"]), names).splitlines())
            for item in block.get("fields") or []:
                lines.append("  " + _unescape(_text_of(item), names).replace("\n", " "))
            accessory = block.get("accessory") or {}
            if accessory.get("type") == "button":
                lines.append(f"[{_text_of(accessory.get('text'))}]")
        elif kind == "context":
            parts = [_unescape(_text_of(e), names) for e in block.get("elements", [])]
            lines.append("  " + " · ".join(p for p in parts if p))
        elif kind == "actions":
            buttons = [
                f"[{_text_of(e.get('text'))}]"
                for e in block.get("elements", [])
                if e.get("type") == "button"
            ]
            if buttons:
                lines.append(" ".join(buttons))
        elif kind == "divider":
            lines.append("---")
        elif kind == "input":
            lines.append(f"{_text_of(block.get('label'))}: ____")
    return lines


def message_lines(message: dict[str, Any], names: dict[str, str]) -> list[str]:
    """One message: who said it, then its blocks (or its text)."""
    who = names.get(message.get("user", ""), message.get("user", "?"))
    if message.get("bot_id"):
        who = "supportbot"
    body = (
        blocks_to_lines(message.get("blocks") or [], names)
        or _unescape(message.get("text", ""), names).splitlines()
    )
    for shared in message.get("files") or []:  # a chart: what a screen reader says of it
        body.append(f"[image {shared.get('title')}: {shared.get('alt_txt') or 'no alt text'}]")
    edited = " (edited)" if message.get("edited") else ""
    first, *rest = [line for line in body if line] or [""]
    return [f"{who}{edited}: {first}", *[f"    {line}" for line in rest]]


def render_channel(sim: SlackSimulator, channel: str, title: str) -> str:
    """A channel with its threads, indented under their parents."""
    names = user_names(sim)
    out = [f"── {title} " + "─" * max(4, 60 - len(title))]
    for message in sim.messages(channel):
        out.extend("  " + line for line in message_lines(message, names))
        for reply in sim.replies(channel, message["ts"]):
            out.extend(
                "      ↳ " + line if i == 0 else "        " + line
                for i, line in enumerate(message_lines(reply, names))
            )
    if len(out) == 1:
        out.append("  (nothing)")
    return "\n".join(out)


def render_thread(sim: SlackSimulator, channel: str, root: dict[str, Any], title: str) -> str:
    """One message and its thread."""
    names = user_names(sim)
    out = [f"── {title} " + "─" * max(4, 60 - len(title))]
    parent = sim.message(channel, root["ts"]) or root
    out.extend("  " + line for line in message_lines(parent, names))
    for reply in sim.replies(channel, root["ts"]):
        out.extend(
            "      ↳ " + line if i == 0 else "        " + line
            for i, line in enumerate(message_lines(reply, names))
        )
    return "\n".join(out)


def render_dms(sim: SlackSimulator, user_id: str) -> str:
    """The bot's DMs with one user."""
    names = user_names(sim)
    title = f"DM with @{names.get(user_id, user_id)}"
    out = [f"── {title} " + "─" * max(4, 60 - len(title))]
    for message in sim.dms(user_id):
        out.extend("  " + line for line in message_lines(message, names))
    if len(out) == 1:
        out.append("  (nothing)")
    return "\n".join(out)


def render_view(view: dict[str, Any] | None, title: str, sim: SlackSimulator) -> str:
    """A modal or Home tab."""
    names = user_names(sim)
    out = [f"── {title} " + "─" * max(4, 60 - len(title))]
    if not view:
        out.append("  (nothing)")
    else:
        out.extend("  " + line for line in blocks_to_lines(view.get("blocks") or [], names))
    return "\n".join(out)


def render_ephemeral(answer: dict[str, Any] | None, title: str, sim: SlackSimulator) -> str:
    """What only the user who typed a command sees."""
    names = user_names(sim)
    out = [f"── {title} " + "─" * max(4, 60 - len(title))]
    if answer:
        lines = (
            blocks_to_lines(answer.get("blocks") or [], names)
            or _unescape(answer.get("text", ""), names).splitlines()
        )
        out.extend("  " + line for line in lines)
    return "\n".join(out)


def user_names(sim: SlackSimulator) -> dict[str, str]:
    """User id → display name, for readable mentions."""
    with sim.lock:
        return {uid: u.get("name", uid) for uid, u in sim.state.users.items()}
