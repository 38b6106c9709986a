"""Emerging patterns as Block Kit: the leads' alert with File one bug for all, and the list
`/support patterns` shows (pure: data in, dict out)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from bot.bugs.records import ticket_label
from bot.ids import Action
from bot.render.blocks import (
    Message,
    actions,
    button,
    context,
    cut,
    escape,
    fallback,
    fit_blocks,
    link,
    section,
)
from bot.render.times import slack_time

if TYPE_CHECKING:
    from bot.insights.models import Pattern
    from bot.insights.patterns import Raised

KIND_NAMES = {"tag": "tag", "component": "Jira component", "group": "group"}
SUBJECT = 80


def what(kind: str, value: str) -> str:
    """`tag `billing``, escaped for mrkdwn."""
    return f"{KIND_NAMES.get(kind, kind)} `{escape(cut(value, 80))}`"


def how_much(tickets: int, baseline: float) -> str:
    """`9 tickets in 24 hours, 6× the daily average of 1.5`."""
    count = f"{tickets} ticket{'s' if tickets != 1 else ''} in 24 hours"
    if baseline <= 0:
        return f"{count}, against none in the 4 weeks before"
    return f"{count}, {tickets / baseline:.1f}× the daily average of {baseline:.1f} (4 weeks)"


def _ticket_line(ticket_label: str, subject: str, url: str | None) -> str:
    label = link(url, escape(ticket_label))
    return f"• {label} {escape(cut(subject, SUBJECT)) or '_no subject_'}"


def raised(found: Raised, *, listed: int = 10) -> Message:
    """The leads' alert: what spiked and by how much, the tickets, the common bug, the button."""
    p = found.pattern
    head = f":chart_with_upwards_trend: *Emerging pattern:* {what(p.kind, p.value)}"
    lines = [_ticket_line(ticket_label(t), t.subject, url) for t, url in found.tickets[:listed]]
    if len(found.tickets) > listed:
        lines.append(f"_and {len(found.tickets) - listed} more_")
    blocks = [
        section(f"{head}\n{how_much(p.tickets, p.baseline)}"),
        section("\n".join(lines) or "_no tickets listed_"),
    ]
    if found.bug is not None:
        key = escape(found.bug.key)
        shown = link(found.bug.url, key)
        blocks.append(
            section(
                f":beetle: {found.bug_share} of {len(found.tickets)} are linked to {shown} "
                f"{escape(cut(found.bug.summary, SUBJECT))}"
            )
        )
    blocks.append(
        actions(
            button("File one bug for all", Action.PATTERN_FILE, value=str(p.id), style="primary")
        )
    )
    blocks.append(context("Raised once a day per pattern. `/support patterns` lists them."))
    text = f"Emerging pattern: {what(p.kind, p.value)}, {how_much(p.tickets, p.baseline)}"
    return fallback(text), fit_blocks(blocks)


def _line(p: Pattern) -> str:
    return (
        f"• {slack_time(p.raised_at)}: {what(p.kind, p.value)}, {how_much(p.tickets, p.baseline)}"
        + (f", mostly {escape(p.bug_key)}" if p.bug_key else "")
    )


def listing(patterns: Sequence[Pattern], now: datetime) -> Message:
    """Today's patterns, then the rest of the week's."""
    today = now.strftime("%Y-%m-%d")
    todays = [p for p in patterns if p.day == today]
    earlier = [p for p in patterns if p.day != today]
    blocks = [
        section("*Today*\n" + ("\n".join(_line(p) for p in todays) or "_nothing has spiked_")),
        section("*Earlier this week*\n" + ("\n".join(_line(p) for p in earlier) or "_nothing_")),
        context(
            "A pattern is a tag, Jira component or group with at least PATTERN_MIN_TICKETS "
            "tickets in 24 hours and PATTERN_FACTOR times its daily average over 4 weeks."
        ),
    ]
    text = f"Emerging patterns: {len(todays)} today, {len(earlier)} earlier this week"
    return fallback(text), fit_blocks(blocks)
