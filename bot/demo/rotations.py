"""The demo's rotation chapter: two teams take turns; reminders, check-in, a no-show, a swap.

The first shift starts a few minutes into the chapter; later moments (the day before a shift,
the end of a check-in window, a cover timeout) come by moving the story's clock forward and
running the tick sweep then, as the scheduler would.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from bot.db import transaction
from bot.demo.transcript import (
    message_lines,
    readable,
    render_channel,
    render_ephemeral,
    user_names,
)
from bot.ids import Action
from bot.ids import RotationField as F
from bot.main import refresh_directory
from bot.rotations.models import ShiftAssignment

if TYPE_CHECKING:
    from bot.demo.story import Demo

CHANNEL = "C0CHAT"
BACKEND = {"U0BOB": "Europe/Paris", "U0BEA": "Europe/Berlin"}
FRONTEND = {"U0FAY": "America/New_York", "U0FIN": "Asia/Kolkata"}


def _step(title: str) -> None:
    print(f"\n### {title}\n")


def _show(demo: Demo, user: str, messages: list[dict[str, Any]]) -> None:
    """Some of the bot's DMs with one person."""
    names = user_names(demo.slack)
    print(f"── DM with @{names.get(user, user)} " + "─" * 40)
    for message in messages:
        print("\n".join("  " + line for line in message_lines(message, names)))


def _dm(demo: Demo, user: str, words: str) -> dict[str, Any]:
    """The latest DM to `user` containing `words`."""
    return next(m for m in reversed(demo.slack.dms(user)) if words in str(m))


def _seats(demo: Demo) -> list[ShiftAssignment]:
    with transaction(demo.runtime.factory) as session:
        return list(session.scalars(select(ShiftAssignment).order_by(ShiftAssignment.starts_at)))


def _tick(demo: Demo, at: datetime) -> None:
    """Move the story to `at` and run the tick sweep then; deliver what it queued."""
    demo.clock.set(at)
    demo.run_job("rotations")


def _click(demo: Demo, user: str, message: dict[str, Any], action: str) -> list[str]:
    """`user` clicks the `action` button of `message`; returns what only they see."""
    value = next(
        str(e["value"])
        for b in message.get("blocks") or []
        for e in b.get("elements") or []
        if e.get("action_id") == action
    )
    answer = demo.driver.block_action(user, action, message=message, value=value)
    demo.settle()
    names = user_names(demo.slack)
    return [f"  (only @{names[user]} sees) {readable(t, demo.slack)}" for t in answer.ephemeral]


def _setup(demo: Demo) -> None:
    names = {"U0BEA": "Bea (backend)", "U0FAY": "Fay (frontend)", "U0FIN": "Finn (frontend)"}
    for user, name in names.items():
        tz = {**BACKEND, **FRONTEND}[user]
        demo.slack.add_user(user, name.split()[0].lower(), real_name=name, tz=tz)
    demo.slack.add_usergroup("S0BACKEND", "backend-eng", "Backend", users=list(BACKEND))
    demo.slack.add_usergroup("S0FRONTEND", "frontend", "Frontend", users=list(FRONTEND))
    demo.slack.add_channel(CHANNEL, "chat-support", members=["U0LEE", *BACKEND, *FRONTEND])
    refresh_directory(demo.runtime.settings, demo.runtime.factory)
    people = user_names(demo.slack)
    for handle, team in (("backend-eng", BACKEND), ("frontend", FRONTEND)):
        members = ", ".join(f"@{people[u]} ({zone})" for u, zone in team.items())
        print(f"  user group @{handle}: {members}")


def _create(demo: Demo, start: datetime) -> None:
    opened = demo.driver.command("/support", "rotation create", user_id="U0LEE", channel_id=CHANNEL)
    values = {
        F.NAME: "chat-support",
        F.CHANNEL: CHANNEL,
        F.TIMEZONE: "UTC",
        F.DAYS: ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
        F.START: start.strftime("%H:%M"),
        F.LENGTH: "2h",
        F.EVERY_WEEKS: "1",
        F.PEOPLE: "1",
        F.TEAMS: "@backend-eng, @frontend",
        F.LEADS: ["U0LEE"],
        F.REMINDERS: "24h, 15m",
        F.CHECKIN_BEFORE: "15m",
        F.CHECKIN_AFTER: "10m",
    }
    answer = demo.driver.view_submission("U0LEE", opened.view or {}, values)
    if answer.errors:
        raise RuntimeError(f"the rotation form was refused: {answer.errors}")
    demo.settle()
    print(
        f"Lee fills in: every day at {values[F.START]} UTC for 2h, teams @backend-eng and "
        "@frontend, one person per shift, reminders 24h and 15m before, check-in from 15 "
        "minutes before to 10 after the start. Lee gets the plan:"
    )
    _show(demo, "U0LEE", [_dm(demo, "U0LEE", "created")])


