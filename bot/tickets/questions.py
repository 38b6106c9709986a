"""Questions from a ticket thread to the engineer on shift for a product area.

An agent picks an area and writes the question; the rotation covering that area is asked:
whoever is on shift now is mentioned in the thread and gets a DM with **I'm on it**. If nobody
takes it within the rotation's `escalation_minutes`, the best free member (as cover picks them)
is asked, and after as long again the leads. The first to take it wins (compare-and-set on the
question's status); the thread says who took it and when. Each step is a compare-and-set on the
question's stage and its due time, and every message has a deterministic outbox key, so the
escalation sweep can run twice, late or on two replicas and still ask each person once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import outbox, people
from bot.db import compare_and_set, insert_if_absent
from bot.errors import UserError
from bot.ids import QuestionField as F
from bot.rotations import oncall
from bot.rotations.models import Rotation, RotationMember
from bot.rotations.seats import lead_ids
from bot.tickets import threads
from bot.tickets.models import EngineerQuestion, Ticket
from bot.tickets.render import questions as say

Q = EngineerQuestion
SHIFT, BACKUP, LEADS = "shift", "backup", "leads"
TEXT_LIMIT = 2000
NOT_ALLOWED = "Only full members of this workspace can ask engineers from a ticket thread."
NOT_A_THREAD = "That message is not in a ticket thread: use this on a ticket's thread."


def thread_ticket(session: Session, *, user_id: str, channel: str, thread_ts: str) -> Ticket:
    """The ticket of the thread an agent asks from; UserError when they may not or it is none."""
    if people.is_full_member(session, user_id) is not True:
        raise UserError(NOT_ALLOWED)
    ticket = threads.thread_ticket(session, channel, thread_ts)
    if ticket is None:
        raise UserError(NOT_A_THREAD)
    return ticket


def ask(
    session: Session,
    *,
    ticket_id: object,
    area: str,
    text: str,
    user_id: str,
    request_id: str,
    now: datetime,
    default_leads: Sequence[str] = (),
) -> dict[str, str]:
    """Ask the rotation covering `area`; {block id: problem} (nothing stored) or {} when asked."""
    ticket = session.get(Ticket, ticket_id) if isinstance(ticket_id, int) else None
    if ticket is None:
        return {F.TEXT: "That ticket is no longer known here."}
    if not text.strip():
        return {F.TEXT: "Write the question for the engineer."}
    if len(text) > TEXT_LIMIT:
        return {F.TEXT: f"At most {TEXT_LIMIT} characters."}
    rotation = oncall.rotation_for_area(session, area)
    if rotation is None:
        covered = ", ".join(oncall.covered_areas(session)) or "none yet"
        return {
            F.AREA: (
                f"No active rotation covers {area or 'that area'}: a lead can add it to a "
                f"rotation's areas. Covered: {covered}."
            )[:2000]
        }
    values = {
        "request_id": request_id[:64],
        "ticket_id": ticket.id,
        "rotation_id": rotation.id,
        "area": area.strip()[:255],
        "text": text.strip(),
        "asked_by": user_id,
        "asked_at": now,
        "stage": SHIFT,
        "asked": [],
        "next_at": None,
        "status": "open",
    }
    if not insert_if_absent(session, Q, values, ["request_id"]):
        return {}  # the same submission, delivered twice
    question = session.scalar(select(Q).where(Q.request_id == values["request_id"]))
    assert question is not None
    threads.touch(session, ticket, user_id, "asked", str(question.id), now)
    first = oncall.on_now(session, [rotation.id], now).get(rotation.id, [])
    _advance(session, question, ticket, rotation, SHIFT, first, now, default_leads)
    return {}


def _advance(
    session: Session,
    question: EngineerQuestion,
    ticket: Ticket,
    rotation: Rotation,
    stage: str,
    people_: list[str],
    now: datetime,
    default_leads: Sequence[str],
) -> None:
    """Ask `people_` at `stage`, or the next stage's people when there is nobody."""
    if not people_ and stage == SHIFT:
        stage, people_ = BACKUP, oncall.backups(session, rotation, now, exclude=question.asked)[:1]
    if not people_ and stage == BACKUP:
        stage, people_ = LEADS, lead_ids(session, rotation, default_leads)
    wait = timedelta(minutes=rotation.escalation_minutes)
    first = not question.asked
    question.stage = stage
    question.asked = [*question.asked, *(u for u in people_ if u not in question.asked)]
    question.next_at = now + wait if stage != LEADS else None
    session.flush()
    outbox.enqueue_message(
        session,
        say.asked_in_thread(question, rotation.name, people_, stage, first=first),
        key=f"question:{question.id}:{stage}",
        channel=ticket.channel_id,
        thread_key=ticket.root_key,
        now=now,
    )
    for user in people_:
        outbox.enqueue_message(
            session,
            say.ask_dm(question, rotation.name, threads.view(ticket, now), stage),
            key=f"question:{question.id}:ask:{user}",
            channel=user,
            now=now,
            link_key=ticket.root_key,
        )


