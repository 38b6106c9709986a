"""Shift feeds as iCalendar (RFC 5545), built with the `icalendar` package.

Each event keeps the shift's wall-clock time in its rotation's zone (`DTSTART;TZID=…`) with a
`VTIMEZONE` for every zone used, so calendars show 14:00 Berlin as 14:00 Berlin across daylight
saving. The feed is `METHOD:PUBLISH`, so each event's `DTSTAMP` is when the feed was made
(RFC 5545, 3.8.7.2). Components are rendered one by one and joined inside the calendar: an
event's other lines depend only on what its entry says, so each is rendered once and reused
until its seat changes, and a year of shifts is not rendered again on every poll.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import NamedTuple

from icalendar import Calendar, Event, Timezone

from bot.render.times import clock, zone_of

BEGIN, END = b"BEGIN:VEVENT\r\n", b"END:VCALENDAR\r\n"
STATES = {
    "checked_in": "checked in",
    "late": "checked in late",
    "no_show": "no-show",
    "covered": "covering a no-show",
    "unfilled": "unfilled",
}


class SeatKey(NamedTuple):
    """Everything a person's seat entry says: it is rendered once per distinct key."""

    seat_id: int
    shift_id: int
    starts_at: datetime
    ends_at: datetime
    opens_at: datetime
    closes_at: datetime
    version: int
    state: str
    covering_for: str | None
    rotation: str
    tz: str


class Rendered(NamedTuple):
    """An event's lines (without DTSTAMP) and the year it starts in."""

    body: bytes
    year: int


@dataclass(frozen=True)
class ShiftEntry:
    """A shift with its holders, as a rotation's feed shows it."""

    shift_id: int
    starts_at: datetime
    ends_at: datetime
    rotation: str
    tz: str
    holders: tuple[tuple[str, str], ...]  # (name, seat state)
    sequence: int


def _local(moment: datetime, tz: str) -> datetime:
    """In the rotation's zone; UTC stays UTC (written with `Z`, no VTIMEZONE needed)."""
    return moment.astimezone(UTC if tz == "UTC" else zone_of(tz))


def _event(
    uid: str, summary: str, description: str, when: tuple[datetime, datetime, str, int]
) -> bytes:
    """A VEVENT without its DTSTAMP (added per feed); `when` is (start, end, zone, sequence)."""
    start, end, tz, sequence = when
    event = Event()
    event.add("uid", uid)
    event.add("dtstart", _local(start, tz))
    event.add("dtend", _local(end, tz))
    event.add("summary", summary)
    event.add("description", description)
    event.add("sequence", sequence)
    event.add("status", "CONFIRMED")
    event.add("transp", "OPAQUE")
    body = bytes(event.to_ical())
    assert body.startswith(BEGIN)
    return body[len(BEGIN) :]


@functools.lru_cache(maxsize=50_000)
def seat_event(key: SeatKey) -> Rendered:
    """A person's shift: which rotation, when to check in, how it went."""
    lines = [
        f"Shift #{key.shift_id} of {key.rotation}.",
        f"Check in on Slack between {clock(key.opens_at, key.tz)} and "
        f"{clock(key.closes_at, key.tz)} (/support checkin).",
    ]
    if key.state == "covered" and key.covering_for:
        lines.append(f"Covering for {key.covering_for}.")
    elif key.state in STATES:
        lines.append(f"Recorded as {STATES[key.state]}.")
    body = _event(
        f"seat-{key.seat_id}@supportbot",
        f"Support shift: {key.rotation}",
        "\n".join(lines),
        (key.starts_at, key.ends_at, key.tz, key.version),
    )
    return Rendered(body, _local(key.starts_at, key.tz).year)


@functools.lru_cache(maxsize=50_000)
def shift_event(entry: ShiftEntry) -> Rendered:
    """A rotation's shift: who holds each seat and how it went."""
    names = ", ".join(name for name, _ in entry.holders) or "nobody"
    lines = [f"Shift #{entry.shift_id} of {entry.rotation}."]
    for name, state in entry.holders:
        lines.append(f"- {name}" + (f" ({STATES[state]})" if state in STATES else ""))
    summary = f"{entry.rotation}: {names}"
    when = (entry.starts_at, entry.ends_at, entry.tz, entry.sequence)
    body = _event(f"shift-{entry.shift_id}@supportbot", summary, "\n".join(lines), when)
    return Rendered(body, _local(entry.starts_at, entry.tz).year)


@functools.lru_cache(maxsize=256)
def _zone(tz: str, first: date, last: date) -> bytes:
    return bytes(Timezone.from_tzid(tz, first_date=first, last_date=last).to_ical())


@functools.lru_cache(maxsize=1024)
def _head(name: str) -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//supportbot//support shifts//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    # Ask subscribing clients to poll hourly (Apple and Google read these, others their own).
    cal.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", "PT1H")
    body = bytes(cal.to_ical())
    assert body.endswith(END)
    return body[: -len(END)]


def _stamp(now: datetime) -> bytes:
    event = Event()
    event.add("dtstamp", now.astimezone(UTC))
    body = bytes(event.to_ical())
    return body[len(BEGIN) : -len(b"END:VEVENT\r\n")]


def calendar(name: str, events: Sequence[Rendered], zones: set[str], now: datetime) -> bytes:
    """The VCALENDAR of `events` (in the time `zones` they use), made at `now`."""
    years = [e.year for e in events] or [now.year]
    first, last = date(min(years) - 1, 1, 1), date(max(years) + 2, 1, 1)
    stamp = BEGIN + _stamp(now)
    parts = [_head(name), *(_zone(tz, first, last) for tz in sorted(zones - {"UTC"}))]
    for event in events:
        parts.append(stamp)
        parts.append(event.body)
    parts.append(END)
    return b"".join(parts)
