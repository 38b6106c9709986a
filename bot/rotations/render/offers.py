"""Messages about a seat changing hands: no-shows, cover requests, swaps, and their outcome."""

from __future__ import annotations

from datetime import datetime

from bot.ids import Action
from bot.render.blocks import Message, actions, button, context, escape, fallback, section
from bot.render.times import slack_clock, slack_span, slack_span_also
from bot.rotations.models import Rotation, ShiftAssignment, ShiftOffer


def _name(rotation: Rotation) -> str:
    return f"*{escape(rotation.name)}*"


def _both(seat: ShiftAssignment, tz: str, rotation: Rotation) -> str:
    return slack_span_also(seat.starts_at, seat.ends_at, tz, rotation.timezone)


def ask(rotation: Rotation, offer: ShiftOffer, seat: ShiftAssignment, tz: str) -> Message:
    """The DM asking someone to take a seat, with the button that takes it."""
    when = _both(seat, tz, rotation)
    if offer.kind == "cover":
        head = (
            f":sos: <@{offer.from_user}> did not check in for {_name(rotation)}, {when}. "
            "Can you cover?"
        )
        label = "I'll cover"
    else:
        head = (
            f":arrows_counterclockwise: <@{offer.from_user}> can't make their {_name(rotation)} "
            f"shift, {when}. Can you take it?"
        )
        label = "Accept"
    blocks = [
        section(head),
        actions(button(label, Action.SHIFT_TAKE, value=str(offer.id), style="primary")),
        context("The first person to accept takes the shift."),
    ]
    return fallback(head), blocks


def closed(rotation: Rotation, offer: ShiftOffer, taker: str | None) -> Message:
    """An ask edited once the seat is taken or the offer lapsed (its button goes away)."""
    if taker:
        text = f":white_check_mark: <@{taker}> took this {_name(rotation)} shift. Thanks anyway!"
    else:
        text = f"This {_name(rotation)} shift is no longer on offer."
    return fallback(text), [section(text)]


def taken_by_you(rotation: Rotation, offer: ShiftOffer, seat: ShiftAssignment, tz: str) -> Message:
    """Confirmation to whoever took the seat."""
    verb = "covering" if offer.kind == "cover" else "now on"
    text = f":white_check_mark: You are {verb} {_name(rotation)}: {_both(seat, tz, rotation)}."
    extra = "" if offer.kind == "cover" else " You will get the usual reminders."
    return fallback(text), [section(text), context(f"Thanks for stepping in.{extra}")]


def swapped(
    rotation: Rotation, offer: ShiftOffer, seat: ShiftAssignment, taker: str, tz: str
) -> Message:
    """To the previous holder: someone took their seat."""
    text = (
        f":white_check_mark: <@{taker}> took your {_name(rotation)} shift, "
        f"{_both(seat, tz, rotation)}. You are off the hook."
    )
    return fallback(text), [section(text)]


def covered(rotation: Rotation, offer: ShiftOffer, seat: ShiftAssignment, taker: str) -> Message:
    """To the leads: a backup covers a no-show."""
    text = (
        f":white_check_mark: <@{taker}> is covering <@{offer.from_user}>'s {_name(rotation)} "
        f"shift ({slack_span(seat.starts_at, seat.ends_at, rotation.timezone)})."
    )
    return fallback(text), [section(text)]


def unanswered(rotation: Rotation, offer: ShiftOffer, seat: ShiftAssignment) -> Message:
    """To the leads: nobody took an offered seat in time (or nobody could)."""
    when = slack_span(seat.starts_at, seat.ends_at, rotation.timezone)
    if offer.kind == "cover":
        text = (
            f":rotating_light: Nobody has accepted to cover <@{offer.from_user}>'s "
            f"{_name(rotation)} shift ({when}). Please find someone."
        )
    elif not offer.asked:
        text = (
            f":rotating_light: <@{offer.from_user}> can't make their {_name(rotation)} shift "
            f"({when}) and nobody else is free. Please find someone."
        )
    else:
        text = (
            f":rotating_light: <@{offer.from_user}> can't make their {_name(rotation)} shift "
            f"({when}); {len(offer.asked)} colleague(s) were asked and nobody has accepted yet."
        )
    return fallback(text), [section(text)]


def still_yours(rotation: Rotation, seat: ShiftAssignment, tz: str) -> Message:
    """To someone whose swap offer lapsed at shift start: they are still on."""
    text = (
        f":warning: Nobody took your {_name(rotation)} shift, {_both(seat, tz, rotation)}, "
        "so it is still yours; your leads were told."
    )
    return fallback(text), [section(text)]


def no_show_for_leads(
    rotation: Rotation, seat: ShiftAssignment, asked: str | None, now: datetime
) -> Message:
    """To the leads: someone did not check in; whom we asked to cover."""
    when = slack_span(seat.starts_at, seat.ends_at, rotation.timezone)
    text = f":rotating_light: <@{seat.user_id}> did not check in for {_name(rotation)} ({when})."
    if now >= seat.ends_at:
        follow = "The shift is over, so no cover was requested."
    elif asked:
        follow = f"Asked <@{asked}> to cover; the next backup is asked if they do not answer."
    else:
        follow = "Nobody else is free to cover it."
    return fallback(f"{text} {follow}"), [section(f"{text}\n{follow}")]


def no_show_for_holder(rotation: Rotation, seat: ShiftAssignment, tz: str) -> Message:
    """To the person who missed check-in: they can still check in (as late)."""
    text = (
        f":wave: You did not check in for {_name(rotation)}, {_both(seat, tz, rotation)}, so "
        "your leads were told and a backup was asked. If you are here, check in now: it is "
        "recorded as late."
    )
    blocks = [
        section(text),
        actions(button("Check in", Action.SHIFT_CHECKIN, value=str(seat.id), style="primary")),
    ]
    return fallback(text), blocks


def late_for_leads(rotation: Rotation, seat: ShiftAssignment, now: datetime) -> Message:
    """To the leads: a no-show checked in after all."""
    text = (
        f":hourglass: <@{seat.user_id}> checked in late for {_name(rotation)} at "
        f"{slack_clock(now, rotation.timezone)}; the cover request is withdrawn."
    )
    return fallback(text), [section(text)]
