"""Rotations as code: apply and export, idempotency, and errors that name the key and line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from rotation_helpers import MONDAY, cache_workspace, later
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.db import transaction
from bot.rotations import files
from bot.rotations.models import Rotation, Shift, ShiftAssignment, ShiftEvent

ROOT = Path(__file__).resolve().parents[2]

EXAMPLE = """\
rotations:
  - name: chat-support                 # unique; the key for updates
    channel: C0123ABCD                 # announcement channel id
    timezone: Europe/Berlin            # IANA name
    leads: [U0LEAD, S0BACK]            # user ids and/or user group ids
    teams: [backend-eng, S0FRONT]      # user group handles or ids
    users: [U0BE1]                     # individual participants
    pattern: {days: [mon, wed, fri], start: "14:00", length: 2h, every_weeks: 1}
    people_per_shift: 1
    reminder_lead_minutes: [1440, 15]  # a number or a list
    checkin_window: {before_minutes: 15, after_minutes: 10}
    shifts:
      - {user: U0FE1, start: "2026-12-05T10:00:00+01:00", end: "2026-12-05T12:00:00+01:00"}
  - name: tuesday-triage
    channel: C0TRIAGE
    timezone: America/New_York
    teams: [frontend]
    pattern: {rrule: "FREQ=WEEKLY;BYDAY=TU;BYHOUR=9", length: 90m}
    reminder_lead_minutes: 30
"""


@pytest.fixture
def cached(factory: sessionmaker[Session]) -> sessionmaker[Session]:
    """The test database with the workspace's users and groups in the directory cache."""
    with transaction(factory) as session:
        cache_workspace(session, MONDAY)
    return factory


def _apply(factory: sessionmaker[Session], text: str, **delta: float) -> list[Any]:
    with transaction(factory) as session:
        return files.apply(session, text, actor="cli", now=later(MONDAY, **delta))


def _problems(factory: sessionmaker[Session], text: str) -> list[str]:
    with pytest.raises(files.FileInvalid) as caught:
        _apply(factory, text)
    with transaction(factory) as session:
        assert session.scalar(select(func.count()).select_from(Rotation)) == 0
    return caught.value.problems


def _state(factory: sessionmaker[Session]) -> tuple[Any, ...]:
    with transaction(factory) as session:
        rotations = [
            (r.name, r.updated_at, r.epoch, r.pattern, r.teams)
            for r in session.scalars(select(Rotation).order_by(Rotation.name))
        ]
        shifts = session.execute(
            select(Shift.key, Shift.status, ShiftAssignment.user_id)
            .join(ShiftAssignment, ShiftAssignment.shift_id == Shift.id)
            .order_by(Shift.key, ShiftAssignment.seat)
        ).all()
        events = session.scalar(select(func.count()).select_from(ShiftEvent))
    return rotations, shifts, events


def test_apply_creates_rotations_from_the_documented_example(cached: sessionmaker[Session]) -> None:
    outcomes = _apply(cached, EXAMPLE)
    assert [(o.name, o.action) for o in outcomes] == [
        ("chat-support", "created"),
        ("tuesday-triage", "created"),
    ]
    with transaction(cached) as session:
        chat = session.scalar(select(Rotation).where(Rotation.name == "chat-support"))
        assert chat is not None and chat.teams == ["S0BACK", "S0FRONT"]
        assert chat.leads == ["U0LEAD", "S0BACK"]
        fixed = session.scalar(select(Shift).where(Shift.source == "fixed"))
        assert fixed is not None and fixed.starts_at.hour == 9  # 10:00 CET
        triage = session.scalar(select(Rotation).where(Rotation.name == "tuesday-triage"))
        assert triage is not None and triage.reminder_lead_minutes == [30]
        assert triage.checkin_before_minutes == 15 and triage.people_per_shift == 1


def test_applying_the_same_file_twice_changes_nothing(cached: sessionmaker[Session]) -> None:
    _apply(cached, EXAMPLE)
    before = _state(cached)
    outcomes = _apply(cached, EXAMPLE, minutes=5)
    assert {o.action for o in outcomes} == {"unchanged"}
    assert _state(cached) == before


def test_export_writes_what_apply_reads_and_round_trips(cached: sessionmaker[Session]) -> None:
    _apply(cached, EXAMPLE)
    with transaction(cached) as session:
        exported = files.export(session)
    assert "backend-eng" in exported and "length: 2h" in exported
    before = _state(cached)
    assert {o.action for o in _apply(cached, exported, minutes=5)} == {"unchanged"}
    assert _state(cached) == before
    with transaction(cached) as session:
        assert files.export(session) == exported


