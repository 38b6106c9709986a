"""A rotation's configuration as people write it (modal or YAML): parsing and validation.

Both the modal and `supportbot rotations apply` build a `RotationSpec`, then `validate` it
against the directory cache; problems come back per field so each surface can point at the
right input (a modal block, a YAML line). Nothing is written until a spec has no problems.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import people
from bot.models import SlackUser, SlackUserGroup
from bot.render.times import WEEKDAYS, minutes_text
from bot.rotations import public_holidays, reach
from bot.rotations.models import Rotation
from bot.rotations.schedule import Pattern, check_rrule, shortest_gap

DEFAULT_REMINDERS = [1440, 15]
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$")
CHANNEL = re.compile(r"^[CG][A-Z0-9]{2,}$")
USER = re.compile(r"^[UW][A-Z0-9]{2,}$")
GROUP = re.compile(r"^S[A-Z0-9]{2,}$")
Problem = tuple[str, str]


@dataclass(frozen=True)
class FixedShift:
    """A shift given explicitly, e.g. carried over from another tool."""

    user: str
    start: datetime
    end: datetime

    def as_dict(self) -> dict[str, str]:
        """The stored (and exported) form."""
        return {"user": self.user, "start": self.start.isoformat(), "end": self.end.isoformat()}


@dataclass
class RotationSpec:
    """Everything a rotation is configured with (defaults as documented in the README)."""

    name: str
    channel: str
    timezone: str = "UTC"
    days: list[str] = field(default_factory=list)
    start: str | None = None
    every_weeks: int = 1
    rrule: str | None = None
    length_minutes: int | None = None
    start_date: str | None = None
    people_per_shift: int = 1
    reminder_lead_minutes: list[int] = field(default_factory=lambda: list(DEFAULT_REMINDERS))
    checkin_before: int = 15
    checkin_after: int = 10
    leads: list[str] = field(default_factory=list)
    teams: list[str] = field(default_factory=list)
    users: list[str] = field(default_factory=list)
    holidays: list[str] = field(default_factory=list)
    # Public holidays by country, `DE` or `DE-BY` (bot.rotations.public_holidays).
    holiday_calendar: str | None = None
    shifts: list[FixedShift] = field(default_factory=list)
    cover_timeout_minutes: int = 10
    swap_deadline_minutes: int = 120
    # How the people on shift are reached (bot.rotations.reach).
    areas: list[str] = field(default_factory=list)
    escalation_minutes: int = reach.DEFAULT_ESCALATION
    usergroup: str | None = None
    channel_topic: bool = False

    @property
    def has_pattern(self) -> bool:
        """Whether shifts recur (days and start, or an RRULE)."""
        return bool(self.rrule or self.days or self.start)


# ---- parsing of single values (ValueError carries the user-facing reason) -------------------


def parse_date(text: str) -> date:
    """A calendar date `YYYY-MM-DD`."""
    try:
        return date.fromisoformat(str(text).strip())
    except ValueError:
        raise ValueError(f"{text!r} is not a date; write YYYY-MM-DD") from None


def parse_instant(text: str, tz: str) -> datetime:
    """An ISO 8601 date-time; without an offset it is read in the rotation's time zone."""
    try:
        value = datetime.fromisoformat(str(text).strip())
    except ValueError:
        raise ValueError(f"{text!r} is not a date-time; write 2026-12-01T14:00:00+01:00") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone(tz) or UTC)
    return value.astimezone(UTC)


def parse_list(text: str) -> list[str]:
    """Items separated by commas or spaces."""
    return [p for p in re.split(r"[,\s]+", text or "") if p]


