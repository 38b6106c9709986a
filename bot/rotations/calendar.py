"""Shifts in people's calendars: private iCalendar feeds, one per person (their shifts in every
rotation) or, for leads, one per rotation.

A feed is reached by a random token in its URL (`/calendar/<token>.ics`); only the token's
SHA-256 is stored, so the link is shown once and a database leak reveals no working link.
`reset` revokes every link a person was given. The feed is computed from the seats on every
request, so swaps, covers and hand-overs show at the calendar's next poll.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session, aliased

from bot import people
from bot.db import update_rows
from bot.errors import UserError
from bot.models import SlackUser
from bot.rotations.models import CalendarToken, Rotation, Shift, ShiftAssignment
from bot.rotations.render import calendar as ics
from bot.rotations.seats import GONE, lead_ids

A = ShiftAssignment
TOKEN = re.compile(r"^[A-Za-z0-9_-]{32,64}$")
PAST = timedelta(days=365)  # how far back a feed lists shifts


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue(
    session: Session, user_id: str, now: datetime, *, rotation: Rotation | None = None
) -> str:
    """A new private feed token for `user_id` (of their shifts, or of one rotation's)."""
    token = secrets.token_urlsafe(32)
    session.add(
        CalendarToken(
            token_hash=_hash(token),
            user_id=user_id,
            rotation_id=rotation.id if rotation else None,
            created_at=now,
        )
    )
    return token


def issue_for_rotation(
    session: Session, user_id: str, rotation: Rotation, now: datetime, leads: Sequence[str]
) -> str:
    """A rotation's feed, for its leads or SUPPORT_LEADS only (UserError otherwise)."""
    if not people.is_lead(session, leads, user_id) and user_id not in lead_ids(
        session, rotation, leads
    ):
        raise UserError(
            f"Only leads of {rotation.name} can subscribe to its calendar; "
            "`/support calendar` gives you your own shifts."
        )
    return issue(session, user_id, now, rotation=rotation)


def revoke(session: Session, user_id: str, now: datetime) -> int:
    """Revoke every feed link `user_id` was given; returns how many."""
    return update_rows(
        session,
        CalendarToken,
        CalendarToken.user_id == user_id,
        CalendarToken.revoked_at.is_(None),
        revoked_at=now,
    )


# The statements a poll runs, built once: one finds the token (and whose it is), one the
# seats with what their entries say.
_TOKEN = (
    select(CalendarToken.user_id, CalendarToken.rotation_id, SlackUser.real_name, SlackUser.name)
    .outerjoin(SlackUser, SlackUser.id == CalendarToken.user_id)
    .where(CalendarToken.token_hash == bindparam("hash"), CalendarToken.revoked_at.is_(None))
)
_ABSENT = aliased(SlackUser)
_SEATS = (
    select(
        A.id,
        A.shift_id,
        A.starts_at,
        A.ends_at,
        A.window_opens_at,
        A.window_closes_at,
        A.version,
        A.state,
        A.absent_user_id,
        func.coalesce(func.nullif(_ABSENT.real_name, ""), func.nullif(_ABSENT.name, "")).label(
            "covering"
        ),
        Rotation.name,
        Rotation.timezone,
    )
    .join(Rotation, Rotation.id == A.rotation_id)
    .outerjoin(_ABSENT, _ABSENT.id == A.absent_user_id)
    .where(
        A.user_id == bindparam("user_id"),
        A.starts_at >= bindparam("since", type_=A.starts_at.type),
        A.state.not_in(GONE),
    )
    .order_by(A.starts_at, A.id)
)


def feed(session: Session, token: str, now: datetime) -> bytes | None:
    """The iCalendar body a token opens, or None for an unknown or revoked token."""
    if not TOKEN.match(token or ""):
        return None
    found = session.connection().execute(_TOKEN, {"hash": _hash(token)}).first()
    if found is None:
        return None
    if found.rotation_id is not None:
        rotation = session.get(Rotation, found.rotation_id)
        return _rotation_feed(session, rotation, now) if rotation else None
    name = found.real_name or found.name or found.user_id
    return _personal_feed(session, found.user_id, name, now)


def _names(session: Session, ids: set[str]) -> dict[str, str]:
    if not ids:
        return {}
    rows = session.execute(
        select(SlackUser.id, SlackUser.real_name, SlackUser.name).where(SlackUser.id.in_(ids))
    )
    return {uid: real or name or uid for uid, real, name in rows}


def _personal_feed(session: Session, user_id: str, name: str, now: datetime) -> bytes:
    conn = session.connection()
    keys = []
    for row in conn.execute(_SEATS, {"user_id": user_id, "since": now - PAST}):
        covering = (row.covering or row.absent_user_id) if row.absent_user_id else None
        keys.append(ics.SeatKey(*row[:8], covering, row.name, row.timezone))
    events = [ics.seat_event(key) for key in keys]
    title = f"Support shifts of {name}"
    return ics.calendar(title, events, {key.tz for key in keys}, now)


def _rotation_feed(session: Session, rotation: Rotation, now: datetime) -> bytes:
    shifts = session.execute(
        select(Shift.id, Shift.starts_at, Shift.ends_at)
        .where(
            Shift.rotation_id == rotation.id,
            Shift.status == "scheduled",
            Shift.starts_at >= now - PAST,
        )
        .order_by(Shift.starts_at)
    ).all()
    seats: dict[int, list[tuple[str, str, int]]] = {s.id: [] for s in shifts}
    for shift_id, user_id, state, version in session.execute(
        select(A.shift_id, A.user_id, A.state, A.version)
        .where(A.rotation_id == rotation.id, A.starts_at >= now - PAST, A.state != "cancelled")
        .order_by(A.shift_id, A.seat)
    ):
        if shift_id in seats:
            seats[shift_id].append((user_id, state, version))
    names = _names(session, {u for held in seats.values() for u, _, _ in held if u})
    events = [
        ics.shift_event(
            ics.ShiftEntry(
                shift_id,
                starts_at,
                ends_at,
                rotation.name,
                rotation.timezone,
                tuple(
                    (names.get(u, u) if u else "unfilled seat", st) for u, st, _ in seats[shift_id]
                ),
                sum(v for _, _, v in seats[shift_id]),
            )
        )
        for shift_id, starts_at, ends_at in shifts
    ]
    name = f"Support shifts: {rotation.name}"
    return ics.calendar(name, events, {rotation.timezone}, now)
