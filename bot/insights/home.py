"""Each user's App Home, by role, kept current through the outbox.

A lead sees the queue, SLA risks, today's shifts and no-show alerts; someone on a rotation sees
their next shifts with Check in and Can't make it; a product owner sees bugs by support load; a
helpdesk agent sees their tickets, the bugs those wait on and the fixes since their last visit.
The Home is published when opened, and again when the data behind it changes — at most once a
`THROTTLE` per person, and only for people who opened it within `ACTIVE`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from bot import outbox, people
from bot.bugs import load as bug_load
from bot.bugs.models import BugLink, BugTransition
from bot.db import insert_if_absent
from bot.insights import agent_desk, queue
from bot.insights.models import HomeView
from bot.insights.render.home import HomeData, render_home
from bot.rotations import roster
from bot.rotations.models import Rotation, RotationMember, Shift, ShiftAssignment, ShiftEvent
from bot.rotations.seats import user_tz
from bot.sla.models import SlaAlert
from bot.tickets.models import HelpdeskAgent, Ticket, TicketChange, TicketComment

THROTTLE = timedelta(seconds=60)
ACTIVE = timedelta(days=14)
NO_SHOW_WINDOW = timedelta(days=7)
LEAD, ENGINEER, OWNER = "lead", "engineer", "owner"


@dataclass(frozen=True)
class HomeConfig:
    """What the Home needs of the settings."""

    leads: list[str] = field(default_factory=list)
    product_owners: list[str] = field(default_factory=list)
    timezone: str = "UTC"


def roles(session: Session, user_id: str, config: HomeConfig) -> set[str]:
    """The roles whose sections a user's Home shows."""
    found = set()
    if people.is_lead(session, config.leads, user_id):
        found.add(LEAD)
    if user_id in people.expand(session, config.product_owners):
        found.add(OWNER)
    member = session.scalar(
        select(RotationMember.user_id)
        .join(Rotation, Rotation.id == RotationMember.rotation_id)
        .where(
            RotationMember.user_id == user_id,
            RotationMember.active.is_(True),
            Rotation.status == "active",
        )
        .limit(1)
    )
    if member is not None:
        found.add(ENGINEER)
    return found


def home_data(session: Session, user_id: str, now: datetime, config: HomeConfig) -> HomeData:
    """Everything the user's Home shows at `now`."""
    mine = roles(session, user_id, config)
    data = HomeData(
        user_id=user_id,
        roles=mine,
        tz=user_tz(session, user_id, config.timezone),
        now=now,
        seats=roster.my_seats(session, user_id, now, limit=5),
    )
    view = session.get(HomeView, user_id)
    data.desk = agent_desk.desk(session, user_id, now, view.seen_before if view else None)
    if LEAD in mine:
        data.queue = queue.summary(session, now, queue.QueueFilter(), listed=5)
        data.today = today_shifts(session, now)
        data.no_shows = recent_no_shows(session, now)
    if OWNER in mine:
        load = bug_load.overview(session, now, limit=8, component_limit=8)
        data.bugs, data.components = load.bugs, load.components
    return data


def today_shifts(session: Session, now: datetime) -> list[roster.ShiftView]:
    """Shifts running now or starting within a day, with their seats."""
    shifts = list(
        session.scalars(
            select(Shift)
            .join(Rotation, Rotation.id == Shift.rotation_id)
            .where(
                Rotation.status == "active",
                Shift.status == "scheduled",
                Shift.ends_at > now,
                Shift.starts_at < now + timedelta(days=1),
            )
            .order_by(Shift.starts_at)
            .limit(12)
        )
    )
    return roster.shift_views(session, shifts, now)


def recent_no_shows(session: Session, now: datetime) -> list[tuple[ShiftAssignment, Rotation]]:
    """Seats marked no-show in the last week (covered or not), newest first."""
    return [
        (seat, rotation)
        for seat, rotation in session.execute(
            select(ShiftAssignment, Rotation)
            .join(Rotation, Rotation.id == ShiftAssignment.rotation_id)
            .where(
                or_(
                    ShiftAssignment.state == "no_show",
                    ShiftAssignment.absent_user_id.is_not(None),
                ),
                ShiftAssignment.window_closes_at > now - NO_SHOW_WINDOW,
                ShiftAssignment.window_closes_at <= now,
            )
            .order_by(ShiftAssignment.window_closes_at.desc())
            .limit(8)
        ).all()
    ]


def data_stamp(session: Session, now: datetime) -> str:
    """A fingerprint of what Homes show: the newest row of each table they read, and the half
    hour (so "now" and "next" move on even when nothing else changes)."""
    # The half hour too: a shift's last 30 minutes bring its Hand off button.
    parts = [now.strftime("%Y%m%d%H") + str(now.minute // 30)]
    for column in (
        Ticket.id,
        TicketChange.id,
        TicketComment.id,
        SlaAlert.id,
        ShiftAssignment.id,
        ShiftEvent.id,
        BugLink.id,
        BugTransition.id,
    ):
        parts.append(str(session.scalar(select(func.max(column))) or 0))
    for moment in (
        session.scalar(select(func.max(BugLink.unlinked_at))),
        session.scalar(select(func.max(HelpdeskAgent.updated_at))),
    ):
        parts.append(moment.strftime("%Y%m%d%H%M%S") if moment else "-")
    return ":".join(parts)


def request_home(
    session: Session, user_id: str, now: datetime, config: HomeConfig, *, reason: str
) -> bool:
    """Queue a fresh Home for `user_id` (opened it, pressed Refresh, or its data changed)."""
    stamp = data_stamp(session, now)
    insert_if_absent(
        session, HomeView, {"user_id": user_id, "opened_at": now, "stamp": ""}, ["user_id"]
    )
    view = session.get(HomeView, user_id)
    assert view is not None
    if reason.startswith("open:") and view.opened_at < now:
        view.seen_before = view.opened_at  # "since you last looked" is since that visit
    if reason.startswith(("open:", "refresh:")):
        view.opened_at = max(view.opened_at, now)
    view.published_at, view.stamp = now, stamp
    rendered = render_home(home_data(session, user_id, now, config))
    return outbox.enqueue_home(
        session, key=f"home:{user_id}:{reason}", user_id=user_id, view=rendered, now=now
    )


def refresh_changed(session: Session, now: datetime, config: HomeConfig) -> dict[str, int]:
    """Re-publish the Homes of recent visitors whose data changed (at most once a THROTTLE)."""
    stamp = data_stamp(session, now)
    due = list(
        session.scalars(
            select(HomeView.user_id).where(
                HomeView.opened_at > now - ACTIVE,
                HomeView.stamp != stamp,
                or_(HomeView.published_at.is_(None), HomeView.published_at <= now - THROTTLE),
            )
        )
    )
    for user_id in due:
        request_home(session, user_id, now, config, reason=f"changed:{stamp}")
    return {"refreshed": len(due)}


def answer_in_home(session: Session, user_id: str, text: str, now: datetime, key: str) -> bool:
    """Tell someone who pressed a button in their Home what happened (a DM: Home buttons have
    no response_url to answer through)."""
    return outbox.enqueue_post(
        session, key=f"home-answer:{key}", channel=user_id, text=text, now=now
    )
