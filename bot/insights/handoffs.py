"""Hand-offs: at the end of every shift the next person gets a DM, and the rotation's channel a
short post, with what the outgoing people worked on in Slack during the shift (tickets they
replied in, asked about or took questions on, with each one's status and SLA), the bugs they
filed, the questions still waiting for an engineer, and their notes. A shift nobody attended
says so.

A shift's `handoff_at` is the cursor: first the Hand off prompt (30 minutes before the end),
then the hand-off (at the end). Each step is claimed by compare-and-set on the cursor and its
messages have deterministic keys, so nothing is sent twice, whatever runs the sweep.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import outbox
from bot.bugs.models import Bug, BugLink
from bot.db import compare_and_set
from bot.insights.render import handoffs as say
from bot.rotations import handoffs as rotation_handoffs
from bot.rotations import roster
from bot.rotations.models import HandoffNote, Rotation, Shift, ShiftAssignment
from bot.rotations.seats import GONE, event
from bot.sla import targets
from bot.tickets import links, questions
from bot.tickets.models import EngineerQuestion, Ticket, TicketTouch

A = ShiftAssignment
ATTENDED = ("checked_in", "late", "covered")
LATE = timedelta(hours=12)  # a hand-off later than this after the shift (the bot was down) is moot
LISTED = 15


@dataclass
class TicketWork:
    """A ticket the outgoing people worked on, as it stands at the end of the shift."""

    ticket: Ticket
    sla: str  # ok | at_risk | breached | closed
    link: str | None


@dataclass
class Handoff:
    """Everything one shift passes on."""

    rotation: Rotation
    shift: Shift
    outgoing: list[str]
    absent: list[str]
    incoming: list[str]
    next_shift: Shift | None
    tickets: list[TicketWork] = field(default_factory=list)
    bugs: list[Bug] = field(default_factory=list)
    waiting: list[tuple[EngineerQuestion, str | None]] = field(default_factory=list)
    notes: list[HandoffNote] = field(default_factory=list)


def sweep(session: Session, now: datetime, *, limit: int = 500) -> dict[str, int]:
    """Hand off prompts and hand-offs that are due; returns counts."""
    due = session.execute(
        select(Shift, Rotation)
        .join(Rotation, Rotation.id == Shift.rotation_id)
        .where(Shift.handoff_at <= now)
        .order_by(Shift.handoff_at, Shift.id)
        .limit(limit)
    ).all()
    found = {"prompted": 0, "handed_off": 0, "skipped": 0}
    for shift, rotation in due:
        cursor = shift.handoff_at
        while cursor is not None and cursor <= now:
            following = shift.ends_at if cursor < shift.ends_at else None
            if not compare_and_set(
                session,
                Shift,
                Shift.id == shift.id,
                Shift.handoff_at == cursor,
                handoff_at=following,
            ):
                break  # another sweep took this step
            if shift.status != "scheduled":
                break
            if following is not None:
                if now < shift.ends_at:
                    found["prompted"] += rotation_handoffs.prompt(session, shift, rotation, now)
            elif now - shift.ends_at > LATE:
                event(session, shift.id, "handoff_skipped", now, reason="too late")
                found["skipped"] += 1
            else:
                send(session, compose(session, shift, rotation, now), now)
                found["handed_off"] += 1
            cursor = following
    return found


def compose(session: Session, shift: Shift, rotation: Rotation, now: datetime) -> Handoff:
    """What the shift passes on, as of `now` (its end)."""
    seats = session.scalars(
        select(A).where(A.shift_id == shift.id, A.state.not_in(GONE)).order_by(A.seat)
    ).all()
    outgoing = [s.user_id for s in seats if s.state in ATTENDED]
    absent = [s.absent_user_id or s.user_id for s in seats if s.state == "no_show"]
    following = roster.following(session, shift)
    incoming = (
        list(
            session.scalars(
                select(A.user_id)
                .where(A.shift_id == following.id, A.state.not_in(GONE))
                .order_by(A.seat)
            )
        )
        if following is not None
        else []
    )
    found = Handoff(rotation, shift, outgoing, absent, incoming, following)
    found.notes = list(
        session.scalars(
            select(HandoffNote)
            .where(HandoffNote.shift_id == shift.id, HandoffNote.note != "")
            .order_by(HandoffNote.created_at)
        )
    )
    found.waiting = _waiting(session, rotation)
    if outgoing:
        found.tickets = _tickets(session, outgoing, shift, now)
        found.bugs = list(
            session.scalars(
                select(Bug)
                .join(BugLink, BugLink.bug_id == Bug.id)
                .where(
                    BugLink.how == "filed",
                    BugLink.linked_by.in_(outgoing),
                    BugLink.linked_at >= shift.starts_at,
                    BugLink.linked_at <= shift.ends_at,
                )
                .distinct()
                .order_by(Bug.key)
            )
        )
    return found


def _tickets(
    session: Session, users: Sequence[str], shift: Shift, now: datetime
) -> list[TicketWork]:
    touched = session.execute(
        select(TicketTouch.ticket_id, TicketTouch.at).where(
            TicketTouch.user_id.in_(list(users)),
            TicketTouch.at >= shift.starts_at,
            TicketTouch.at <= shift.ends_at,
        )
    ).all()
    latest: dict[int, datetime] = {}
    for ticket_id, at in touched:
        latest[ticket_id] = max(at, latest.get(ticket_id, at))
    if not latest:
        return []
    tickets = list(session.scalars(select(Ticket).where(Ticket.id.in_(list(latest)))))
    shown = links.thread_links(session, tickets)
    work = [
        TicketWork(
            t, targets.standing(t, now).worst if targets.is_open(t) else "closed", shown.get(t.id)
        )
        for t in tickets
    ]
    # Still open first (breached, at risk, fine), then by the latest work on them.
    order = {"breached": 0, "at_risk": 1, "ok": 2, "closed": 3}
    work.sort(key=lambda w: (order.get(w.sla, 2), -latest[w.ticket.id].timestamp()))
    return work


def _waiting(session: Session, rotation: Rotation) -> list[tuple[EngineerQuestion, str | None]]:
    pending = questions.unanswered(session, rotation.id)
    shown = links.thread_links(session, [t for _, t in pending])
    return [(q, shown.get(t.id)) for q, t in pending]


def send(session: Session, handoff: Handoff, now: datetime) -> None:
    """DM the next people the hand-off, and post its summary in the rotation's channel."""
    shift = handoff.shift
    for user in handoff.incoming:
        outbox.enqueue_message(
            session,
            say.for_next(handoff, listed=LISTED),
            key=f"shift:{shift.id}:handoff:{user}",
            channel=user,
            now=now,
        )
    outbox.enqueue_message(
        session,
        say.summary(handoff),
        key=f"shift:{shift.id}:handoff:channel",
        channel=handoff.rotation.channel,
        now=now,
    )
    event(session, shift.id, "handed_off", now, to=list(handoff.incoming))
