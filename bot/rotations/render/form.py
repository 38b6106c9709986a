"""The rotation modal (create and edit): inputs, initial values, and where errors show."""

from __future__ import annotations

import json
from typing import Any

from bot.ids import RotationField as F
from bot.ids import View
from bot.render.blocks import Block, cut, plain, section
from bot.render.times import WEEKDAYS, minutes_text
from bot.rotations.config import RotationSpec

DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# validate() field -> the block whose input it is about
FIELD_BLOCKS = {
    "name": F.NAME,
    "channel": F.CHANNEL,
    "timezone": F.TIMEZONE,
    "days": F.DAYS,
    "pattern": F.DAYS,
    "start": F.START,
    "length": F.LENGTH,
    "every_weeks": F.EVERY_WEEKS,
    "rrule": F.RRULE,
    "people_per_shift": F.PEOPLE,
    "teams": F.TEAMS,
    "users": F.USERS,
    "leads": F.LEADS,
    "lead_groups": F.LEAD_GROUPS,
    "reminders": F.REMINDERS,
    "checkin": F.CHECKIN_AFTER,
    "checkin_before": F.CHECKIN_BEFORE,
    "holidays": F.HOLIDAYS,
    "areas": F.AREAS,
    "escalation_minutes": F.ESCALATION,
    "usergroup": F.USERGROUP,
    "topic": F.TOPIC,
}
TOPIC_OPTION = "show"


def _input(
    block_id: str,
    label: str,
    element: Block,
    *,
    optional: bool = False,
    hint: str | None = None,
) -> Block:
    block: Block = {
        "type": "input",
        "block_id": block_id,
        "label": plain(label, 2000),
        "element": {**element, "action_id": block_id},
        "optional": optional,
    }
    if hint:
        block["hint"] = plain(hint, 2000)
    return block


def _text(initial: str | None = None, placeholder: str | None = None) -> Block:
    element: Block = {"type": "plain_text_input"}
    if initial:
        element["initial_value"] = cut(initial, 3000, "")
    if placeholder:
        element["placeholder"] = plain(placeholder, 150)
    return element


def _option(value: str, text: str) -> Block:
    return {"text": plain(text, 75), "value": value}


