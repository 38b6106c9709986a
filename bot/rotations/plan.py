"""The stored plan: shifts generated ahead with seats assigned fairly, re-planned, cancelled."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.db import insert_rows_if_absent, update_rows
from bot.rotations import public_holidays
from bot.rotations.config import parse_date, pattern_of, spec_of, zone
from bot.rotations.models import Rotation, Shift, ShiftAssignment, ShiftEvent, ShiftOffer
from bot.rotations.render import shifts as say
from bot.rotations.schedule import Member, Occurrence, assign, occurrences
from bot.rotations.seats import (
    cancel_open_offers,
    event,
    first_notice,
    ledger_for,
    members_of,
    reassign,
    tell_leads,
)

HORIZON = timedelta(weeks=4)
HANDOFF_PROMPT = timedelta(minutes=30)  # the Hand off button comes this long before the end
Busy = dict[str, list[tuple[datetime, datetime]]]
A = ShiftAssignment


@dataclass(frozen=True)
class Slot:
    """A shift to create: when, from what, and (for a fixed shift) who."""

    occurrence: Occurrence
    source: str
    user: str | None = None


def _slots(rotation: Rotation, start: datetime, end: datetime) -> list[Slot]:
    tz = zone(rotation.timezone)
    assert tz is not None
    spec = spec_of(rotation)
    found: list[Slot] = []
    if spec.has_pattern:
        pattern = pattern_of(spec, parse_date(rotation.pattern["start_date"]))
        holidays = {date.fromisoformat(d) for d in rotation.holidays}
        years = range(start.year - 1, end.year + 2)
        holidays |= public_holidays.days(rotation.holiday_calendar, years)
        found = [Slot(o, "pattern") for o in occurrences(pattern, tz, start, end, holidays)]
    for fixed in spec.shifts:
        if start <= fixed.start < end:
            local = fixed.start.astimezone(tz).replace(tzinfo=None)
            found.append(Slot(Occurrence(fixed.start, fixed.end, local), "fixed", fixed.user))
    return sorted(found, key=lambda s: (s.occurrence.starts_at, s.source))


def generate(
    session: Session,
    rotation: Rotation,
    now: datetime,
    *,
    until: datetime | None = None,
    default_leads: Sequence[str] = (),
    busy: Busy | None = None,
) -> int:
    """Create the rotation's missing shifts up to `until` (now + 4 weeks); returns how many.

    `busy` (everyone's seats from now to `until`) lets a caller planning many rotations read
    them once; it is kept up to date with the seats created here.
    """
    if rotation.status != "active":
        return 0
    until = until or now + HORIZON
    start = max(now, rotation.generated_until or now)
    created = 0
    if start < until:
        existing = set(
            session.scalars(
                select(Shift.starts_at).where(
                    Shift.rotation_id == rotation.id,
                    Shift.status == "scheduled",
                    Shift.starts_at >= start,
                    Shift.starts_at < until,
                )
            )
        )
        slots = [
            s for s in _slots(rotation, start, until) if s.occurrence.starts_at not in existing
        ]
        created = _store(session, rotation, slots, now, default_leads, busy)
        rotation.generated_until = until
    _fill_unfilled(session, rotation, now, default_leads)
    return created


def _store(
    session: Session,
    rotation: Rotation,
    slots: list[Slot],
    now: datetime,
    default_leads: Sequence[str],
    busy: Busy | None,
) -> int:
    if not slots:
        return 0
    members = members_of(session, rotation.id)
    teams = {m.user_id: m.team_id for m in members}
    start, end = slots[0].occurrence.starts_at, max(s.occurrence.ends_at for s in slots)
    ledger = ledger_for(session, rotation, members, start, end, busy=busy)
    seed = rotation.name
    seats: list[list[Member | None]] = []
    run: list[Occurrence] = []

    def flush() -> None:
        """Assign the pattern shifts collected so far (fixed ones keep their person)."""
        seats.extend(assign(run, rotation.people_per_shift, members, ledger, seed))
        run.clear()

    for slot in slots:
        if slot.source == "pattern":
            run.append(slot.occurrence)
            continue
        flush()
        member = Member(slot.user or "", teams.get(slot.user or "", ""))
        ledger.take(member, slot.occurrence.starts_at, slot.occurrence.ends_at)
        ledger.previous = {member.user_id}
        seats.append([member])
    flush()
    keys = [_key(rotation, s) for s in slots]
    ids = insert_rows_if_absent(
        session,
        Shift,
        [
            {
                "rotation_id": rotation.id,
                "key": key,
                "starts_at": s.occurrence.starts_at,
                "ends_at": s.occurrence.ends_at,
                "source": s.source,
                "status": "scheduled",
                "start_notice_at": s.occurrence.starts_at,
                "handoff_at": max(s.occurrence.starts_at, s.occurrence.ends_at - HANDOFF_PROMPT),
                "created_at": now,
            }
            for key, s in zip(keys, slots, strict=True)
        ],
        ["key"],
        returning=(Shift.__table__.c.key, Shift.__table__.c.id),
    )
    missing = [k for k in keys if k not in ids]  # inserted by a concurrent run
    if missing:
        ids.update(session.execute(select(Shift.key, Shift.id).where(Shift.key.in_(missing))).all())
    rows = []
    unfilled: list[tuple[int, Slot]] = []
    for key, slot, chosen in zip(keys, slots, seats, strict=True):
        for seat, member in enumerate(chosen):
            rows.append(_seat_row(rotation, ids[key], seat, member, slot.occurrence, now))
            if member is None:
                unfilled.append((ids[key], slot))
            elif busy is not None:
                busy[member.user_id].append((slot.occurrence.starts_at, slot.occurrence.ends_at))
    insert_rows_if_absent(session, A, rows, ["shift_id", "seat"])
    for key, slot in zip(keys, slots, strict=True):
        if slot.source == "fixed":
            event(session, ids[key], "planned", now, user_id=slot.user)
    for shift_id, slot in unfilled:
        _alert_unfilled(session, rotation, shift_id, slot.occurrence, now, default_leads)
    return len(slots)


def _key(rotation: Rotation, slot: Slot) -> str:
    stamp = slot.occurrence.starts_at.strftime("%Y%m%dT%H%MZ")
    return f"{rotation.id}:{rotation.epoch}:{slot.source}:{stamp}"


def _seat_row(
    rotation: Rotation,
    shift_id: int,
    seat: int,
    member: Member | None,
    occ: Occurrence,
    now: datetime,
) -> dict[str, Any]:
    return {
        "shift_id": shift_id,
        "rotation_id": rotation.id,
        "seat": seat,
        "user_id": member.user_id if member else "",
        "team_id": member.team_id if member else "",
        "state": "scheduled" if member else "unfilled",
        "version": 0,
        "starts_at": occ.starts_at,
        "ends_at": occ.ends_at,
        "window_opens_at": occ.starts_at - timedelta(minutes=rotation.checkin_before_minutes),
        "window_closes_at": occ.starts_at + timedelta(minutes=rotation.checkin_after_minutes),
        "next_notice_at": first_notice(
            occ.starts_at, rotation.reminder_lead_minutes, now, past=True
        )
        if member
        else None,
    }


def _alert_unfilled(
    session: Session,
    rotation: Rotation,
    shift_id: int,
    occ: Occurrence,
    now: datetime,
    default_leads: Sequence[str],
) -> None:
    tell_leads(
        session,
        rotation,
        say.unfilled(rotation, occ.starts_at, occ.ends_at),
        key=f"shift:{shift_id}:unfilled",
        now=now,
        default_leads=default_leads,
    )


def _fill_unfilled(
    session: Session, rotation: Rotation, now: datetime, default_leads: Sequence[str]
) -> None:
    """Give seats nobody could take a holder now that someone may be free."""
    open_seats = list(
        session.scalars(
            select(A)
            .where(A.rotation_id == rotation.id, A.state == "unfilled", A.starts_at > now)
            .order_by(A.starts_at, A.seat)
        )
    )
    for seat in open_seats:
        reassign(session, rotation, seat, now, reason="unfilled")


def cancel_future(
    session: Session,
    rotation: Rotation,
    now: datetime,
    *,
    shift_ids: Sequence[int] | None = None,
    actor: str = "system",
) -> int:
    """Cancel the rotation's shifts not started yet (or just `shift_ids`); returns how many."""
    query = select(Shift.id).where(
        Shift.rotation_id == rotation.id, Shift.status == "scheduled", Shift.starts_at > now
    )
    if shift_ids is not None:
        query = query.where(Shift.id.in_(list(shift_ids)))
    ids = list(session.scalars(query))
    if not ids:
        return 0
    update_rows(
        session,
        Shift,
        Shift.id.in_(ids),
        status="cancelled",
        start_notice_at=None,
        handoff_at=None,
    )
    seat_ids = select(A.id).where(A.shift_id.in_(ids)).scalar_subquery()
    cancel_open_offers(session, ShiftOffer.assignment_id.in_(seat_ids), now)
    update_rows(session, A, A.shift_id.in_(ids), state="cancelled", next_notice_at=None)
    for shift_id in ids:
        event(session, shift_id, "cancelled", now, actor=actor)
    rotation.epoch += 1
    rotation.generated_until = None
    return len(ids)


def retime_future(session: Session, rotation: Rotation, now: datetime) -> None:
    """Apply changed check-in windows and reminder lead times to seats not started yet."""
    seats = session.scalars(
        select(A).where(A.rotation_id == rotation.id, A.starts_at > now, A.state == "scheduled")
    )
    for seat in seats:
        seat.window_opens_at = seat.starts_at - timedelta(minutes=rotation.checkin_before_minutes)
        seat.window_closes_at = seat.starts_at + timedelta(minutes=rotation.checkin_after_minutes)
        seat.next_notice_at = first_notice(
            seat.starts_at, rotation.reminder_lead_minutes, now, past=False
        )


def stale_shift_ids(session: Session, rotation: Rotation, now: datetime) -> list[int]:
    """Future shifts the rotation's configuration no longer produces (or with other seats)."""
    horizon = max(rotation.generated_until or now, now + timedelta(days=1))
    wanted = {
        (s.occurrence.starts_at, s.occurrence.ends_at, s.source, s.user)
        for s in _slots(rotation, now, horizon + timedelta(days=1))
    }
    stale = []
    shifts = session.execute(
        select(Shift.id, Shift.starts_at, Shift.ends_at, Shift.source).where(
            Shift.rotation_id == rotation.id, Shift.status == "scheduled", Shift.starts_at > now
        )
    ).all()
    for shift_id, start, end, source in shifts:
        seats = session.execute(select(A.seat, A.user_id).where(A.shift_id == shift_id)).all()
        if source == "fixed":
            planned = session.scalar(
                select(ShiftEvent.user_id).where(
                    ShiftEvent.shift_id == shift_id, ShiftEvent.kind == "planned"
                )
            )
            ok = any((start, end, "fixed", u) in wanted for u in {planned, *(u for _, u in seats)})
        else:
            ok = (start, end, "pattern", None) in wanted and len(seats) == rotation.people_per_shift
        if not ok:
            stale.append(shift_id)
    return stale
