"""Seats: who can take one (fairness ledger, availability), handing one over, recording it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot import outbox, people
from bot.db import compare_and_set, update_rows
from bot.models import SlackUser
from bot.render.blocks import Message
from bot.rotations.models import (
    OutOfOffice,
    Rotation,
    RotationMember,
    Shift,
    ShiftAssignment,
    ShiftEvent,
    ShiftOffer,
)
from bot.rotations.render import shifts as say
from bot.rotations.schedule import Ledger, Member, pick, team_sizes

GONE = ("cancelled", "unfilled")
A = ShiftAssignment


def event(
    session: Session,
    shift_id: int,
    kind: str,
    now: datetime,
    *,
    actor: str = "system",
    assignment_id: int | None = None,
    user_id: str | None = None,
    **detail: Any,
) -> None:
    """Record a state change of a shift or seat."""
    session.add(
        ShiftEvent(
            shift_id=shift_id,
            assignment_id=assignment_id,
            at=now,
            actor=actor,
            kind=kind,
            user_id=user_id,
            detail=detail,
        )
    )


def user_tz(session: Session, user_id: str, fallback: str) -> str:
    """A user's Slack time zone, or `fallback` when unknown."""
    user = session.get(SlackUser, user_id)
    return (user.tz if user and user.tz else None) or fallback


def lead_ids(session: Session, rotation: Rotation, default_leads: Sequence[str]) -> list[str]:
    """The users to alert for a rotation: its leads, else SUPPORT_LEADS (groups expanded)."""
    return sorted(people.expand(session, rotation.leads or list(default_leads)))


def first_notice(
    starts_at: datetime, leads: Iterable[int], now: datetime, *, past: bool
) -> datetime | None:
    """When the holder's first reminder is due (only future ones unless `past`)."""
    dues = sorted(starts_at - timedelta(minutes=int(m)) for m in leads)
    if not past:
        dues = [d for d in dues if d > now]
    return dues[0] if dues else None


def members_of(session: Session, rotation_id: int) -> list[Member]:
    """The rotation's active members, in a stable order."""
    rows = session.execute(
        select(RotationMember.user_id, RotationMember.team_id)
        .where(RotationMember.rotation_id == rotation_id, RotationMember.active.is_(True))
        .order_by(RotationMember.user_id)
    ).all()
    return [Member(u, t) for u, t in rows]


def busy_between(
    session: Session, start: datetime, end: datetime, users: Sequence[str] | None = None
) -> dict[str, list[tuple[datetime, datetime]]]:
    """Seats held in [start, end) per person (everyone's, or just `users`')."""
    busy: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
    query = select(A.user_id, A.starts_at, A.ends_at).where(
        A.ends_at > start, A.starts_at < end, A.state.not_in(GONE)
    )
    if users is not None:
        query = query.where(A.user_id.in_(list(users)))
    for user, a, b in session.execute(query):
        busy[user].append((a, b))
    return busy


def ledger_for(
    session: Session,
    rotation: Rotation,
    members: Sequence[Member],
    start: datetime,
    end: datetime,
    *,
    busy: dict[str, list[tuple[datetime, datetime]]] | None = None,
) -> Ledger:
    """Fairness history and availability of the members for shifts in [start, end).

    `busy` is everyone's seats in that time when the caller loaded them already (planning
    many rotations at once); otherwise the members' seats are read here.
    """
    ledger = Ledger()
    ids = [m.user_id for m in members]
    baseline = dict(
        session.execute(
            select(RotationMember.user_id, RotationMember.baseline).where(
                RotationMember.rotation_id == rotation.id
            )
        ).all()
    )
    history = session.execute(
        select(A.user_id, func.count(), func.max(A.starts_at))
        .where(A.rotation_id == rotation.id, A.state.not_in(GONE))
        .group_by(A.user_id)
    ).all()
    for user, count, last in history:
        ledger.counts[user] = count
        ledger.last_start[user] = last
    for m in members:
        ledger.counts[m.user_id] += baseline.get(m.user_id, 0)
        ledger.team_counts[m.team_id] += ledger.counts[m.user_id]
    ledger.team_sizes.update(team_sizes(members))
    previous = session.scalar(
        select(func.max(Shift.starts_at)).where(
            Shift.rotation_id == rotation.id, Shift.status == "scheduled", Shift.starts_at < start
        )
    )
    if previous is not None:
        on_previous = session.execute(
            select(A.user_id, A.team_id)
            .join(Shift, Shift.id == A.shift_id)
            .where(Shift.rotation_id == rotation.id, Shift.starts_at == previous)
            .where(A.state.not_in(GONE))
        ).all()
        ledger.previous = {u for u, _ in on_previous}
        ledger.previous_teams = {t for _, t in on_previous}
    if not ids:
        return ledger
    for user, a, b in session.execute(
        select(OutOfOffice.user_id, OutOfOffice.starts_at, OutOfOffice.ends_at).where(
            OutOfOffice.user_id.in_(ids), OutOfOffice.ends_at > start, OutOfOffice.starts_at < end
        )
    ):
        ledger.away[user].append((a, b))
    ledger.busy = busy if busy is not None else busy_between(session, start, end, ids)
    return ledger


