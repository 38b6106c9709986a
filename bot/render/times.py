"""Times as people read them, in a given IANA time zone (a user's Slack `tz` or a rotation's),
and as they write them: days, clock times and durations in commands, forms, files and settings.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DURATION = re.compile(r"^\s*(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m(?:in)?)?\s*$", re.I)


def zone_of(name: str | None) -> ZoneInfo:
    """The time zone called `name`, or UTC when unknown."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local(moment: datetime, tz: str | None) -> datetime:
    """`moment` on the wall clock of `tz`."""
    return moment.astimezone(zone_of(tz))


def day(moment: datetime, tz: str | None) -> str:
    """`Tue 1 Dec`."""
    at = local(moment, tz)
    return f"{at:%a} {at.day} {at:%b}"


def clock(moment: datetime, tz: str | None) -> str:
    """`14:00 CET`."""
    return f"{local(moment, tz):%H:%M %Z}"


def span(start: datetime, end: datetime, tz: str | None) -> str:
    """`Tue 1 Dec, 14:00–16:00 CET`, or with both days when it runs past midnight."""
    a, b = local(start, tz), local(end, tz)
    if a.date() == b.date():
        return f"{day(start, tz)}, {a:%H:%M}–{b:%H:%M %Z}"
    return f"{day(start, tz)} {a:%H:%M} – {day(end, tz)} {b:%H:%M %Z}"


def stamp(moment: datetime) -> str:
    """`2026-12-01 13:00 UTC` for records."""
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def until(moment: datetime, now: datetime) -> str:
    """`in 24 hours`, `in 15 minutes`, `now`."""
    minutes = round((moment - now).total_seconds() / 60)
    if minutes <= 0:
        return "now"
    if minutes >= 2880 and minutes % 1440 == 0:
        days = minutes // 1440
        return f"in {days} day{'s' if days != 1 else ''}"
    if minutes % 60 == 0 or minutes > 180:
        hours = round(minutes / 60)
        return f"in {hours} hour{'s' if hours != 1 else ''}"
    return f"in {minutes} minute{'s' if minutes != 1 else ''}"


def duration(seconds: float) -> str:
    """`45m`, `3h`, `2d 4h`: a span rounded for reading."""
    minutes = max(round(seconds / 60), 0)
    if minutes < 60:
        return f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h {minutes}m" if minutes and hours < 10 else f"{hours}h"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours}h" if hours and days < 10 else f"{days}d"


def relative(moment: datetime, now: datetime) -> str:
    """`3h ago` or `in 45m`."""
    seconds = (moment - now).total_seconds()
    return f"in {duration(seconds)}" if seconds > 0 else f"{duration(-seconds)} ago"


def _slack_date(moment: datetime, style: str, fallback: str) -> str:
    """Slack's date formatting: `style` in each reader's own time zone, `fallback` for clients
    that cannot (https://docs.slack.dev/messaging/formatting-message-text#date-formatting)."""
    return f"<!date^{int(moment.timestamp())}^{style}|{fallback}>"


def slack_time(
    moment: datetime, style: str = "{date_short_pretty} {time}", tz: str | None = None
) -> str:
    """A time every reader sees in their own time zone; the fallback is in `tz` (UTC when not
    known): `Tue 1 Dec 14:00 CET`."""
    return _slack_date(moment, style, f"{day(moment, tz)} {clock(moment, tz)}")


def slack_day(moment: datetime, tz: str | None = None) -> str:
    """The reader's date of `moment` (`Dec 1st`, `today`); the fallback is its day in `tz`."""
    return _slack_date(moment, "{date_short_pretty}", day(moment, tz))


def slack_clock(moment: datetime, tz: str | None = None) -> str:
    """The reader's clock time of `moment`; the fallback is `14:00 CET` in `tz`."""
    return _slack_date(moment, "{time}", clock(moment, tz))


def slack_span(start: datetime, end: datetime, tz: str | None = None) -> str:
    """`Dec 1st 14:00–16:00` in each reader's time zone; the fallback is the span in `tz`."""
    a, b = local(start, tz), local(end, tz)
    first = _slack_date(start, "{date_short_pretty} {time}", f"{day(start, tz)} {a:%H:%M}")
    if a.date() == b.date():
        return f"{first}–{_slack_date(end, '{time}', f'{b:%H:%M %Z}')}"
    last = f"{day(end, tz)} {b:%H:%M %Z}"
    return f"{first}–{_slack_date(end, '{date_short_pretty} {time}', last)}"


def slack_span_also(start: datetime, end: datetime, tz: str | None, other: str | None) -> str:
    """`slack_span` for a reader in `tz`, then the shift on the wall clock of `other` (the
    rotation's zone) when it differs: `… (08:00–10:00 EST rotation time)`."""
    mine = slack_span(start, end, tz)
    if other is None or other == tz:
        return mine
    theirs = span(start, end, other)
    a, b = local(start, tz), local(start, other)
    if a.date() == b.date() and local(end, other).date() == b.date():
        theirs = f"{b:%H:%M}–{local(end, other):%H:%M %Z}"
    return f"{mine} ({theirs} rotation time)"


# ---- what people write (ValueError carries the user-facing reason) ----------------------------


def parse_duration(text: str | int) -> int:
    """Minutes from `2h`, `90m`, `1h30m`, `1d` or a bare number of minutes."""
    if isinstance(text, int) or str(text).strip().isdigit():
        return int(text)
    match = _DURATION.match(str(text))
    if not match or not any(match.groups()):
        raise ValueError(f"{text!r} is not a duration; write e.g. 2h, 90m or 1h30m")
    d, h, m = (int(g or 0) for g in match.groups())
    return d * 1440 + h * 60 + m


def parse_clock(text: str) -> str:
    """`HH:MM` (24-hour), normalised."""
    match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*", str(text))
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise ValueError(f'{text!r} is not a time of day; write e.g. "14:00"')
    return f"{int(match[1]):02d}:{match[2]}"


def parse_day(text: str) -> str:
    """`mon`…`sun` from a day name or its first three (or more) letters."""
    key = str(text).strip().lower()
    for day in _FULL_DAYS:
        if len(key) >= 3 and day.startswith(key):
            return day[:3]
    raise ValueError(f"{text!r} is not a day; use mon, tue, wed, thu, fri, sat or sun")


def minutes_text(minutes: int) -> str:
    """`2h`, `90m` → `1h30m`, `1d`: the compact duration people write."""
    d, rest = divmod(minutes, 1440)
    h, m = divmod(rest, 60)
    parts = [f"{d}d" if d else "", f"{h}h" if h else "", f"{m}m" if m else ""]
    return "".join(parts) or "0m"
