"""Leads' SLA policy: parse `/support sla` arguments, set or reset a priority's targets, and
recompute the thresholds of that priority's open tickets in the same transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, delete, func, or_, select, update
from sqlalchemy.orm import Session

from bot.db import insert_if_absent
from bot.errors import UserError
from bot.render.blocks import escape
from bot.render.times import minutes_text
from bot.render.times import parse_duration as parse_minutes
from bot.sla import targets as sla
from bot.sla.models import SlaPolicy
from bot.sla.render import PolicyRow
from bot.tickets.models import Ticket

MAX_MINUTES = 365 * 1440
KEYWORDS = {
    "first-response": "first_response",
    "first_response": "first_response",
    "response": "first_response",
    "resolution": "resolution",
    "resolve": "resolution",
    "at-risk": "at_risk",
    "at_risk": "at_risk",
    "risk": "at_risk",
}


@dataclass(frozen=True)
class Change:
    """What `/support sla set` asks for; None keeps the current value."""

    priority: str
    first_response_minutes: int | None = None
    resolution_minutes: int | None = None
    at_risk_percent: int | None = None


def parse_priority(text: str) -> str:
    """A known priority name, or a UserError listing them."""
    priority = text.strip().lower()
    if priority not in sla.PRIORITIES:
        raise UserError(
            f"`{escape(text[:20])}` is not a priority: use {', '.join(sla.PRIORITIES)} "
            "(tickets without a priority count as normal)."
        )
    return priority


def parse_duration(text: str, what: str) -> int:
    """Minutes from `30m`, `4h`, `2d` or `1h30m` (a unit is required)."""
    try:
        minutes = None if text.strip().isdigit() else parse_minutes(text)
    except ValueError:
        minutes = None
    if minutes is None:
        raise UserError(
            f"`{escape(text[:20])}` is not a duration for {what}: write e.g. 30m, 4h or 2d."
        )
    if not 1 <= minutes <= MAX_MINUTES:
        raise UserError(f"{what} must be between 1 minute and 365 days.")
    return minutes


def parse_percent(text: str) -> int:
    """A whole percentage from 1 to 99 (`80` or `80%`)."""
    raw = text.strip().removesuffix("%")
    if not raw.isdigit() or not 1 <= int(raw) <= 99:
        raise UserError(
            f"`{escape(text[:20])}` is not a percentage for at-risk: write a whole number "
            "from 1 to 99, e.g. `at-risk 80` to warn once 80% of the time has passed."
        )
    return int(raw)


def parse_set(args: Sequence[str]) -> Change:
    """`<priority> first-response <duration> resolution <duration> [at-risk <percent>]`."""
    if not args:
        raise UserError("say which priority to set, and its targets.")
    priority = parse_priority(args[0])
    values: dict[str, str] = {}
    rest = list(args[1:])
    while rest:
        word = rest.pop(0)
        key = KEYWORDS.get(word.lower())
        if key is None:
            raise UserError(
                f"`{escape(word[:20])}` is not a target: use first-response, resolution or at-risk."
            )
        if not rest:
            raise UserError(f"`{escape(word[:20])}` needs a value after it.")
        if key in values:
            raise UserError(f"{escape(word[:20])} is given twice.")
        values[key] = rest.pop(0)
    if "first_response" not in values and "resolution" not in values:
        raise UserError("give a first-response or a resolution target (or both).")
    first = values.get("first_response")
    resolve = values.get("resolution")
    risk = values.get("at_risk")
    return Change(
        priority,
        parse_duration(first, "first response") if first is not None else None,
        parse_duration(resolve, "resolution") if resolve is not None else None,
        parse_percent(risk) if risk is not None else None,
    )


def table(session: Session) -> list[PolicyRow]:
    """Every priority's targets, in priority order, with who set them (None for defaults)."""
    stored = {row.priority: row for row in session.scalars(select(SlaPolicy))}
    current = sla.policies(session)
    rows = []
    for priority in sla.PRIORITIES:
        target, row = current[priority], stored.get(priority)
        rows.append(
            PolicyRow(
                priority,
                target.first_response_minutes,
                target.resolution_minutes,
                target.at_risk_percent,
                row.updated_by if row else None,
                row.updated_at if row else None,
            )
        )
    return rows


def row_of(session: Session, priority: str) -> PolicyRow:
    """One priority's row of `table`."""
    return next(r for r in table(session) if r.priority == priority)


def set_policy(session: Session, change: Change, *, actor: str, now: datetime) -> int:
    """Store a priority's targets (unset parts keep their current value); returns how many
    open tickets had their thresholds recomputed."""
    current = sla.policies(session)[change.priority]
    first = _given(change.first_response_minutes, current.first_response_minutes)
    resolve = _given(change.resolution_minutes, current.resolution_minutes)
    risk = _given(change.at_risk_percent, current.at_risk_percent)
    if resolve < first:
        raise UserError(
            f"the resolution target ({minutes_text(resolve)}) cannot be shorter than the first "
            f"response ({minutes_text(first)}): give a longer resolution or a shorter first "
            f"response, e.g. `sla set {change.priority} first-response "
            f"{minutes_text(min(first, resolve))} resolution {minutes_text(max(first, resolve))}`."
        )
    values = {
        "first_response_minutes": first,
        "resolution_minutes": resolve,
        "at_risk_percent": risk,
        "updated_by": actor,
        "updated_at": now,
    }
    if not insert_if_absent(
        session, SlaPolicy, {"priority": change.priority, **values}, ["priority"]
    ):
        session.execute(
            update(SlaPolicy).where(SlaPolicy.priority == change.priority).values(**values)
        )
    return recompute(session, change.priority)


def reset_policy(session: Session, priority: str) -> tuple[bool, int]:
    """Drop a priority's own targets (back to the default); returns (whether it had some,
    how many open tickets were recomputed)."""
    removed = session.execute(
        delete(SlaPolicy).where(SlaPolicy.priority == priority).returning(SlaPolicy.priority)
    ).first()
    return removed is not None, recompute(session, priority)


def _has_priority(priority: str) -> ColumnElement[bool]:
    """SQL: tickets whose targets are `priority`'s (unknown priorities count as normal)."""
    lowered = func.lower(Ticket.priority)
    if priority != sla.FALLBACK_PRIORITY:
        return lowered == priority
    others = [p for p in sla.PRIORITIES if p != sla.FALLBACK_PRIORITY]
    return or_(Ticket.priority.is_(None), lowered.not_in(others))


def recompute(session: Session, priority: str) -> int:
    """Recompute the thresholds of every open ticket with `priority`'s targets."""
    query = (
        select(Ticket)
        .where(Ticket.status.not_in(sla.CLOSED), _has_priority(priority))
        .order_by(Ticket.id)
    )
    if session.get_bind().dialect.name == "postgresql":
        # Waits for a helpdesk event applying to one of them, which then reads the new policy.
        query = query.with_for_update()
    table_now = sla.policies(session)
    tickets = session.scalars(query).all()
    done = sla.alerted_many(session, [t.id for t in tickets])
    for ticket in tickets:
        sla.assign(session, ticket, table_now, done[ticket.id])
    return len(tickets)


def _given(value: int | None, current: int) -> int:
    return current if value is None else value
