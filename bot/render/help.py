"""The `/support help` answer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.render.blocks import Block, context, escape, fallback, header, section


@dataclass(frozen=True)
class HelpEntry:
    """One subcommand as help shows it."""

    name: str
    usage: str
    summary: str
    leads_only: bool = False
    details: str = ""


def render_help(
    entries: Sequence[HelpEntry], *, unknown: str | None = None, topic: HelpEntry | None = None
) -> tuple[str, list[Block]]:
    """(fallback text, blocks) listing every subcommand, or one subcommand in detail."""
    if topic is not None:
        lead = " _(leads only)_" if topic.leads_only else ""
        body = f"*`/support {topic.usage}`*{lead}\n{topic.summary}"
        if topic.details:
            body += f"\n\n{topic.details}"
        return fallback(f"/support {topic.usage}: {topic.summary}"), [section(body)]
    blocks: list[Block] = []
    intro = "supportbot commands"
    if unknown is not None:
        shown = escape(unknown[:40])
        intro = f"Unknown subcommand `{shown}`. Here is what /support can do"
        blocks.append(section(f":warning: Unknown subcommand `{shown}`. Try one of these:"))
    else:
        blocks.append(header("supportbot commands"))
    lines = []
    for entry in entries:
        lead = " _(leads)_" if entry.leads_only else ""
        lines.append(f"• `/support {entry.usage}` — {entry.summary}{lead}")
    blocks.append(section("\n".join(lines)))
    blocks.append(context("`/support help <subcommand>` explains one in detail."))
    text = intro + ": " + ", ".join(e.name for e in entries)
    return fallback(text), blocks
