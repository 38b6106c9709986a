"""Pure scheduling: when a rotation's shifts occur, and who takes each seat, fairly.

Occurrences are computed on the wall clock of the rotation's time zone (a 14:00 shift is at
14:00 local on both sides of a daylight-saving change) and only then converted to UTC. A
wall time that does not exist (the spring-forward gap) follows PEP 495: it is read with the
offset before the change, so 02:30 becomes 03:30; an ambiguous one (fall back) is the first.

Fairness, in order of priority, for each seat: fewest shifts so far (history plus a
newcomer's baseline), not on the previous shift, not a team already on this shift, not the
team of the previous shift, the team with the least load for its size, longest since their
last shift, then a stable hash of the seed and the user id. Deterministic for the same inputs.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from itertools import islice
from zoneinfo import ZoneInfo

from dateutil import rrule as rr

_RRULE_DAYS = (rr.MO, rr.TU, rr.WE, rr.TH, rr.FR, rr.SA, rr.SU)
_TOO_FREQUENT = ("SECONDLY", "MINUTELY")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

Interval = tuple[datetime, datetime]


@dataclass(frozen=True)
class Pattern:
    """A recurring shift pattern: weekly days and start time, or an RFC 5545 RRULE."""

    length: timedelta
    start_date: date
    days: tuple[int, ...] = ()
    start: time | None = None
    every_weeks: int = 1
    rrule: str | None = None


@dataclass(frozen=True)
class Occurrence:
    """One shift in time: UTC start and end, and the wall-clock start in the rotation."""

    starts_at: datetime
    ends_at: datetime
    local_start: datetime


def _rule(pattern: Pattern) -> rr.rrule | rr.rruleset:
    anchor = datetime.combine(pattern.start_date, time(0, 0))
    if pattern.rrule is not None:
        text = pattern.rrule.strip().removeprefix("RRULE:")
        return rr.rrulestr(text, dtstart=anchor, forceset=False)
    assert pattern.start is not None
    return rr.rrule(
        rr.WEEKLY,
        interval=pattern.every_weeks,
        byweekday=[_RRULE_DAYS[d] for d in pattern.days],
        byhour=pattern.start.hour,
        byminute=pattern.start.minute,
        bysecond=0,
        dtstart=anchor,
    )


def check_rrule(text: str) -> str | None:
    """Why an RRULE cannot be used, or None when it can."""
    body = text.strip().removeprefix("RRULE:")
    upper = body.upper()
    if any(f"FREQ={f}" in upper for f in _TOO_FREQUENT):
        return "shifts more often than hourly are not supported"
    try:
        rule = rr.rrulestr(body, dtstart=datetime(2000, 1, 3))
    except (ValueError, TypeError) as err:
        return f"not a valid RRULE ({err})"
    if next(iter(rule), None) is None:
        return "the RRULE produces no shifts"
    return None


def to_utc(local: datetime, tz: ZoneInfo) -> datetime:
    """A naive wall-clock time in `tz` as an aware UTC datetime (PEP 495, fold=0)."""
    return local.replace(tzinfo=tz, fold=0).astimezone(UTC)


def occurrences(
    pattern: Pattern,
    tz: ZoneInfo,
    after: datetime,
    before: datetime,
    holidays: Iterable[date] = (),
) -> list[Occurrence]:
    """Shifts starting in [after, before), skipping days that are holidays in the rotation."""
    skip = set(holidays)
    low = after.astimezone(tz).replace(tzinfo=None) - timedelta(days=2)
    high = before.astimezone(tz).replace(tzinfo=None) + timedelta(days=2)
    found = []
    for local in _rule(pattern).between(low, high, inc=True):
        if local.date() in skip:
            continue
        start = to_utc(local, tz)
        if not after <= start < before:
            continue
        end = to_utc(local + pattern.length, tz)
        # A start in the spring-forward gap moved later: keep the full length then, and
        # never let a wall-clock end in the repeated fall-back hour come before the start.
        if start.astimezone(tz).replace(tzinfo=None) != local or end <= start:
            end = start + pattern.length
        found.append(Occurrence(start, end, local))
    return found


def shortest_gap(pattern: Pattern, sample: int = 400) -> timedelta | None:
    """The shortest wall-clock time between two consecutive shifts (None for one shift)."""
    starts = list(islice(iter(_rule(pattern)), sample))
    gaps = [b - a for a, b in zip(starts, starts[1:], strict=False)]
    return min(gaps) if gaps else None


# ---- fair assignment ------------------------------------------------------------------------


@dataclass(frozen=True)
class Member:
    """Someone who can take seats, and the team they count for."""

    user_id: str
    team_id: str = ""


@dataclass
class Ledger:
    """What fairness and availability know: counts, recency, teams, time away, other shifts."""

    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    last_start: dict[str, datetime] = field(default_factory=dict)
    team_counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    team_sizes: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    previous: set[str] = field(default_factory=set)
    previous_teams: set[str] = field(default_factory=set)
    away: dict[str, list[Interval]] = field(default_factory=lambda: defaultdict(list))
    busy: dict[str, list[Interval]] = field(default_factory=lambda: defaultdict(list))

    def available(self, user_id: str, start: datetime, end: datetime) -> bool:
        """Not out of office and not on another shift during [start, end)."""
        for a, b in self.away.get(user_id, ()):
            if a < end and b > start:
                return False
        for a, b in self.busy.get(user_id, ()):
            if a < end and b > start:
                return False
        return True

    def take(self, member: Member, start: datetime, end: datetime, *, busy: bool = True) -> None:
        """Record that `member` took a seat of the shift [start, end)."""
        self.counts[member.user_id] += 1
        self.team_counts[member.team_id] += 1
        self.last_start[member.user_id] = start
        if busy:
            self.busy[member.user_id].append((start, end))


@lru_cache(maxsize=65536)
def tie(seed: str, user_id: str) -> bytes:
    """A stable, seed-dependent tie-breaker."""
    return hashlib.sha256(f"{seed}\x00{user_id}".encode()).digest()[:8]


def _team_key(team: str, ledger: Ledger, on_shift_teams: set[str]) -> tuple[bool, bool, float]:
    """A team's part of the order: already on this shift, on the previous one, load per head."""
    size = ledger.team_sizes.get(team) or 1
    return (
        team in on_shift_teams and team != "",
        team in ledger.previous_teams and team != "",
        ledger.team_counts[team] / size,
    )


