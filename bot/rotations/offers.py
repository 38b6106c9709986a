"""Offers of a seat: a swap (to every eligible colleague at once) or cover (backup by backup).

The first acceptance wins by compare-and-set on the offer's status and the seat's version;
a second acceptance in flight at the same moment updates nothing and is told who won.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import outbox
from bot.db import compare_and_set, insert_rows_if_absent
from bot.errors import UserError
from bot.rotations.models import Rotation, RotationMember, ShiftAssignment, ShiftOffer
from bot.rotations.render import offers as say
from bot.rotations.schedule import rank
from bot.rotations.seats import GONE, event, hand_over, ledger_for, members_of, tell_leads, user_tz

A = ShiftAssignment


def _rotation(session: Session, seat: ShiftAssignment) -> Rotation:
    rotation = session.get(Rotation, seat.rotation_id)
    assert rotation is not None
    return rotation


def eligible(session: Session, seat: ShiftAssignment) -> list[str]:
    """Members free to take the seat (not away, not on an overlapping shift), best first."""
    rotation = _rotation(session, seat)
    members = members_of(session, rotation.id)
    ledger = ledger_for(session, rotation, members, seat.starts_at, seat.ends_at)
    on_shift = session.execute(
        select(A.user_id, A.team_id).where(A.shift_id == seat.shift_id, A.state.not_in(GONE))
    ).all()
    exclude = {u for u, _ in on_shift} | {seat.user_id, seat.absent_user_id or ""}
    ranked = rank(
        members,
        ledger,
        seat.starts_at,
        seat.ends_at,
        seed=rotation.name,
        exclude=exclude,
        on_shift_teams={t for u, t in on_shift if u != seat.user_id},
    )
    return [m.user_id for m in ranked]


def open_offer(
    session: Session,
    seat: ShiftAssignment,
    kind: str,
    now: datetime,
    *,
    actor: str,
    default_leads: Sequence[str] = (),
) -> ShiftOffer | None:
    """Offer a seat (once per holder and kind) and ask the first people; None if it existed."""
    rotation = _rotation(session, seat)
    candidates = eligible(session, seat)
    if kind == "swap":
        asked = candidates
        deadline = seat.starts_at - timedelta(minutes=rotation.swap_deadline_minutes)
        next_at: datetime | None = max(now, deadline)
        expires = seat.starts_at
    else:
        asked = candidates[:1]
        next_at = now + timedelta(minutes=rotation.cover_timeout_minutes)
        expires = seat.ends_at
    values = {
        "assignment_id": seat.id,
        "kind": kind,
        "version": seat.version,
        "from_user": seat.user_id,
        "status": "open",
        "candidates": candidates,
        "asked": asked,
        "created_by": actor,
        "created_at": now,
        "next_at": next_at if asked else None,
        "expires_at": expires,
    }
    # RETURNING, not rowcount: SQLAlchemy 2.1 with psycopg reports -1 for ON CONFLICT inserts.
    table = ShiftOffer.__table__
    keys = ["assignment_id", "version", "kind"]
    inserted = insert_rows_if_absent(
        session, ShiftOffer, [values], keys, returning=(table.c.id, table.c.id)
    )
    if not inserted:
        return None
    offer = session.get(ShiftOffer, next(iter(inserted)))
    assert offer is not None
    event(
        session,
        seat.shift_id,
        "swap_offered" if kind == "swap" else "cover_requested",
        now,
        actor=actor,
        assignment_id=seat.id,
        user_id=seat.user_id,
        offer_id=offer.id,
        asked=asked,
    )
    for user in asked:
        _ask(session, rotation, offer, seat, user, now)
    if not asked and kind == "swap":
        _tell_leads_unanswered(session, rotation, offer, seat, now, default_leads)
    return offer


def _ask(
    session: Session,
    rotation: Rotation,
    offer: ShiftOffer,
    seat: ShiftAssignment,
    user: str,
    now: datetime,
) -> None:
    outbox.enqueue_message(
        session,
        say.ask(rotation, offer, seat, user_tz(session, user, rotation.timezone)),
        key=f"offer:{offer.id}:ask:{user}",
        channel=user,
        now=now,
    )


def _tell_leads_unanswered(
    session: Session,
    rotation: Rotation,
    offer: ShiftOffer,
    seat: ShiftAssignment,
    now: datetime,
    default_leads: Sequence[str],
) -> None:
    tell_leads(
        session,
        rotation,
        say.unanswered(rotation, offer, seat),
        key=f"offer:{offer.id}:unanswered",
        now=now,
        default_leads=default_leads,
    )


def accept(
    session: Session,
    offer_id: int,
    user_id: str,
    now: datetime,
    *,
    default_leads: Sequence[str] = (),
) -> ShiftAssignment:
    """Take an offered seat; the first acceptance wins (the others get a UserError)."""
    offer = session.get(ShiftOffer, offer_id)
    if offer is None:
        raise UserError("That offer does not exist any more.")
    if offer.status != "open":
        raise UserError(_closed_text(offer.status, offer.accepted_by, user_id))
    if user_id not in offer.asked:
        raise UserError("That shift was not offered to you.")
    if now >= offer.expires_at:
        raise UserError("Too late: that shift has already started.")
    seat = session.get(A, offer.assignment_id)
    assert seat is not None
    if user_id not in eligible(session, seat):
        raise UserError("You are out of office or on another shift at that time.")
    if not _close(session, offer, "accepted", now, accepted_by=user_id):
        winner = session.execute(
            select(ShiftOffer.accepted_by, ShiftOffer.status).where(ShiftOffer.id == offer.id)
        ).one()
        raise UserError(_closed_text(winner[1], winner[0], user_id))
    rotation = _rotation(session, seat)
    team = _team_of(session, rotation.id, user_id)
    kind = "swapped" if offer.kind == "swap" else "covered"
    state = "scheduled" if offer.kind == "swap" else "covered"
    if not hand_over(
        session, seat, user_id, team, now, actor=user_id, kind=kind, state=state, offer_id=offer.id
    ):
        raise UserError("That shift changed just now; it is no longer on offer.")
    _announce_taken(session, rotation, offer, seat, user_id, now, default_leads)
    return seat


def _close(session: Session, offer: ShiftOffer, status: str, now: datetime, **values: str) -> bool:
    """Close an offer that is still open (compare-and-set on its status); True when this call
    closed it, and then `offer` is refreshed."""
    if not compare_and_set(
        session,
        ShiftOffer,
        ShiftOffer.id == offer.id,
        ShiftOffer.status == "open",
        status=status,
        closed_at=now,
        next_at=None,
        **values,
    ):
        return False
    session.refresh(offer)
    return True


def _team_of(session: Session, rotation_id: int, user_id: str) -> str:
    member = session.get(RotationMember, (rotation_id, user_id))
    return member.team_id if member else ""


def _closed_text(status: str, winner: str | None, user_id: str) -> str:
    if status == "accepted" and winner == user_id:
        return "You already took that shift."
    if status == "accepted":
        return f"Too late: <@{winner}> already took that shift. Thanks for offering!"
    if status == "expired":
        return "Too late: that shift has already started."
    return "That shift is no longer on offer."


def _announce_taken(
    session: Session,
    rotation: Rotation,
    offer: ShiftOffer,
    seat: ShiftAssignment,
    taker: str,
    now: datetime,
    default_leads: Sequence[str],
) -> None:
    """Edit the taker's ask into a confirmation, tell the previous holder (the leads, for
    cover), and close the other asks."""
    tz = user_tz(session, taker, rotation.timezone)
    text, blocks = say.taken_by_you(rotation, offer, seat, tz)
    outbox.enqueue_update(
        session,
        key=f"offer:{offer.id}:accepted",
        target_key=f"offer:{offer.id}:ask:{taker}",
        text=text,
        blocks=blocks,
        now=now,
    )
    if offer.kind == "swap":
        tz = user_tz(session, offer.from_user, rotation.timezone)
        outbox.enqueue_message(
            session,
            say.swapped(rotation, offer, seat, taker, tz),
            key=f"offer:{offer.id}:done",
            channel=offer.from_user,
            now=now,
        )
    else:
        tell_leads(
            session,
            rotation,
            say.covered(rotation, offer, seat, taker),
            key=f"offer:{offer.id}:covered",
            now=now,
            default_leads=default_leads,
        )
    _close_asks(session, rotation, offer, taker, now)


def _close_asks(
    session: Session, rotation: Rotation, offer: ShiftOffer, taker: str | None, now: datetime
) -> None:
    """Edit the other asks so their buttons go away."""
    text, blocks = say.closed(rotation, offer, taker)
    for user in offer.asked:
        if user == taker:
            continue
        outbox.enqueue_update(
            session,
            key=f"offer:{offer.id}:closed:{user}",
            target_key=f"offer:{offer.id}:ask:{user}",
            text=text,
            blocks=blocks,
            now=now,
        )


def advance(
    session: Session, now: datetime, *, default_leads: Sequence[str] = ()
) -> dict[str, int]:
    """Expire offers whose shift started or ended, ask the next backup, alert the leads."""
    summary = {"expired": 0, "asked": 0, "alerted": 0}
    expiring = session.scalars(
        select(ShiftOffer).where(ShiftOffer.status == "open", ShiftOffer.expires_at <= now)
    ).all()
    for offer in expiring:
        if _close(session, offer, "expired", now):
            _expired(session, offer, now)
            summary["expired"] += 1
    due = session.scalars(
        select(ShiftOffer)
        .where(ShiftOffer.status == "open", ShiftOffer.next_at <= now)
        .order_by(ShiftOffer.next_at, ShiftOffer.id)
    ).all()
    for offer in due:
        seat = session.get(A, offer.assignment_id)
        assert seat is not None
        rotation = _rotation(session, seat)
        pending = [u for u in offer.candidates if u not in offer.asked]
        ask_next = offer.kind == "cover" and pending
        next_at = now + timedelta(minutes=rotation.cover_timeout_minutes) if ask_next else None
        won = compare_and_set(
            session,
            ShiftOffer,
            ShiftOffer.id == offer.id,
            ShiftOffer.status == "open",
            ShiftOffer.next_at == offer.next_at,
            next_at=next_at,
            asked=[*offer.asked, pending[0]] if ask_next else offer.asked,
        )
        if not won:
            continue
        session.refresh(offer)
        if ask_next:
            _ask(session, rotation, offer, seat, pending[0], now)
            event(
                session,
                seat.shift_id,
                "cover_requested",
                now,
                assignment_id=seat.id,
                user_id=seat.absent_user_id,
                offer_id=offer.id,
                asked=[pending[0]],
            )
            summary["asked"] += 1
        else:
            _tell_leads_unanswered(session, rotation, offer, seat, now, default_leads)
            event(
                session,
                seat.shift_id,
                f"{offer.kind}_unanswered",
                now,
                assignment_id=seat.id,
                user_id=offer.from_user,
                offer_id=offer.id,
            )
            summary["alerted"] += 1
    return summary


def _expired(session: Session, offer: ShiftOffer, now: datetime) -> None:
    seat = session.get(A, offer.assignment_id)
    assert seat is not None
    rotation = _rotation(session, seat)
    event(
        session,
        seat.shift_id,
        f"{offer.kind}_expired",
        now,
        assignment_id=seat.id,
        user_id=offer.from_user,
        offer_id=offer.id,
    )
    _close_asks(session, rotation, offer, None, now)
    if offer.kind == "swap" and seat.user_id == offer.from_user:
        tz = user_tz(session, offer.from_user, rotation.timezone)
        outbox.enqueue_message(
            session,
            say.still_yours(rotation, seat, tz),
            key=f"offer:{offer.id}:expired",
            channel=offer.from_user,
            now=now,
        )


def withdraw(session: Session, seat: ShiftAssignment, kind: str, now: datetime) -> None:
    """Call off the seat's open offer of `kind` (its holder turned up): close the asks."""
    offers = session.scalars(
        select(ShiftOffer).where(
            ShiftOffer.assignment_id == seat.id,
            ShiftOffer.kind == kind,
            ShiftOffer.status == "open",
        )
    ).all()
    for offer in offers:
        if _close(session, offer, "cancelled", now):
            _close_asks(session, _rotation(session, seat), offer, None, now)
