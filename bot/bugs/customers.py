"""Telling customers their bug is fixed: what the modal offers, and one public reply per ticket.

The close notice (in each thread, and in each agent's DM) carries **Tell the customers**. The
modal offers the linked tickets still open, or solved while they waited on the bug, whose
customer nobody has told of this close yet. Submitting records a `CustomerReply` per chosen
ticket, unique on (close transition, ticket), and only the insert queues the pending call: a
double submit, two agents, or the DM and a thread at once tell each customer once.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import outbox, people
from bot.bugs.models import Bug, BugLink, BugTransition, CustomerReply
from bot.bugs.records import BugConfig, bug_by_key, ticket_label
from bot.bugs.render import customers as render
from bot.bugs.state import DONE
from bot.db import insert_rows_if_absent
from bot.errors import UserError
from bot.models import PendingCall
from bot.render.blocks import escape
from bot.settings import FIX_PLACEHOLDERS
from bot.tickets import agents
from bot.tickets.models import Ticket, TicketComment

PUBLIC_REPLY = "helpdesk.public_reply"
NEW_STATUSES = ("pending", "solved")
ZENDESK = "zendesk"
OPEN = ("new", "open", "pending", "hold")
NOT_ALLOWED = "Only full members of this workspace can tell customers."
BODY_LIMIT = 3000


@dataclass(frozen=True)
class Waiting:
    """A ticket whose customer may be told."""

    id: int
    label: str
    subject: str
    status: str


@dataclass
class Offer:
    """What the modal shows: the bug, the reply, the tickets, and who was told already."""

    bug: str
    transition_id: int
    body: str
    tickets: list[Waiting]
    told: int = 0
    scope: dict[str, Any] = field(default_factory=dict)


def replies_to(ticket: Ticket, config: BugConfig) -> bool:
    """Whether the bot can add a public reply to the ticket's helpdesk."""
    return config.notes if ticket.provider == ZENDESK else config.callback


def closed_transition(session: Session, bug: Bug) -> BugTransition | None:
    """The close the bug is in now (None when it is not done)."""
    if bug.category != DONE:
        return None
    return session.scalar(
        select(BugTransition)
        .where(BugTransition.bug_id == bug.id, BugTransition.kind == "closed")
        .order_by(BugTransition.changed_at.desc(), BugTransition.id.desc())
        .limit(1)
    )


def fill(template: str, bug: Bug, transition: BugTransition) -> str:
    """The template with the bug's key, summary, resolution and fix version filled in."""
    versions = list(transition.fix_versions or bug.fix_versions or [])
    values = dict.fromkeys(FIX_PLACEHOLDERS, "")
    values.update(
        key=bug.key,
        summary=bug.summary or bug.key,
        resolution=transition.resolution or bug.resolution or "Fixed",
        fix_version=", ".join(versions) or "the next release",
    )
    return template.format(**values)[:BODY_LIMIT]


def waiting(
    session: Session,
    bug: Bug,
    transition: BugTransition,
    config: BugConfig,
    *,
    user_id: str | None = None,
    first: int | None = None,
) -> tuple[list[Waiting], int]:
    """(tickets whose customer may be told, how many were told already): linked now, open or
    solved since linking, on a helpdesk that takes replies; `user_id` keeps that agent's own
    (linked by them or assigned to them); ticket `first` leads the list."""
    told = set(
        session.scalars(
            select(CustomerReply.ticket_id).where(CustomerReply.transition_id == transition.id)
        )
    )
    rows = session.execute(
        select(BugLink, Ticket)
        .join(Ticket, Ticket.id == BugLink.ticket_id)
        .where(BugLink.bug_id == bug.id, BugLink.unlinked_at.is_(None))
        .order_by(BugLink.id)
    ).all()
    found: list[Waiting] = []
    already = 0
    assignees: dict[tuple[str, str | None, str | None], str | None] = {}
    for link, ticket in rows:
        if ticket.id in told:
            already += 1
            continue
        if not replies_to(ticket, config) or not _still_waiting(ticket, link):
            continue
        if user_id is not None and link.linked_by != user_id:
            who = (ticket.provider, ticket.assignee_id, ticket.assignee)
            if who not in assignees:
                assignees[who] = agents.assignee_of(session, ticket)
            if assignees[who] != user_id:
                continue
        item = Waiting(ticket.id, ticket_label(ticket), ticket.subject, ticket.status)
        if ticket.id == first:
            found.insert(0, item)
        else:
            found.append(item)
    return found, already


