"""An agent's own desk for the App Home: the open tickets assigned to them (through the
helpdesk-agent mapping), the Jira bugs those tickets wait on, and the tickets whose bug was
fixed since they last opened the Home.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from bot.bugs.models import Bug, BugLink, BugTransition
from bot.bugs.state import DONE
from bot.insights.queue import QueueTicket, as_listed
from bot.models import SlackUser
from bot.tickets import agents
from bot.tickets.models import HelpdeskName, Ticket, open_tickets

# Without an earlier visit, fixes of the last week count as news.
FIRST_LOOK = timedelta(days=7)
SHOWN = 10


@dataclass(frozen=True)
class Waiting:
    """A bug not done yet, with the agent's tickets linked to it."""

    bug: Bug
    tickets: list[QueueTicket]


@dataclass(frozen=True)
class Fixed:
    """A ticket of the agent's whose bug became done since they last looked."""

    item: QueueTicket
    bug: Bug
    at: datetime


@dataclass
class AgentDesk:
    """What the Home shows an agent of their own work."""

    tickets: list[QueueTicket] = field(default_factory=list)
    total: int = 0
    waiting: list[Waiting] = field(default_factory=list)
    fixed: list[Fixed] = field(default_factory=list)


def assigned_to(session: Session, user_id: str) -> list[Ticket]:
    """Open tickets whose assignee is this Slack user (by the agents' emails, then by name)."""
    emails = agents.emails_of(session, user_id)
    me = session.get(SlackUser, user_id)
    matches = []
    if emails:
        matches.append(func.lower(HelpdeskName.email).in_(emails))
    if me is not None and me.real_name and not (me.deleted or me.is_bot):
        matches.append(func.lower(Ticket.assignee) == me.real_name.strip().lower())
    if not matches:
        return []
    candidates = session.scalars(
        select(Ticket)
        .outerjoin(
            HelpdeskName,
            and_(
                HelpdeskName.provider == Ticket.provider,
                HelpdeskName.kind == "user",
                HelpdeskName.external_id == Ticket.assignee_id,
            ),
        )
        .where(open_tickets(), or_(*matches))
        .order_by(Ticket.id)
    ).all()
    # The same rule as mentions and DMs decides: a lead's mapping or an email match can point
    # a name-alike elsewhere. Many tickets share one assignee: each is resolved once.
    resolved: dict[tuple[str, str | None, str | None], str | None] = {}
    mine = []
    for ticket in candidates:
        who = (ticket.provider, ticket.assignee_id, ticket.assignee)
        if who not in resolved:
            resolved[who] = agents.assignee_of(session, ticket)
        if resolved[who] == user_id:
            mine.append(ticket)
    return mine


def desk(session: Session, user_id: str, now: datetime, since: datetime | None) -> AgentDesk | None:
    """The agent's desk, or None when this user is no helpdesk agent we know of."""
    tickets = assigned_to(session, user_id)
    if not tickets and not agents.emails_of(session, user_id):
        return None
    items = {item.ticket.id: item for item in as_listed(session, tickets, now)}
    found = AgentDesk(total=len(tickets))
    found.tickets = sorted(items.values(), key=_urgency)[:SHOWN]
    if not tickets:
        return found
    links = session.execute(
        select(BugLink.ticket_id, Bug)
        .join(Bug, Bug.id == BugLink.bug_id)
        .where(BugLink.ticket_id.in_(list(items)), BugLink.unlinked_at.is_(None))
        .order_by(Bug.id, BugLink.ticket_id)
    ).all()
    waiting: dict[int, Waiting] = {}
    done: list[tuple[int, Bug]] = []
    for ticket_id, bug in links:
        if bug.category == DONE:
            done.append((ticket_id, bug))
        else:
            waiting.setdefault(bug.id, Waiting(bug, [])).tickets.append(items[ticket_id])
    found.waiting = list(waiting.values())[:SHOWN]
    found.fixed = _fixed_since(session, done, items, since or now - FIRST_LOOK)
    return found


def _fixed_since(
    session: Session, done: list[tuple[int, Bug]], items: dict[int, QueueTicket], since: datetime
) -> list[Fixed]:
    """Of the agent's tickets linked to done bugs, those whose bug was closed after `since`."""
    if not done:
        return []
    closed = dict(
        session.execute(
            select(BugTransition.bug_id, func.max(BugTransition.observed_at))
            .where(
                BugTransition.bug_id.in_({bug.id for _, bug in done}),
                BugTransition.kind == "closed",
                BugTransition.observed_at > since,
            )
            .group_by(BugTransition.bug_id)
        ).all()
    )
    fixed = [Fixed(items[t], bug, closed[bug.id]) for t, bug in done if bug.id in closed]
    return sorted(fixed, key=lambda f: f.at, reverse=True)[:SHOWN]


def _urgency(item: QueueTicket) -> tuple[int, datetime, int]:
    """Breached first, then at risk, then the rest; sooner due first."""
    rank = {"breached": 0, "at_risk": 1}.get(item.sla.worst, 2)
    due = item.due_at or item.ticket.resolve_due_at or item.ticket.first_seen_at
    return rank, due, item.ticket.id