def support_rotation(demo: Demo) -> None:
    """A rotation over two teams: reminders, a check-in, a no-show covered, a swap."""
    _step("Support rotations: engineers from two teams take turns on #chat-support")
    _setup(demo)
    now = demo.clock.advance(hours=1)
    first = (now + timedelta(minutes=14)).replace(second=0, microsecond=0)
    first -= timedelta(minutes=first.minute % 5)
    _step("Lee creates the rotation with `/support rotation create` (a form opens)")
    _create(demo, first)
    today, tomorrow, after = _seats(demo)[:3]
    names = user_names(demo.slack)

    _step("The sweep runs: today's shift starts in a few minutes, so its holder is reminded")
    _tick(demo, now)
    reminder = _dm(demo, today.user_id, "starts in")
    _show(demo, today.user_id, [reminder])
    _step(f"@{names[today.user_id]} clicks [Check in]")
    print("\n".join(_click(demo, today.user_id, reminder, Action.SHIFT_CHECKIN)))
    _step("At the start of the shift, #chat-support hears who is on now and who is next")
    _tick(demo, today.starts_at)
    print(render_channel(demo.slack, CHANNEL, "#chat-support"))

    _step("A day before, tomorrow's holder gets the 24-hour reminder (no check-in yet)")
    _tick(demo, tomorrow.starts_at - timedelta(hours=24))
    _show(demo, tomorrow.user_id, [_dm(demo, tomorrow.user_id, f"Shift #{tomorrow.shift_id}.")])

    _tick(demo, tomorrow.window_opens_at)  # the 15-minute reminder
    _tick(demo, tomorrow.starts_at)  # the start post; the next day's 24-hour reminder
    _step("Tomorrow nobody checks in: when the window closes, Lee is told and a backup asked")
    _tick(demo, tomorrow.window_closes_at)
    _show(demo, "U0LEE", [_dm(demo, "U0LEE", "did not check in")])
    _step("Ten minutes later the first backup has not answered: the next one is asked")
    _tick(demo, tomorrow.window_closes_at + timedelta(minutes=10))
    backup = [u for u in [*BACKEND, *FRONTEND] if "Can you cover" in str(demo.slack.dms(u))][-1]
    ask = _dm(demo, backup, "Can you cover")
    _show(demo, backup, [ask])
    _step(f"@{names[backup]} clicks [I'll cover]: the shift is theirs, Lee hears about it")
    _click(demo, backup, ask, Action.SHIFT_TAKE)
    _show(demo, backup, [_dm(demo, backup, "You are covering")])
    _show(demo, "U0LEE", [_dm(demo, "U0LEE", "is covering")])

    holder = after.user_id
    demo.clock.advance(minutes=5)
    _step(f"@{names[holder]} can't make the next day's shift and clicks [Can't make it]")
    reminder = _dm(demo, holder, f"Shift #{after.shift_id}.")  # the 24-hour reminder
    _show(demo, holder, [reminder])
    print("\n".join(_click(demo, holder, reminder, Action.SHIFT_CANT_MAKE_IT)))
    offered = [u for u in [*BACKEND, *FRONTEND] if "Can you take it" in str(demo.slack.dms(u))]
    taker = offered[0]
    offer = _dm(demo, taker, "Can you take it")
    _show(demo, taker, [offer])
    _step(f"@{names[taker]} clicks [Accept] first; the others' offers close")
    _click(demo, taker, offer, Action.SHIFT_TAKE)
    _show(demo, taker, [_dm(demo, taker, "You are now on")])
    _show(demo, holder, [_dm(demo, holder, "took your")])
    if len(offered) > 1:
        _show(demo, offered[1], [_dm(demo, offered[1], "took this")])

    _step("Anyone can ask who is on: `/support shifts chat-support`")
    schedule = demo.driver.command(
        "/support", "shifts chat-support", user_id="U0ADA", channel_id=CHANNEL
    )
    print(render_ephemeral(schedule.json, "ephemeral reply to @ada", demo.slack))
