"""Rotations as code: `supportbot rotations apply FILE.yml` and `supportbot rotations export`.

The file is read as a YAML node tree (PyYAML's `compose`) rather than plain data, so every
problem names its line, and scalars are read as written (an unquoted `14:00` is a time, not
the sexagesimal integer YAML 1.1 would make of it). Applying validates every rotation first
and writes nothing unless all are valid; a rotation whose configuration is unchanged is not
touched, so applying the same file twice changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.models import SlackUserGroup
from bot.render.times import minutes_text, parse_clock, parse_day, parse_duration, zone_of
from bot.rotations import lifecycle, reach
from bot.rotations.config import (
    DEFAULT_REMINDERS,
    FixedShift,
    RotationSpec,
    parse_instant,
    spec_of,
    validate,
)
from bot.rotations.models import Rotation

ROTATION_KEYS = (
    "name",
    "channel",
    "timezone",
    "leads",
    "teams",
    "users",
    "pattern",
    "people_per_shift",
    "reminder_lead_minutes",
    "checkin_window",
    "shifts",
    "holidays",
    "holiday_calendar",
    "cover_timeout_minutes",
    "swap_deadline_minutes",
    *reach.KEYS,
)
PATTERN_KEYS = ("days", "start", "length", "every_weeks", "rrule", "start_date")
WINDOW_KEYS = ("before_minutes", "after_minutes")
SHIFT_KEYS = ("user", "start", "end")
# validate() field -> (YAML key, key inside it)
FIELD_KEYS = {
    "days": ("pattern", "days"),
    "start": ("pattern", "start"),
    "length": ("pattern", "length"),
    "every_weeks": ("pattern", "every_weeks"),
    "rrule": ("pattern", "rrule"),
    "reminders": ("reminder_lead_minutes", None),
    "checkin": ("checkin_window", None),
}


class FileInvalid(Exception):
    """The file has problems; nothing was applied."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class Parsed:
    """One rotation read from the file, with the line of each key for error messages."""

    spec: RotationSpec
    line: int
    lines: dict[str, int] = field(default_factory=dict)

    def line_of(self, problem_field: str) -> int:
        """The line a validation problem about `problem_field` points at."""
        key, sub = FIELD_KEYS.get(problem_field, (problem_field, None))
        return self.lines.get(f"{key}.{sub}") or self.lines.get(key) or self.line


@dataclass
class Outcome:
    """What applying did to one rotation."""

    name: str
    action: str
    changed: list[str] = field(default_factory=list)


