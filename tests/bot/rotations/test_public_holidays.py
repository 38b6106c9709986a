"""Public holidays by country: no shift on those days, and unknown calendars refused."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import pytest
from rotation_helpers import MONDAY, cache_workspace, later
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.db import transaction
from bot.rotations import files, public_holidays
from bot.rotations.models import Rotation, Shift

BERLIN = ZoneInfo("Europe/Berlin")
FILE = """\
rotations:
  - name: chat-support
    channel: C0123ABCD
    timezone: Europe/Berlin
    teams: [backend-eng]
    pattern: {days: [mon, wed, fri], start: "14:00", length: 2h}
    holidays: ["2026-12-07"]
"""


@pytest.fixture
def cached(factory: sessionmaker[Session]) -> sessionmaker[Session]:
    """The test database with the workspace's users and groups in the directory cache."""
    with transaction(factory) as session:
        cache_workspace(session, MONDAY)
    return factory


def _days(factory: sessionmaker[Session]) -> set[date]:
    with transaction(factory) as session:
        starts = session.scalars(
            select(Shift.starts_at).where(Shift.status == "scheduled", Shift.source == "pattern")
        ).all()
    return {s.astimezone(BERLIN).date() for s in starts}


def test_no_shift_is_planned_on_the_countrys_public_holidays(cached: sessionmaker[Session]) -> None:
    with transaction(cached) as session:
        files.apply(session, FILE, actor="cli", now=MONDAY)
    planned = _days(cached)
    assert date(2026, 12, 25) in planned and date(2026, 12, 7) not in planned
    with transaction(cached) as session:
        outcomes = files.apply(
            session, FILE + "    holiday_calendar: DE\n", actor="cli", now=later(MONDAY, minutes=5)
        )
    assert outcomes[0].changed == ["holiday_calendar"]
    planned = _days(cached)
    # Christmas Day is a public holiday in Germany; the explicit date still counts too.
    assert date(2026, 12, 25) not in planned and date(2026, 12, 7) not in planned
    assert date(2026, 12, 23) in planned


def test_a_subdivision_is_accepted_and_exported(cached: sessionmaker[Session]) -> None:
    with transaction(cached) as session:
        files.apply(session, FILE + "    holiday_calendar: DE-BY\n", actor="cli", now=MONDAY)
        exported = files.export(session)
        assert session.scalar(select(Rotation.holiday_calendar)) == "DE-BY"
    assert "holiday_calendar: DE-BY" in exported
    assert date(2026, 1, 6) in public_holidays.days("DE-BY", [2026])  # Epiphany, Bavaria only
    assert date(2026, 1, 6) not in public_holidays.days("DE-BE", [2026])


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("XX", "line 8: unknown holiday calendar 'XX'"),
        ("DE-QQ", "line 8: unknown subdivision 'QQ' of DE"),
    ],
)
def test_an_unknown_country_or_subdivision_is_a_clear_error_and_nothing_is_saved(
    cached: sessionmaker[Session], code: str, expected: str
) -> None:
    with transaction(cached) as session, pytest.raises(files.FileInvalid) as caught:
        files.apply(session, FILE + f"    holiday_calendar: {code}\n", actor="cli", now=MONDAY)
    assert any(p.startswith(expected) for p in caught.value.problems), caught.value.problems
    with transaction(cached) as session:
        assert session.scalar(select(func.count()).select_from(Rotation)) == 0