def escalate(
    session: Session, now: datetime, *, default_leads: Sequence[str] = (), limit: int = 500
) -> dict[str, int]:
    """Questions nobody took in time go to a backup, then to the leads; returns how many."""
    due = session.execute(
        select(Q, Ticket, Rotation)
        .join(Ticket, Ticket.id == Q.ticket_id)
        .join(Rotation, Rotation.id == Q.rotation_id)
        .where(Q.next_at <= now, Q.status == "open")
        .order_by(Q.next_at, Q.id)
        .limit(limit)
    ).all()
    moved = 0
    for question, ticket, rotation in due:
        following = BACKUP if question.stage == SHIFT else LEADS
        if not compare_and_set(
            session,
            Q,
            Q.id == question.id,
            Q.status == "open",
            Q.stage == question.stage,
            Q.next_at == question.next_at,
            stage=following,
        ):
            continue  # another sweep moved it first
        session.refresh(question)
        if following == BACKUP:
            chosen = oncall.backups(session, rotation, now, exclude=question.asked)[:1]
        else:
            chosen = lead_ids(session, rotation, default_leads)
        _advance(session, question, ticket, rotation, following, chosen, now, default_leads)
        moved += 1
    return {"escalated": moved}


def take(session: Session, question_id: int, user_id: str, now: datetime) -> str:
    """`user_id` takes the question (the first one wins); returns what to tell them."""
    question = session.get(Q, question_id)
    if question is None:
        raise UserError("That question no longer exists.")
    if question.status == "taken":
        raise UserError(_taken_text(question, user_id))
    rotation = session.get(Rotation, question.rotation_id)
    ticket = session.get(Ticket, question.ticket_id)
    assert rotation is not None and ticket is not None
    member = session.get(RotationMember, (rotation.id, user_id))
    if user_id not in question.asked and not (member and member.active):
        raise UserError(f"That question went to {rotation.name}; only its people can take it.")
    if not compare_and_set(
        session,
        Q,
        Q.id == question.id,
        Q.status == "open",
        status="taken",
        taken_by=user_id,
        taken_at=now,
        next_at=None,
    ):
        session.refresh(question)
        raise UserError(_taken_text(question, user_id))
    session.refresh(question)
    threads.touch(session, ticket, user_id, "took", str(question.id), now)
    outbox.enqueue_message(
        session,
        say.taken_in_thread(question),
        key=f"question:{question.id}:taken",
        channel=ticket.channel_id,
        thread_key=ticket.root_key,
        now=now,
    )
    for asked in question.asked:
        text, blocks = say.taken_dm(question, rotation.name, mine=asked == user_id)
        outbox.enqueue_update(
            session,
            key=f"question:{question.id}:ask:{asked}:taken",
            target_key=f"question:{question.id}:ask:{asked}",
            text=text,
            blocks=blocks,
            now=now,
        )
    return f":raised_hand: Thanks, the thread knows you are on it ({ticket.external_id})."


def _taken_text(question: EngineerQuestion, user_id: str) -> str:
    if question.taken_by == user_id:
        return "You already took that question."
    return f"<@{question.taken_by}> already took that question."


def unanswered(session: Session, rotation_id: int) -> list[tuple[EngineerQuestion, Ticket]]:
    """The rotation's questions nobody has taken yet, oldest first."""
    return [
        (question, ticket)
        for question, ticket in session.execute(
            select(Q, Ticket)
            .join(Ticket, Ticket.id == Q.ticket_id)
            .where(Q.rotation_id == rotation_id, Q.status == "open")
            .order_by(Q.asked_at)
            .limit(20)
        ).all()
    ]