def test_changing_the_pattern_replans_future_shifts(cached: sessionmaker[Session]) -> None:
    _apply(cached, EXAMPLE)
    changed = EXAMPLE.replace("days: [mon, wed, fri]", "days: [tue, thu]")
    outcomes = _apply(cached, changed, minutes=5)
    assert outcomes[0].action == "updated" and outcomes[0].changed == ["pattern"]
    with transaction(cached) as session:
        live = session.scalars(
            select(Shift).where(
                Shift.status == "scheduled", Shift.source == "pattern", Shift.rotation_id == 1
            )
        ).all()
        assert live and {s.starts_at.astimezone().weekday() for s in live} <= {1, 3}
        assert session.scalar(select(func.count()).where(Shift.status == "cancelled")) > 0


def test_unknown_keys_name_the_key_and_its_line(cached: sessionmaker[Session]) -> None:
    text = EXAMPLE.replace("per_shift: 1\n", "per_shift: 1\n    colour: blue\n")
    text = text.replace("length: 90m}", "length: 90m, offset: 3}")
    problems = _problems(cached, text)
    assert any(p.startswith("line 10: unknown key 'colour' in a rotation") for p in problems)
    assert any(p.startswith("line 19:") and "'offset'" in p for p in problems)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("timezone: Europe/Berlin", "timezone: Mars/Olympus"), "line 4: unknown time zone"),
        (("length: 2h", "length: 3d"), "line 8: a 3d shift is longer than the 2d between"),
        (("teams: [backend-eng, S0FRONT]", "teams: [nobody-here]"), "line 6: unknown user group"),
        (
            ("teams: [backend-eng, S0FRONT]", "teams: [empty-team]"),
            "line 6: user group @empty-team has no members",
        ),
        (
            ("users: [U0BE1]", "users: [U0NOBODY]"),
            "line 7: U0NOBODY is not a user in this workspace",
        ),
        (("users: [U0BE1]", "users: [U0GONE]"), "line 7: U0GONE has left the workspace"),
        (('start: "14:00"', 'start: "25:00"'), "line 8: start: '25:00' is not a time of day"),
        (
            ("people_per_shift: 1", "people_per_shift: lots"),
            "line 9: people_per_shift must be a whole number",
        ),
        (("2026-12-05T12:00:00+01:00", "2026-12-05T09:00:00+01:00"), "ends before it starts"),
    ],
)
def test_bad_input_is_reported_with_its_line_and_nothing_is_saved(
    cached: sessionmaker[Session], change: tuple[str, str], expected: str
) -> None:
    problems = _problems(cached, EXAMPLE.replace(*change))
    assert any(expected in p for p in problems), problems


def test_an_unquoted_time_and_a_single_reminder_are_read_as_written(
    cached: sessionmaker[Session],
) -> None:
    text = (
        "rotations:\n  - name: x\n    channel: C0X\n    teams: [frontend]\n"
        "    pattern: {days: [monday], start: 9:30, length: 1h30m}\n    reminder_lead_minutes: 45\n"
    )
    _apply(cached, text)
    with transaction(cached) as session:
        rotation = session.scalar(select(Rotation))
        assert rotation is not None
        assert rotation.pattern["start"] == "09:30" and rotation.length_minutes == 90
        assert rotation.reminder_lead_minutes == [45] and rotation.timezone == "UTC"


def test_structure_errors_name_their_lines(cached: sessionmaker[Session]) -> None:
    assert _problems(cached, "rotations: [\n")[0].startswith("line ")
    assert _problems(cached, "") == ["line 1: the file is empty; it needs a `rotations:` list"]
    missing = _problems(cached, "rotations:\n  - name: x\n    teams: [frontend]\n")
    assert "line 2: rotation 'x' needs `channel`" in missing
    assert "line 2: rotation 'x' needs `pattern` or `shifts`" in missing
    twice = EXAMPLE + EXAMPLE.split("rotations:\n", 1)[1]
    assert any("appears twice" in p for p in _problems(cached, twice))


def test_the_cli_applies_and_exports(
    db_url: str, cached: sessionmaker[Session], tmp_path: Path
) -> None:
    path = tmp_path / "rotations.yml"
    path.write_text(EXAMPLE)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL"))}
    env["DATABASE_URL"] = db_url

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bot.cli", "rotations", *args],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    applied = run("apply", str(path))
    assert applied.returncode == 0, applied.stderr
    assert "chat-support: created" in applied.stdout
    assert "chat-support: unchanged" in run("apply", str(path)).stdout
    exported = run("export")
    assert exported.returncode == 0 and "tuesday-triage" in exported.stdout
    path.write_text(EXAMPLE.replace("people_per_shift: 1", "people_per_shift: 1\n    bogus: 1"))
    broken = run("apply", str(path))
    assert broken.returncode == 2 and "unknown key 'bogus'" in broken.stderr