def _still_waiting(ticket: Ticket, link: BugLink) -> bool:
    if ticket.status in OPEN:
        return True
    return ticket.status == "solved" and (ticket.solved_at or link.linked_at) >= link.linked_at


def offer(
    session: Session,
    *,
    key: str,
    user_id: str,
    config: BugConfig,
    ticket_id: int | None = None,
    channel: str = "",
    thread_ts: str = "",
) -> Offer:
    """What the modal offers; from a DM (no `ticket_id`) the agent's own tickets, from a
    thread every linked ticket with that thread's first. UserError when there is nothing."""
    if people.is_full_member(session, user_id) is not True:
        raise UserError(NOT_ALLOWED)
    bug = bug_by_key(session, key)
    if bug is None:
        raise UserError(f"{escape(key)} is not a bug linked to any ticket.")
    transition = closed_transition(session, bug)
    if transition is None:
        raise UserError(
            f"{escape(key)} is not done any more, so its customers cannot be told it is fixed."
        )
    mine = None if ticket_id is not None else user_id
    tickets, told = waiting(session, bug, transition, config, user_id=mine, first=ticket_id)
    if not tickets:
        raise UserError(render.nobody_left(key, told))
    return Offer(
        bug=bug.key,
        transition_id=transition.id,
        body=fill(config.fix_template, bug, transition),
        tickets=tickets,
        told=told,
        scope={"user": mine, "ticket": ticket_id, "channel": channel, "thread_ts": thread_ts},
    )


@dataclass(frozen=True)
class Told:
    """What a submission queued, and how many chosen customers had been told already."""

    queued: int
    already: int


def tell(
    session: Session,
    *,
    key: str,
    transition_id: int,
    ticket_ids: Collection[int],
    others: bool = False,
    shown: Collection[int] = (),
    scope_user: str | None = None,
    body: str,
    new_status: str | None,
    user_id: str,
    batch: str,
    now: datetime,
    config: BugConfig,
) -> Told:
    """Queue one public reply per chosen ticket not told yet; UserError for a bad form.

    `others` chooses too the tickets of the same scope (`scope_user`'s, or all) that the form
    did not list one by one (`shown`): a modal lists at most `render.SHOWN`.
    """
    if people.is_full_member(session, user_id) is not True:
        raise UserError(NOT_ALLOWED)
    body = body.strip()
    if not body:
        raise UserError("Write the reply the customers should get.")
    if not ticket_ids and not others:
        raise UserError("Pick at least one ticket whose customer should be told.")
    if new_status not in (None, *NEW_STATUSES):
        raise UserError("The new status is pending, solved, or left as it is.")
    bug = bug_by_key(session, key)
    transition = session.get(BugTransition, transition_id)
    if bug is None or transition is None or transition.bug_id != bug.id:
        raise UserError(f"{escape(key)} changed since the form opened; open it again.")
    if closed_transition(session, bug) != transition:
        raise UserError(
            f"{escape(key)} was reopened or closed again since the form opened; open it again."
        )
    allowed, _ = waiting(session, bug, transition, config)
    wanted = set(ticket_ids)
    if others:
        scoped = allowed
        if scope_user is not None:
            scoped, _ = waiting(session, bug, transition, config, user_id=scope_user)
        wanted |= {t.id for t in scoped} - set(shown)
    # Only tickets still waiting on this bug; the rest were told, unlinked or closed since.
    chosen = sorted(wanted & {t.id for t in allowed})
    already = len(wanted) - len(chosen)
    tickets = {
        t.id: t
        for i in range(0, len(chosen), 500)
        for t in session.scalars(select(Ticket).where(Ticket.id.in_(chosen[i : i + 500])))
    }
    rows = [
        {
            "transition_id": transition.id,
            "bug_id": bug.id,
            "ticket_id": t.id,
            "body": body,
            "new_status": new_status,
            "told_by": user_id,
            "batch": batch[:64],
            "status": "queued",
            "error": None,
            "created_at": now,
            "sent_at": None,
        }
        for t in tickets.values()
    ]
    inserted = insert_rows_if_absent(
        session,
        CustomerReply,
        rows,
        ["transition_id", "ticket_id"],
        returning=(CustomerReply.ticket_id, CustomerReply.id),
    )
    calls = [
        _call(tickets[ticket_id], reply_id, transition.id, body, new_status, user_id, batch, now)
        for ticket_id, reply_id in inserted.items()
    ]
    insert_rows_if_absent(session, PendingCall, calls, ["key"])
    # Recorded first, so the helpdesk's echo of each reply stays out of the thread (which
    # gets its own record of who told the customer).
    echoes = [
        {
            "ticket_id": ticket_id,
            "external_id": f"slack:customer:{transition.id}:{ticket_id}",
            "author": "supportbot",
            "author_id": user_id,
            "by_agent": True,
            "public": True,
            "body": body,
            "created_at": now,
            "from_slack": True,
            "posted": True,
        }
        for ticket_id in inserted
    ]
    insert_rows_if_absent(session, TicketComment, echoes, ["ticket_id", "external_id"])
    already += len(chosen) - len(inserted)
    outbox.enqueue_message(
        session,
        render.queued(bug.key, len(inserted), already),
        key=f"customers:{batch}:queued"[:255],
        channel=user_id,
        now=now,
    )
    return Told(len(inserted), already)


