"""Who is on now and next, the upcoming schedule, and attendance records with rates."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from bot.errors import UserError
from bot.models import SlackUserGroup
from bot.rotations.models import Rotation, RotationMember, Shift, ShiftAssignment, ShiftEvent

A = ShiftAssignment
DONE = ("checked_in", "late", "no_show", "covered")


@dataclass
class SeatView:
    """One seat as listed: who, and how it went (or will go)."""

    seat: ShiftAssignment
    label: str
    swapped_from: str | None = None


@dataclass
class ShiftView:
    """One shift with its seats."""

    shift: Shift
    seats: list[SeatView]


@dataclass
class RotationView:
    """A rotation's now, next, upcoming and recent shifts."""

    rotation: Rotation
    now: list[ShiftView]
    upcoming: list[ShiftView]
    recent: list[ShiftView]


def label(seat: ShiftAssignment, now: datetime) -> str:
    """Attendance of a seat: checked in, late, no-show, covered, unfilled, or upcoming."""
    if seat.state == "checked_in":
        return "checked in"
    if seat.state == "late":
        return "late"
    if seat.state == "no_show":
        return "no-show"
    if seat.state == "covered":
        late = ", checked in late" if seat.late_at else ""
        return f"covering a no-show by <@{seat.absent_user_id}>{late}"
    if seat.state == "unfilled":
        return "unfilled"
    if seat.state == "cancelled":
        return "cancelled"
    if now >= seat.window_opens_at:
        return "check-in open"
    return "upcoming"


def shift_views(session: Session, shifts: list[Shift], now: datetime) -> list[ShiftView]:
    """The shifts with their seats (cancelled ones left out) and who swapped out of them."""
    if not shifts:
        return []
    ids = [s.id for s in shifts]
    seats: dict[int, list[ShiftAssignment]] = defaultdict(list)
    for seat in session.scalars(
        select(A).where(A.shift_id.in_(ids), A.state != "cancelled").order_by(A.seat)
    ):
        seats[seat.shift_id].append(seat)
    swaps: dict[int, str] = {}
    for assignment_id, detail in session.execute(
        select(ShiftEvent.assignment_id, ShiftEvent.detail).where(
            ShiftEvent.shift_id.in_(ids), ShiftEvent.kind == "swapped"
        )
    ):
        if assignment_id is not None:
            swaps[assignment_id] = str(detail.get("previous") or "")
    return [
        ShiftView(s, [SeatView(a, label(a, now), swaps.get(a.id)) for a in seats[s.id]])
        for s in shifts
    ]


def rotation_view(
    session: Session, rotation: Rotation, now: datetime, *, days: int = 14, recent: int = 5
) -> RotationView:
    """On now, the next `days` days, and the last few shifts with their attendance."""
    base = select(Shift).where(Shift.rotation_id == rotation.id, Shift.status == "scheduled")
    current = list(session.scalars(base.where(Shift.starts_at <= now, Shift.ends_at > now)))
    ahead = list(
        session.scalars(
            base.where(Shift.starts_at > now, Shift.starts_at < now + timedelta(days=days))
            .order_by(Shift.starts_at)
            .limit(40)
        )
    )
    if not ahead:
        ahead = list(
            session.scalars(base.where(Shift.starts_at > now).order_by(Shift.starts_at).limit(1))
        )
    past = list(
        session.scalars(
            base.where(Shift.ends_at <= now).order_by(Shift.starts_at.desc()).limit(recent)
        )
    )
    return RotationView(
        rotation,
        shift_views(session, current, now),
        shift_views(session, ahead, now),
        shift_views(session, past[::-1], now),
    )


# Seat states of someone actually holding a running shift (not a no-show or an empty seat).
ON_SEAT = ("scheduled", "checked_in", "late", "covered")


@dataclass
class OnShift:
    """One active rotation: the shifts running now and the next one, with their seats."""

    rotation: Rotation
    now: list[ShiftView]
    next: ShiftView | None

    @property
    def on_now(self) -> list[str]:
        """Who holds a seat of a running shift (no-shows and empty seats aside)."""
        return [s.seat.user_id for v in self.now for s in v.seats if s.seat.state in ON_SEAT]

    @property
    def on_next(self) -> list[str]:
        """Who holds a seat of the next shift."""
        return [s.seat.user_id for s in self.next.seats] if self.next else []


def following(session: Session, shift: Shift) -> Shift | None:
    """The same rotation's next scheduled shift after `shift`, if one is planned."""
    return session.scalar(
        select(Shift)
        .where(
            Shift.rotation_id == shift.rotation_id,
            Shift.status == "scheduled",
            Shift.starts_at > shift.starts_at,
        )
        .order_by(Shift.starts_at)
        .limit(1)
    )