def zone(name: str) -> ZoneInfo | None:
    """The IANA time zone, or None when unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


# ---- validation against the directory cache -------------------------------------------------


def validate(
    session: Session,
    spec: RotationSpec,
    *,
    rotation_id: int | None = None,
    trust_users: bool = False,
    replacing: Collection[str] = (),
    default_leads: Collection[str] = (),
) -> list[Problem]:
    """Problems as (field, message); resolves team and lead handles to ids in place.

    `trust_users` accepts user ids the cache does not know yet (picked in a Slack user
    select, so they exist); known but deactivated users are refused either way. `replacing`
    names rotations rewritten in the same change (their areas and groups are not taken);
    `default_leads` (SUPPORT_LEADS) may name a group no rotation may rewrite.
    """
    problems: list[Problem] = []
    if not NAME.match(spec.name or ""):
        problems.append(("name", "use letters, digits, '-', '_' or '.', up to 80, no spaces"))
    else:
        other = session.scalar(select(Rotation.id).where(Rotation.name == spec.name))
        if other is not None and other != rotation_id:
            problems.append(("name", f"a rotation called {spec.name} exists already"))
    if not CHANNEL.match(spec.channel or ""):
        problems.append(("channel", "give a channel id like C0123ABCD"))
    if zone(spec.timezone) is None:
        problems.append(("timezone", f"unknown time zone {spec.timezone!r}; use an IANA name"))
    problems += _check_pattern(spec)
    problems += _check_numbers(spec)
    spec.teams, found = _groups(session, spec.teams, "teams", problems)
    spec.users = _users(session, spec.users, "users", problems, trust_users)
    lead_users = [i for i in spec.leads if USER.match(i)]
    lead_refs = [i for i in spec.leads if not USER.match(i)]
    lead_groups, _ = _groups(session, lead_refs, "leads", problems, need_members=False)
    spec.leads = _users(session, lead_users, "leads", problems, trust_users) + lead_groups
    if spec.has_pattern and not found and not spec.users and not _has("teams", problems):
        problems.append(("teams", "name at least one team (user group) or user to take shifts"))
    for shift in spec.shifts:
        if shift.end <= shift.start:
            problems.append(
                ("shifts", f"the shift at {shift.start.isoformat()} ends before it starts")
            )
        elif shift.end - shift.start > timedelta(days=7):
            problems.append(("shifts", f"the shift at {shift.start.isoformat()} is over 7 days"))
    _users(session, sorted({s.user for s in spec.shifts}), "shifts", problems, trust_users)
    if not spec.has_pattern and not spec.shifts:
        problems.append(
            ("pattern", "pick days and a start time, or give an RRULE (or fixed shifts)")
        )
    problems += reach.validate(
        session, spec, rotation_id=rotation_id, replacing=replacing, protected=default_leads
    )
    return problems


def _has(name: str, problems: list[Problem]) -> bool:
    return any(f == name for f, _ in problems)


def _check_pattern(spec: RotationSpec) -> list[Problem]:
    if not spec.has_pattern:
        return []
    problems: list[Problem] = []
    if spec.rrule:
        reason = check_rrule(spec.rrule)
        if reason:
            problems.append(("rrule", reason))
    else:
        if not spec.days:
            problems.append(("days", "pick at least one day of the week"))
        if not spec.start:
            problems.append(("start", "give the start time, e.g. 14:00"))
    if not 1 <= spec.every_weeks <= 52:
        problems.append(("every_weeks", "every 1 to 52 weeks"))
    if spec.length_minutes is None:
        problems.append(("length", "give the length of a shift, e.g. 2h"))
    elif not 5 <= spec.length_minutes <= 7 * 1440:
        problems.append(("length", "a shift lasts between 5 minutes and 7 days"))
    if problems:
        return problems
    gap = shortest_gap(pattern_of(spec, date(2026, 1, 5)))
    length = timedelta(minutes=spec.length_minutes or 0)
    if gap is not None and length > gap:
        problems.append(
            (
                "length",
                f"a {minutes_text(spec.length_minutes or 0)} shift is longer than the "
                f"{minutes_text(int(gap.total_seconds() // 60))} between two shifts",
            )
        )
    return problems


def _check_numbers(spec: RotationSpec) -> list[Problem]:
    problems: list[Problem] = []
    if not 1 <= spec.people_per_shift <= 20:
        problems.append(("people_per_shift", "between 1 and 20 people per shift"))
    leads = spec.reminder_lead_minutes
    if len(leads) > 5 or any(not 1 <= m <= 14 * 1440 for m in leads):
        problems.append(("reminders", "up to 5 reminders, each 1 minute to 14 days ahead"))
    spec.reminder_lead_minutes = sorted(set(leads), reverse=True)
    if not 0 <= spec.checkin_before <= 720 or not 0 <= spec.checkin_after <= 720:
        problems.append(("checkin", "the check-in window reaches at most 12 hours either side"))
    elif spec.checkin_before + spec.checkin_after < 1:
        problems.append(("checkin", "the check-in window must be open for at least a minute"))
    elif spec.length_minutes and spec.checkin_after >= spec.length_minutes:
        problems.append(("checkin", "check-in must close before the shift ends"))
    if not 1 <= spec.cover_timeout_minutes <= 240:
        problems.append(("cover_timeout_minutes", "between 1 and 240 minutes"))
    if not 0 <= spec.swap_deadline_minutes <= 14 * 1440:
        problems.append(("swap_deadline_minutes", "between 0 minutes and 14 days"))
    for day in spec.holidays:
        try:
            parse_date(day)
        except ValueError as err:
            problems.append(("holidays", str(err)))
    if spec.holiday_calendar:
        reason = public_holidays.problem(spec.holiday_calendar)
        if reason:
            problems.append(("holiday_calendar", reason))
    return problems


def _groups(
    session: Session, refs: list[str], name: str, problems: list[Problem], need_members: bool = True
) -> tuple[list[str], list[str]]:
    """(group ids, ids of those with members) for handles or ids, noting unknown and empty."""
    ids: list[str] = []
    populated: list[str] = []
    for ref in refs:
        group = (
            session.get(SlackUserGroup, ref)
            if GROUP.match(ref)
            else people.group_by_handle(session, ref)
        )
        if group is None:
            problems.append((name, f"unknown user group {ref} (the directory refreshes hourly)"))
            continue
        if group.id not in ids:
            ids.append(group.id)
        if any(_active(session, u) for u in people.group_members(session, group.id)):
            populated.append(group.id)
        elif need_members:
            problems.append((name, f"user group @{group.handle or group.id} has no members"))
    return ids, populated


def _active(session: Session, user_id: str) -> bool:
    user = session.get(SlackUser, user_id)
    return user is None or not (user.deleted or user.is_bot)


def _users(
    session: Session, refs: list[str], name: str, problems: list[Problem], trust: bool
) -> list[str]:
    out: list[str] = []
    for ref in refs:
        user = session.get(SlackUser, ref) if USER.match(ref) else None
        if not USER.match(ref) or (user is None and not trust):
            problems.append((name, f"{ref} is not a user in this workspace"))
        elif user is not None and (user.deleted or user.is_bot):
            problems.append((name, f"{ref} has left the workspace or is a bot"))
        elif ref not in out:
            out.append(ref)
    return out


# ---- between specs, stored rotations and schedule patterns ----------------------------------


def pattern_of(spec: RotationSpec, anchor: date) -> Pattern:
    """The schedule pattern of a spec (the caller checked it has one)."""
    start_date = parse_date(spec.start_date) if spec.start_date else anchor
    length = timedelta(minutes=spec.length_minutes or 0)
    if spec.rrule:
        return Pattern(length, start_date, rrule=spec.rrule)
    h, m = (int(x) for x in (spec.start or "00:00").split(":"))
    days = tuple(sorted(WEEKDAYS.index(d) for d in spec.days))
    return Pattern(length, start_date, days, time(h, m), spec.every_weeks)


def stored_pattern(spec: RotationSpec, anchor: date) -> dict[str, Any]:
    """The rotation's `pattern` column for a spec (the anchor fixes every-N-weeks phase)."""
    if not spec.has_pattern:
        return {}
    start_date = spec.start_date or anchor.isoformat()
    if spec.rrule:
        return {"rrule": spec.rrule, "start_date": start_date}
    days = sorted(spec.days, key=WEEKDAYS.index)
    return {
        "days": days,
        "start": spec.start,
        "every_weeks": spec.every_weeks,
        "start_date": start_date,
    }


