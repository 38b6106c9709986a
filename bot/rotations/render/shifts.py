"""Messages about shifts: reminders, the "on now" post, being assigned, unfilled seats."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.ids import Action
from bot.render.blocks import Block, Message, actions, button, context, escape, fallback, section
from bot.render.times import slack_clock, slack_span, span, until
from bot.rotations.models import Rotation, ShiftAssignment


def _name(rotation: Rotation) -> str:
    return f"*{escape(rotation.name)}*"


def _times(seat: ShiftAssignment, rotation: Rotation, tz: str) -> list[str]:
    """When, in the reader's own time zone; and on the rotation's clock when that differs."""
    when = [f"*When*\n{slack_span(seat.starts_at, seat.ends_at, tz)}"]
    if tz == rotation.timezone:
        return when
    rotation_time = span(seat.starts_at, seat.ends_at, rotation.timezone)
    return [*when, f"*Rotation time* ({escape(rotation.timezone)})\n{rotation_time}"]


def reminder(
    rotation: Rotation, seat: ShiftAssignment, tz: str, now: datetime, *, window_open: bool
) -> Message:
    """The reminder DM: the shift in the holder's time zone and the rotation's, and buttons."""
    head = f":alarm_clock: Your {_name(rotation)} shift starts {until(seat.starts_at, now)}."
    window = (
        f"Check in between {slack_clock(seat.window_opens_at, tz)} and "
        f"{slack_clock(seat.window_closes_at, tz)} with the button or `/support checkin`."
    )
    blocks = [
        section(head, fields=_times(seat, rotation, tz)),
        context(window + f" Shift #{seat.shift_id}."),
        actions(*seat_buttons(seat, window_open=window_open)),
    ]
    plain = f"{head} {slack_span(seat.starts_at, seat.ends_at, tz)}. {window}"
    return fallback(plain), blocks


def seat_buttons(seat: ShiftAssignment, *, window_open: bool) -> list[Block]:
    """Check in (while the window is open) and Can't make it, for one seat."""
    buttons = []
    if window_open:
        buttons.append(
            button("Check in", Action.SHIFT_CHECKIN, value=str(seat.id), style="primary")
        )
    buttons.append(button("Can't make it", Action.SHIFT_CANT_MAKE_IT, value=str(seat.id)))
    return buttons


def _people(users: Sequence[str]) -> str:
    named = [f"<@{u}>" for u in users if u]
    missing = sum(1 for u in users if not u)
    if missing:
        named.append(f"{missing} unfilled seat{'s' if missing > 1 else ''}")
    return ", ".join(named) or "nobody"


def on_now(
    rotation: Rotation,
    start: datetime,
    end: datetime,
    holders: Sequence[str],
    following: tuple[datetime, datetime, Sequence[str]] | None,
) -> Message:
    """The channel post at shift start: who is on now, and who is next."""
    head = (
        f":large_green_circle: On {_name(rotation)} now "
        f"({slack_span(start, end, rotation.timezone)}): {_people(holders)}"
    )
    lines = [head]
    if following is not None:
        nstart, nend, nholders = following
        lines.append(f"Next: {_people(nholders)}, {slack_span(nstart, nend, rotation.timezone)}")
    return fallback(" · ".join(lines)), [section("\n".join(lines))]


def assigned(
    rotation: Rotation, seat: ShiftAssignment, previous: str, reason: str, tz: str
) -> Message:
    """To someone given a seat by the bot (the holder left, is away, or it was unfilled)."""
    why = {
        "left": f"<@{previous}> is no longer in the rotation",
        "out_of_office": f"<@{previous}> is out of office",
        "unfilled": "nobody was free when it was planned",
    }.get(reason, "the schedule changed")
    head = f":calendar: You have been given a {_name(rotation)} shift ({why})."
    blocks = [
        section(head, fields=_times(seat, rotation, tz)),
        actions(button("Can't make it", Action.SHIFT_CANT_MAKE_IT, value=str(seat.id))),
    ]
    return fallback(f"{head} {slack_span(seat.starts_at, seat.ends_at, tz)}"), blocks


def unfilled(rotation: Rotation, start: datetime, end: datetime) -> Message:
    """To the leads: a seat nobody could take (everyone away or busy)."""
    text = (
        f":warning: Nobody is free for a {_name(rotation)} shift "
        f"({slack_span(start, end, rotation.timezone)}). It stays open until someone is; "
        "please find someone."
    )
    return fallback(text), [section(text)]