def on_shift(session: Session, now: datetime) -> list[OnShift]:
    """For each active rotation, by name: the shifts running now and the next one.

    A fixed number of queries whatever the number of rotations: the rotations, the running
    shifts, each rotation's next start and those shifts, then the seats of all of them.
    """
    rotations = list(
        session.scalars(select(Rotation).where(Rotation.status == "active").order_by(Rotation.name))
    )
    if not rotations:
        return []
    ids = [r.id for r in rotations]
    scheduled = and_(Shift.rotation_id.in_(ids), Shift.status == "scheduled")
    running = list(
        session.scalars(
            select(Shift)
            .where(scheduled, Shift.starts_at <= now, Shift.ends_at > now)
            .order_by(Shift.starts_at)
        )
    )
    nexts = (
        select(Shift.rotation_id, func.min(Shift.starts_at).label("starts_at"))
        .where(scheduled, Shift.starts_at > now)
        .group_by(Shift.rotation_id)
        .subquery()
    )
    upcoming = list(
        session.scalars(
            select(Shift)
            .join(
                nexts,
                and_(
                    nexts.c.rotation_id == Shift.rotation_id, nexts.c.starts_at == Shift.starts_at
                ),
            )
            .where(Shift.status == "scheduled")
            .order_by(Shift.id)
        )
    )
    views = {v.shift.id: v for v in shift_views(session, running + upcoming, now)}
    found = {r.id: OnShift(r, [], None) for r in rotations}
    for shift in running:
        found[shift.rotation_id].now.append(views[shift.id])
    for shift in upcoming:
        if found[shift.rotation_id].next is None:
            found[shift.rotation_id].next = views[shift.id]
    return list(found.values())


def my_seats(
    session: Session, user_id: str, now: datetime, *, limit: int = 20
) -> list[tuple[ShiftAssignment, Rotation]]:
    """The person's current and upcoming seats with their rotations, soonest first."""
    return [
        (seat, rotation)
        for seat, rotation in session.execute(
            select(A, Rotation)
            .join(Rotation, Rotation.id == A.rotation_id)
            .where(
                A.user_id == user_id,
                A.ends_at > now,
                A.state.in_(("scheduled", "checked_in", "late", "covered")),
            )
            .order_by(A.starts_at)
            .limit(limit)
        ).all()
    ]


@dataclass
class Tally:
    """Attendance counts of one person or team."""

    shifts: int = 0
    no_shows: int = 0
    late: int = 0
    covered_for_others: int = 0

    def rate(self, n: int) -> str:
        """`n` as a share of shifts, e.g. `12%`."""
        return f"{round(100 * n / self.shifts)}%" if self.shifts else "–"


@dataclass
class Report:
    """No-shows and late check-ins per person and per team over a period."""

    since: datetime
    until: datetime
    rotation: Rotation | None
    people: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    teams: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))


def parse_period(text: str | None) -> timedelta:
    """`30d` (default), `2w`, `3m` (months of 30 days), `24h`."""
    if not text:
        return timedelta(days=30)
    number, unit = text[:-1], text[-1:].lower()
    if not number.isdigit() or unit not in "hdwm" or int(number) < 1:
        raise UserError(f"{text!r} is not a period; write e.g. 7d, 4w or 3m.")
    hours = {"h": 1, "d": 24, "w": 24 * 7, "m": 24 * 30}[unit] * int(number)
    return timedelta(hours=min(hours, 24 * 3660))


def report(
    session: Session, now: datetime, period: timedelta, rotation: Rotation | None = None
) -> Report:
    """Attendance of seats whose check-in window closed within the period."""
    since = now - period
    query = select(A).where(
        A.window_closes_at > since, A.window_closes_at <= now, A.state.in_(DONE)
    )
    if rotation is not None:
        query = query.where(A.rotation_id == rotation.id)
    out = Report(since, now, rotation)
    teams = {(m.rotation_id, m.user_id): m.team_id for m in session.scalars(select(RotationMember))}
    for seat in session.scalars(query):
        person = seat.absent_user_id or seat.user_id
        team = teams.get((seat.rotation_id, person), "") or "(individuals)"
        for tally in (out.people[person], out.teams[team]):
            tally.shifts += 1
            if seat.late_at is not None:
                tally.late += 1
            elif seat.state in ("no_show", "covered"):
                tally.no_shows += 1
        if seat.state == "covered":
            out.people[seat.user_id].covered_for_others += 1
    return out


def team_names(session: Session) -> dict[str, str]:
    """Team (user group) id -> `@handle`, for reports."""
    return {
        gid: f"@{handle}" if handle else gid
        for gid, handle in session.execute(select(SlackUserGroup.id, SlackUserGroup.handle))
    }