def _key(
    member: Member, ledger: Ledger, on_shift_teams: set[str], seed: str
) -> tuple[int, bool, tuple[bool, bool, float], datetime, bytes]:
    again = member.user_id in ledger.previous
    return (
        # Being on the previous shift counts as one shift more: back-to-back shifts are
        # avoided unless everyone else is already a full shift ahead.
        ledger.counts[member.user_id] + again,
        again,
        _team_key(member.team_id, ledger, on_shift_teams),
        ledger.last_start.get(member.user_id, EPOCH),
        tie(seed, member.user_id),
    )


def rank(
    members: Sequence[Member],
    ledger: Ledger,
    start: datetime,
    end: datetime,
    *,
    seed: str,
    exclude: Iterable[str] = (),
    on_shift_teams: Iterable[str] = (),
) -> list[Member]:
    """Available members, best first, for a seat of the shift [start, end)."""
    skip = set(exclude)
    teams = set(on_shift_teams)
    free = [m for m in members if m.user_id not in skip and ledger.available(m.user_id, start, end)]
    return sorted(free, key=lambda m: _key(m, ledger, teams, seed))


def pick(
    members: Sequence[Member],
    ledger: Ledger,
    start: datetime,
    end: datetime,
    *,
    seed: str,
    exclude: Iterable[str] = (),
    on_shift_teams: Iterable[str] = (),
    ordered: bool = False,
) -> Member | None:
    """The fairest available member for one seat, or None when nobody is free.

    The same order as `rank`, computed in one pass: only members at the lowest effective
    count (shifts, plus one if on the previous shift) can win, so only they are compared.
    `ordered` says `members` are already sorted by their tie-breaker (see `assign`).
    """
    if not ordered:
        members = sorted(members, key=lambda m: tie(seed, m.user_id))
    skip = set(exclude)
    teams = set(on_shift_teams)
    counts, previous, away, busy = ledger.counts, ledger.previous, ledger.away, ledger.busy
    lowest: int | None = None
    contenders: list[Member] = []
    for m in members:
        user = m.user_id
        if user in skip:
            continue
        effective = counts[user] + (user in previous)
        if lowest is not None and effective > lowest:
            continue
        if (away.get(user) or busy.get(user)) and not ledger.available(user, start, end):
            continue
        if lowest is None or effective < lowest:
            lowest, contenders = effective, [m]
        else:
            contenders.append(m)
    if len(contenders) <= 1:
        return contenders[0] if contenders else None
    by_team = {t: _team_key(t, ledger, teams) for t in {m.team_id for m in contenders}}
    last = ledger.last_start
    # min() keeps the first of equals, and members come in tie-breaker order.
    return min(
        contenders,
        key=lambda m: (m.user_id in previous, by_team[m.team_id], last.get(m.user_id, EPOCH)),
    )


def assign(
    shifts: Sequence[Occurrence], seats: int, members: Sequence[Member], ledger: Ledger, seed: str
) -> list[list[Member | None]]:
    """Fill `seats` seats of each shift in order; None where nobody is available."""
    if not ledger.team_sizes:
        ledger.team_sizes.update(team_sizes(members))
    members = sorted(members, key=lambda m: tie(seed, m.user_id))
    out: list[list[Member | None]] = []
    for shift in shifts:
        chosen: list[Member | None] = []
        taken: set[str] = set()
        teams: set[str] = set()
        for _ in range(seats):
            member = pick(
                members,
                ledger,
                shift.starts_at,
                shift.ends_at,
                seed=seed,
                exclude=taken,
                on_shift_teams=teams,
                ordered=True,
            )
            chosen.append(member)
            if member is not None:
                taken.add(member.user_id)
                teams.add(member.team_id)
                # A rotation's own shifts never overlap (a shift is no longer than the gap
                # between two), so they need not be checked against each other.
                ledger.take(member, shift.starts_at, shift.ends_at, busy=False)
        ledger.previous = taken
        ledger.previous_teams = teams
        out.append(chosen)
    return out


def team_sizes(members: Sequence[Member]) -> dict[str, int]:
    """How many members each team has."""
    sizes: dict[str, int] = defaultdict(int)
    for m in members:
        sizes[m.team_id] += 1
    return sizes
