"""Rotations: create, update, pause, resume, archive, and keep their members in step with teams.

Callers validate a `RotationSpec` first (bot.rotation_config.validate); these functions then
write it, re-plan what the change affects, and generate the shifts ahead.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot import outbox, people
from bot.db import update_rows
from bot.errors import UserError
from bot.models import SlackUser, SlackUserGroup
from bot.rotations.config import RotationSpec, parse_date, stored_pattern, validate, zone
from bot.rotations.models import Rotation, RotationMember, ShiftAssignment, ShiftOffer
from bot.rotations.plan import cancel_future, generate, retime_future, stale_shift_ids
from bot.rotations.render import rosters
from bot.rotations.render import shifts as say
from bot.rotations.roster import rotation_view
from bot.rotations.seats import GONE, cancel_open_offers, event, reassign, tell_leads

A = ShiftAssignment
SCHEDULE_FIELDS = (
    "pattern",
    "length_minutes",
    "timezone",
    "people_per_shift",
    "holidays",
    "holiday_calendar",
    "fixed_shifts",
)
MEMBER_FIELDS = ("teams", "users")
TIMING_FIELDS = ("reminder_lead_minutes", "checkin_before_minutes", "checkin_after_minutes")


def get(session: Session, name: str) -> Rotation:
    """The rotation called `name`, or a UserError listing the ones that exist."""
    rotation = session.scalar(select(Rotation).where(Rotation.name == name))
    if rotation is None:
        names = ", ".join(r.name for r in listing(session)) or "none yet"
        raise UserError(f"No rotation called {name!r}. Rotations: {names}.")
    return rotation


def listing(session: Session, *, archived: bool = False) -> list[Rotation]:
    """Rotations by name (without archived ones unless asked)."""
    query = select(Rotation).order_by(Rotation.name)
    if not archived:
        query = query.where(Rotation.status != "archived")
    return list(session.scalars(query))


def config(rotation: Rotation) -> dict[str, Any]:
    """Everything configurable, for comparing before and after an update."""
    return {
        "channel": rotation.channel,
        "timezone": rotation.timezone,
        "pattern": dict(rotation.pattern or {}),
        "length_minutes": rotation.length_minutes,
        "people_per_shift": rotation.people_per_shift,
        "reminder_lead_minutes": [int(m) for m in rotation.reminder_lead_minutes],
        "checkin_before_minutes": rotation.checkin_before_minutes,
        "checkin_after_minutes": rotation.checkin_after_minutes,
        "cover_timeout_minutes": rotation.cover_timeout_minutes,
        "swap_deadline_minutes": rotation.swap_deadline_minutes,
        "leads": list(rotation.leads),
        "teams": list(rotation.teams),
        "users": list(rotation.users),
        "holidays": list(rotation.holidays),
        "holiday_calendar": rotation.holiday_calendar,
        "fixed_shifts": list(rotation.fixed_shifts),
        "areas": list(rotation.areas or []),
        "escalation_minutes": rotation.escalation_minutes,
        "usergroup": rotation.usergroup,
        "channel_topic": rotation.channel_topic,
    }


def _write(rotation: Rotation, spec: RotationSpec, now: datetime) -> None:
    tz = zone(spec.timezone)
    assert tz is not None
    today = now.astimezone(tz).date()
    stored = (rotation.pattern or {}).get("start_date")
    anchor = parse_date(stored) if stored else today - timedelta(days=today.weekday())
    rotation.channel = spec.channel
    rotation.timezone = spec.timezone
    rotation.pattern = stored_pattern(spec, anchor)
    rotation.length_minutes = spec.length_minutes if spec.has_pattern else None
    rotation.people_per_shift = spec.people_per_shift
    rotation.reminder_lead_minutes = list(spec.reminder_lead_minutes)
    rotation.checkin_before_minutes = spec.checkin_before
    rotation.checkin_after_minutes = spec.checkin_after
    rotation.cover_timeout_minutes = spec.cover_timeout_minutes
    rotation.swap_deadline_minutes = spec.swap_deadline_minutes
    rotation.leads = list(spec.leads)
    rotation.teams = list(spec.teams)
    rotation.users = list(spec.users)
    rotation.holidays = sorted(set(spec.holidays))
    rotation.holiday_calendar = spec.holiday_calendar
    rotation.fixed_shifts = [s.as_dict() for s in sorted(spec.shifts, key=lambda s: s.start)]
    rotation.areas = list(spec.areas)
    rotation.escalation_minutes = spec.escalation_minutes
    rotation.usergroup = spec.usergroup
    rotation.channel_topic = spec.channel_topic


def create(
    session: Session,
    spec: RotationSpec,
    *,
    actor: str,
    now: datetime,
    default_leads: Sequence[str] = (),
    plan: bool = True,
) -> Rotation:
    """Store a validated spec, resolve its members and (unless not to `plan`) generate the
    first weeks of shifts; otherwise the hourly planning sweep does."""
    rotation = Rotation(
        name=spec.name,
        pattern={},
        status="active",
        epoch=0,
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    _write(rotation, spec, now)
    session.add(rotation)
    session.flush()
    sync_members(session, rotation, now)
    if plan:
        generate(session, rotation, now, default_leads=default_leads)
    return rotation


def update(
    session: Session,
    rotation: Rotation,
    spec: RotationSpec,
    *,
    actor: str,
    now: datetime,
    default_leads: Sequence[str] = (),
) -> list[str]:
    """Apply a validated spec; returns the fields that changed (nothing is written if none)."""
    before = config(rotation)
    _write(rotation, spec, now)
    after = config(rotation)
    changed = [k for k in after if after[k] != before[k]]
    if not changed:
        return []
    rotation.updated_at = now
    if any(k in SCHEDULE_FIELDS for k in changed):
        stale = stale_shift_ids(session, rotation, now)
        cancel_future(session, rotation, now, shift_ids=stale, actor=actor)
        rotation.generated_until = None
    if any(k in MEMBER_FIELDS for k in changed):
        sync_members(session, rotation, now, default_leads=default_leads)
    if any(k in TIMING_FIELDS for k in changed):
        retime_future(session, rotation, now)
    generate(session, rotation, now, default_leads=default_leads)
    return changed


def set_status(
    session: Session,
    rotation: Rotation,
    status: str,
    *,
    actor: str,
    now: datetime,
    default_leads: Sequence[str] = (),
) -> int:
    """Pause or archive (future shifts are cancelled) or resume (they are planned again).

    Returns the number of shifts cancelled or created.
    """
    if rotation.status == status:
        raise UserError(f"{rotation.name} is already {status}.")
    if status == "active":
        rotation.status, rotation.updated_at = "active", now
        rotation.generated_until = None
        sync_members(session, rotation, now, default_leads=default_leads)
        return generate(session, rotation, now, default_leads=default_leads)
    rotation.status, rotation.updated_at = status, now
    return cancel_future(session, rotation, now, actor=actor)


def _wanted(session: Session, rotation: Rotation) -> dict[str, str]:
    """user id -> team id: who should be in the rotation according to its teams and users."""
    wanted: dict[str, str] = {}
    if rotation.status == "archived":
        return wanted
    for team in rotation.teams:
        for user in people.group_members(session, team):
            wanted.setdefault(user, team)
    for user in rotation.users:
        wanted.setdefault(user, "")
    gone = set(
        session.scalars(
            select(SlackUser.id).where(
                SlackUser.id.in_(list(wanted)),
                (SlackUser.deleted.is_(True)) | (SlackUser.is_bot.is_(True)),
            )
        )
    )
    return {u: t for u, t in wanted.items() if u not in gone}


def sync_members(
    session: Session, rotation: Rotation, now: datetime, *, default_leads: Sequence[str] = ()
) -> tuple[list[str], list[str]]:
    """Follow the teams: add newcomers, retire leavers and hand their future seats on."""
    wanted = _wanted(session, rotation)
    rows = {
        m.user_id: m
        for m in session.scalars(
            select(RotationMember).where(RotationMember.rotation_id == rotation.id)
        )
    }
    active = {u for u, m in rows.items() if m.active}
    joined = sorted(set(wanted) - active)
    left = sorted(active - set(wanted))
    for user, team in wanted.items():
        if user in rows and rows[user].team_id != team:
            rows[user].team_id = team
    if joined:
        floor = _lowest_count(session, rotation, [u for u in active if u in wanted])
        for user in joined:
            member = rows.get(user) or RotationMember(rotation_id=rotation.id, user_id=user)
            member.team_id, member.active, member.left_at = wanted[user], True, None
            member.joined_at = now
            member.baseline = max(0, floor - _count(session, rotation, user))
            session.add(member)
    for user in left:
        rows[user].active, rows[user].left_at = False, now
    session.flush()
    for user in left:
        release_seats(session, rotation, user, now, reason="left", default_leads=default_leads)
    return joined, left


def _count(session: Session, rotation: Rotation, user: str) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(A)
            .where(A.rotation_id == rotation.id, A.user_id == user, A.state.not_in(GONE))
        )
        or 0
    )


def _lowest_count(session: Session, rotation: Rotation, users: list[str]) -> int:
    """The smallest effective shift count among `users` (0 when there is nobody)."""
    if not users:
        return 0
    counts = dict(
        session.execute(
            select(A.user_id, func.count())
            .where(A.rotation_id == rotation.id, A.user_id.in_(users), A.state.not_in(GONE))
            .group_by(A.user_id)
        ).all()
    )
    base = dict(
        session.execute(
            select(RotationMember.user_id, RotationMember.baseline).where(
                RotationMember.rotation_id == rotation.id, RotationMember.user_id.in_(users)
            )
        ).all()
    )
    return min(counts.get(u, 0) + base.get(u, 0) for u in users)


def release_seats(
    session: Session,
    rotation: Rotation,
    user: str,
    now: datetime,
    *,
    reason: str,
    start: datetime | None = None,
    end: datetime | None = None,
    default_leads: Sequence[str] = (),
) -> tuple[list[ShiftAssignment], list[ShiftAssignment]]:
    """Hand a person's future seats (optionally only those in [start, end)) to others.

    Returns (seats handed on, seats nobody else could take). A leaver's untakeable seats
    become unfilled (the leads are told); someone away keeps theirs and is told to swap.
    """
    query = select(A).where(
        A.rotation_id == rotation.id, A.user_id == user, A.state == "scheduled", A.starts_at > now
    )
    if start is not None and end is not None:
        query = query.where(A.starts_at < end, A.ends_at > start)
    moved, stuck = [], []
    for seat in session.scalars(query.order_by(A.starts_at)).all():
        if reassign(session, rotation, seat, now, reason=reason) is not None:
            moved.append(seat)
            continue
        stuck.append(seat)
        if reason == "left":
            _unfill(session, rotation, seat, now, default_leads)
    return moved, stuck


def _unfill(
    session: Session,
    rotation: Rotation,
    seat: ShiftAssignment,
    now: datetime,
    default_leads: Sequence[str],
) -> None:
    update_rows(
        session,
        A,
        A.id == seat.id,
        A.version == seat.version,
        user_id="",
        team_id="",
        state="unfilled",
        version=seat.version + 1,
        next_notice_at=None,
    )
    cancel_open_offers(session, ShiftOffer.assignment_id == seat.id, now)
    event(session, seat.shift_id, "unfilled", now, assignment_id=seat.id, user_id=seat.user_id)
    tell_leads(
        session,
        rotation,
        say.unfilled(rotation, seat.starts_at, seat.ends_at),
        key=f"seat:{seat.id}:v{seat.version}:unfilled",
        now=now,
        default_leads=default_leads,
    )


def save(
    session: Session,
    spec: RotationSpec,
    *,
    rotation_id: int | None,
    actor: str,
    now: datetime,
    default_leads: Sequence[str] = (),
) -> tuple[Rotation | None, list[tuple[str, str]]]:
    """Validate and store what a lead submitted in the modal, and DM them the outcome.

    Returns (rotation, problems); with problems nothing is written.
    """
    current = session.get(Rotation, rotation_id) if rotation_id is not None else None
    if rotation_id is not None and current is None:
        return None, [("name", "that rotation no longer exists")]
    problems = validate(
        session, spec, rotation_id=rotation_id, trust_users=True, default_leads=default_leads
    )
    if problems:
        return None, problems
    if current is None:
        rotation = create(session, spec, actor=actor, now=now, default_leads=default_leads)
        changed: list[str] = []
    else:
        rotation = current
        changed = update(session, rotation, spec, actor=actor, now=now, default_leads=default_leads)
    view = rotation_view(session, rotation, now, days=28, recent=0)
    stamp = now.strftime("%Y%m%dT%H%M%S")
    outbox.enqueue_message(
        session,
        rosters.rotation_saved(rotation, current is None, changed, view),
        key=f"rotation:{rotation.id}:saved:{actor}:{stamp}",
        channel=actor,
        now=now,
    )
    return rotation, []


def form_refs(session: Session, rotation: Rotation) -> tuple[list[str], list[str], str | None]:
    """(team handles, lead group handles, on-shift group handle) to show in the edit modal."""
    handles = dict(session.execute(select(SlackUserGroup.id, SlackUserGroup.handle)).all())
    teams = [handles.get(t) or t for t in rotation.teams]
    groups = [handles.get(g) or g for g in rotation.leads if g.startswith("S")]
    group = (handles.get(rotation.usergroup) or rotation.usergroup) if rotation.usergroup else None
    return teams, groups, group
