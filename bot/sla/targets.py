"""Service levels: first-response and resolution targets per priority, and each ticket's
thresholds ("at risk" once a share of the target's time has passed, "breached" at the due time).

Targets are calendar time from when the ticket was opened. The thresholds are stored on the
ticket (so queries and the SLA sweep use indexes) and recomputed whenever the ticket or the
policy changes; `sla_next_at` is the earliest threshold not yet alerted on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.orm import Session

from bot.sla.models import SlaAlert, SlaPolicy
from bot.tickets.models import CLOSED, Ticket, open_tickets

FIRST_RESPONSE = "first_response"
RESOLUTION = "resolution"
METRICS = (FIRST_RESPONSE, RESOLUTION)
AT_RISK = "at_risk"
BREACHED = "breached"
LEVELS = (AT_RISK, BREACHED)
PRIORITIES = ("urgent", "high", "normal", "low")
FALLBACK_PRIORITY = "normal"


@dataclass(frozen=True)
class Target:
    """A priority's targets, in minutes from the ticket's opening."""

    first_response_minutes: int
    resolution_minutes: int
    at_risk_percent: int = 75


# Common helpdesk practice (e.g. Zendesk's sample SLA policies): calendar hours.
DEFAULTS: dict[str, Target] = {
    "urgent": Target(60, 8 * 60),
    "high": Target(4 * 60, 24 * 60),
    "normal": Target(8 * 60, 48 * 60),
    "low": Target(24 * 60, 120 * 60),
}


@dataclass(frozen=True)
class Thresholds:
    """When a ticket's first response and resolution become at risk and breached."""

    response_risk_at: datetime
    response_due_at: datetime
    resolve_risk_at: datetime
    resolve_due_at: datetime


@dataclass(frozen=True)
class TicketSla:
    """Where a ticket stands now: the worst level of each live target ("ok" when none)."""

    first_response: str | None  # None once answered (or closed)
    resolution: str | None  # None once closed

    @property
    def worst(self) -> str:
        """The worst level of either target: breached, at_risk or ok."""
        levels = {self.first_response, self.resolution}
        if BREACHED in levels:
            return BREACHED
        return AT_RISK if AT_RISK in levels else "ok"


def policies(session: Session) -> dict[str, Target]:
    """Every priority's targets: the defaults, overridden by what leads set."""
    merged = dict(DEFAULTS)
    for row in session.scalars(select(SlaPolicy)):
        merged[row.priority] = Target(
            row.first_response_minutes, row.resolution_minutes, row.at_risk_percent
        )
    return merged


def priority_of(ticket: Ticket) -> str:
    """The policy key of a ticket's priority (tickets without one count as normal)."""
    return (ticket.priority or FALLBACK_PRIORITY).lower()


def target_for(table: dict[str, Target], priority: str | None) -> Target:
    """The targets of `priority`, or of normal when the desk uses a priority we do not know."""
    key = (priority or FALLBACK_PRIORITY).lower()
    return table.get(key) or table.get(FALLBACK_PRIORITY) or DEFAULTS[FALLBACK_PRIORITY]


def thresholds(start: datetime, target: Target) -> Thresholds:
    """The four threshold times of a ticket opened at `start`."""
    share = target.at_risk_percent / 100
    response = timedelta(minutes=target.first_response_minutes)
    resolve = timedelta(minutes=target.resolution_minutes)
    return Thresholds(
        response_risk_at=start + response * share,
        response_due_at=start + response,
        resolve_risk_at=start + resolve * share,
        resolve_due_at=start + resolve,
    )


def is_open(ticket: Ticket) -> bool:
    """Whether the ticket still counts against its targets."""
    return ticket.status not in CLOSED


def _live(ticket: Ticket) -> tuple[str, ...]:
    if not is_open(ticket):
        return ()
    return METRICS if ticket.first_response_at is None else (RESOLUTION,)


def _times(ticket: Ticket, metric: str) -> tuple[datetime | None, datetime | None]:
    if metric == FIRST_RESPONSE:
        return ticket.response_risk_at, ticket.response_due_at
    return ticket.resolve_risk_at, ticket.resolve_due_at


def assign(
    session: Session,
    ticket: Ticket,
    table: dict[str, Target] | None = None,
    done: set[tuple[str, str]] | None = None,
) -> None:
    """Store the ticket's thresholds from its priority and opening, and its next alert time.

    `table` (the policies) and `done` (its alerts) save queries when assigning many tickets.
    """
    start = ticket.opened_at or ticket.first_seen_at
    found = thresholds(start, target_for(table or policies(session), ticket.priority))
    ticket.response_risk_at, ticket.response_due_at = found.response_risk_at, found.response_due_at
    ticket.resolve_risk_at, ticket.resolve_due_at = found.resolve_risk_at, found.resolve_due_at
    if done is None:
        done = alerted(session, ticket.id)
    ticket.sla_next_at = next_alert_at(ticket, done)


