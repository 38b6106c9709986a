"""Names behind helpdesk ids: looked up once, cached, and shown on every ticket using them.

A new ticket waits up to NAME_WAIT for its names, so its first root message already shows
them; a later name simply edits the root message.

Whoever commits last releases a waiting ticket. A lookup's result is stored with the call's
outcome, and the tickets showing it are refreshed afterwards in a transaction of their own
(the reaction's follow-up); a ticket deciding to wait reads the lookup's state under a share
lock (PostgreSQL). So either the ticket's transaction sees the lookup finished (and the name
stored), or the lookup's outcome waits for it to commit and the refresh then sees the ticket;
and the refresh holds no lock a ticket's transaction waits for while it locks tickets.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bot import pending_calls
from bot.models import PendingCall
from bot.pending_calls import FollowUp
from bot.tickets import agents, known
from bot.tickets.intake import ZENDESK
from bot.tickets.models import HelpdeskName, Ticket, TicketChange
from bot.tickets.threads import NAME_WAIT, TicketConfig, sync

LOOKUP = "zendesk.lookup"
NAME_FIELDS = {  # ticket id column -> (name kind, name column)
    "requester_id": ("user", "requester_name"),
    "assignee_id": ("user", "assignee"),
    "organization_id": ("organization", "organization"),
    "group_id": ("group", "group_name"),
    "brand_id": ("brand", "brand"),
}


def fill_names(session: Session, ticket: Ticket) -> bool:
    """Copy cached names onto the ticket; True when any changed."""
    changed = False
    for id_column, (kind, name_column) in NAME_FIELDS.items():
        external = getattr(ticket, id_column)
        if not external or getattr(ticket, name_column):
            continue
        name = _cached_name(session, ticket.provider, kind, external)
        if name is not None:
            setattr(ticket, name_column, name)
            changed = True
    return changed


def fill_contact(session: Session, ticket: Ticket, show: bool) -> bool:
    """The requester's email and phone from the helpdesk's user record while
    SHOW_REQUESTER_CONTACT is on; cleared while it is off. True when either changed."""
    before = (ticket.requester_email, ticket.requester_phone)
    if not show:
        ticket.requester_email = ticket.requester_phone = None
    elif ticket.requester_id:
        found = known.name_row(session, ticket.provider, "user", ticket.requester_id)
        if found is not None:
            ticket.requester_email = found.email or ticket.requester_email
            ticket.requester_phone = found.phone or ticket.requester_phone
    return (ticket.requester_email, ticket.requester_phone) != before


def _cached_name(session: Session, provider: str, kind: str, external_id: str) -> str | None:
    """A known name (read once per transaction, see `known`)."""
    found = known.name_row(session, provider, kind, external_id)
    return found.name if found is not None else None


def request_names(session: Session, ticket: Ticket, now: datetime, config: TicketConfig) -> None:
    """Ask the helpdesk for names behind new ids; the thread waits briefly for them."""
    if not config.lookups:
        return
    missing = _missing(session, ticket)
    if not missing:
        return
    status = _lookups(session, list(missing))
    for key, (kind, external) in missing.items():
        if key not in status:
            pending_calls.enqueue(
                session, key=key, kind=LOOKUP, now=now, payload={"kind": kind, "id": external}
            )
            status[key] = "pending"
    # A finished or failed lookup will not bring news; one still to be made will.
    opened = {key: status[key] in ("pending", "running") for key in missing}
    if not all(opened.values()):
        # A lookup that finished after this transaction began has stored its name by now.
        known.forget_misses(
            session, ((ticket.provider, *missing[k]) for k, open_ in opened.items() if not open_)
        )
        if fill_names(session, ticket) and ticket.published_version >= 0:
            ticket.version += 1
    if ticket.waiting_since is None and any(opened.values()):
        ticket.waiting_since = now


def _missing(session: Session, ticket: Ticket) -> dict[str, tuple[str, str]]:
    """The names the ticket's thread waits for (lookup key → kind, id): those behind its ids,
    and those of whoever made changes it has not told yet."""
    missing = {
        _key(ticket.provider, kind, getattr(ticket, id_column)): (kind, getattr(ticket, id_column))
        for id_column, (kind, name_column) in NAME_FIELDS.items()
        if getattr(ticket, id_column) and not getattr(ticket, name_column)
    }
    if ticket.provider != ZENDESK:
        return missing
    actors = session.scalars(
        select(TicketChange.actor).where(
            TicketChange.ticket_id == ticket.id,
            TicketChange.posted.is_(False),
            TicketChange.actor.like("#%"),
        )
    )
    for actor in set(actors):
        user_id = str(actor)[1:]
        if _cached_name(session, ticket.provider, "user", user_id) is None:
            missing[_key(ticket.provider, "user", user_id)] = ("user", user_id)
    return missing


def _lookups(session: Session, keys: list[str]) -> dict[str, str]:
    """The state of each lookup queued under one of `keys` (those never queued left out).

    Read under a share lock: a lookup finishing now waits for this transaction (see above)."""
    query = select(PendingCall.key, PendingCall.status).where(PendingCall.key.in_(keys))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(read=True)
    return {key: status for key, status in session.execute(query)}


def names_found(
    session: Session,
    provider: str,
    names: list[dict[str, object]],
    now: datetime,
    config: TicketConfig,
) -> FollowUp:
    """Store looked-up names; returns the follow-up refreshing every ticket showing one."""
    found = []
    for item in names:
        key = (provider, str(item["kind"]), str(item["id"]))
        row = session.get(HelpdeskName, key) or HelpdeskName(
            provider=key[0], kind=key[1], external_id=key[2]
        )
        row.name = str(item.get("name") or f"#{item['id']}")
        row.email = item.get("email") if isinstance(item.get("email"), str) else None
        phone = item.get("phone")
        row.phone = phone if config.show_contact and isinstance(phone, str) and phone else None
        row.is_agent = bool(item.get("is_agent"))
        row.updated_at = now
        session.add(row)
        session.flush()
        known.forget_misses(session, [key])
        if row.kind == "user" and row.is_agent and row.email:
            agents.request_lookup(session, row.email, now)  # which Slack member this agent is
        found.append(key)

    def refresh(session: Session, now: datetime) -> None:
        for provider, kind, external_id in found:
            for ticket in _showing(session, provider, kind, external_id):
                named = fill_names(session, ticket)
                if fill_contact(session, ticket, config.show_contact) or named:
                    ticket.version += 1
                _release_if_complete(session, ticket, now, config)

    return refresh


def release_for(provider: str, kind: str, external_id: str, config: TicketConfig) -> FollowUp:
    """A lookup failed for now: the follow-up publishing the tickets showing that id without
    its name."""

    def release(session: Session, now: datetime) -> None:
        for ticket in _showing(session, provider, kind, external_id):
            ticket.waiting_since = None
            sync(session, ticket, now, config)

    return release


def _showing(session: Session, provider: str, kind: str, external_id: str) -> list[Ticket]:
    """Tickets that show this id, or whose untold changes were made by this user."""
    shows = [getattr(Ticket, c) == external_id for c, (k, _) in NAME_FIELDS.items() if k == kind]
    if kind == "user":
        changed_by = select(TicketChange.ticket_id).where(
            TicketChange.actor == f"#{external_id}", TicketChange.posted.is_(False)
        )
        shows.append(Ticket.id.in_(changed_by))
    query = select(Ticket).where(Ticket.provider == provider, or_(*shows)).order_by(Ticket.id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(of=Ticket)  # refreshed, not overwritten with a stale read
    return list(session.scalars(query))


def _release_if_complete(
    session: Session, ticket: Ticket, now: datetime, config: TicketConfig
) -> None:
    """Stop waiting once no lookup for this ticket's missing names is still queued."""
    if ticket.waiting_since is not None:
        keys = list(_missing(session, ticket))
        if keys and session.scalar(
            select(PendingCall.id).where(
                PendingCall.key.in_(keys), PendingCall.status.in_(("pending", "running"))
            )
        ):
            return
        ticket.waiting_since = None
    sync(session, ticket, now, config)


def _key(provider: str, kind: str, external_id: str) -> str:
    return f"{LOOKUP}:{provider}:{kind}:{external_id}"


def release_stale(session: Session, now: datetime, config: TicketConfig) -> int:
    """Publish tickets whose name lookups took too long (a sweep calls this)."""
    stale = session.scalars(
        select(Ticket).where(
            Ticket.waiting_since.is_not(None), Ticket.waiting_since <= now - NAME_WAIT
        )
    ).all()
    for ticket in stale:
        ticket.waiting_since = None
        sync(session, ticket, now, config)
    return len(stale)