def _call(
    ticket: Ticket,
    reply_id: int,
    transition_id: int,
    body: str,
    new_status: str | None,
    user_id: str,
    batch: str,
    now: datetime,
) -> dict[str, Any]:
    """A pending-call row as `pending_calls.enqueue` writes it (inserted in bulk)."""
    return {
        "key": f"customer:{transition_id}:{ticket.id}",
        "kind": PUBLIC_REPLY,
        "payload": {
            "reply_id": reply_id,
            "ticket_pk": ticket.id,
            "ticket_id": ticket.external_id,
            "provider": ticket.provider,
            "body": body,
            "status": new_status,
            "user_id": user_id,
            "batch": batch[:64],
        },
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "requested_by": user_id,
        "created_at": now,
    }


def told_before(session: Session, bug: Bug, ticket_ids: Sequence[int]) -> dict[int, CustomerReply]:
    """The latest reply (queued or sent) to each ticket's customer about this bug."""
    if not ticket_ids:
        return {}
    rows = session.scalars(
        select(CustomerReply)
        .where(
            CustomerReply.bug_id == bug.id,
            CustomerReply.ticket_id.in_(list(ticket_ids)),
            CustomerReply.status != "failed",
        )
        .order_by(CustomerReply.id)
    ).all()
    return {row.ticket_id: row for row in rows}


def sent(session: Session, call: PendingCall, result: dict[str, Any], now: datetime) -> None:
    """The helpdesk has the reply: mark it, and record in the ticket's thread who said what."""
    payload = call.payload
    reply = session.get(CustomerReply, payload["reply_id"])
    ticket = session.get(Ticket, payload["ticket_pk"])
    if reply is None or ticket is None:
        return
    reply.status, reply.sent_at, reply.error = "sent", now, None
    bug = session.get(Bug, reply.bug_id)
    if ticket.channel_id and bug is not None:
        outbox.enqueue_message(
            session,
            render.told_in_thread(bug.key, reply.told_by, reply.body, reply.new_status),
            key=f"{call.key}:told"[:255],
            channel=ticket.channel_id,
            thread_key=ticket.root_key,
            now=now,
            meta={"bug": bug.key, "ticket": ticket.external_id},
        )


def failed(session: Session, call: PendingCall, error: str, gave_up: bool, now: datetime) -> None:
    """Tell the agent once per submission while retrying, and per ticket when giving up."""
    payload = call.payload
    reply = session.get(CustomerReply, payload["reply_id"])
    ticket = session.get(Ticket, payload["ticket_pk"])
    label = ticket_label(ticket) if ticket is not None else f"#{payload['ticket_id']}"
    if gave_up:
        if reply is not None:
            reply.status, reply.error = "failed", error[:1000]
        outbox.enqueue_message(
            session,
            render.gave_up(label, error),
            key=f"{call.key}:gave-up"[:255],
            channel=payload["user_id"],
            now=now,
        )
    elif call.attempts == 1:
        outbox.enqueue_message(
            session,
            render.delayed(label, error),
            key=f"customers:{payload['batch']}:delayed"[:255],
            channel=payload["user_id"],
            now=now,
        )
