"""The thread reply that lists earlier tickets like a new one, with Link to <KEY> buttons."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from bot.ids import Action
from bot.render.blocks import Block, Message, button, context, cut, escape, fallback, link, section
from bot.render.times import day, slack_day

SUBJECT_LIMIT = 150


@dataclass(frozen=True)
class LinkedBug:
    """A Jira bug an earlier ticket links to."""

    key: str
    url: str | None = None
    status: str | None = None


@dataclass(frozen=True)
class SimilarView:
    """What the reply shows of one earlier ticket."""

    label: str
    subject: str
    link: str | None
    status: str
    solved_at: datetime | None
    bugs: list[LinkedBug] = field(default_factory=list)


def _bug(bug: LinkedBug) -> str:
    key = link(bug.url, escape(bug.key))
    return f"{key} ({escape(bug.status)})" if bug.status else key


def similar_reply(found: Sequence[SimilarView]) -> Message:
    """Up to three earlier tickets: thread link, status, when solved, linked bugs; a
    Link to <KEY> button per bug not offered yet in this reply."""
    blocks: list[Block] = [section(":mag: *Earlier tickets like this one*")]
    lines = []
    offered: set[str] = set()
    for n, item in enumerate(found[:3]):
        subject = escape(cut(item.subject or "(no subject)", SUBJECT_LIMIT))
        label = escape(item.label)
        title = link(item.link, label)
        facts = [f"*{escape(item.status)}*"]
        plain = [item.status]
        if item.solved_at is not None:
            facts.append(f"solved {slack_day(item.solved_at)}")
            plain.append(f"solved {day(item.solved_at, None)}")
        if item.bugs:
            facts.append("bug " + ", ".join(_bug(b) for b in item.bugs))
            plain.append("bug " + ", ".join(b.key for b in item.bugs))
        else:
            facts.append("no bug linked")
        fresh = next((b for b in item.bugs if b.key not in offered), None)
        accessory = None
        if fresh is not None:
            offered.add(fresh.key)
            accessory = button(f"Link to {fresh.key}", Action.BUG_LINK_SIMILAR, value=fresh.key)
        text = f"{title} {subject}\n{' · '.join(facts)}"
        blocks.append(section(text, accessory=accessory, block_id=f"similar_{n}"))
        lines.append(f"{label} {subject} ({', '.join(escape(p) for p in plain)})")
    if offered:
        blocks.append(context("*Link to* links this ticket to that bug, as Link to bug does."))
    text = "Earlier tickets like this one: " + "; ".join(lines)
    return fallback(text), blocks
