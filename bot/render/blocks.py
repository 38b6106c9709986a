"""Block Kit primitives that escape user text and cut it to Slack's limits.

Limits: https://docs.slack.dev/reference/block-kit/blocks (section text 3,000, header 150,
context elements 10, button text 75, 50 blocks per message, 100 per modal or Home tab).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlsplit

SECTION_TEXT = 3000
SECTION_FIELD = 2000
HEADER_TEXT = 150
CONTEXT_ELEMENTS = 10
CONTEXT_TEXT = 2000
BUTTON_TEXT = 75
BUTTON_VALUE = 2000
MESSAGE_BLOCKS = 50
SURFACE_BLOCKS = 100
FALLBACK_TEXT = 3000
OPTION_TEXT = 75
OPTION_VALUE = 150
VIEW_TITLE = 24

Block = dict[str, Any]
# A rendered message: its fallback text (notifications, screen readers) and its blocks.
Message = tuple[str, list[Block]]


def escape(text: str) -> str:
    """Escape Slack's control characters so user text cannot mention, link or format."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def link(url: str | None, label: str) -> str:
    """`label` (already escaped mrkdwn) linked to `url`, or the label alone when `url` is not
    an http(s) address. Characters that would end Slack's `<url|label>` early are
    percent-encoded, so a URL from a webhook cannot smuggle a mention or a second link in."""
    if not url:
        return label
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        return label
    if scheme not in ("http", "https"):
        return label
    safe = quote(url, safe="/:?#[]@!$&'()*+,;=%~-._")
    return f"<{safe}|{label}>"


def cut(text: str, limit: int, marker: str = "…") -> str:
    """Shorten `text` to at most `limit` characters, marking the cut."""
    if len(text) <= limit:
        return text
    return text[: max(limit - len(marker), 0)].rstrip() + marker


def plain(text: str, limit: int = SECTION_TEXT) -> dict[str, Any]:
    """A plain_text object (Slack escapes nothing in plain text, so no escaping is needed)."""
    return {"type": "plain_text", "text": cut(text, limit) or " ", "emoji": True}


def mrkdwn(text: str, limit: int = SECTION_TEXT) -> dict[str, Any]:
    """A mrkdwn object from already-escaped text."""
    return {"type": "mrkdwn", "text": cut(text, limit) or " "}


def header(text: str) -> Block:
    """A header block."""
    return {"type": "header", "text": plain(text, HEADER_TEXT)}


def section(
    text: str,
    *,
    fields: list[str] | None = None,
    accessory: Block | None = None,
    block_id: str | None = None,
) -> Block:
    """A section of mrkdwn text (escape user parts first) with optional fields."""
    block: Block = {"type": "section", "text": mrkdwn(text)}
    if fields:
        block["fields"] = [mrkdwn(f, SECTION_FIELD) for f in fields[:10]]
    if accessory:
        block["accessory"] = accessory
    if block_id:
        block["block_id"] = block_id
    return block


def context(*parts: str) -> Block:
    """A context block of mrkdwn parts (at most 10)."""
    return {
        "type": "context",
        "elements": [mrkdwn(p, CONTEXT_TEXT) for p in parts[:CONTEXT_ELEMENTS]],
    }


def divider() -> Block:
    """A divider."""
    return {"type": "divider"}


def button(
    text: str,
    action_id: str,
    *,
    value: str | None = None,
    url: str | None = None,
    style: str | None = None,
) -> Block:
    """A button element."""
    element: Block = {"type": "button", "text": plain(text, BUTTON_TEXT), "action_id": action_id}
    if value is not None:
        element["value"] = cut(value, BUTTON_VALUE, "")
    if url:
        element["url"] = url
    if style:
        element["style"] = style
    return element


def actions(*elements: Block, block_id: str | None = None) -> Block:
    """An actions block (at most 25 elements)."""
    block: Block = {"type": "actions", "elements": list(elements[:25])}
    if block_id:
        block["block_id"] = block_id
    return block


def fit_blocks(blocks: list[Block], limit: int = MESSAGE_BLOCKS) -> list[Block]:
    """Keep at most `limit` blocks, replacing the overflow with a note."""
    if len(blocks) <= limit:
        return blocks
    kept = blocks[: limit - 1]
    return [*kept, context(f"_{len(blocks) - len(kept)} more not shown_")]


def fallback(text: str) -> str:
    """The notification `text` that accompanies blocks: mrkdwn like a section's, so user parts
    must be escaped first (Slack parses it for mentions, and mobile notifications show it)."""
    return cut(text, FALLBACK_TEXT)
