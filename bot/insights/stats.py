"""Support-load figures over a period: volume and trend, first-response times, SLA attainment,
shift attendance per team, bugs filed and closed, and the most common tags.

Pure queries: the period is passed in as [since, until). Percentiles are computed in Python
from one column of durations (SQLite has no percentile function); the duration itself is
computed by the database, so ~100k tickets cost one narrow read.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Float, cast, func, select, true
from sqlalchemy.orm import Session

from bot.bugs.models import BugLink, BugTransition
from bot.rotations import roster
from bot.rotations.models import Rotation
from bot.sla import targets
from bot.tickets.models import EngineerQuestion, Ticket


@dataclass(frozen=True)
class ResponseTimes:
    """First-response times (seconds) of the tickets that got one."""

    count: int
    median: float | None
    p90: float | None


@dataclass(frozen=True)
class TeamAttendance:
    """Seats of one team whose check-in window closed in the period, and how they went."""

    team: str
    shifts: int
    no_shows: int
    late: int

    @property
    def staffed(self) -> int:
        """Seats someone turned up for (late counts as staffed)."""
        return self.shifts - self.no_shows


@dataclass(frozen=True)
class EngineerResponse:
    """Questions to one rotation's engineers on shift, and how long until one took each."""

    rotation: str
    asked: int
    times: ResponseTimes

    @property
    def waiting(self) -> int:
        """Questions nobody has taken."""
        return self.asked - self.times.count


@dataclass(frozen=True)
class Stats:
    """Every figure of one period."""

    since: datetime
    until: datetime
    tickets: int
    previous_tickets: int
    response: ResponseTimes
    attainment: targets.Attainment
    teams: list[TeamAttendance]
    bugs_filed: int
    bugs_closed: int
    tags: list[tuple[str, int]] = field(default_factory=list)
    engineers: list[EngineerResponse] = field(default_factory=list)

    @property
    def trend(self) -> float | None:
        """Change in volume against the previous period of the same length (0.25 = +25 %)."""
        if not self.previous_tickets:
            return None
        return (self.tickets - self.previous_tickets) / self.previous_tickets


def volume(session: Session, since: datetime, until: datetime) -> int:
    """Tickets first seen (mirrored) in [since, until)."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(Ticket)
            .where(Ticket.first_seen_at >= since, Ticket.first_seen_at < until)
        )
        or 0
    )


def percentile(ordered: Sequence[float], q: float) -> float | None:
    """The q-quantile (0..1) of sorted values by linear interpolation, or None when empty."""
    if not ordered:
        return None
    position = q * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _seconds_between(session: Session, later: Any, earlier: Any) -> ColumnElement[float]:
    """SQL: `later - earlier` in seconds, on SQLite (julian days) or PostgreSQL (epoch)."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.extract("epoch", later - earlier), Float)
    return (func.julianday(later) - func.julianday(earlier)) * 86400.0


def response_times(session: Session, since: datetime, until: datetime) -> ResponseTimes:
    """Median and p90 from opening (or first sight) to first response, for tickets first seen
    in [since, until) that have been answered."""
    start = func.coalesce(Ticket.opened_at, Ticket.first_seen_at)
    seconds = _seconds_between(session, Ticket.first_response_at, start)
    durations = sorted(
        max(float(value), 0.0)  # a desk clock a little behind ours must not go negative
        for value in session.scalars(
            select(seconds).where(
                Ticket.first_seen_at >= since,
                Ticket.first_seen_at < until,
                Ticket.first_response_at.is_not(None),
            )
        )
        if value is not None
    )
    return ResponseTimes(len(durations), percentile(durations, 0.5), percentile(durations, 0.9))


def team_attendance(session: Session, since: datetime, until: datetime) -> list[TeamAttendance]:
    """Shifts staffed and no-shows per team (by `@handle` when known), most no-shows first."""
    found = roster.report(session, until, until - since)
    names = roster.team_names(session)
    teams = [
        TeamAttendance(names.get(team, team), t.shifts, t.no_shows, t.late)
        for team, t in found.teams.items()
    ]
    teams.sort(key=lambda t: (-t.no_shows, -t.shifts, t.team.casefold()))
    return teams


def bugs_filed(session: Session, since: datetime, until: datetime) -> int:
    """Distinct bugs filed from a ticket thread in [since, until)."""
    return int(
        session.scalar(
            select(func.count(func.distinct(BugLink.bug_id))).where(
                BugLink.how == "filed", BugLink.linked_at >= since, BugLink.linked_at < until
            )
        )
        or 0
    )


def bugs_closed(session: Session, since: datetime, until: datetime) -> int:
    """Distinct bugs that entered a done status in [since, until)."""
    return int(
        session.scalar(
            select(func.count(func.distinct(BugTransition.bug_id))).where(
                BugTransition.kind == "closed",
                BugTransition.changed_at >= since,
                BugTransition.changed_at < until,
            )
        )
        or 0
    )


def top_tags(
    session: Session, since: datetime, until: datetime, *, limit: int = 5
) -> list[tuple[str, int]]:
    """The most common tags of tickets first seen in [since, until), with their counts."""
    if session.get_bind().dialect.name == "postgresql":
        each = func.jsonb_array_elements_text(Ticket.tags).table_valued("value")
        arrays: ColumnElement[bool] = func.jsonb_typeof(Ticket.tags) == "array"
    else:
        each = func.json_each(Ticket.tags).table_valued("value")
        arrays = func.json_type(Ticket.tags) == "array"
    tag = each.c.value
    uses = func.count().label("uses")
    rows = session.execute(
        select(tag, uses)
        .select_from(Ticket)
        .join(each, true())
        .where(Ticket.first_seen_at >= since, Ticket.first_seen_at < until, arrays)
        .group_by(tag)
        .order_by(uses.desc(), tag)
        .limit(limit)
    ).all()
    return [(str(name), int(count)) for name, count in rows if name]


def engineer_response(session: Session, since: datetime, until: datetime) -> list[EngineerResponse]:
    """Per rotation, for questions asked in [since, until): median and p90 time until an
    engineer took one, and how many are still waiting."""
    q = EngineerQuestion
    seconds = _seconds_between(session, q.taken_at, q.asked_at)
    found: dict[str, list[float | None]] = {}
    for name, value in session.execute(
        select(Rotation.name, seconds)
        .join(Rotation, Rotation.id == q.rotation_id)
        .where(q.asked_at >= since, q.asked_at < until)
    ):
        found.setdefault(name, []).append(None if value is None else max(float(value), 0.0))
    out = []
    for name in sorted(found):
        taken = sorted(v for v in found[name] if v is not None)
        times = ResponseTimes(len(taken), percentile(taken, 0.5), percentile(taken, 0.9))
        out.append(EngineerResponse(name, len(found[name]), times))
    return out


def summary(session: Session, since: datetime, until: datetime, *, tags: int = 5) -> Stats:
    """Every figure of [since, until), with the volume of the period of equal length before."""
    length: timedelta = until - since
    return Stats(
        since=since,
        until=until,
        tickets=volume(session, since, until),
        previous_tickets=volume(session, since - length, since),
        response=response_times(session, since, until),
        attainment=targets.attainment(session, since, until),
        teams=team_attendance(session, since, until),
        bugs_filed=bugs_filed(session, since, until),
        bugs_closed=bugs_closed(session, since, until),
        tags=top_tags(session, since, until, limit=tags) if tags else [],
        engineers=engineer_response(session, since, until),
    )
