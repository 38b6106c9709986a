"""The similar-tickets reply: when a ticket's thread is created, earlier tickets like it, with
their threads, statuses and bugs, and a button to link the new ticket to each bug.

The search is bot.tickets.similar's; this adds what the bugs domain knows (the bugs each
earlier ticket links) and queues one reply in the new thread, or nothing when no earlier
ticket scores at least the threshold (SIMILAR_TICKETS_MIN_SCORE).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from bot import outbox
from bot.bugs import records
from bot.bugs.render import similar as render
from bot.tickets import links, similar
from bot.tickets.models import Ticket

log = logging.getLogger("supportbot.similar")


def reply_key(ticket: Ticket) -> str:
    """The outbox key of a ticket's similar-tickets reply (one per ticket, ever)."""
    return f"{ticket.root_key}:similar"[:255]


def offer(session: Session, ticket: Ticket, now: datetime, *, min_score: float) -> bool:
    """Queue the reply listing earlier tickets like `ticket`; False when none is alike enough."""
    if min_score >= 1:
        return False  # turned off
    try:
        # A savepoint: should the database refuse the search, the ticket's thread still comes.
        with session.begin_nested():
            matches = similar.find(session, ticket, now, min_score=min_score)
    except SQLAlchemyError as err:
        log.warning("similar.search_failed ticket=%s error=%s", ticket.id, type(err).__name__)
        return False
    if not matches:
        return False
    threads = links.thread_links(session, [m.ticket for m in matches])
    views = []
    for match in matches:
        other = match.ticket
        bugs = [
            render.LinkedBug(key=bug.key, url=bug.url, status=bug.status)
            for _, bug in records.links_of(session, other.id)
        ]
        views.append(
            render.SimilarView(
                label=records.ticket_label(other),
                subject=other.subject,
                link=threads.get(other.id) or other.url,
                status=other.status,
                solved_at=other.solved_at,
                bugs=bugs,
            )
        )
    queued = outbox.enqueue_message(
        session,
        render.similar_reply(views),
        key=reply_key(ticket),
        channel=ticket.channel_id,
        now=now,
        thread_key=ticket.root_key,
        meta={"ticket": ticket.external_id, "provider": ticket.provider},
    )
    if queued:
        log.info(
            "similar.offered ticket=%s matches=%s best=%.2f",
            ticket.id,
            len(matches),
            matches[0].score,
        )
    return queued


def on_thread(min_score: float) -> Callable[[Session, Ticket, datetime], None]:
    """The hook ticket threads call when created (bot.tickets.threads.TicketConfig)."""

    def hook(session: Session, ticket: Ticket, now: datetime) -> None:
        offer(session, ticket, now, min_score=min_score)

    return hook