def spec_of(rotation: Rotation) -> RotationSpec:
    """The spec a stored rotation was configured with."""
    pattern = rotation.pattern or {}
    return RotationSpec(
        name=rotation.name,
        channel=rotation.channel,
        timezone=rotation.timezone,
        days=list(pattern.get("days") or []),
        start=pattern.get("start"),
        every_weeks=int(pattern.get("every_weeks") or 1),
        rrule=pattern.get("rrule"),
        length_minutes=rotation.length_minutes,
        start_date=pattern.get("start_date"),
        people_per_shift=rotation.people_per_shift,
        reminder_lead_minutes=[int(m) for m in rotation.reminder_lead_minutes],
        checkin_before=rotation.checkin_before_minutes,
        checkin_after=rotation.checkin_after_minutes,
        leads=list(rotation.leads),
        teams=list(rotation.teams),
        users=list(rotation.users),
        holidays=list(rotation.holidays),
        holiday_calendar=rotation.holiday_calendar,
        shifts=[
            FixedShift(
                s["user"], datetime.fromisoformat(s["start"]), datetime.fromisoformat(s["end"])
            )
            for s in rotation.fixed_shifts
        ],
        cover_timeout_minutes=rotation.cover_timeout_minutes,
        swap_deadline_minutes=rotation.swap_deadline_minutes,
        areas=list(rotation.areas or []),
        escalation_minutes=rotation.escalation_minutes,
        usergroup=rotation.usergroup,
        channel_topic=rotation.channel_topic,
    )
