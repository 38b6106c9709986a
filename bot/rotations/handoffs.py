"""Hand-offs between shifts, the rotation's part: in the last 30 minutes of a shift the people on
it get a **Hand off** button (DM and App Home) to leave a note for the next person.

The hand-off itself (what the outgoing people worked on, sent at the end of the shift) reads
tickets, SLAs and bugs, so it is composed above the domains (bot.insights.handoffs); both steps
follow the shift's `handoff_at` cursor (see bot.rotations.plan).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import outbox
from bot.db import insert_if_absent
from bot.errors import UserError
from bot.render.blocks import escape
from bot.render.times import slack_clock
from bot.rotations.models import HandoffNote, Rotation, Shift, ShiftAssignment
from bot.rotations.plan import HANDOFF_PROMPT
from bot.rotations.render import handoffs as say
from bot.rotations.roster import ON_SEAT
from bot.rotations.seats import user_tz

A = ShiftAssignment
NOTE_LIMIT = 3000


def can_hand_off(seat: ShiftAssignment, now: datetime) -> bool:
    """Whether the seat's holder is on a shift that ends within the next 30 minutes."""
    return seat.state in ON_SEAT and seat.ends_at - HANDOFF_PROMPT <= now < seat.ends_at


def prompt(session: Session, shift: Shift, rotation: Rotation, now: datetime) -> int:
    """DM everyone on the shift a Hand off button; returns how many were asked."""
    holders = session.scalars(
        select(A).where(A.shift_id == shift.id, A.state.in_(ON_SEAT)).order_by(A.seat)
    ).all()
    for seat in holders:
        tz = user_tz(session, seat.user_id, rotation.timezone)
        outbox.enqueue_message(
            session,
            say.prompt(rotation, seat, tz),
            key=f"shift:{shift.id}:handoff:prompt:{seat.user_id}",
            channel=seat.user_id,
            now=now,
        )
    return len(holders)


def seat_to_hand_off(
    session: Session, seat_id: int, user_id: str, now: datetime
) -> tuple[ShiftAssignment, Shift, Rotation]:
    """The seat a note is about, while its holder may still leave one (UserError otherwise)."""
    seat = session.get(A, seat_id)
    if seat is None or seat.user_id != user_id:
        raise UserError("That shift is not yours to hand off.")
    shift = session.get(Shift, seat.shift_id)
    rotation = session.get(Rotation, seat.rotation_id)
    assert shift is not None and rotation is not None
    if shift.status != "scheduled" or seat.state not in ON_SEAT:
        raise UserError("You are not on that shift any more.")
    if now >= seat.ends_at or shift.handoff_at is None:
        raise UserError("That shift has been handed off already; tell the next person directly.")
    return seat, shift, rotation


def note_of(session: Session, shift_id: int, user_id: str) -> str:
    """The note someone left for a shift so far ('' when none)."""
    found = session.scalar(
        select(HandoffNote.note).where(
            HandoffNote.shift_id == shift_id, HandoffNote.user_id == user_id
        )
    )
    return found or ""


def save_note(session: Session, seat_id: int, user_id: str, note: str, now: datetime) -> str:
    """Keep (or replace) the holder's note for the next shift; returns what to tell them."""
    seat, shift, rotation = seat_to_hand_off(session, seat_id, user_id, now)
    text = note.strip()
    if len(text) > NOTE_LIMIT:
        raise UserError(f"A note is at most {NOTE_LIMIT} characters.")
    values = {
        "shift_id": shift.id,
        "user_id": user_id,
        "note": text,
        "created_at": now,
        "updated_at": now,
    }
    if not insert_if_absent(session, HandoffNote, values, ["shift_id", "user_id"]):
        row = session.scalar(
            select(HandoffNote).where(
                HandoffNote.shift_id == shift.id, HandoffNote.user_id == user_id
            )
        )
        assert row is not None
        row.note, row.updated_at = text, now
    tz = user_tz(session, user_id, rotation.timezone)
    return (
        f":memo: Saved your hand-off note for {escape(rotation.name)}; the next person gets it "
        f"at {slack_clock(seat.ends_at, tz)} with what you worked on."
    )
