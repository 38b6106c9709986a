"""Messages about Jira bugs: thread replies, DMs, ephemeral answers, and text sent to Jira."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.ids import Action
from bot.render.blocks import (
    SECTION_TEXT,
    Block,
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

DESCRIPTION_LIMIT = 30000  # Jira's description field holds 32,767 characters
QUOTE_LIMIT = 1500


@dataclass(frozen=True)
class BugView:
    """What messages show of a bug."""

    key: str
    summary: str = ""
    url: str | None = None
    status: str | None = None
    resolution: str | None = None
    fix_versions: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class WaitingTicket:
    """A ticket linked to a bug, as an agent's DM lists it."""

    label: str
    subject: str
    url: str | None
    channel: str | None


def _key_link(bug: BugView) -> str:
    return link(bug.url, escape(bug.key))


def _state(bug: BugView) -> str:
    parts = [f"*{escape(bug.status)}*" if bug.status else "_unknown status_"]
    if bug.resolution:
        parts.append(f"resolution *{escape(bug.resolution)}*")
    if bug.fix_versions:
        label = "fix version" if len(bug.fix_versions) == 1 else "fix versions"
        parts.append(f"{label} *{escape(', '.join(bug.fix_versions))}*")
    return " · ".join(parts)


def _plain_state(bug: BugView) -> str:
    """The bug's state without formatting (escape it for Slack)."""
    parts = [bug.status or "unknown status"]
    if bug.resolution:
        parts.append(f"resolution {bug.resolution}")
    if bug.fix_versions:
        parts.append(f"fix version {', '.join(bug.fix_versions)}")
    return ", ".join(parts)


def _plain_head(bug: BugView) -> str:
    """`SUP-1: Checkout fails (To Do)`, escaped, for a notification."""
    status = escape(bug.status or "unknown status")
    return f"{escape(bug.key)}: {escape(bug.summary)} ({status})"


def _bug_buttons(bug: BugView) -> Block:
    elements = []
    if bug.url:
        elements.append(button("Open in Jira", Action.BUG_OPEN, url=bug.url))
    elements.append(button("Unlink", Action.BUG_UNLINK, value=bug.key))
    return actions(*elements)


# ---- thread replies ------------------------------------------------------------------------
def filed(bug: BugView, user_id: str) -> tuple[str, list[Block]]:
    """The thread reply once a bug is filed from it."""
    line = (
        f":beetle: <@{user_id}> filed {_key_link(bug)} *{escape(bug.summary)}*\n"
        f"Status: {_state(bug)}. Everyone linked hears when it is fixed."
    )
    text = f"Filed {_plain_head(bug)}"
    return fallback(text), [section(line), _bug_buttons(bug)]


def linked(bug: BugView, user_id: str) -> tuple[str, list[Block]]:
    """The thread reply once the ticket is linked to an existing bug."""
    line = (
        f":link: <@{user_id}> linked this ticket to {_key_link(bug)} *{escape(bug.summary)}*\n"
        f"Status: {_state(bug)}. Everyone linked hears when it is fixed."
    )
    text = f"Linked to {_plain_head(bug)}"
    return fallback(text), [section(line), _bug_buttons(bug)]


def unlinked(key: str, url: str | None, user_id: str) -> tuple[str, list[Block]]:
    """The thread reply when the ticket is unlinked from a bug."""
    shown = _key_link(BugView(key=key, url=url))
    return fallback(f"Unlinked from {escape(key)}"), [
        context(f":heavy_multiplication_x: <@{user_id}> unlinked this ticket from {shown}.")
    ]


def transition_reply(
    bug: BugView,
    kind: str,
    *,
    agents: Sequence[str],
    assignee: str | None,
    assignee_id: str | None,
    tell: Block | None = None,
    told_by: str | None = None,
) -> tuple[str, list[Block]]:
    """The reply in a linked ticket's thread when the bug closes or reopens.

    Plain mrkdwn text with at most one actions block (`tell`, the Tell the customers button):
    a bug may queue a thousand of these at once, so the outbox rows stay small. `told_by`
    names who told this ticket's customer it was fixed, on a reopen.
    """
    if kind == "closed":
        head = f":white_check_mark: {_key_link(bug)} *{escape(bug.summary)}* is done: {_state(bug)}"
    else:
        head = (
            f":leftwards_arrow_with_hook: {_key_link(bug)} *{escape(bug.summary)}* "
            f"was reopened: now {_state(bug)}"
        )
    who = [f"<@{a}>" for a in dict.fromkeys(agents) if a != assignee_id]
    if assignee_id:
        who.append(f"<@{assignee_id}> (assignee)")
    elif assignee:
        who.append(f"assignee *{escape(assignee)}*")
    text = head + ("\n" + " · ".join(who) if who else "")
    if told_by:
        text += f"\n<@{told_by}> had told the customer it was fixed; nothing was sent now."
    if tell is None:
        return fallback(text), []
    return fallback(text), [section(text), tell]