def rotation_form(
    spec: RotationSpec | None,
    *,
    rotation_id: int | None,
    default_channel: str | None,
    default_timezone: str,
    team_refs: list[str],
    lead_groups: list[str],
    usergroup_ref: str | None = None,
) -> dict[str, Any]:
    """The modal, blank for a new rotation or filled in from `spec` to edit one
    (`usergroup_ref`: the on-shift group's handle, shown instead of its id)."""
    spec = spec or RotationSpec(name="", channel=default_channel or "", timezone=default_timezone)
    days = {
        "type": "checkboxes",
        "options": [_option(d, n) for d, n in zip(WEEKDAYS, DAY_NAMES, strict=True)],
    }
    if spec.days:
        days["initial_options"] = [
            _option(d, DAY_NAMES[WEEKDAYS.index(d)]) for d in WEEKDAYS if d in spec.days
        ]
    start: Block = {"type": "timepicker"}
    if spec.start:
        start["initial_time"] = spec.start
    channel: Block = {
        "type": "conversations_select",
        "filter": {"include": ["public", "private"], "exclude_bot_users": True},
    }
    if spec.channel:
        channel["initial_conversation"] = spec.channel
    users: Block = {"type": "multi_users_select"}
    if spec.users:
        users["initial_users"] = list(spec.users)
    leads: Block = {"type": "multi_users_select"}
    lead_users = [u for u in spec.leads if not u.startswith("S")]
    if lead_users:
        leads["initial_users"] = lead_users
    blocks: list[Block] = [
        _input(
            F.NAME,
            "Name",
            _text(spec.name, "chat-support"),
            hint="Letters, digits, - and _; used in commands like /support shifts <name>.",
        ),
        _input(F.CHANNEL, "Announcement channel", channel),
        _input(
            F.TIMEZONE,
            "Time zone",
            _text(spec.timezone, "Europe/Berlin"),
            hint="An IANA name such as Europe/Berlin or America/New_York.",
        ),
        section("*When* — pick days and a start time, or give an RRULE for anything else."),
        _input(F.DAYS, "Days", days, optional=True),
        _input(F.START, "Start time", start, optional=True),
        _input(F.LENGTH, "Shift length", _text(minutes_text(spec.length_minutes or 120), "2h")),
        _input(F.EVERY_WEEKS, "Every how many weeks", _text(str(spec.every_weeks)), optional=True),
        _input(
            F.RRULE,
            "Or an RRULE (RFC 5545)",
            _text(spec.rrule, "FREQ=WEEKLY;BYDAY=TU;BYHOUR=9"),
            optional=True,
            hint="Replaces days, start time and weeks when given.",
        ),
        _input(F.PEOPLE, "People per shift", _text(str(spec.people_per_shift))),
        section("*Who* — teams (user groups) and/or individual people take turns."),
        _input(
            F.TEAMS,
            "Teams",
            _text(", ".join(team_refs), "backend-eng, @frontend"),
            optional=True,
            hint="User group handles or ids, separated by commas.",
        ),
        _input(F.USERS, "Individual people", users, optional=True),
        _input(
            F.LEADS,
            "Leads to alert",
            leads,
            optional=True,
            hint="Told about no-shows and unanswered swaps; SUPPORT_LEADS when empty.",
        ),
        _input(F.LEAD_GROUPS, "Lead user groups", _text(", ".join(lead_groups)), optional=True),
        section("*Reminders and check-in*"),
        _input(
            F.REMINDERS,
            "Reminders before a shift",
            _text(", ".join(minutes_text(m) for m in spec.reminder_lead_minutes), "24h, 15m"),
        ),
        _input(
            F.CHECKIN_BEFORE,
            "Check-in opens before the start",
            _text(minutes_text(spec.checkin_before)),
        ),
        _input(
            F.CHECKIN_AFTER,
            "Check-in closes after the start",
            _text(minutes_text(spec.checkin_after)),
            hint="No check-in by then: a no-show, the leads are told and a backup is asked.",
        ),
        _input(
            F.HOLIDAYS,
            "Holidays (no shifts)",
            _text(", ".join(spec.holidays), "2026-12-25"),
            optional=True,
            hint="Dates in the rotation's time zone, YYYY-MM-DD.",
        ),
        *_reach(spec, usergroup_ref),
    ]
    return {
        "type": "modal",
        "callback_id": View.ROTATION_FORM,
        "title": plain("Edit rotation" if rotation_id else "New rotation", 24),
        "submit": plain("Save", 24),
        "close": plain("Cancel", 24),
        "private_metadata": json.dumps({"rotation_id": rotation_id}),
        "blocks": blocks,
    }


def _reach(spec: RotationSpec, usergroup_ref: str | None) -> list[Block]:
    """Inputs for who is asked about product areas, and how Slack shows who is on shift."""
    option = _option(TOPIC_OPTION, "Show who is on now in the channel topic")
    topic: Block = {"type": "checkboxes", "options": [option]}
    if spec.channel_topic:
        topic["initial_options"] = [option]
    group = usergroup_ref or spec.usergroup
    return [
        section("*Questions and on-shift group*"),
        _input(
            F.AREAS,
            "Product areas",
            _text(", ".join(spec.areas), "Payments, Mobile app"),
            optional=True,
            hint="Questions about these areas (e.g. Jira components) go to whoever is on shift.",
        ),
        _input(
            F.ESCALATION,
            "Ask a backup, then the leads, after",
            _text(minutes_text(spec.escalation_minutes)),
            optional=True,
        ),
        _input(
            F.USERGROUP,
            "On-shift user group",
            _text(f"@{group}" if group else None, "@support-now"),
            optional=True,
            hint="A group of its own: the app keeps its members equal to who is on shift.",
        ),
        _input(F.TOPIC, "Channel topic", topic, optional=True),
    ]


def field_errors(problems: list[tuple[str, str]]) -> dict[str, str]:
    """Modal errors ({block_id: message}) for validation problems, several joined per block."""
    errors: dict[str, str] = {}
    for name, message in problems:
        block = FIELD_BLOCKS.get(name, F.NAME)
        if name == "leads" and "user group" in message:
            block = F.LEAD_GROUPS
        errors[block] = cut(f"{errors[block]}; {message}" if block in errors else message, 2000)
    return errors
