"""Rotation sweeps: each tick (reminders, start posts, no-shows, offers) and hourly (planning).

Each is `sweep(session, now)`: it reads what is due from the database, claims it by
compare-and-set, and enqueues messages under unique keys in the same transaction. Running one
twice, late, or on two replicas at once sends nothing twice; anything missed while the bot
was down is picked up by the next run (see bot.shift_notices for what is still useful).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.rotations import attendance
from bot.rotations import offers as shift_offers
from bot.rotations import reminders as shift_notices
from bot.rotations.models import Rotation
from bot.rotations.plan import HORIZON, generate
from bot.rotations.seats import busy_between


def tick(session: Session, now: datetime, *, default_leads: Sequence[str] = ()) -> dict[str, int]:
    """Everything due now: reminders and start posts, no-shows, cover and swap follow-ups."""
    summary = shift_notices.send_due(session, now)
    summary["no_shows"] = attendance.mark_no_shows(session, now, default_leads=default_leads)
    summary.update(shift_offers.advance(session, now, default_leads=default_leads))
    return summary


def plan(
    session: Session,
    now: datetime,
    *,
    horizon: timedelta = HORIZON,
    default_leads: Sequence[str] = (),
) -> dict[str, int]:
    """Generate every active rotation's shifts up to `horizon` ahead (and fill open seats)."""
    created = 0
    active = session.scalars(
        select(Rotation).where(Rotation.status == "active").order_by(Rotation.id)
    ).all()
    busy = busy_between(session, now, now + horizon)  # read once for every rotation
    for rotation in active:
        created += generate(
            session, rotation, now, until=now + horizon, default_leads=default_leads, busy=busy
        )
    return {"rotations": len(active), "shifts": created}
