"""Out of office: whole days away, in the person's own time zone; their seats are handed on."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.errors import UserError
from bot.render.times import zone_of
from bot.rotations.config import parse_date
from bot.rotations.lifecycle import release_seats
from bot.rotations.models import OutOfOffice, Rotation, ShiftAssignment
from bot.rotations.schedule import to_utc
from bot.rotations.seats import event

MAX_DAYS = 366


@dataclass
class Away:
    """What adding time away did: the stored range and the seats it touched."""

    entry: OutOfOffice
    handed_on: list[ShiftAssignment] = field(default_factory=list)
    kept: list[ShiftAssignment] = field(default_factory=list)


def add(
    session: Session,
    user_id: str,
    first: str,
    last: str,
    now: datetime,
    *,
    tz: str,
    note: str = "",
    default_leads: Sequence[str] = (),
) -> Away:
    """Record `first`..`last` (inclusive dates) away and hand on the seats in that time."""
    try:
        first_day, last_day = parse_date(first), parse_date(last)
    except ValueError as err:
        raise UserError(str(err), field="dates") from None
    if last_day < first_day:
        raise UserError(
            f"The range ends ({last_day}) before it starts ({first_day}).", field="dates"
        )
    if (last_day - first_day).days >= MAX_DAYS:
        raise UserError("Out of office ranges are at most a year long.", field="dates")
    zone = zone_of(tz)
    starts_at = to_utc(datetime.combine(first_day, time(0, 0)), zone)
    ends_at = to_utc(datetime.combine(last_day + timedelta(days=1), time(0, 0)), zone)
    if ends_at <= now:
        raise UserError("That range is already over.", field="dates")
    entry = OutOfOffice(
        user_id=user_id,
        first_day=first_day,
        last_day=last_day,
        starts_at=starts_at,
        ends_at=ends_at,
        note=note[:500],
        created_at=now,
    )
    session.add(entry)
    session.flush()
    result = Away(entry)
    rotation_ids = set(
        session.scalars(
            select(ShiftAssignment.rotation_id).where(
                ShiftAssignment.user_id == user_id,
                ShiftAssignment.state == "scheduled",
                ShiftAssignment.starts_at > now,
                ShiftAssignment.starts_at < ends_at,
                ShiftAssignment.ends_at > starts_at,
            )
        )
    )
    for rotation in session.scalars(select(Rotation).where(Rotation.id.in_(rotation_ids))):
        moved, stuck = release_seats(
            session,
            rotation,
            user_id,
            now,
            reason="out_of_office",
            start=starts_at,
            end=ends_at,
            default_leads=default_leads,
        )
        result.handed_on += moved
        result.kept += stuck
    for seat in result.kept:
        event(
            session,
            seat.shift_id,
            "kept_while_away",
            now,
            actor=user_id,
            assignment_id=seat.id,
            user_id=user_id,
        )
    return result


def upcoming(session: Session, user_id: str, now: datetime) -> list[OutOfOffice]:
    """The person's current and future time away, soonest first."""
    return list(
        session.scalars(
            select(OutOfOffice)
            .where(OutOfOffice.user_id == user_id, OutOfOffice.ends_at > now)
            .order_by(OutOfOffice.starts_at)
        )
    )


def remove(session: Session, user_id: str, entry_id: str) -> OutOfOffice:
    """Delete one of the person's entries (by the number `ooo list` shows)."""
    number = entry_id.lstrip("#")
    entry = session.get(OutOfOffice, int(number)) if number.isdigit() else None
    if entry is None or entry.user_id != user_id:
        raise UserError(
            f"You have no out-of-office entry {entry_id}; `/support ooo list` shows them."
        )
    session.delete(entry)
    return entry
