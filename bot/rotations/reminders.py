"""Reminders before a shift and the "on now" post at its start, sent when due.

What is due lives in the database: a seat's `next_notice_at` (its holder's next reminder) and
a shift's `start_notice_at`. A sweep claims each by compare-and-set on that column, then
enqueues the message under a deterministic key in the same transaction, so a tick run twice,
late, or on two replicas sends each message once. After downtime a reminder is still sent
when the shift has not started (only the latest due one, if several fell due meanwhile); a
start post is still sent while the shift runs; anything later is recorded as skipped.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot import outbox
from bot.db import compare_and_set
from bot.models import SlackUser
from bot.rotations import roster
from bot.rotations.models import Rotation, Shift, ShiftAssignment
from bot.rotations.render import shifts as say
from bot.rotations.seats import event

A = ShiftAssignment


def send_due(session: Session, now: datetime, *, limit: int = 2000) -> dict[str, int]:
    """Send (or skip) every reminder and start post that is due; returns counts."""
    sent, skipped = _reminders(session, now, limit)
    posted, missed = _start_posts(session, now, limit)
    return {"reminders": sent, "skipped": skipped + missed, "posted": posted}


def _claim(session: Session, due: list[tuple[ShiftAssignment, datetime | None, bool]]) -> set[int]:
    """Move each seat's reminder cursor from its old to its new value; the ids that moved.

    One compare-and-set UPDATE per distinct (old, new) pair: another sweep that moved a
    cursor first makes this one update nothing for that seat.
    """
    groups: dict[tuple[datetime | None, datetime | None, bool], list[int]] = defaultdict(list)
    for seat, new, live in due:
        groups[(seat.next_notice_at, new, live)].append(seat.id)
    won: set[int] = set()
    for (old, new, live), ids in groups.items():
        condition = [A.id.in_(ids), A.next_notice_at == old]
        if live:
            condition.append(A.state == "scheduled")
        won.update(
            session.scalars(
                update(A)
                .where(*condition)
                .values(next_notice_at=new)
                .returning(A.id)
                .execution_options(synchronize_session=False)
            )
        )
    return won


def _reminders(session: Session, now: datetime, limit: int) -> tuple[int, int]:
    due = session.execute(
        select(A, Rotation)
        .join(Rotation, Rotation.id == A.rotation_id)
        .where(A.next_notice_at <= now)
        .order_by(A.next_notice_at, A.id)
        .limit(limit)
    ).all()
    if not due:
        return 0, 0
    zones = dict(
        session.execute(
            select(SlackUser.id, SlackUser.tz).where(SlackUser.id.in_({s.user_id for s, _ in due}))
        ).all()
    )
    plans = []
    for seat, rotation in due:
        marks = [
            (int(m), seat.starts_at - timedelta(minutes=int(m)))
            for m in rotation.reminder_lead_minutes
        ]
        old = seat.next_notice_at
        assert old is not None
        fallen = sorted((m for m, at in marks if old <= at <= now), reverse=True)
        later = [at for _, at in marks if at > now]
        live = seat.state == "scheduled"
        plans.append((seat, rotation, fallen, min(later) if later and live else None, live))
    won = _claim(session, [(seat, new, live) for seat, _, _, new, live in plans])
    sent = skipped = 0
    for seat, rotation, fallen, _, live in plans:
        if seat.id not in won or not live:
            continue
        useful = now < seat.starts_at
        send = fallen[-1] if fallen and useful else None
        for lead in fallen:
            if lead == send:
                continue
            skipped += 1
            event(
                session,
                seat.shift_id,
                "reminder_skipped",
                now,
                assignment_id=seat.id,
                user_id=seat.user_id,
                lead_minutes=lead,
                reason="superseded" if useful else "shift started",
            )
        if send is None:
            continue
        tz = zones.get(seat.user_id) or rotation.timezone
        window_open = seat.window_opens_at <= now < seat.window_closes_at
        outbox.enqueue_message(
            session,
            say.reminder(rotation, seat, tz, now, window_open=window_open),
            key=f"shift:{seat.shift_id}:reminder:{send}:{seat.user_id}",
            channel=seat.user_id,
            now=now,
        )
        sent += 1
    return sent, skipped


def _start_posts(session: Session, now: datetime, limit: int) -> tuple[int, int]:
    due = session.execute(
        select(Shift, Rotation)
        .join(Rotation, Rotation.id == Shift.rotation_id)
        .where(Shift.start_notice_at <= now)
        .order_by(Shift.start_notice_at, Shift.id)
        .limit(limit)
    ).all()
    posted = missed = 0
    for shift, rotation in due:
        won = compare_and_set(
            session,
            Shift,
            Shift.id == shift.id,
            Shift.start_notice_at == shift.start_notice_at,
            start_notice_at=None,
        )
        if not won or shift.status != "scheduled":
            continue
        if now >= shift.ends_at:
            missed += 1
            event(session, shift.id, "start_post_skipped", now, reason="shift over")
            continue
        holders = _holders(session, shift.id)
        following = _next_shift(session, rotation, shift)
        outbox.enqueue_message(
            session,
            say.on_now(rotation, shift.starts_at, shift.ends_at, holders, following),
            key=f"shift:{shift.id}:start",
            channel=rotation.channel,
            now=now,
        )
        posted += 1
    return posted, missed


def _holders(session: Session, shift_id: int) -> list[str]:
    return list(
        session.scalars(
            select(A.user_id).where(A.shift_id == shift_id, A.state != "cancelled").order_by(A.seat)
        )
    )


def _next_shift(
    session: Session, rotation: Rotation, shift: Shift
) -> tuple[datetime, datetime, Sequence[str]] | None:
    following = roster.following(session, shift)
    if following is None:
        return None
    return following.starts_at, following.ends_at, _holders(session, following.id)
