"""Attendance: check-in, no-shows, and the seat's holder changing hands through offers.

Every change is a compare-and-set (`UPDATE … WHERE state/version/status = what we read`) so
two replicas, or two people clicking at once, cannot both win; the loser's transaction sees
zero rows updated and is told. Messages are outbox rows in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bot import outbox
from bot.db import compare_and_set
from bot.errors import UserError
from bot.render.times import slack_clock, slack_span
from bot.rotations.models import Rotation, ShiftAssignment, ShiftOffer
from bot.rotations.offers import open_offer, withdraw
from bot.rotations.render import offers as say
from bot.rotations.seats import event, tell_leads, user_tz

A = ShiftAssignment
LIVE = ("scheduled", "no_show", "covered", "checked_in", "late")


def _current_seat(session: Session, user_id: str, now: datetime) -> ShiftAssignment:
    """The seat a check-in by `user_id` now is about (or a UserError saying why none)."""
    seats = list(
        session.scalars(
            select(A)
            .where(
                or_(A.user_id == user_id, A.absent_user_id == user_id),
                A.window_opens_at <= now,
                A.ends_at > now,
                A.state.in_(LIVE),
            )
            .order_by(A.starts_at)
        )
    )
    if seats:
        return next((s for s in seats if s.state == "scheduled"), seats[0])
    upcoming = session.scalar(
        select(A)
        .where(A.user_id == user_id, A.state == "scheduled", A.starts_at > now)
        .order_by(A.starts_at)
        .limit(1)
    )
    if upcoming is None:
        raise UserError("You have no shift to check in to.")
    rotation = session.get(Rotation, upcoming.rotation_id)
    assert rotation is not None
    opens = slack_clock(upcoming.window_opens_at, user_tz(session, user_id, rotation.timezone))
    raise UserError(f"Check-in for your next shift ({rotation.name}) opens at {opens}.")


def check_in(
    session: Session,
    user_id: str,
    now: datetime,
    *,
    seat_id: int | None = None,
    default_leads: Sequence[str] = (),
) -> str:
    """Check `user_id` in to their shift now; late if the window closed. Returns a message."""
    if seat_id is not None:
        seat = session.get(A, seat_id)
        if seat is None or user_id not in (seat.user_id, seat.absent_user_id):
            raise UserError("That shift is not yours to check in to.")
    else:
        seat = _current_seat(session, user_id, now)
    rotation = session.get(Rotation, seat.rotation_id)
    assert rotation is not None
    tz = user_tz(session, user_id, rotation.timezone)
    if seat.state in ("checked_in", "late") and seat.user_id == user_id:
        raise UserError(f"You are already checked in to {rotation.name}.")
    if seat.state == "cancelled":
        raise UserError("That shift was cancelled.")
    if now >= seat.ends_at:
        raise UserError(f"That {rotation.name} shift is over.")
    if now < seat.window_opens_at:
        raise UserError(f"Check-in opens at {slack_clock(seat.window_opens_at, tz)}.")
    if seat.state == "scheduled":
        late = now > seat.window_closes_at
        values = (
            {"state": "late", "absent_user_id": user_id, "late_at": now}
            if late
            else {"state": "checked_in"}
        )
        _cas(session, seat, "scheduled", checked_in_at=now, **values)
        event(
            session,
            seat.shift_id,
            "late_checkin" if late else "checked_in",
            now,
            actor=user_id,
            assignment_id=seat.id,
            user_id=user_id,
        )
        where = f"*{rotation.name}* ({slack_span(seat.starts_at, seat.ends_at, tz)})"
        if late:
            return f":hourglass: Checked in to {where}, after the window closed: recorded as late."
        return f":white_check_mark: Checked in to {where}. Thanks!"
    if seat.state == "no_show" and seat.user_id == user_id:
        _cas(session, seat, "no_show", state="late", late_at=now, checked_in_at=now)
        event(
            session,
            seat.shift_id,
            "late_checkin",
            now,
            actor=user_id,
            assignment_id=seat.id,
            user_id=user_id,
        )
        withdraw(session, seat, "cover", now)
        tell_leads(
            session,
            rotation,
            say.late_for_leads(rotation, seat, now),
            key=f"seat:{seat.id}:late",
            now=now,
            default_leads=default_leads,
        )
        return ":hourglass: Checked in late; your leads know you are here and cover is called off."
    if seat.absent_user_id == user_id and seat.late_at is None:
        seat.late_at = now
        event(
            session,
            seat.shift_id,
            "late_checkin",
            now,
            actor=user_id,
            assignment_id=seat.id,
            user_id=user_id,
            covered_by=seat.user_id,
        )
        return f":hourglass: Recorded your late check-in; <@{seat.user_id}> is covering this shift."
    raise UserError("You are not on that shift any more.")


def _cas(session: Session, seat: ShiftAssignment, expected: str, **values: object) -> None:
    if not compare_and_set(
        session, A, A.id == seat.id, A.state == expected, A.version == seat.version, **values
    ):
        raise UserError("That shift changed just now; please try again.")
    session.refresh(seat)


def mark_no_shows(
    session: Session, now: datetime, *, default_leads: Sequence[str] = (), limit: int = 500
) -> int:
    """Seats whose check-in window closed without a check-in: no-show, leads told, cover asked."""
    due = session.execute(
        select(A, Rotation)
        .join(Rotation, Rotation.id == A.rotation_id)
        .where(A.state == "scheduled", A.window_closes_at <= now)
        .order_by(A.window_closes_at, A.id)
        .limit(limit)
    ).all()
    marked = 0
    for seat, rotation in due:
        won = compare_and_set(
            session,
            A,
            A.id == seat.id,
            A.state == "scheduled",
            A.version == seat.version,
            state="no_show",
            absent_user_id=seat.user_id,
            next_notice_at=None,
        )
        if not won:
            continue
        session.refresh(seat)
        marked += 1
        event(session, seat.shift_id, "no_show", now, assignment_id=seat.id, user_id=seat.user_id)
        offer = (
            open_offer(session, seat, "cover", now, actor="system") if now < seat.ends_at else None
        )
        asked = offer.asked[0] if offer and offer.asked else None
        tell_leads(
            session,
            rotation,
            say.no_show_for_leads(rotation, seat, asked, now),
            key=f"seat:{seat.id}:noshow",
            now=now,
            default_leads=default_leads,
        )
        if now < seat.ends_at:
            tz = user_tz(session, seat.user_id, rotation.timezone)
            outbox.enqueue_message(
                session,
                say.no_show_for_holder(rotation, seat, tz),
                key=f"seat:{seat.id}:noshow:holder",
                channel=seat.user_id,
                now=now,
            )
    return marked


def my_seat(session: Session, user_id: str, ref: str | None, now: datetime) -> ShiftAssignment:
    """The caller's upcoming seat named by shift number (`#12` or `12`), or their next one."""
    query = select(A).where(A.user_id == user_id, A.state == "scheduled", A.starts_at > now)
    if ref and ref.lower() != "next":
        number = ref.lstrip("#")
        if not number.isdigit():
            raise UserError(f"{ref} is not a shift number; `/support shifts me` lists yours.")
        query = query.where(A.shift_id == int(number))
    seat = session.scalar(query.order_by(A.starts_at).limit(1))
    if seat is None:
        which = f"shift #{ref.lstrip('#')}" if ref and ref.lower() != "next" else "upcoming shift"
        raise UserError(f"You have no {which} to swap; `/support shifts me` lists yours.")
    return seat


