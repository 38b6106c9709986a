"""Read the rotation modal's submitted state into a RotationSpec, noting unreadable fields."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from bot.ids import RotationField as F
from bot.render.times import parse_duration
from bot.rotations import reach
from bot.rotations.config import RotationSpec, parse_list
from bot.rotations.render.form import TOPIC_OPTION

Values = dict[str, dict[str, dict[str, Any]]]


def _element(values: Values, block: str) -> dict[str, Any]:
    return (values.get(block) or {}).get(block) or {}


def _text(values: Values, block: str) -> str:
    return str(_element(values, block).get("value") or "").strip()


def _parse(values: Values, block: str, parse: Callable[[str], Any], errors: dict[str, str]) -> Any:
    try:
        return parse(_text(values, block))
    except ValueError as err:
        errors[block] = str(err)
        return None


def _whole(text: str) -> int:
    if not text.strip().isdigit():
        raise ValueError(f"{text!r} is not a whole number")
    return int(text)


def read_form(values: Values, base: RotationSpec) -> tuple[RotationSpec, dict[str, str]]:
    """The spec the modal describes (on top of `base`, which keeps what the modal does not
    show, like fixed shifts), and {block_id: message} for inputs that could not be read."""
    errors: dict[str, str] = {}
    spec = dataclasses.replace(base)
    spec.name = _text(values, F.NAME)
    spec.channel = str(_element(values, F.CHANNEL).get("selected_conversation") or "")
    spec.timezone = _text(values, F.TIMEZONE) or "UTC"
    spec.rrule = _text(values, F.RRULE) or None
    options = _element(values, F.DAYS).get("selected_options") or []
    spec.days = [str(o["value"]) for o in options]
    spec.start = _element(values, F.START).get("selected_time") or None
    if spec.rrule:
        spec.days, spec.start = [], None
    spec.length_minutes = _parse(values, F.LENGTH, parse_duration, errors)
    spec.every_weeks = _parse(values, F.EVERY_WEEKS, lambda t: _whole(t or "1"), errors) or 1
    spec.people_per_shift = _parse(values, F.PEOPLE, _whole, errors) or 1
    spec.teams = [t.lstrip("@") for t in parse_list(_text(values, F.TEAMS))]
    spec.users = list(_element(values, F.USERS).get("selected_users") or [])
    groups = [g.lstrip("@") for g in parse_list(_text(values, F.LEAD_GROUPS))]
    spec.leads = list(_element(values, F.LEADS).get("selected_users") or []) + groups
    reminders = _parse(
        values, F.REMINDERS, lambda t: [parse_duration(p) for p in parse_list(t)], errors
    )
    spec.reminder_lead_minutes = reminders if reminders is not None else []
    spec.checkin_before = _parse(values, F.CHECKIN_BEFORE, parse_duration, errors) or 0
    spec.checkin_after = _parse(values, F.CHECKIN_AFTER, parse_duration, errors) or 0
    spec.holidays = parse_list(_text(values, F.HOLIDAYS))
    spec.areas = reach.split_areas(_text(values, F.AREAS))
    if _text(values, F.ESCALATION):
        escalation = _parse(values, F.ESCALATION, parse_duration, errors)
        spec.escalation_minutes = escalation or reach.DEFAULT_ESCALATION
    else:
        spec.escalation_minutes = reach.DEFAULT_ESCALATION
    spec.usergroup = _text(values, F.USERGROUP).lstrip("@") or None
    shown = _element(values, F.TOPIC).get("selected_options") or []
    spec.channel_topic = any(o.get("value") == TOPIC_OPTION for o in shown)
    return spec, errors
