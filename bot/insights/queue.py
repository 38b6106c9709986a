"""The state of the ticket queue for team leads: open tickets by status and priority,
unassigned, oldest waiting, SLA risks, who is on shift, and open tickets per channel."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.orm import Session

from bot.errors import UserError
from bot.rotations import roster
from bot.rotations.roster import OnShift
from bot.sla import targets as sla
from bot.tickets import links
from bot.tickets.models import Ticket, open_tickets
from bot.tickets.routing import parse_channel

# Statuses in which the ticket waits on the support team (pending and hold wait on others).
WAITING = ("new", "open")
LISTED = 8


@dataclass(frozen=True)
class QueueFilter:
    """Which tickets a queue view covers (None: all)."""

    channel: str | None = None
    group: str | None = None
    priority: str | None = None

    def describe(self) -> str:
        """`in <#C1>, group Billing, priority high` or '' for everything."""
        parts = []
        if self.channel:
            parts.append(f"in <#{self.channel}>")
        if self.group:
            parts.append(f"group {self.group}")
        if self.priority:
            parts.append(f"priority {self.priority}")
        return ", ".join(parts)


@dataclass(frozen=True)
class QueueTicket:
    """A ticket as a listing shows it."""

    ticket: Ticket
    sla: sla.TicketSla
    due_at: datetime | None
    link: str | None


@dataclass
class Queue:
    """Everything `/support queue` and the leads' App Home show."""

    filter: QueueFilter
    open: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    by_priority: dict[str, int] = field(default_factory=dict)
    by_channel: dict[str, int] = field(default_factory=dict)
    unassigned: int = 0
    oldest: QueueTicket | None = None
    breached: int = 0
    at_risk: int = 0
    risks: list[QueueTicket] = field(default_factory=list)
    shifts: list[OnShift] = field(default_factory=list)


def parse_filter(args: list[str]) -> tuple[QueueFilter, bool]:
    """(filter, public) from `[public] [#channel | channel:<id>] [group:<name>]
    [priority:<p>]`; raises UserError naming what it did not understand."""
    channel = group = priority = None
    public = False
    for arg in args:
        word = arg.lower()
        if word == "public":
            public = True
        elif word.startswith("priority:") and len(arg) > 9:
            priority = word.removeprefix("priority:")
        elif word.startswith("group:") and len(arg) > 6:
            group = arg[6:]
        elif word.startswith("channel:") and len(arg) > 8:
            channel = parse_channel(arg[8:])
        elif arg.startswith(("<#", "#", "C", "G")):
            channel = parse_channel(arg)
        else:
            raise UserError(
                f"`{arg[:40]}` is not a filter: use `public`, a #channel, "
                "`group:<name>` or `priority:<urgent|high|normal|low>`"
            )
    if priority and priority not in (*sla.PRIORITIES, "none"):
        raise UserError(f"`{priority[:20]}` is not a priority: use urgent, high, normal or low")
    return QueueFilter(channel, group, priority), public


def _conditions(flt: QueueFilter) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = [open_tickets()]
    if flt.channel:
        found.append(Ticket.channel_id == flt.channel)
    if flt.group:
        found.append(func.lower(Ticket.group_name) == flt.group.lower())
    if flt.priority == "none":
        found.append(Ticket.priority.is_(None))
    elif flt.priority:
        found.append(func.lower(Ticket.priority) == flt.priority)
    return found


def as_listed(session: Session, tickets: list[Ticket], now: datetime) -> list[QueueTicket]:
    """Tickets as listings show them: SLA standing, the due time that matters, thread link."""
    found = links.thread_links(session, tickets)
    out = []
    for ticket in tickets:
        standing = sla.standing(ticket, now)
        due = (
            ticket.response_due_at
            if standing.first_response not in (None, "ok")
            else ticket.resolve_due_at
        )
        out.append(QueueTicket(ticket, standing, due, found.get(ticket.id)))
    return out


def summary(session: Session, now: datetime, flt: QueueFilter, *, listed: int = LISTED) -> Queue:
    """The queue at `now` for the tickets `flt` selects."""
    where = and_(*_conditions(flt))
    queue = Queue(flt)
    statuses: Counter[str] = Counter()
    priorities: Counter[str] = Counter()
    channels: Counter[str] = Counter()
    # One pass over the open tickets (a covering partial index), grouped by all it counts.
    unassigned = Ticket.assignee_id.is_(None) & Ticket.assignee.is_(None)
    level = case((sla.breached_condition(now), 2), (sla.at_risk_condition(now), 1), else_=0)
    rows = session.execute(
        select(Ticket.status, Ticket.priority, Ticket.channel_id, unassigned, level, func.count())
        .where(where)
        .group_by(Ticket.status, Ticket.priority, Ticket.channel_id, unassigned, level)
    )
    for status, priority, channel, nobody, risk, count in rows:
        statuses[status] += count
        priorities[(priority or "none").lower()] += count
        channels[channel or "(not posted)"] += count
        queue.unassigned += count if nobody else 0
        queue.breached += count if risk == 2 else 0
        queue.at_risk += count if risk == 1 else 0
    queue.open = sum(statuses.values())
    queue.by_status = dict(statuses.most_common())
    queue.by_priority = {p: priorities[p] for p in (*sla.PRIORITIES, "none") if priorities[p]}
    queue.by_priority.update({p: n for p, n in priorities.items() if p not in queue.by_priority})
    queue.by_channel = dict(channels.most_common())
    oldest = session.scalar(
        select(Ticket)
        .where(where, Ticket.status.in_(WAITING))
        .order_by(func.coalesce(Ticket.opened_at, Ticket.first_seen_at), Ticket.id)
        .limit(1)
    )
    risky = list(
        session.scalars(
            select(Ticket)
            .where(where, sla.at_risk_condition(now))
            .order_by(_earliest_due(), Ticket.id)
            .limit(listed)
        )
    )
    shown = as_listed(session, [*risky, *([oldest] if oldest else [])], now)
    queue.risks = shown[: len(risky)]
    queue.oldest = shown[-1] if oldest else None
    queue.shifts = roster.on_shift(session, now)
    return queue


def _earliest_due() -> ColumnElement[datetime]:
    """The nearer of a ticket's live due times (first response only while unanswered)."""
    response = case((Ticket.first_response_at.is_(None), Ticket.response_due_at), else_=None)
    return func.coalesce(
        case(
            (response < Ticket.resolve_due_at, response),
            else_=Ticket.resolve_due_at,
        ),
        Ticket.resolve_due_at,
    )
