"""Shared set-up for rotation tests: a workspace with two teams, and a rotation over them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot import people
from bot.db import transaction
from bot.ids import RotationField as F
from bot.rotations import lifecycle
from bot.rotations.config import RotationSpec, validate
from bot.rotations.models import Rotation, ShiftAssignment
from scheduling.sweeps import rotation_directory

ROTATION_CHANNEL = "C0ROTA"
BACKEND = {"U0BE1": "Bea", "U0BE2": "Ben", "U0BE3": "Bo"}
FRONTEND = {"U0FE1": "Fay", "U0FE2": "Finn"}
# A Monday morning in winter (CET), so a 14:00 Berlin shift starts at 13:00 UTC.
MONDAY = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


def add_workspace(sim: Any) -> None:
    """Two teams in the Slack simulator, people in different time zones, and a channel."""
    for uid, name in BACKEND.items():
        sim.add_user(uid, name.lower(), real_name=name, tz="Europe/Berlin")
    for uid, name in FRONTEND.items():
        sim.add_user(uid, name.lower(), real_name=name, tz="America/New_York")
    sim.add_usergroup("S0BACK", "backend-eng", "Backend", users=list(BACKEND))
    sim.add_usergroup("S0FRONT", "frontend", "Frontend", users=list(FRONTEND))
    sim.add_usergroup("S0EMPTY", "empty-team", "Nobody", users=[])
    sim.add_channel(ROTATION_CHANNEL, "chat-support", members=[*BACKEND, *FRONTEND])


def refresh_directory(app: Any) -> None:
    """What the hourly team refresh does: read groups and users from the simulator."""
    rotation_directory.refresh(app.runtime.factory, app.runtime.clients, app.clock.now())


def cache_workspace(session: Session, now: datetime) -> None:
    """The same workspace straight into the directory cache (no Slack needed)."""
    for uid, name in BACKEND.items():
        people.record_user(session, {"id": uid, "name": name, "tz": "Europe/Berlin"}, now)
    for uid, name in FRONTEND.items():
        people.record_user(session, {"id": uid, "name": name, "tz": "America/New_York"}, now)
    people.record_user(session, {"id": "U0LEAD", "name": "lead", "tz": "America/New_York"}, now)
    people.record_user(session, {"id": "U0GONE", "name": "gone", "deleted": True}, now)
    people.replace_group(
        session, "S0BACK", handle="backend-eng", name="Backend", members=list(BACKEND), now=now
    )
    people.replace_group(
        session, "S0FRONT", handle="frontend", name="Frontend", members=list(FRONTEND), now=now
    )
    people.replace_group(
        session, "S0EMPTY", handle="empty-team", name="Nobody", members=[], now=now
    )


def chat_support(**overrides: Any) -> RotationSpec:
    """Mon/Wed/Fri 14:00 Berlin, 2 h, one person, both teams, lead U0LEAD."""
    values: dict[str, Any] = {
        "name": "chat-support",
        "channel": ROTATION_CHANNEL,
        "timezone": "Europe/Berlin",
        "days": ["mon", "wed", "fri"],
        "start": "14:00",
        "length_minutes": 120,
        "teams": ["backend-eng", "S0FRONT"],
        "leads": ["U0LEAD"],
    }
    values.update(overrides)
    return RotationSpec(**values)


def create_rotation(
    factory: sessionmaker[Session], now: datetime, spec: RotationSpec | None = None
) -> int:
    """Validate and create a rotation; returns its id."""
    spec = spec or chat_support()
    with transaction(factory) as session:
        assert validate(session, spec) == []
        return lifecycle.create(session, spec, actor="U0LEAD", now=now).id


def seats(factory: sessionmaker[Session], rotation_id: int) -> list[ShiftAssignment]:
    """Every seat of a rotation, in time order."""
    with transaction(factory) as session:
        return list(
            session.scalars(
                select(ShiftAssignment)
                .where(ShiftAssignment.rotation_id == rotation_id)
                .order_by(ShiftAssignment.starts_at, ShiftAssignment.seat)
            )
        )


def rotation(factory: sessionmaker[Session], rotation_id: int) -> Rotation:
    """A rotation row."""
    with transaction(factory) as session:
        found = session.get(Rotation, rotation_id)
        assert found is not None
        return found


def form_values(**overrides: Any) -> dict[str, Any]:
    """Everything the rotation modal submits, as the driver takes it (block id -> value)."""
    values: dict[str, Any] = {
        F.NAME: "chat-support",
        F.CHANNEL: ROTATION_CHANNEL,
        F.TIMEZONE: "Europe/Berlin",
        F.DAYS: ["mon", "wed", "fri"],
        F.START: "14:00",
        F.LENGTH: "2h",
        F.EVERY_WEEKS: "1",
        F.RRULE: None,
        F.PEOPLE: "1",
        F.TEAMS: "backend-eng, @frontend",
        F.USERS: [],
        F.LEADS: ["U0LEAD"],
        F.LEAD_GROUPS: None,
        F.REMINDERS: "24h, 15m",
        F.CHECKIN_BEFORE: "15m",
        F.CHECKIN_AFTER: "10m",
        F.HOLIDAYS: None,
    }
    values.update({str(k): v for k, v in overrides.items()})
    return values


def later(start: datetime, **delta: float) -> datetime:
    """`start` moved by a timedelta's keyword arguments."""
    return start + timedelta(**delta)