def start_swap(
    session: Session,
    user_id: str,
    now: datetime,
    *,
    seat_id: int | None = None,
    ref: str | None = None,
) -> str:
    """Offer the caller's seat to eligible colleagues; returns what happened."""
    if seat_id is not None:
        seat = session.get(A, seat_id)
        if seat is None or seat.user_id != user_id:
            raise UserError("That shift is not yours any more.")
        if seat.state != "scheduled" or seat.starts_at <= now:
            raise UserError("That shift has started; ask your lead for cover instead.")
    else:
        seat = my_seat(session, user_id, ref, now)
    rotation = session.get(Rotation, seat.rotation_id)
    assert rotation is not None
    existing = session.scalar(
        select(ShiftOffer).where(
            ShiftOffer.assignment_id == seat.id,
            ShiftOffer.kind == "swap",
            ShiftOffer.version == seat.version,
        )
    )
    if existing is not None:
        return f"You already offered this shift to {len(existing.asked)} colleague(s)."
    offer = open_offer(session, seat, "swap", now, actor=user_id)
    when = slack_span(seat.starts_at, seat.ends_at, user_tz(session, user_id, rotation.timezone))
    if offer is None or not offer.asked:
        return (
            f":warning: Nobody is free to take your {rotation.name} shift ({when}); "
            "your leads have been told."
        )
    return (
        f":arrows_counterclockwise: Offered your {rotation.name} shift ({when}) to "
        f"{len(offer.asked)} colleague(s). You stay on it until someone accepts."
    )
