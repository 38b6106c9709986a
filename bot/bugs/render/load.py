"""Answers of `/support bugs`: Jira bugs ranked by the tickets linked to them, per-component
load, and one bug's linked tickets with links to their threads."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.bugs.load import BugLoad, ComponentLoad, LinkedTicket, Overview
from bot.bugs.models import Bug
from bot.render.blocks import (
    MESSAGE_BLOCKS,
    SECTION_TEXT,
    Block,
    context,
    cut,
    divider,
    escape,
    fallback,
    header,
    link,
    section,
)
from bot.render.times import duration, relative

SUMMARY_LIMIT = 150
TICKET_SUBJECT_LIMIT = 120
COMPONENTS_LIMIT = 200
TOTAL_TEXT = 10000
USAGE = "`/support bugs <KEY>` lists a bug's tickets · `/support bugs component <name>`"


def _key(key: str, url: str | None) -> str:
    return link(url, escape(key)) if url else f"*{escape(key)}*"


def _names(names: Sequence[str]) -> str:
    return escape(cut(", ".join(names), COMPONENTS_LIMIT)) if names else "_no component_"


def _status(status: str | None) -> str:
    return f"*{escape(status)}*" if status else "_unknown status_"


def _tickets(open_tickets: int, total: int) -> str:
    noun = "ticket" if total == 1 else "tickets"
    return f"*{open_tickets} open* / {total} {noun}"


def bug_line(bug: BugLoad, rank: int, now: datetime) -> str:
    """`1. SUP-12 Checkout fails` then open/total tickets, status, components, age, last link."""
    summary = escape(cut(bug.summary or "(no summary)", SUMMARY_LIMIT))
    facts = [
        _tickets(bug.open_tickets, bug.total_tickets),
        _status(bug.status),
        _names(bug.components),
        f"age {duration((now - bug.created_at).total_seconds())}",
    ]
    if bug.last_linked_at is not None:
        facts.append(f"last linked {relative(bug.last_linked_at, now)}")
    return f"{rank}. {_key(bug.key, bug.url)} {summary}\n" + " · ".join(facts)


def component_line(load: ComponentLoad) -> str:
    """`• *Billing* — 2 bugs, *3 open* / 7 tickets`."""
    bugs = "bug" if load.bugs == 1 else "bugs"
    name = escape(cut(load.name, 100))
    return f"• *{name}* — {load.bugs} {bugs}, {_tickets(load.open_tickets, load.total_tickets)}"


def overview(
    view: Overview, now: datetime, *, component: str | None = None
) -> tuple[str, list[Block]]:
    """The ranked bugs, then per-component load (or a note that no bug has linked tickets)."""
    # The header is plain text (shown as typed); the fallback text is escaped like any mrkdwn.
    title = f"Bugs in {cut(component, 60)} by support load" if component else "Bugs by support load"
    if not view.bugs:
        where = f" in component *{escape(cut(component, 100))}*" if component else ""
        text = f"No Jira bugs{where} have linked tickets."
        return fallback(text), [section(f":beetle: {text}"), context(USAGE)]
    blocks: list[Block] = [header(title)]
    blocks += [section(bug_line(bug, i, now)) for i, bug in enumerate(view.bugs, start=1)]
    if view.components:
        lines = "\n".join(component_line(c) for c in view.components)
        blocks += [divider(), section(f"*Per component* (tickets linked now)\n{lines}")]
    shown = len(view.bugs)
    more = (
        f"Top {shown} of {view.linked_bugs} bugs with linked tickets. "
        if view.linked_bugs > shown
        else ""
    )
    blocks.append(context(f"{more}Open = ticket not solved or closed. {USAGE}"))
    top = ", ".join(f"{escape(b.key)} ({b.open_tickets} open/{b.total_tickets})" for b in view.bugs)
    return fallback(f"{escape(title)}: {top}"), blocks[:MESSAGE_BLOCKS]


def _ticket_line(item: LinkedTicket, now: datetime) -> str:
    ticket = item.ticket
    subject = escape(cut(ticket.subject or "(no subject)", TICKET_SUBJECT_LIMIT))
    label = f"#{escape(ticket.external_id)}"
    label = link(ticket.url, label) if ticket.url else f"*{label}*"
    state = escape(ticket.status)
    verb = "filed" if item.how == "filed" else "linked"
    where = link(item.thread_url, "thread") if item.thread_url else f"<#{item.channel}>"
    return (
        f"{label} {subject} — _{state}_ · {verb} by <@{item.linked_by}> "
        f"{relative(item.linked_at, now)} · {where}"
    )


def bug_tickets(
    bug: Bug,
    linked: Sequence[LinkedTicket],
    now: datetime,
    *,
    open_tickets: int,
    total_tickets: int,
) -> tuple[str, list[Block]]:
    """One bug's header line, then its linked tickets (open first), cut with an "N more" note."""
    summary = escape(cut(bug.summary or "(no summary)", SUMMARY_LIMIT))
    created = bug.jira_created_at or bug.created_at
    facts = [
        _tickets(open_tickets, total_tickets),
        _status(bug.status),
        _names(bug.components or []),
        f"age {duration((now - created).total_seconds())}",
    ]
    blocks: list[Block] = [
        section(f":beetle: {_key(bug.key, bug.url)} {summary}\n" + " · ".join(facts))
    ]
    if not linked:
        blocks.append(context("No tickets are linked to this bug now."))
        return fallback(f"{escape(bug.key)}: no linked tickets"), blocks
    # Lines are packed into sections of at most 3,000 characters, within 50 blocks (one kept
    # for the note) and a total Slack accepts (msg_blocks_too_long comes well below 40,000).
    sections: list[str] = []
    chunk, shown, used = "", 0, 0
    for item in linked:
        line = _ticket_line(item, now)
        used += len(line) + 1
        if used > TOTAL_TEXT:
            break
        if chunk and len(chunk) + 1 + len(line) > SECTION_TEXT:
            if len(blocks) + len(sections) + 2 >= MESSAGE_BLOCKS:
                break
            sections.append(chunk)
            chunk = ""
        chunk = f"{chunk}\n{line}" if chunk else line
        shown += 1
    blocks += [section(text) for text in [*sections, chunk] if text]
    hidden = total_tickets - shown
    if hidden > 0:
        blocks.append(
            context(f"_{hidden} more linked ticket{'s' if hidden != 1 else ''} not shown_")
        )
    text = f"{escape(bug.key)}: {open_tickets} open of {total_tickets} linked tickets"
    return fallback(text), blocks


def unknown_bug(key: str) -> tuple[str, list[Block]]:
    """No bug with that key is linked to any ticket (or was ever seen)."""
    shown = escape(cut(key, 40))
    text = (
        f":mag: No ticket has been linked to {shown}, so there is nothing to list. "
        "`/support bugs` shows the bugs that have tickets."
    )
    return fallback(f"No tickets linked to {shown}"), [section(text)]
