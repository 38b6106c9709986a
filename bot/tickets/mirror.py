"""Tickets and their threads: apply helpdesk events, then bring the Slack thread up to date.

Applying is idempotent and order-independent: a snapshot older than the stored one changes
no field; comments and changes are unique by their natural keys; every Slack message is an
outbox row whose key is derived from what it shows (root: once; edits: one per version;
replies: one per comment or change). Replays and duplicates therefore post nothing new.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.db import insert_if_absent
from bot.tickets import known, names, routing, similar
from bot.tickets.intake import CommentIn, HelpdeskEvent, TicketSnapshot
from bot.tickets.models import CLOSED, Ticket, TicketChange, TicketComment
from bot.tickets.render.thread import DESCRIPTION_LIMIT
from bot.tickets.threads import FIELDS as TRACKED
from bot.tickets.threads import TicketConfig, shown, sync


@dataclass
class Applied:
    """What applying a ticket's events did: the ticket (None when ignored before one existed),
    why the events were ignored (or None), and whether what the ticket's clocks run on changed."""

    ticket: Ticket | None
    ignored: str | None
    timing_changed: bool


def apply(
    session: Session, events: Sequence[HelpdeskEvent], now: datetime, config: TicketConfig
) -> Applied:
    """Apply one ticket's events, in the order given, then bring its thread up to date once.

    Several events at once (a backlog) leave the thread as one at a time would, except that
    the root message shows the end state directly rather than an edit per event."""
    first = events[0].ticket
    assert all(
        (e.provider, e.ticket.external_id) == (events[0].provider, first.external_id)
        for e in events
    ), "one ticket's events"
    ticket = _ticket_for_update(session, events[0].provider, first.external_id)
    created = ticket is None
    if ticket is None:
        channel = config.default_channel
        if channel is None and not routing.rules(session):
            reason = "no channel for tickets: set SUPPORT_CHANNEL or add a route"
            return Applied(None, reason, False)
        ticket = _create(session, events[0].provider, first.external_id, now)
    # The ticket's changes are written once at the end rather than before every query (one
    # UPDATE, not one per statement): nothing in between reads the ticket's row back, and the
    # comments and changes it adds are inserted at once (`insert_if_absent`).
    with session.no_autoflush:
        applied = _apply(session, ticket, events, now, config, created)
    session.flush()
    return applied


def _apply(
    session: Session,
    ticket: Ticket,
    events: Sequence[HelpdeskEvent],
    now: datetime,
    config: TicketConfig,
    created: bool,
) -> Applied:
    timing = _timing(ticket)
    searched = _searched(ticket)
    echoes: dict[bool, set[str]] = {}
    for event in events:
        snap = event.ticket
        if (
            snap.updated_at is None
            or ticket.source_updated_at is None
            or snap.updated_at >= ticket.source_updated_at
        ):
            _merge(session, ticket, snap, now, config)
        # A comment without its own time was made when its event says (not when it is read).
        told = event.occurred_at or snap.updated_at or now
        for comment in event.comments:
            _add_comment(session, ticket, comment, told, echoes)
    if created or _searched(ticket) != searched:
        similar.index(session, ticket)  # the index follows subject, description and tags
    timing_changed = created or _timing(ticket) != timing
    if ticket.published_version < 0 and (
        routing.route(session, ticket, config.default_channel) is None
    ):
        return Applied(ticket, "no route matches and SUPPORT_CHANNEL is not set", timing_changed)
    names.request_names(session, ticket, now, config)
    sync(session, ticket, now, config)
    return Applied(ticket, None, timing_changed)


def _searched(ticket: Ticket) -> tuple[object, ...]:
    """What the search index is made of (contact details only to keep them out of it)."""
    return (
        ticket.subject,
        ticket.description,
        list(ticket.tags or []),
        ticket.requester_email,
        ticket.requester_phone,
    )


def _timing(ticket: Ticket) -> tuple[object, ...]:
    """What the ticket's clocks run on: SLA thresholds and alerts are derived from these."""
    return (ticket.priority, ticket.opened_at, ticket.status in CLOSED, ticket.first_response_at)


