"""Keep Slack showing who is on shift: a rotation's user group (so anyone can write
`@support-now`) and, when asked, its channel's topic.

`plan` compares who is on shift now with what was last set (`OnShiftSync.applied`) and
returns only what differs, so a tick when nothing changed makes no Slack call; the caller
makes the calls outside any transaction and hands each outcome to `record`. Shift starts and
ends, swaps, covers and no-shows all show in the seats, so each is in Slack one tick later.
A refusal (a missing scope, a deleted group, a channel the bot left) is kept with what it
tried; the leads hear of it once, and it is tried again within the hour or when who is on
shift changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bot.db import insert_if_absent
from bot.models import SlackUser
from bot.render.blocks import cut
from bot.rotations.models import OnShiftSync, Rotation
from bot.rotations.oncall import on_now
from bot.rotations.render import oncall as say
from bot.rotations.seats import tell_leads

USERGROUP, TOPIC = "usergroup", "topic"
TOPIC_LENGTH = 250  # conversations.setTopic refuses longer topics with `too_long`
RETRY = timedelta(hours=1)
# Refusals worth trying again at the next tick, without troubling the leads.
TRANSIENT = ("ratelimited", "unreachable", "internal_error", "fatal_error", "request_timeout")


@dataclass(frozen=True)
class Change:
    """One thing to set in Slack: a user group's members (none: disable its handle) or a
    channel's topic."""

    rotation_id: int
    rotation: str
    target: str
    ref: str
    users: tuple[str, ...]
    enabled: bool | None  # the group's handle as last set (None: unknown)
    topic: str = ""

    @property
    def applied(self) -> str:
        """How `OnShiftSync.applied` records this state."""
        return ",".join(self.users)


_WANTED = select(
    Rotation.id, Rotation.name, Rotation.usergroup, Rotation.channel, Rotation.channel_topic
).where(or_(Rotation.usergroup.is_not(None), Rotation.channel_topic.is_(True)))
_DONE = select(
    OnShiftSync.rotation_id,
    OnShiftSync.target,
    OnShiftSync.ref,
    OnShiftSync.applied,
    OnShiftSync.enabled,
    OnShiftSync.wanted,
    OnShiftSync.error,
    OnShiftSync.retry_at,
)


def plan(session: Session, now: datetime) -> list[Change]:
    """What differs between who is on shift now and what Slack was last told.

    Four small queries over columns, whatever the number of rotations: this runs every tick.
    """
    conn = session.connection()
    wanted = conn.execute(_WANTED).all()
    if not wanted:
        return []
    done = {(row.rotation_id, row.target): row for row in conn.execute(_DONE)}
    holders = on_now(session, [w.id for w in wanted], now)
    changes = []
    for rotation_id, name, group, channel, topic in wanted:
        users = tuple(sorted(holders.get(rotation_id, ())))
        applied = ",".join(users)
        targets = [(USERGROUP, group)] if group else []
        if topic:
            targets.append((TOPIC, channel))
        for target, ref in targets:
            row = done.get((rotation_id, target))
            if _due(row, ref, applied, now):
                enabled = row.enabled if row is not None else None
                changes.append(Change(rotation_id, name, target, ref, users, enabled))
    return _with_topics(session, changes)


def _due(row: Any, ref: str, applied: str, now: datetime) -> bool:
    """Whether Slack needs telling (`row`: the stored OnShiftSync columns, or None)."""
    if row is None or row.ref != ref:
        return True
    if row.error is not None and row.wanted == applied:
        return row.retry_at is not None and row.retry_at <= now
    return row.error is not None or row.applied != applied


def _with_topics(session: Session, changes: list[Change]) -> list[Change]:
    """Fill in the topic text of topic changes (names from the directory cache)."""
    wanted = {u for c in changes if c.target == TOPIC for u in c.users}
    if not wanted:
        return [c if c.target != TOPIC else _topic(c, {}) for c in changes]
    names = {
        uid: real or name or uid
        for uid, real, name in session.execute(
            select(SlackUser.id, SlackUser.real_name, SlackUser.name).where(
                SlackUser.id.in_(wanted)
            )
        )
    }
    return [c if c.target != TOPIC else _topic(c, names) for c in changes]


def _topic(change: Change, names: dict[str, str]) -> Change:
    text = say.topic([names.get(u, u) for u in change.users])
    return Change(
        change.rotation_id,
        change.rotation,
        change.target,
        change.ref,
        change.users,
        change.enabled,
        cut(text, TOPIC_LENGTH),
    )


def record(
    session: Session,
    change: Change,
    error: str | None,
    now: datetime,
    *,
    default_leads: Sequence[str] = (),
) -> None:
    """Remember what Slack now shows, or why it refused (the leads hear of a refusal once)."""
    insert_if_absent(
        session,
        OnShiftSync,
        {"rotation_id": change.rotation_id, "target": change.target, "ref": change.ref},
        ["rotation_id", "target"],
    )
    row = session.get(OnShiftSync, (change.rotation_id, change.target))
    assert row is not None
    if error is None:
        row.ref, row.applied, row.applied_at = change.ref, change.applied, now
        if change.target == USERGROUP:
            row.enabled = bool(change.users)
        row.wanted = row.error = row.error_at = row.retry_at = None
        return
    first = row.error != error or row.ref != change.ref
    row.ref, row.wanted, row.error = change.ref, change.applied, error
    row.retry_at = now if error in TRANSIENT else now + RETRY
    if first:
        row.error_at = now
    if not first or error in TRANSIENT:
        return
    rotation = session.get(Rotation, change.rotation_id)
    if rotation is None:
        return
    stamp = now.strftime("%Y%m%dT%H%M%S")
    tell_leads(
        session,
        rotation,
        say.sync_refused(rotation, change.target, change.ref, error),
        key=f"rotation:{rotation.id}:sync:{change.target}:{error}:{stamp}",
        now=now,
        default_leads=default_leads,
    )