def transition_dm(
    bug: BugView,
    kind: str,
    tickets: Sequence[WaitingTicket],
    *,
    tell: Block | None = None,
    told: str | None = None,
) -> tuple[str, list[Block]]:
    """One DM to an agent listing every ticket of theirs linked to the bug (with the Tell the
    customers button `tell` on a close, and who was told already, `told`, on a reopen)."""
    n = len(tickets)
    count = f"{n} of your tickets {'is' if n == 1 else 'are'}"
    if kind == "closed":
        head = f":white_check_mark: {_key_link(bug)} *{escape(bug.summary)}* is done: {_state(bug)}"
        tail = f"{count} waiting on it:"
        text = f"{escape(bug.key)} is done ({escape(_plain_state(bug))}): {count} waiting on it"
    else:
        head = (
            f":leftwards_arrow_with_hook: {_key_link(bug)} *{escape(bug.summary)}* "
            f"was reopened: now {_state(bug)}"
        )
        tail = f"{count} linked to it:"
        text = f"{escape(bug.key)} was reopened: {count} linked to it"
    blocks: list[Block] = [section(f"{head}\n{tail}")]
    lines: list[str] = []
    size = 0
    for ticket in tickets:
        shown = link(ticket.url, escape(ticket.label))
        where = f" in <#{ticket.channel}>" if ticket.channel else ""
        line = f"• {shown} {escape(cut(ticket.subject or '', 120))}{where}"
        if size + len(line) + 1 > SECTION_TEXT - 100:
            blocks.append(section("\n".join(lines)))
            lines, size = [], 0
        lines.append(line)
        size += len(line) + 1
    if lines:
        blocks.append(section("\n".join(lines)))
    tail = [section(told)] if told else []
    tail += [tell] if tell is not None else []
    return fallback(text), [*fit_blocks(blocks, 50 - len(tail)), *tail]


# ---- ephemeral answers --------------------------------------------------------------------------
def filing_accepted(project: str, summary: str) -> str:
    """Told at once when the modal closes."""
    return (
        f":hourglass_flowing_sand: Filing “{escape(cut(summary, 120))}” in Jira "
        f"{escape(project)}… this thread gets the link."
    )


def filing_delayed(error: str, wait_seconds: float) -> str:
    """Told once when Jira is down or busy: the filing is kept and retried."""
    when = f"in about {int(wait_seconds)} s" if wait_seconds < 120 else "automatically"
    return (
        f":warning: Jira did not take the bug yet ({escape(error)}). It is saved and will be filed "
        f"{when}; this thread gets the link when it is."
    )


def filing_refused(error: str, *, gave_up: bool) -> str:
    """Told when Jira refuses the bug (field errors) or it could not be filed for too long."""
    if gave_up:
        return f":x: Gave up filing the bug: {escape(error)}. Try *File bug* again later."
    return (
        f":x: Jira refused the bug — {escape(error)}. Fix that and use *File bug* again: "
        "the form keeps what you typed."
    )


def link_delayed(key: str, error: str) -> str:
    """Told once when a link waits for Jira."""
    return (
        f":warning: Could not reach Jira to link {escape(key)} yet ({escape(error)}); "
        "it will be retried."
    )


def link_refused(key: str, error: str, *, filed: bool) -> str:
    """Told when a link cannot be made."""
    key, error = escape(key), escape(error)
    if filed:
        return f":x: {key} was filed, but Jira did not take its links to this ticket: {error}."
    return f":x: Could not link this ticket to {key}: {error}."


# ---- text sent to Jira and the helpdesk ---------------------------------------------------------
def filing_description(description: str, quoted: Sequence[tuple[str, str]]) -> str:
    """The description typed in the modal plus the chosen (author, text) thread messages."""
    parts = [description.strip()] if description.strip() else []
    if quoted:
        lines = ["From the Slack thread:"]
        for author, text in quoted:
            lines.append(
                f"*{author or 'someone'}:*\n{{quote}}{cut(text.strip(), QUOTE_LIMIT)}{{quote}}"
            )
        parts.append("\n".join(lines))
    return "\n\n".join(parts)


def description_with_links(
    description: str, ticket_label: str, ticket_url: str | None, permalink: str | None
) -> str:
    """The description with links to the helpdesk ticket and the Slack thread appended."""
    links = [f"Helpdesk ticket: [{ticket_label}|{ticket_url}]" if ticket_url else ticket_label]
    if permalink:
        links.append(f"Slack thread: [{permalink}]")
    tail = "----\n" + "\n".join(links) + "\n(filed from Slack by supportbot)"
    return (
        cut(description, DESCRIPTION_LIMIT - len(tail) - 2) + "\n\n" + tail if description else tail
    )


def link_comment(payload: dict[str, Any], author: str, permalink: str | None) -> str:
    """The Jira comment naming a ticket linked to the issue."""
    label = payload["ticket_label"]
    ticket = f"[{label}|{payload['ticket_url']}]" if payload.get("ticket_url") else label
    thread = f" (Slack thread: [{permalink}])" if permalink else ""
    subject = payload.get("ticket_subject") or ""
    return (
        f"Support ticket {ticket} “{subject}” is waiting on this issue{thread}. Linked by {author}."
    )


def bug_note(bug: BugView, kind: str) -> str:
    """The internal note added to each linked helpdesk ticket."""
    link = f" {bug.url}" if bug.url else ""
    if kind == "closed":
        return (
            f"Jira bug {bug.key} ({bug.summary}) is done: {_plain_state(bug)}.{link}\n— supportbot"
        )
    now = bug.status or "open"
    return f"Jira bug {bug.key} ({bug.summary}) was reopened: now {now}.{link}\n— supportbot"


def link_note(bug: BugView, kind: str, by: str) -> str:
    """The internal note on a helpdesk ticket when it is filed as, linked to or unlinked from a
    Jira bug (plain text: the helpdesk shows it as written)."""
    link = f" {bug.url}" if bug.url else ""
    summary = f" ({bug.summary})" if bug.summary else ""
    if kind == "filed":
        head = f"Filed as Jira bug {bug.key}{summary} by {by} from Slack."
    elif kind == "linked":
        head = f"Linked to Jira bug {bug.key}{summary} by {by} from Slack."
    else:
        head = f"No longer linked to Jira bug {bug.key}{summary}: unlinked by {by} in Slack."
    return f"{head}{link}\n— supportbot"
