"""SLA alerts: when a ticket's target becomes at risk or breached, one reply in its thread
mentioning the assignee (or whoever is on shift when nobody is assigned), once per threshold.

Each threshold is an `SlaAlert` row unique on (ticket, target, level); only the transaction
that inserts it queues the reply, under a key derived from it, so a sweep run twice, late or
on two replicas says nothing twice. When the bot was down long enough for a target to pass
both thresholds, the at-risk one is recorded unsent and only the breach is announced.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from bot import outbox
from bot.db import insert_if_absent
from bot.rotations import roster
from bot.sla import render, targets
from bot.sla.models import SlaAlert
from bot.tickets import agents
from bot.tickets.models import Ticket

OnShift = Callable[[], Sequence[str]]


@dataclass(frozen=True)
class Step:
    """A threshold to record now, and whether to announce it."""

    metric: str
    level: str
    due_at: datetime
    announce: bool


def plan(ticket: Ticket, now: datetime, done: set[tuple[str, str]]) -> list[Step]:
    """The thresholds a ticket reached by `now` that have no alert yet.

    A breach whose at-risk threshold was never alerted records that one unannounced: a
    warning is pointless once the target is missed.
    """
    steps = []
    for metric, level, due in targets.reached(ticket, now):
        if level == targets.BREACHED and (metric, targets.AT_RISK) not in done:
            steps.append(Step(metric, targets.AT_RISK, due, announce=False))
        if (metric, level) not in done:
            steps.append(Step(metric, level, due, announce=True))
    return steps


def on_shift(session: Session, now: datetime) -> list[str]:
    """Whoever holds a seat of a shift running now in any active rotation (no-shows excluded)."""
    found: list[str] = []
    for rotation in roster.on_shift(session, now):
        found.extend(user for user in rotation.on_now if user and user not in found)
    return found


def on_shift_once(session: Session, now: datetime) -> OnShift:
    """`on_shift`, read at most once however many tickets ask (one sweep, one `now`)."""
    return functools.cache(lambda: tuple(on_shift(session, now)))


def who_for(session: Session, ticket: Ticket, shift: OnShift) -> render.Who:
    """The assignee (as the Slack user their email or name finds), else who is on shift."""
    if ticket.assignee_id or ticket.assignee:
        user = agents.assignee_of(session, ticket)
        if user:
            return render.Who(user_ids=(user,))
    if ticket.assignee:
        return render.Who(name=ticket.assignee)
    if ticket.assignee_id:
        return render.Who(name=f"#{ticket.assignee_id}")  # name not looked up yet
    return render.Who(user_ids=tuple(shift()), on_shift=True)


def recorded(who: render.Who) -> str | None:
    """How `SlaAlert.mentioned` records whom an alert was for."""
    if who.user_ids:
        return ",".join(who.user_ids)[:255]
    return who.name[:255] if who.name else None


def alert(
    session: Session,
    ticket: Ticket,
    now: datetime,
    *,
    done: set[tuple[str, str]],
    shift: OnShift,
) -> int:
    """Record the thresholds the ticket reached, reply once in its thread for the new ones,
    and move its `sla_next_at` on; returns how many thresholds were announced."""
    steps = plan(ticket, now, done)
    # Without a thread (no route matched) there is nowhere to reply: recorded, not sent.
    threaded = ticket.published_version >= 0 and bool(ticket.channel_id)
    who = who_for(session, ticket, shift) if threaded and any(s.announce for s in steps) else None
    announced: list[Step] = []
    for step in steps:
        send = step.announce and who is not None
        inserted = insert_if_absent(
            session,
            SlaAlert,
            {
                "ticket_id": ticket.id,
                "metric": step.metric,
                "level": step.level,
                "due_at": step.due_at,
                "at": now,
                "mentioned": recorded(who) if send and who is not None else None,
                "sent": send,
            },
            ["ticket_id", "metric", "level"],
        )
        done.add((step.metric, step.level))
        if inserted and send:
            announced.append(step)
    if announced and who is not None:
        lines = [render.AlertLine(s.metric, s.level, s.due_at) for s in announced]
        key = f"sla:{ticket.id}:" + "+".join(f"{s.metric}:{s.level}" for s in announced)
        outbox.enqueue_message(
            session,
            render.alert_reply(lines, now, who),
            key=key,
            channel=ticket.channel_id,
            thread_key=ticket.root_key,
            now=now,
            meta={"ticket": ticket.external_id, "provider": ticket.provider, "sla": key},
        )
    ticket.sla_next_at = targets.next_alert_at(ticket, done)
    return len(announced)
