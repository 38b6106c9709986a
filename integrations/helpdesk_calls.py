"""Executors of the calls that write to a ticket's helpdesk: notes from threads, the bugs'
system notes, and public replies telling customers a bug is fixed.

Zendesk tickets go through the Tickets API; tickets from `/webhooks/helpdesk` through the
signed callback (integrations.helpdesk_callback), keyed by the call's unique key so a retry is
applied once. A retried Zendesk reply first looks for the comment an earlier attempt may have
added before its answer was lost.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bot.bugs.customers import PUBLIC_REPLY
from bot.bugs.notices import SYSTEM_NOTE
from bot.db import transaction
from bot.pending_calls import Claimed
from bot.tickets import notes
from bot.tickets.render.thread import note_for_ticket
from integrations.clients import Clients, HelpdeskApi, ZendeskApi
from integrations.slack_directory import user_name

Executor = Callable[[Claimed, datetime], dict[str, Any]]
ZENDESK = "zendesk"
WRITES = (notes.NOTE, SYSTEM_NOTE, PUBLIC_REPLY)


class Unconfigured(Exception):
    """The ticket's helpdesk is not configured in this process (a permanent failure)."""

    permanent = True
    retry_after = None


def paced(call: Claimed) -> bool:
    """Whether the call updates a Zendesk ticket (paced to the Update Ticket budget)."""
    return call.kind in WRITES and call.payload.get("provider", ZENDESK) == ZENDESK


def _zendesk(clients: Clients) -> ZendeskApi:
    if clients.zendesk is None:
        raise Unconfigured("Zendesk is not configured (ZENDESK_URL, ZENDESK_EMAIL, …)")
    return clients.zendesk


def _desk(clients: Clients) -> HelpdeskApi:
    if clients.helpdesk is None:
        raise Unconfigured("the helpdesk callback is not configured (HELPDESK_CALLBACK_URL)")
    return clients.helpdesk


def executors(
    factory: sessionmaker[Session], clients: Clients, base: Mapping[str, Executor]
) -> dict[str, Executor]:
    """Public replies, and notes routed by the ticket's helpdesk (`base` has Zendesk's)."""
    if clients.zendesk is None and clients.helpdesk is None:
        return {}

    def public_reply(call: Claimed, _now: datetime) -> dict[str, Any]:
        p = call.payload
        if p["provider"] != ZENDESK:
            return _desk(clients).send(
                kind="ticket.reply",
                source=p["provider"],
                ticket_id=p["ticket_id"],
                body=p["body"],
                idempotency_key=call.key,
                status=p.get("status"),
            )
        zendesk = _zendesk(clients)
        if call.attempts > 1:  # an earlier attempt may have landed before its answer was lost
            for comment in zendesk.comments(p["ticket_id"]):
                if comment.get("public") and comment.get("body") == p["body"]:
                    return {"comment_id": str(comment.get("id")), "found": True}
        return zendesk.add_public_reply(p["ticket_id"], p["body"], p.get("status"))

    def system_note(call: Claimed, now: datetime) -> dict[str, Any]:
        p = call.payload
        if p.get("provider", ZENDESK) == ZENDESK:
            if SYSTEM_NOTE not in base:
                _zendesk(clients)
            return base[SYSTEM_NOTE](call, now)
        return _desk(clients).send(
            kind="ticket.note",
            source=p["provider"],
            ticket_id=p["ticket_id"],
            body=p["body"],
            idempotency_key=call.key,
            author="supportbot",
        )

    def note(call: Claimed, now: datetime) -> dict[str, Any]:
        p = call.payload
        if p.get("provider", ZENDESK) == ZENDESK:
            if notes.NOTE not in base:
                _zendesk(clients)
            return base[notes.NOTE](call, now)
        desk = _desk(clients)
        author = user_name(factory, clients.slack, p["user_id"], now)
        body = note_for_ticket(text=p["text"], author=author)
        with transaction(factory) as session:
            notes.prepare(session, p, body, author)
        result = desk.send(
            kind="ticket.note",
            source=p["provider"],
            ticket_id=p["ticket_id"],
            body=body,
            idempotency_key=call.key,
            author=author,
        )
        return {**result, "body": body, "author": author}

    return {PUBLIC_REPLY: public_reply, SYSTEM_NOTE: system_note, notes.NOTE: note}
