"""Who to reach for a rotation right now: the people on shift, the backups after them, and the
rotation that covers a product area."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from bot.rotations.models import Rotation, Shift, ShiftAssignment
from bot.rotations.roster import ON_SEAT
from bot.rotations.schedule import rank
from bot.rotations.seats import ledger_for, members_of

A = ShiftAssignment
# No shift lasts longer (bot.rotations.config), so a running one started at most this long ago.
LONGEST_SHIFT = timedelta(days=7)


_NOW = bindparam("now", type_=Shift.starts_at.type)
_RUNNING = select(Shift.id, Shift.rotation_id).where(
    Shift.rotation_id.in_(bindparam("rotations", expanding=True)),
    Shift.status == "scheduled",
    Shift.starts_at > bindparam("since", type_=Shift.starts_at.type),
    Shift.starts_at <= _NOW,
    Shift.ends_at > _NOW,
)
_HOLDERS = (
    select(A.shift_id, A.user_id, A.state)
    .where(A.shift_id.in_(bindparam("shifts", expanding=True)))
    .order_by(A.starts_at, A.shift_id, A.seat)
)


def on_now(session: Session, rotation_ids: Collection[int], now: datetime) -> dict[int, list[str]]:
    """Rotation id -> who holds a seat of a shift running now (no-shows, empty seats aside).

    Two queries whatever the number of rotations (the on-shift sync runs this every tick): the
    running shifts, through the rotations' index on start times, then their seats. (Joined in
    one, SQLite would rather walk every seat in those states.)
    """
    found: dict[int, list[str]] = defaultdict(list)
    if not rotation_ids:
        return found
    conn = session.connection()
    params = {"rotations": list(rotation_ids), "since": now - LONGEST_SHIFT, "now": now}
    running = dict(conn.execute(_RUNNING, params).all())
    if not running:
        return found
    for shift_id, user_id, state in conn.execute(_HOLDERS, {"shifts": list(running)}):
        rotation_id = running[shift_id]
        if state in ON_SEAT and user_id and user_id not in found[rotation_id]:
            found[rotation_id].append(user_id)
    return found


def backups(
    session: Session, rotation: Rotation, now: datetime, *, exclude: Iterable[str] = ()
) -> list[str]:
    """Members free now (not away, not on a shift), best first, as cover picks them."""
    members = members_of(session, rotation.id)
    until = now + timedelta(minutes=rotation.escalation_minutes)
    ledger = ledger_for(session, rotation, members, now, until)
    ranked = rank(members, ledger, now, until, seed=rotation.name, exclude=set(exclude))
    return [m.user_id for m in ranked]


def _with_areas(session: Session) -> list[Rotation]:
    return [
        r
        for r in session.scalars(
            select(Rotation).where(Rotation.status == "active").order_by(Rotation.name)
        )
        if r.areas
    ]


def rotation_for_area(session: Session, area: str) -> Rotation | None:
    """The active rotation that declares `area` (names compare case-insensitively)."""
    wanted = area.strip().casefold()
    for rotation in _with_areas(session):
        if any(a.casefold() == wanted for a in rotation.areas):
            return rotation
    return None


def area_choices(session: Session, components: Sequence[str]) -> list[tuple[str, str | None]]:
    """(area, the rotation covering it or None): every declared area, then the Jira components
    no rotation declares, alphabetically."""
    covered: dict[str, tuple[str, str]] = {}
    for rotation in _with_areas(session):
        for area in rotation.areas:
            covered.setdefault(area.casefold(), (area, rotation.name))
    choices: dict[str, tuple[str, str | None]] = dict(covered)
    for name in components:
        if name.strip():
            choices.setdefault(name.strip().casefold(), (name.strip(), None))
    return sorted(choices.values(), key=lambda c: c[0].casefold())


def covered_areas(session: Session) -> list[str]:
    """Every area an active rotation declares, alphabetically."""
    return sorted({a for r in _with_areas(session) for a in r.areas}, key=str.casefold)
