"""A ticket's Slack thread: what the root message shows, and queuing what the thread lacks."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import outbox
from bot.db import insert_if_absent
from bot.models import OutboxMessage
from bot.tickets import known, routing
from bot.tickets.models import Ticket, TicketChange, TicketComment, TicketTouch
from bot.tickets.render import thread as render

NAME_WAIT = timedelta(seconds=60)
FIELDS = ("status", "priority", "assignee", "group")  # the changes a thread is told of


@dataclass(frozen=True)
class TicketConfig:
    """What ticket processing needs from the settings."""

    default_channel: str | None
    show_contact: bool = False
    lookups: bool = False
    # Called once when a ticket's thread is created (the root queued), in the same transaction:
    # the similar-tickets reply (bot.bugs.similar), which needs the bugs domain.
    on_thread: Callable[[Session, Ticket, datetime], None] | None = None


def shown(ticket: Ticket, field: str) -> str | None:
    if field == "assignee":
        return ticket.assignee or (f"#{ticket.assignee_id}" if ticket.assignee_id else None)
    if field == "group":
        return ticket.group_name or (f"#{ticket.group_id}" if ticket.group_id else None)
    return getattr(ticket, field)


def view(ticket: Ticket, now: datetime, *, contact: bool = False) -> render.TicketView:
    """The root message's data (the requester's email and phone only with `contact`)."""
    return render.TicketView(
        provider=ticket.provider,
        external_id=ticket.external_id,
        subject=ticket.subject,
        description=ticket.description,
        status=ticket.status,
        priority=ticket.priority,
        requester=ticket.requester_name
        or (f"#{ticket.requester_id}" if ticket.requester_id else None),
        requester_email=ticket.requester_email if contact else None,
        requester_phone=ticket.requester_phone if contact else None,
        organization=ticket.organization,
        assignee=shown(ticket, "assignee"),
        group=shown(ticket, "group"),
        brand=ticket.brand,
        tags=list(ticket.tags or []),
        url=ticket.url,
        opened_at=ticket.opened_at,
        sla_due_at=ticket.sla_due_at,
        updated_at=ticket.source_updated_at or now,
    )


def sync(session: Session, ticket: Ticket, now: datetime, config: TicketConfig) -> None:
    """Queue whatever the thread is missing: the root, an edit of it, replies."""
    if ticket.waiting_since is not None and now - ticket.waiting_since < NAME_WAIT:
        return
    ticket.waiting_since = None
    meta = {"ticket": ticket.external_id, "provider": ticket.provider}
    if ticket.published_version < 0:
        # The channel is decided when the root is first posted, once names are known, so
        # rules on group or brand names apply from the start.
        target = routing.route(session, ticket, config.default_channel)
        if target is None:
            return
        ticket.channel_id = ticket.routed_channel_id = target
        outbox.enqueue_message(
            session,
            render.root_message(view(ticket, now, contact=config.show_contact)),
            key=ticket.root_key,
            channel=ticket.channel_id,
            now=now,
            meta=meta,
        )
        ticket.published_version = ticket.version
        if config.on_thread is not None:
            config.on_thread(session, ticket, now)
    else:
        _reroute(session, ticket, now, config)
    if 0 <= ticket.published_version < ticket.version:
        text, blocks = render.root_message(view(ticket, now, contact=config.show_contact))
        outbox.enqueue_update(
            session,
            key=f"{ticket.root_key}:v{ticket.version}",
            target_key=ticket.root_key,
            text=text,
            blocks=blocks,
            now=now,
        )
        ticket.published_version = ticket.version
    replies: list[tuple[datetime, int, int, TicketComment | list[TicketChange]]] = [
        (c.created_at, 0, c.id, c)
        for c in session.scalars(
            select(TicketComment).where(
                TicketComment.ticket_id == ticket.id, TicketComment.posted.is_(False)
            )
        )
    ]
    replies += [(group[0].at, 1, group[0].id, group) for group in _updates(session, ticket)]
    for _, _, _, item in sorted(replies, key=lambda r: r[:3]):
        if isinstance(item, TicketComment):
            reply = render.comment_reply(
                author=item.author, body=item.body, public=item.public, url=ticket.url
            )
            key = f"{ticket.root_key}:comment:{item.external_id}"
            item.posted = True
        else:
            reply = render.changes_reply(
                changes=[
                    render.Change(
                        c.field,
                        _named(session, ticket.provider, c.field, c.old),
                        _named(session, ticket.provider, c.field, c.new),
                    )
                    for c in item
                ],
                actor=_named(session, ticket.provider, "assignee", item[0].actor),
            )
            # Derived from the changes it shows: a replay or a retry queues nothing new.
            digest = hashlib.sha256("\n".join(sorted(c.key for c in item)).encode()).hexdigest()
            key = f"{ticket.root_key}:changes:{digest[:24]}"
            for change in item:
                change.posted = True
        outbox.enqueue_message(
            session,
            reply,
            key=key[:255],
            channel=ticket.channel_id,
            now=now,
            thread_key=ticket.root_key,
            meta=meta,
        )


def _updates(session: Session, ticket: Ticket) -> list[list[TicketChange]]:
    """Unposted changes grouped by the helpdesk update that made them (time and actor), each
    group in the order status, priority, assignee, group."""
    groups: dict[tuple[datetime, str | None], list[TicketChange]] = {}
    pending = session.scalars(
        select(TicketChange)
        .where(TicketChange.ticket_id == ticket.id, TicketChange.posted.is_(False))
        .order_by(TicketChange.id)
    )
    for change in pending:
        groups.setdefault((change.at, change.actor), []).append(change)
    order = {field: i for i, field in enumerate(FIELDS)}
    return [sorted(g, key=lambda c: order.get(c.field, len(order))) for g in groups.values()]


def _reroute(session: Session, ticket: Ticket, now: datetime, config: TicketConfig) -> None:
    target = routing.route(session, ticket, config.default_channel)
    if target is None or target == ticket.routed_channel_id:
        return
    ticket.routed_channel_id = target
    if target == ticket.channel_id:
        return  # routed back to where the thread lives
    outbox.enqueue_message(
        session,
        render.cross_link(view(ticket, now), thread_channel=ticket.channel_id),
        key=f"{ticket.root_key}:xlink:{target}:{ticket.version}",
        channel=target,
        now=now,
        link_key=ticket.root_key,
    )


ID_KINDS = {"assignee": "user", "group": "group"}


def _named(session: Session, provider: str, field: str, value: str | None) -> str | None:
    """A change's `#id` value shown by name once the name is known."""
    kind = ID_KINDS.get(field)
    if kind and value and value.startswith("#"):
        found = known.name_row(session, provider, kind, value[1:])
        if found is not None:
            return found.name
    return value


def thread_ticket(session: Session, channel: str, thread_ts: str) -> Ticket | None:
    """The ticket whose thread has this parent message, if any."""
    return session.scalar(
        select(Ticket)
        .join(OutboxMessage, OutboxMessage.key == Ticket.root_key)
        .where(OutboxMessage.posted_channel == channel, OutboxMessage.posted_ts == thread_ts)
    )


def touch(
    session: Session, ticket: Ticket, user_id: str, kind: str, ref: str, at: datetime
) -> None:
    """Record that someone worked on a ticket from Slack (once per message or question)."""
    insert_if_absent(
        session,
        TicketTouch,
        {"ticket_id": ticket.id, "user_id": user_id, "kind": kind, "ref": ref[:64], "at": at},
        ["ticket_id", "user_id", "kind", "ref"],
    )
