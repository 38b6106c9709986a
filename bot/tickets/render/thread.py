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
PRIORITY_ICONS = {"urgent": ":red_circle:", "high": ":large_orange_circle:"}


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
    return f"<{url}|{escape(text)}>" if url else escape(text)


def root_message(view: TicketView) -> tuple[str, list[Block]]:
    """(fallback text, blocks) of the message a ticket's thread hangs from."""
    status = view.status or "new"
    requester = escape(view.requester or "unknown")
    if view.organization:
        requester += f" ({escape(view.organization)})"
    if view.requester_email:
        requester += f"\n{escape(view.requester_email)}"
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
    if buttons:
        blocks.append(actions(*buttons))
    blocks.append(context(f"Mirrored by supportbot · last change {slack_time(view.updated_at)}"))
    text = f"{label(view)}: {view.subject or '(no subject)'} [{status}]"
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
    return fallback(f"{author or 'Someone'}{note}: {cut(text, 200)}"), blocks


FIELD_NAMES = {"status": "Status", "priority": "Priority", "assignee": "Assignee", "group": "Group"}


def change_reply(
    *, field: str, old: str | None, new: str | None, actor: str | None
) -> tuple[str, list[Block]]:
    """One line for a status, priority, assignee or group change."""
    name = FIELD_NAMES.get(field, field.title())
    before = escape(old) if old else "_none_"
    after = escape(new) if new else "_none_"
    by = f" by {escape(actor)}" if actor else ""
    icon = STATUS_ICONS.get(new or "", ":arrow_right:") if field == "status" else ":arrow_right:"
    line = f"{icon} {name}: {before} → *{after}*{by}"
    return fallback(f"{name}: {old or 'none'} → {new or 'none'}"), [context(line)]


def cross_link(view: TicketView, *, thread_channel: str) -> tuple[str, list[Block]]:
    """Posted in a ticket's new channel when routing changes; {permalink} is filled on send."""
    line = (
        f":twisted_rightwards_arrows: {_link(view.url, label(view))} "
        f"*{escape(view.subject or '')}* is now routed here. Its thread stays in "
        f"<#{thread_channel}>: <{{permalink}}|open the thread>."
    )
    return fallback(f"{label(view)} is now routed here (thread in another channel)"), [
        section(line)
    ]


def note_for_ticket(*, text: str, author: str) -> str:
    """The internal note body sent to the helpdesk for a Slack message."""
    return f"{text.strip()}\n\n— {author} (from Slack)"
