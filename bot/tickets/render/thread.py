"""Block Kit for ticket threads: the root message, comment and change replies, cross-links."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.ids import Action
from bot.render.blocks import (
    Block,
    actions,
    button,
    context,
    cut,
    escape,
    fallback,
    fit_blocks,
    header,
    link,
    section,
)
from bot.render.times import slack_time

COMMENT_LIMIT = 2800
DESCRIPTION_LIMIT = 600
STATUS_ICONS = {
    "new": ":new:",
    "open": ":large_orange_circle:",
    "pending": ":hourglass_flowing_sand:",
    "hold": ":double_vertical_bar:",
    "solved": ":white_check_mark:",
    "closed": ":lock:",
    "deleted": ":wastebasket:",
}
# Priorities use other shapes than statuses, so "open" and "high" never look alike.
PRIORITY_ICONS = {
    "urgent": ":bangbang:",
    "high": ":exclamation:",
    "normal": ":small_blue_diamond:",
    "low": ":small_orange_diamond:",
}


@dataclass(frozen=True)
class TicketView:
    """What the root message shows (names already resolved)."""

    provider: str
    external_id: str
    subject: str
    description: str
    status: str
    priority: str | None
    requester: str | None
    requester_email: str | None
    requester_phone: str | None
    organization: str | None
    assignee: str | None
    group: str | None
    brand: str | None
    tags: list[str]
    url: str | None
    opened_at: datetime | None
    sla_due_at: datetime | None
    updated_at: datetime


def label(view: TicketView) -> str:
    """`Zendesk #123` or `freshdesk #123`."""
    desk = "Zendesk" if view.provider == "zendesk" else view.provider
    return f"{desk} #{view.external_id}"


def _link(url: str | None, text: str) -> str:
    return link(url, escape(text))


def root_message(view: TicketView) -> tuple[str, list[Block]]:
    """(fallback text, blocks) of the message a ticket's thread hangs from."""
    status = view.status or "new"
    requester = escape(view.requester or "unknown")
    if view.organization:
        requester += f" ({escape(view.organization)})"
    contact = [escape(c) for c in (view.requester_email, view.requester_phone) if c]
    if contact:
        requester += "\n" + " · ".join(contact)
    priority = view.priority or "none"
    fields = [
        f"*Requester*\n{requester}",
        f"*Status*\n{STATUS_ICONS.get(status, '')} {escape(status)}".rstrip(),
        f"*Priority*\n{PRIORITY_ICONS.get(priority, '')} {escape(priority)}".strip(),
        f"*Assignee*\n{escape(view.assignee) if view.assignee else '_unassigned_'}",
        f"*Group*\n{escape(view.group) if view.group else '—'}",
        f"*Tags*\n{escape(', '.join(view.tags)) if view.tags else '—'}",
    ]
    if view.opened_at:
        fields.append(f"*Created*\n{slack_time(view.opened_at)}")
    if view.sla_due_at:
        fields.append(f"*SLA due*\n{slack_time(view.sla_due_at)}")
    if view.brand:
        fields.append(f"*Brand*\n{escape(view.brand)}")
    blocks: list[Block] = [
        header(f"{label(view)}: {view.subject or '(no subject)'}"),
        section(f"{_link(view.url, label(view))}", fields=fields),
    ]
    if view.description:
        excerpt = cut(view.description.strip(), DESCRIPTION_LIMIT)
        blocks.append(section(">" + escape(excerpt).replace("\n", "\n>")))
    buttons = []
    if view.url:
        buttons.append(
            button(f"Open in {label(view).split(' #')[0]}", Action.TICKET_OPEN, url=view.url)
        )
    buttons.append(button("File bug", Action.BUG_FILE, value=view.external_id))
    buttons.append(button("Ask an engineer", Action.QUESTION_ASK, value=view.external_id))
    if buttons:
        blocks.append(actions(*buttons))
    blocks.append(context(f"Mirrored by supportbot · last change {slack_time(view.updated_at)}"))
    text = f"{escape(label(view))}: {escape(view.subject or '(no subject)')} [{escape(status)}]"
    return fallback(text), fit_blocks(blocks)


def comment_reply(
    *, author: str, body: str, public: bool, url: str | None
) -> tuple[str, list[Block]]:
    """A comment (public) or internal note, cut to fit with a link to the full text."""
    kind = "replied" if public else "added an internal note"
    icon = ":speech_balloon:" if public else ":lock:"
    title = f"{icon} *{escape(author or 'Someone')}* {kind}"
    text = body.strip()
    shown = escape(cut(text, COMMENT_LIMIT))
    blocks = [section(f"{title}\n{shown}" if shown else title)]
    if len(text) > COMMENT_LIMIT:
        blocks.append(context(f"Cut to fit Slack: {_link(url, 'read the whole comment')}"))
    note = "" if public else " (internal)"
    return fallback(f"{escape(author or 'Someone')}{note}: {escape(cut(text, 200))}"), blocks


@dataclass(frozen=True)
class Change:
    """One field an update changed: status, priority, assignee or group (names resolved)."""

    field: str
    old: str | None
    new: str | None


def _change(change: Change, *, marked: bool) -> str:
    """`status open → *pending*` (mrkdwn, with its icon) or `status open → pending` (plain);
    assignee and group show only whom or where the ticket went."""
    new = escape(change.new) if change.new else "none"
    if change.field not in ("status", "priority"):
        return f"{change.field} → {f'*{new}*' if marked else new}"
    before = f"{escape(change.old)} " if change.old else ""
    if not marked:
        return f"{change.field} {before}→ {new}"
    icons = STATUS_ICONS if change.field == "status" else PRIORITY_ICONS
    icon = f"{icons[change.new]} " if change.new in icons else ""
    return f"{icon}{change.field} {before}→ *{new}*"


def changes_reply(*, changes: list[Change], actor: str | None) -> tuple[str, list[Block]]:
    """One reply for everything one helpdesk update changed, naming who made it:
    `Ada Lovelace: status open → pending · assignee → Bob · group → Billing`."""
    who = escape(actor) if actor else "Someone"
    line = f"*{who}*: " + " · ".join(_change(c, marked=True) for c in changes)
    text = f"{who}: " + " · ".join(_change(c, marked=False) for c in changes)
    return fallback(text), [context(line)]


def cross_link(view: TicketView, *, thread_channel: str) -> tuple[str, list[Block]]:
    """Posted in a ticket's new channel when routing changes; {permalink} is filled on send."""
    line = (
        f":twisted_rightwards_arrows: {_link(view.url, label(view))} "
        f"*{escape(view.subject or '')}* is now routed here. Its thread stays in "
        f"<#{thread_channel}>: <{{permalink}}|open the thread>."
    )
    return fallback(f"{escape(label(view))} is now routed here (thread in another channel)"), [
        section(line)
    ]


def note_for_ticket(*, text: str, author: str) -> str:
    """The internal note body sent to the helpdesk for a Slack message."""
    return f"{text.strip()}\n\n— {author} (from Slack)"