def reassign(
    session: Session,
    rotation: Rotation,
    seat: ShiftAssignment,
    now: datetime,
    *,
    reason: str,
    actor: str = "system",
) -> str | None:
    """Give a seat to the fairest free member other than its holder; returns who, or None."""
    members = members_of(session, rotation.id)
    ledger = ledger_for(session, rotation, members, seat.starts_at, seat.ends_at)
    on_shift = session.execute(
        select(A.user_id, A.team_id).where(A.shift_id == seat.shift_id, A.state.not_in(GONE))
    ).all()
    member = pick(
        members,
        ledger,
        seat.starts_at,
        seat.ends_at,
        seed=rotation.name,
        exclude={u for u, _ in on_shift} | {seat.user_id},
        on_shift_teams={t for u, t in on_shift if u != seat.user_id},
    )
    if member is None:
        return None
    previous = seat.user_id
    if not hand_over(
        session,
        seat,
        member.user_id,
        member.team_id,
        now,
        actor=actor,
        kind="reassigned",
        reason=reason,
    ):
        return None
    tz = user_tz(session, member.user_id, rotation.timezone)
    outbox.enqueue_message(
        session,
        say.assigned(rotation, seat, previous, reason, tz),
        key=f"seat:{seat.id}:v{seat.version}:assigned",
        channel=member.user_id,
        now=now,
    )
    return member.user_id


def tell_leads(
    session: Session,
    rotation: Rotation,
    message: Message,
    *,
    key: str,
    now: datetime,
    default_leads: Sequence[str],
) -> None:
    """DM `message` to each of the rotation's leads, under the outbox key `{key}:{lead}`."""
    for lead in lead_ids(session, rotation, default_leads):
        outbox.enqueue_message(session, message, key=f"{key}:{lead}", channel=lead, now=now)


def cancel_open_offers(session: Session, where: Any, now: datetime) -> None:
    """Call off the open offers `where` selects (their seat changed hands or went away)."""
    update_rows(
        session,
        ShiftOffer,
        where,
        ShiftOffer.status == "open",
        status="cancelled",
        closed_at=now,
        next_at=None,
    )


def hand_over(
    session: Session,
    seat: ShiftAssignment,
    user_id: str,
    team_id: str,
    now: datetime,
    *,
    actor: str,
    kind: str,
    state: str = "scheduled",
    **detail: Any,
) -> bool:
    """Move a seat to `user_id` if nobody changed it meanwhile (compare-and-set on version)."""
    rotation = session.get(Rotation, seat.rotation_id)
    assert rotation is not None
    previous, version = seat.user_id, seat.version
    won = compare_and_set(
        session,
        A,
        A.id == seat.id,
        A.version == version,
        user_id=user_id,
        team_id=team_id,
        state=state,
        version=version + 1,
        next_notice_at=first_notice(seat.starts_at, rotation.reminder_lead_minutes, now, past=False)
        if state == "scheduled"
        else None,
    )
    if not won:
        return False
    session.refresh(seat)
    cancel_open_offers(session, ShiftOffer.assignment_id == seat.id, now)
    event(
        session,
        seat.shift_id,
        kind,
        now,
        actor=actor,
        assignment_id=seat.id,
        user_id=user_id,
        previous=previous,
        **detail,
    )
    return True
