"""How the people on a rotation's shift are reached: the product areas whose questions go to
them, how long a question waits before a backup and then the leads are asked, the user group
kept equal to whoever is on shift, and whether the channel topic names them.

These settings ride on the rotation's configuration (the modal and the YAML file, keys
`areas`, `escalation_minutes`, `usergroup` and `topic`); this module reads, checks and writes
them out. An area belongs to one rotation, and a user group the app rewrites must be nobody
else's: not a team or lead group (it would empty itself), not another rotation's.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Sequence
from typing import Any, Protocol

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import people
from bot.models import SlackUserGroup
from bot.rotations.models import Rotation

KEYS = ("areas", "escalation_minutes", "usergroup", "topic")
DEFAULT_ESCALATION = 15
AREA_LENGTH = 75  # an area is a select option in the Ask an engineer modal
MAX_AREAS = 50
GROUP = re.compile(r"^S[A-Z0-9]{2,}$")
GROUP_SCOPE = "usergroups:write"
TOPIC_SCOPES = (
    "channels:write.topic",
    "groups:write.topic",
    "channels:manage",
    "groups:write",
    "conversations:write.topic",
)
TRUE = ("true", "yes", "on")
FALSE = ("false", "no", "off")
Problem = tuple[str, str]


class Reader(Protocol):
    """What the YAML reader of bot.rotations.files offers (a problem per bad node)."""

    def fail(self, node: yaml.Node, message: str) -> None: ...

    def text(self, node: yaml.Node, what: str) -> str | None: ...

    def number(self, node: yaml.Node, what: str) -> int | None: ...

    def items(self, node: yaml.Node, what: str) -> list[tuple[yaml.Node, str]]: ...


def split_areas(text: str) -> list[str]:
    """Areas typed in the modal: separated by commas or new lines (names may have spaces)."""
    return [a.strip() for a in re.split(r"[,\n]+", text or "") if a.strip()]


def read(reader: Reader, spec: Any, key: str, node: yaml.Node) -> None:
    """Set one of KEYS on a RotationSpec from its YAML node."""
    if key == "areas":
        spec.areas = [value.strip() for _, value in reader.items(node, key) if value.strip()]
    elif key == "escalation_minutes":
        number = reader.number(node, key)
        if number is not None:
            spec.escalation_minutes = number
    elif key == "usergroup":
        value = (reader.text(node, key) or "").strip().lstrip("@")
        spec.usergroup = value or None
    elif key == "topic":
        value = reader.text(node, key)
        if value is not None and value.strip().lower() not in TRUE + FALSE:
            reader.fail(node, f"topic must be true or false, not {value!r}")
        spec.channel_topic = value is not None and value.strip().lower() in TRUE


def exported(spec: Any, handles: dict[str, str]) -> dict[str, Any]:
    """The KEYS a rotation has set, for the file `supportbot rotations export` writes."""
    out: dict[str, Any] = {}
    if spec.areas:
        out["areas"] = list(spec.areas)
    if spec.escalation_minutes != DEFAULT_ESCALATION:
        out["escalation_minutes"] = spec.escalation_minutes
    if spec.usergroup:
        out["usergroup"] = handles.get(spec.usergroup) or spec.usergroup
    if spec.channel_topic:
        out["topic"] = True
    return out


def validate(
    session: Session,
    spec: Any,
    *,
    rotation_id: int | None,
    replacing: Collection[str] = (),
    protected: Collection[str] = (),
) -> list[Problem]:
    """Problems with the reach settings; resolves the user group's handle to its id in place.

    Other rotations' areas and groups count as taken unless the rotation is being replaced in
    the same change (`replacing`: names, e.g. every rotation of an applied file). Groups in
    `protected` (SUPPORT_LEADS) are never an on-shift group.
    """
    problems: list[Problem] = []
    others = [
        r
        for r in session.scalars(select(Rotation).where(Rotation.status != "archived"))
        if r.id != rotation_id and r.name not in replacing
    ]
    problems += _check_areas(spec, others)
    if not 1 <= spec.escalation_minutes <= 1440:
        problems.append(("escalation_minutes", "between 1 minute and 24 hours"))
    granted = people.granted_scopes(session)
    if spec.usergroup:
        problems += _check_group(session, spec, others, granted, protected)
    sharing = [r.name for r in others if r.channel_topic and r.channel == spec.channel]
    if spec.channel_topic and sharing:
        problems.append(("topic", f"rotation {sharing[0]} already sets this channel's topic"))
    elif spec.channel_topic and granted is not None and not granted & set(TOPIC_SCOPES):
        problems.append(
            (
                "topic",
                "the app may not set channel topics: add the channels:write.topic (and "
                "groups:write.topic) scope from app_manifest.yml and reinstall the app",
            )
        )
    return problems


def _check_areas(spec: Any, others: Sequence[Rotation]) -> list[Problem]:
    problems: list[Problem] = []
    unique: dict[str, str] = {}
    for area in spec.areas:
        if len(area) > AREA_LENGTH:
            problems.append(("areas", f"an area name is at most {AREA_LENGTH} characters"))
        unique.setdefault(area.casefold(), area)
    spec.areas = list(unique.values())
    if len(spec.areas) > MAX_AREAS:
        problems.append(("areas", f"at most {MAX_AREAS} areas per rotation"))
    owners = {a.casefold(): r.name for r in others for a in r.areas}
    for key, area in unique.items():
        if key in owners:
            problems.append(
                ("areas", f"area {area!r} is already covered by rotation {owners[key]}")
            )
    return problems


def _check_group(
    session: Session,
    spec: Any,
    others: Sequence[Rotation],
    granted: set[str] | None,
    protected: Collection[str],
) -> list[Problem]:
    ref = spec.usergroup
    group = (
        session.get(SlackUserGroup, ref)
        if GROUP.match(ref)
        else people.group_by_handle(session, ref)
    )
    if group is None:
        return [("usergroup", f"unknown user group {ref} (the directory refreshes hourly)")]
    spec.usergroup = group.id
    shown = f"@{group.handle or group.id}"
    if group.id in protected:
        return [("usergroup", f"{shown} is the support leads' group (SUPPORT_LEADS)")]
    if group.id in spec.teams or group.id in spec.leads:
        return [
            (
                "usergroup",
                f"{shown} is one of this rotation's teams or lead groups; the on-shift group "
                "must be a group of its own, since the app replaces its members",
            )
        ]
    for other in others:
        if group.id == other.usergroup:
            return [("usergroup", f"{shown} is already rotation {other.name}'s on-shift group")]
        if group.id in other.teams or group.id in other.leads:
            return [("usergroup", f"{shown} is a team or lead group of rotation {other.name}")]
    if granted is not None and GROUP_SCOPE not in granted:
        return [
            (
                "usergroup",
                f"the app may not edit user groups: add the {GROUP_SCOPE} scope from "
                "app_manifest.yml and reinstall the app",
            )
        ]
    return []


def file_conflicts(specs: Sequence[Any]) -> list[tuple[str, str]]:
    """(rotation name, problem) for areas or user groups claimed twice in one file, or an
    on-shift group that is a file-mate's team (the specs are validated: groups are ids)."""
    problems: list[tuple[str, str]] = []
    areas = Counter(a.casefold() for s in specs for a in {x.casefold() for x in s.areas})
    groups = Counter(s.usergroup for s in specs if s.usergroup)
    for spec in specs:
        twice = sorted({a for a in spec.areas if areas[a.casefold()] > 1})
        if twice:
            problems.append((spec.name, f"area {twice[0]!r} is claimed by two rotations"))
        if spec.usergroup and groups[spec.usergroup] > 1:
            problems.append((spec.name, f"user group {spec.usergroup} is claimed by two rotations"))
        teams = [o.name for o in specs if o is not spec and spec.usergroup in (*o.teams, *o.leads)]
        if spec.usergroup and teams:
            problems.append(
                (
                    spec.name,
                    f"user group {spec.usergroup} is a team or lead group of rotation {teams[0]}",
                )
            )
    return problems
