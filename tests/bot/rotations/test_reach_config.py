"""A rotation's areas, escalation, on-shift user group and topic as YAML: apply, export, errors."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from rotation_helpers import MONDAY, cache_workspace
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot import people
from bot.db import transaction
from bot.rotations import files
from bot.rotations.models import Rotation

BASE = """\
rotations:
  - name: chat-support
    channel: C0ROTA
    teams: [backend-eng]
    pattern: {days: [mon], start: "14:00", length: 2h}
    areas: [Payments, Mobile app]
    escalation_minutes: 20
    usergroup: "@support-now"
    topic: true
  - name: triage
    channel: C0TRIAGE
    teams: [frontend]
    pattern: {days: [tue], start: "09:00", length: 1h}
    areas: Checkout
"""


@pytest.fixture
def cached(factory: sessionmaker[Session]) -> sessionmaker[Session]:
    with transaction(factory) as session:
        cache_workspace(session, MONDAY)
        people.replace_group(
            session, "S0NOW", handle="support-now", name="Now", members=[], now=MONDAY
        )
    return factory


def _apply(factory: sessionmaker[Session], text: str) -> list[Any]:
    with transaction(factory) as session:
        return files.apply(session, text, actor="cli", now=MONDAY)


def _problems(factory: sessionmaker[Session], text: str) -> list[str]:
    with transaction(factory) as session:
        before = session.scalar(select(func.count()).select_from(Rotation))
    with pytest.raises(files.FileInvalid) as caught:
        _apply(factory, text)
    with transaction(factory) as session:
        assert session.scalar(select(func.count()).select_from(Rotation)) == before
    return caught.value.problems


def test_apply_stores_areas_group_and_topic_and_export_writes_them_back(
    cached: sessionmaker[Session],
) -> None:
    _apply(cached, BASE)
    with transaction(cached) as session:
        rotation = session.scalar(select(Rotation).where(Rotation.name == "chat-support"))
        assert rotation is not None
        assert rotation.areas == ["Payments", "Mobile app"]
        assert (rotation.escalation_minutes, rotation.usergroup) == (20, "S0NOW")
        assert rotation.channel_topic is True
        exported = yaml.safe_load(files.export(session))["rotations"]
    first, second = exported
    assert first["areas"] == ["Payments", "Mobile app"] and first["usergroup"] == "support-now"
    assert first["escalation_minutes"] == 20 and first["topic"] is True
    assert second["areas"] == ["Checkout"] and "usergroup" not in second
    assert "escalation_minutes" not in second and "topic" not in second
    assert [o.action for o in _apply(cached, BASE)] == ["unchanged", "unchanged"]


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (('usergroup: "@support-now"', "usergroup: nope"), "line 8: unknown user group nope"),
        (('usergroup: "@support-now"', "usergroup: frontend"), "team or lead group of rotation"),
        (('usergroup: "@support-now"', "usergroup: backend-eng"), "one of this rotation's"),
        (("areas: Checkout", "areas: [payments]"), "area 'Payments' is claimed by two"),
        (("escalation_minutes: 20", "escalation_minutes: 0"), "between 1 minute and 24 hours"),
        (("topic: true", "topic: maybe"), "topic must be true or false"),
    ],
)
def test_bad_reach_settings_name_their_line_and_apply_nothing(
    cached: sessionmaker[Session], change: tuple[str, str], words: str
) -> None:
    problems = _problems(cached, BASE.replace(*change))
    assert any(words in p for p in problems), problems


def test_an_area_may_move_between_rotations_in_one_file(cached: sessionmaker[Session]) -> None:
    _apply(cached, BASE)
    moved = BASE.replace("areas: [Payments, Mobile app]", "areas: [Mobile app]").replace(
        "areas: Checkout", "areas: [Checkout, Payments]"
    )
    _apply(cached, moved)
    only_second = BASE.replace("areas: [Payments, Mobile app]", "areas: [Mobile app]")
    only_second = only_second.split("  - name: triage")[0]
    problems = _problems(cached, only_second.replace("[Mobile app]", "[Checkout]"))
    assert any("already covered by rotation triage" in p for p in problems), problems


def test_the_support_leads_group_is_never_an_on_shift_group(
    cached: sessionmaker[Session],
) -> None:
    with pytest.raises(files.FileInvalid) as caught, transaction(cached) as session:
        files.apply(session, BASE, actor="cli", now=MONDAY, default_leads=["S0NOW"])
    assert any("support leads' group" in p for p in caught.value.problems)