class _Reader:
    """Turns nodes into values, collecting problems with their lines."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def fail(self, node: yaml.Node, message: str) -> None:
        """Note a problem at the line of `node`."""
        self.problems.append(f"line {node.start_mark.line + 1}: {message}")

    def mapping(
        self, node: yaml.Node, allowed: Sequence[str], where: str
    ) -> dict[str, tuple[yaml.Node, yaml.Node]]:
        """The (key node, value node) pairs of a mapping, refusing unknown and repeated keys."""
        if not isinstance(node, yaml.MappingNode):
            self.fail(node, f"{where} must be a mapping of keys to values")
            return {}
        out: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for key, value in node.value:
            name = str(key.value)
            if name not in allowed:
                self.fail(key, f"unknown key {name!r} in {where} (allowed: {', '.join(allowed)})")
            elif name in out:
                self.fail(key, f"duplicate key {name!r} in {where}")
            else:
                out[name] = (key, value)
        return out

    def text(self, node: yaml.Node, what: str) -> str | None:
        """A scalar as written, or None (noted) when it is not a single value."""
        if not isinstance(node, yaml.ScalarNode) or node.tag == "tag:yaml.org,2002:null":
            self.fail(node, f"{what} must be a single value")
            return None
        return str(node.value)

    def number(self, node: yaml.Node, what: str) -> int | None:
        """A whole number, or None (noted)."""
        value = self.text(node, what)
        if value is not None and not value.strip().isdigit():
            self.fail(node, f"{what} must be a whole number, not {value!r}")
            return None
        return int(value) if value is not None else None

    def items(self, node: yaml.Node, what: str) -> list[tuple[yaml.Node, str]]:
        """A single value or a list of values, each with its node."""
        if isinstance(node, yaml.ScalarNode):
            if node.tag == "tag:yaml.org,2002:null" or node.value == "":
                return []
            return [(node, str(node.value))]
        if not isinstance(node, yaml.SequenceNode):
            self.fail(node, f"{what} must be a value or a list of values")
            return []
        out = []
        for item in node.value:
            value = self.text(item, f"each item of {what}")
            if value is not None:
                out.append((item, value))
        return out

    def convert(self, node: yaml.Node, what: str, parse: Any) -> Any:
        """`parse` applied to a scalar, or None (noted) when it refuses it."""
        value = self.text(node, what)
        if value is None:
            return None
        try:
            return parse(value)
        except ValueError as err:
            self.fail(node, f"{what}: {err}")
            return None


def parse(text: str) -> tuple[list[Parsed], list[str]]:
    """Rotations in a file, and the problems found reading it (with line numbers)."""
    reader = _Reader()
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        return [], [f"{where}not valid YAML ({getattr(err, 'problem', None) or err})"]
    if root is None:
        return [], ["line 1: the file is empty; it needs a `rotations:` list"]
    top = reader.mapping(root, ("rotations",), "the file")
    if "rotations" not in top:
        if not reader.problems:
            reader.fail(root, "the file needs a `rotations:` list")
        return [], reader.problems
    node = top["rotations"][1]
    if not isinstance(node, yaml.SequenceNode):
        reader.fail(node, "`rotations` must be a list")
        return [], reader.problems
    found = [p for item in node.value if (p := _rotation(reader, item)) is not None]
    return found, reader.problems


def _rotation(reader: _Reader, node: yaml.Node) -> Parsed | None:
    keys = reader.mapping(node, ROTATION_KEYS, "a rotation")
    line = node.start_mark.line + 1
    name = reader.text(keys["name"][1], "name") if "name" in keys else None
    where = f"rotation {name!r}" if name else "a rotation"
    for required in ("name", "channel"):
        if required not in keys:
            reader.fail(node, f"{where} needs `{required}`")
    if "pattern" not in keys and "shifts" not in keys:
        reader.fail(node, f"{where} needs `pattern` or `shifts`")
    spec = RotationSpec(name=name or "", channel="")
    parsed = Parsed(spec, line, {k: key.start_mark.line + 1 for k, (key, _) in keys.items()})
    for key, (_, value) in keys.items():
        _field(reader, parsed, key, value, where)
    return parsed


def _field(reader: _Reader, parsed: Parsed, key: str, value: yaml.Node, where: str) -> None:
    spec = parsed.spec
    if key == "channel":
        spec.channel = reader.text(value, "channel") or ""
    elif key == "timezone":
        spec.timezone = reader.text(value, "timezone") or "UTC"
    elif key in ("leads", "teams", "users", "holidays"):
        setattr(spec, key, [v.lstrip("@") for _, v in reader.items(value, key)])
    elif key in ("people_per_shift", "cover_timeout_minutes", "swap_deadline_minutes"):
        number = reader.number(value, key)
        if number is not None:
            setattr(spec, key, number)
    elif key == "reminder_lead_minutes":
        leads = [reader.convert(n, key, parse_duration) for n, _ in reader.items(value, key)]
        spec.reminder_lead_minutes = [m for m in leads if m is not None]
    elif key == "checkin_window":
        window = reader.mapping(value, WINDOW_KEYS, f"checkin_window of {where}")
        for name, (k, v) in window.items():
            parsed.lines[f"checkin_window.{name}"] = k.start_mark.line + 1
            number = reader.number(v, f"checkin_window.{name}")
            if number is not None and name == "before_minutes":
                spec.checkin_before = number
            elif number is not None:
                spec.checkin_after = number
    elif key == "holiday_calendar":
        spec.holiday_calendar = reader.text(value, "holiday_calendar") or None
    elif key == "pattern":
        _pattern(reader, parsed, value, where)
    elif key == "shifts":
        _shifts(reader, parsed, value, where)
    elif key in reach.KEYS:
        reach.read(reader, spec, key, value)


def _pattern(reader: _Reader, parsed: Parsed, node: yaml.Node, where: str) -> None:
    spec = parsed.spec
    keys = reader.mapping(node, PATTERN_KEYS, f"the pattern of {where}")
    for name, (k, v) in keys.items():
        parsed.lines[f"pattern.{name}"] = k.start_mark.line + 1
        if name == "days":
            days = [reader.convert(n, "days", parse_day) for n, _ in reader.items(v, "days")]
            spec.days = [d for d in days if d]
        elif name == "start":
            spec.start = reader.convert(v, "start", parse_clock)
        elif name == "length":
            spec.length_minutes = reader.convert(v, "length", parse_duration)
        elif name == "every_weeks":
            spec.every_weeks = reader.number(v, "every_weeks") or 1
        elif name == "rrule":
            spec.rrule = reader.text(v, "rrule")
        elif name == "start_date":
            spec.start_date = reader.text(v, "start_date")
    if "rrule" in keys and ("days" in keys or "start" in keys):
        reader.fail(node, f"the pattern of {where} has both `rrule` and `days`/`start`; pick one")
    if keys and "length" not in keys:
        reader.fail(node, f"the pattern of {where} needs a `length`, e.g. 2h")


def _shifts(reader: _Reader, parsed: Parsed, node: yaml.Node, where: str) -> None:
    if not isinstance(node, yaml.SequenceNode):
        reader.fail(node, f"shifts of {where} must be a list")
        return
    raw = []
    for item in node.value:
        keys = reader.mapping(item, SHIFT_KEYS, f"a shift of {where}")
        missing = [k for k in SHIFT_KEYS if k not in keys]
        if missing:
            reader.fail(item, f"a shift of {where} needs {', '.join(missing)}")
            continue
        values = {k: reader.text(keys[k][1], f"shift {k}") for k in SHIFT_KEYS}
        raw.append((item, values))
    parsed.lines.setdefault("shifts", node.start_mark.line + 1)
    for item, values in raw:
        if None in values.values():
            continue
        try:
            start = parse_instant(str(values["start"]), parsed.spec.timezone)
            end = parse_instant(str(values["end"]), parsed.spec.timezone)
        except ValueError as err:
            reader.fail(item, f"shift: {err}")
            continue
        parsed.spec.shifts.append(FixedShift(str(values["user"]), start, end))


def apply(
    session: Session,
    text: str,
    *,
    actor: str,
    now: datetime,
    default_leads: Sequence[str] = (),
) -> list[Outcome]:
    """Create or update every rotation in the file; FileInvalid (nothing written) on problems."""
    found, problems = parse(text)
    seen: dict[str, int] = {}
    existing: dict[str, Rotation | None] = {}
    for item in found:
        name = item.spec.name
        if name in seen:
            problems.append(
                f"line {item.line}: rotation {name!r} appears twice (first on line {seen[name]})"
            )
            continue
        seen[name] = item.line
        current = session.scalar(select(Rotation).where(Rotation.name == name))
        existing[name] = current
        for where, message in validate(
            session,
            item.spec,
            rotation_id=current.id if current else None,
            replacing={i.spec.name for i in found},
            default_leads=default_leads,
        ):
            problems.append(f"line {item.line_of(where)}: {message} (rotation {name!r}, {where})")
    for name, message in reach.file_conflicts([item.spec for item in found]):
        problems.append(f"line {seen[name]}: {message} (rotation {name!r})")
    if problems:
        raise FileInvalid(sorted(set(problems), key=_line_order))
    outcomes = []
    for item in found:
        current = existing[item.spec.name]
        if current is None:
            lifecycle.create(session, item.spec, actor=actor, now=now, default_leads=default_leads)
            outcomes.append(Outcome(item.spec.name, "created"))
            continue
        changed = lifecycle.update(
            session, current, item.spec, actor=actor, now=now, default_leads=default_leads
        )
        outcomes.append(Outcome(item.spec.name, "updated" if changed else "unchanged", changed))
    return outcomes


def _line_order(problem: str) -> tuple[int, str]:
    head = problem.split(":", 1)[0].removeprefix("line ")
    return (int(head) if head.isdigit() else 0, problem)


def export(session: Session) -> str:
    """Every rotation that is not archived, in the file format `apply` reads."""
    handles = dict(session.execute(select(SlackUserGroup.id, SlackUserGroup.handle)).all())
    items = [_exported(r, handles) for r in lifecycle.listing(session)]
    header = "# supportbot rotations (apply with: supportbot rotations apply FILE)\n"
    return header + yaml.safe_dump(
        {"rotations": items}, sort_keys=False, default_flow_style=None, allow_unicode=True
    )


def _exported(rotation: Rotation, handles: dict[str, str]) -> dict[str, Any]:
    spec = spec_of(rotation)
    out: dict[str, Any] = {"name": spec.name, "channel": spec.channel, "timezone": spec.timezone}
    if spec.leads:
        out["leads"] = list(spec.leads)
    if spec.teams:
        out["teams"] = [handles.get(t) or t for t in spec.teams]
    if spec.users:
        out["users"] = list(spec.users)
    if spec.has_pattern:
        pattern: dict[str, Any] = (
            {"rrule": spec.rrule} if spec.rrule else {"days": spec.days, "start": spec.start}
        )
        pattern["length"] = minutes_text(spec.length_minutes or 0)
        if not spec.rrule:
            pattern["every_weeks"] = spec.every_weeks
        if spec.rrule or spec.every_weeks > 1:
            pattern["start_date"] = spec.start_date
        out["pattern"] = pattern
    out["people_per_shift"] = spec.people_per_shift
    out["reminder_lead_minutes"] = list(spec.reminder_lead_minutes or DEFAULT_REMINDERS)
    out["checkin_window"] = {
        "before_minutes": spec.checkin_before,
        "after_minutes": spec.checkin_after,
    }
    if spec.shifts:
        tz = zone_of(spec.timezone)
        out["shifts"] = [
            {
                "user": s.user,
                "start": s.start.astimezone(tz).isoformat(),
                "end": s.end.astimezone(tz).isoformat(),
            }
            for s in spec.shifts
        ]
    if spec.holidays:
        out["holidays"] = list(spec.holidays)
    out.update({"holiday_calendar": spec.holiday_calendar} if spec.holiday_calendar else {})
    if spec.cover_timeout_minutes != 10:
        out["cover_timeout_minutes"] = spec.cover_timeout_minutes
    if spec.swap_deadline_minutes != 120:
        out["swap_deadline_minutes"] = spec.swap_deadline_minutes
    out.update(reach.exported(spec, handles))
    return out