def retime(session: Session, ticket: Ticket, *, changed: bool) -> None:
    """Re-derive the ticket's thresholds when what they depend on changed (or were never set)."""
    if changed or ticket.response_due_at is None:
        assign(session, ticket)


def alerted(session: Session, ticket_id: int | None) -> set[tuple[str, str]]:
    """The (metric, level) pairs already recorded for a ticket."""
    if ticket_id is None:
        return set()
    rows = session.execute(
        select(SlaAlert.metric, SlaAlert.level).where(SlaAlert.ticket_id == ticket_id)
    )
    return {(metric, level) for metric, level in rows}


def alerted_many(session: Session, ticket_ids: Sequence[int]) -> dict[int, set[tuple[str, str]]]:
    """The (metric, level) pairs already recorded, for each of the tickets."""
    done: dict[int, set[tuple[str, str]]] = {i: set() for i in ticket_ids}
    ids = list(ticket_ids)
    for start in range(0, len(ids), 500):
        rows = session.execute(
            select(SlaAlert.ticket_id, SlaAlert.metric, SlaAlert.level).where(
                SlaAlert.ticket_id.in_(ids[start : start + 500])
            )
        )
        for ticket_id, metric, level in rows:
            done[ticket_id].add((metric, level))
    return done


def next_alert_at(ticket: Ticket, done: set[tuple[str, str]]) -> datetime | None:
    """The earliest threshold of a live target that has no alert yet, or None."""
    pending = []
    for metric in _live(ticket):
        risk, due = _times(ticket, metric)
        for level, at in ((AT_RISK, risk), (BREACHED, due)):
            if at is not None and (metric, level) not in done:
                pending.append(at)
    return min(pending, default=None)


def reached(ticket: Ticket, now: datetime) -> list[tuple[str, str, datetime]]:
    """The (metric, level, due time) thresholds a live target has reached by `now`."""
    found = []
    for metric in _live(ticket):
        risk, due = _times(ticket, metric)
        if due is None or risk is None:
            continue
        if now >= due:
            found.append((metric, BREACHED, due))
        elif now >= risk:
            found.append((metric, AT_RISK, due))
    return found


def standing(ticket: Ticket, now: datetime) -> TicketSla:
    """Where each live target of the ticket stands at `now`."""
    levels: dict[str, str | None] = {FIRST_RESPONSE: None, RESOLUTION: None}
    for metric in _live(ticket):
        levels[metric] = "ok"
    for metric, level, _ in reached(ticket, now):
        levels[metric] = level
    return TicketSla(levels[FIRST_RESPONSE], levels[RESOLUTION])


def at_risk_condition(now: datetime) -> ColumnElement[bool]:
    """SQL: open tickets at risk of or past a target at `now`."""
    return and_(
        open_tickets(),
        or_(
            and_(Ticket.first_response_at.is_(None), Ticket.response_risk_at <= now),
            Ticket.resolve_risk_at <= now,
        ),
    )


def breached_condition(now: datetime) -> ColumnElement[bool]:
    """SQL: open tickets past a target at `now`."""
    return and_(
        open_tickets(),
        or_(
            and_(Ticket.first_response_at.is_(None), Ticket.response_due_at <= now),
            Ticket.resolve_due_at <= now,
        ),
    )


@dataclass(frozen=True)
class Attainment:
    """How many tickets met each target, of those whose outcome is known."""

    response_met: int
    response_total: int
    resolve_met: int
    resolve_total: int

    @staticmethod
    def rate(met: int, total: int) -> float | None:
        """met / total, or None when nothing counts yet."""
        return met / total if total else None

    @property
    def response_rate(self) -> float | None:
        """The share of first responses in time."""
        return self.rate(self.response_met, self.response_total)

    @property
    def resolve_rate(self) -> float | None:
        """The share of resolutions in time."""
        return self.rate(self.resolve_met, self.resolve_total)


def attainment(session: Session, since: datetime, until: datetime) -> Attainment:
    """SLA attainment of tickets first seen in [since, until), judged at `until`.

    A target counts once its outcome is known: answered (or solved) by then, or overdue.
    """
    answered = Ticket.first_response_at.is_not(None)
    solved = Ticket.solved_at.is_not(None)

    def count(condition: ColumnElement[bool]) -> ColumnElement[int]:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    row = session.execute(
        select(
            count(and_(answered, Ticket.first_response_at <= Ticket.response_due_at)),
            count(or_(answered, Ticket.response_due_at <= until)),
            count(and_(solved, Ticket.solved_at <= Ticket.resolve_due_at)),
            count(or_(solved, Ticket.resolve_due_at <= until)),
        ).where(
            Ticket.first_seen_at >= since,
            Ticket.first_seen_at < until,
            Ticket.response_due_at.is_not(None),
        )
    ).one()
    return Attainment(*(int(value) for value in row))