def _ticket_for_update(session: Session, provider: str, external_id: str) -> Ticket | None:
    query = select(Ticket).where(Ticket.provider == provider, Ticket.external_id == external_id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return session.scalar(query)


def _create(session: Session, provider: str, external_id: str, now: datetime) -> Ticket:
    """Insert the ticket once (concurrent first events race on the unique key)."""
    insert_if_absent(
        session,
        Ticket,
        {
            "provider": provider,
            "external_id": external_id,
            "subject": "",
            "description": "",
            "status": "new",
            "tags": [],
            "channel_id": "",
            "routed_channel_id": "",
            "root_key": f"ticket:{provider}:{external_id}:root",
            "version": 0,
            "published_version": -1,
            "first_seen_at": now,
        },
        ["provider", "external_id"],
    )
    ticket = _ticket_for_update(session, provider, external_id)
    assert ticket is not None
    return ticket


def _merge(
    session: Session, ticket: Ticket, snap: TicketSnapshot, now: datetime, config: TicketConfig
) -> None:
    before = {f: shown(ticket, f) for f in TRACKED}
    changed = False
    for name in (
        "subject",
        "description",
        "status",
        "priority",
        "requester_id",
        "requester_name",
        "organization_id",
        "organization",
        "assignee_id",
        "assignee",
        "group_id",
        "group_name",
        "brand_id",
        "brand",
        "tags",
        "url",
        "sla_due_at",
    ):
        value = getattr(snap, name)
        if value is None and not snap.complete:
            continue
        if name == "tags":
            value = list(value or [])
        elif name in ("subject", "description"):
            value = value or ""
        elif name == "status" and value is None:
            continue
        if getattr(ticket, name) != value:
            setattr(ticket, name, value)
            changed = True
            if name in names.NAME_FIELDS:  # a new id: its name comes from the cache or a lookup
                setattr(ticket, names.NAME_FIELDS[name][1], None)
    if config.show_contact:  # what the event says of the requester (the generic webhook)
        for column in ("requester_email", "requester_phone"):
            value = getattr(snap, column)
            if value is not None and getattr(ticket, column) != value:
                setattr(ticket, column, value)
                changed = True
    if snap.created_at and ticket.opened_at is None:
        ticket.opened_at = snap.created_at
    if snap.updated_at:
        ticket.source_updated_at = snap.updated_at
    names.fill_names(session, ticket)
    changed = names.fill_contact(session, ticket, config.show_contact) or changed
    if ticket.status in CLOSED and ticket.solved_at is None:
        ticket.solved_at = snap.updated_at or now
    elif ticket.status not in CLOSED:
        ticket.solved_at = None
    if ticket.published_version >= 0:
        stamp = (snap.updated_at or now).isoformat()
        actor = _actor(session, ticket.provider, snap)
        for field in TRACKED:
            after = shown(ticket, field)
            if after != before[field]:
                insert_if_absent(
                    session,
                    TicketChange,
                    {
                        "ticket_id": ticket.id,
                        "key": f"{field}:{after}:{stamp}"[:255],
                        "field": field,
                        "old": before[field],
                        "new": after,
                        "actor": actor,
                        "at": snap.updated_at or now,
                        "posted": False,
                    },
                    ["ticket_id", "key"],
                )
    if changed:
        ticket.version += 1


def _actor(session: Session, provider: str, snap: TicketSnapshot) -> str | None:
    """Who made the update: a name, or `#id` until the helpdesk tells its name."""
    if snap.actor:
        return snap.actor
    if snap.actor_id:
        name = known.name_row(session, provider, "user", snap.actor_id)
        return name.name if name else f"#{snap.actor_id}"
    return None


def _repeats_description(session: Session, ticket: Ticket, comment: CommentIn) -> bool:
    """True for the first comment when it is the description the root message shows whole."""
    if not ticket.description or len(ticket.description) > DESCRIPTION_LIMIT:
        return False
    if _normalized(comment.body) != _normalized(ticket.description):
        return False
    return (
        session.scalar(
            select(TicketComment.id).where(TicketComment.ticket_id == ticket.id).limit(1)
        )
        is None
    )


def _normalized(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _from_slack(
    session: Session, ticket: Ticket, comment: CommentIn, echoes: dict[bool, set[str]]
) -> bool:
    """Whether a helpdesk comment is the echo of a note or public reply this app sent from
    Slack (the thread already says so).

    `echoes` keeps what was sent from Slack, normalized, per visibility, for the events
    applied together: applying them adds no comment sent from Slack, so it is read once."""
    if not comment.body:
        return False
    if comment.public not in echoes:
        sent = session.scalars(
            select(TicketComment.body).where(
                TicketComment.ticket_id == ticket.id,
                TicketComment.from_slack.is_(True),
                TicketComment.public.is_(comment.public),
                TicketComment.external_id.like("slack:%"),
            )
        )
        echoes[comment.public] = {_normalized(body) for body in sent}
    return _normalized(comment.body) in echoes[comment.public]


def _add_comment(
    session: Session,
    ticket: Ticket,
    comment: CommentIn,
    told: datetime,
    echoes: dict[bool, set[str]],
) -> None:
    ours = _from_slack(session, ticket, comment, echoes)
    author = comment.author
    cached = (
        known.name_row(session, ticket.provider, "user", comment.author_id)
        if comment.author_id
        else None
    )
    if not author and comment.author_id:
        author = cached.name if cached else f"#{comment.author_id}"
    by_agent = comment.by_agent or bool(comment.author_id and cached and cached.is_agent)
    created = comment.created_at or told
    # The opening comment is the description the root message already shows: not repeated.
    silent = ours or _repeats_description(session, ticket, comment)
    inserted = insert_if_absent(
        session,
        TicketComment,
        {
            "ticket_id": ticket.id,
            "external_id": comment.external_id,
            "author": author or "",
            "author_id": comment.author_id,
            "by_agent": by_agent,
            "public": comment.public,
            "body": comment.body,
            "created_at": created,
            "from_slack": ours,
            "posted": silent,
        },
        ["ticket_id", "external_id"],
    )
    if inserted and comment.public and by_agent and ticket.first_response_at is None:
        if ticket.opened_at is None or created >= ticket.opened_at:
            ticket.first_response_at = created
