"""The App Home tab, by role: pure Block Kit from the data bot/home.py gathers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.bugs.load import BugLoad, ComponentLoad
from bot.bugs.render.load import bug_line, component_line
from bot.ids import Action
from bot.insights.agent_desk import AgentDesk
from bot.insights.queue import Queue
from bot.insights.render.agent_desk import desk_blocks
from bot.insights.render.queue import queue_blocks
from bot.render.blocks import (
    SURFACE_BLOCKS,
    Block,
    actions,
    button,
    context,
    divider,
    escape,
    fit_blocks,
    header,
    section,
)
from bot.render.times import slack_span, slack_time
from bot.rotations.handoffs import can_hand_off
from bot.rotations.models import Rotation, ShiftAssignment
from bot.rotations.render.handoffs import handoff_button
from bot.rotations.render.rosters import seat_list
from bot.rotations.render.shifts import seat_buttons
from bot.rotations.roster import ShiftView, label

LEAD, ENGINEER, OWNER = "lead", "engineer", "owner"


@dataclass
class HomeData:
    """What one user's Home shows; sections are filled by role."""

    user_id: str
    roles: set[str]
    tz: str
    now: datetime
    seats: list[tuple[ShiftAssignment, Rotation]] = field(default_factory=list)
    queue: Queue | None = None
    today: list[ShiftView] = field(default_factory=list)
    no_shows: list[tuple[ShiftAssignment, Rotation]] = field(default_factory=list)
    bugs: list[BugLoad] = field(default_factory=list)
    components: list[ComponentLoad] = field(default_factory=list)
    desk: AgentDesk | None = None  # a helpdesk agent's own tickets


def _lead(data: HomeData) -> list[Block]:
    blocks: list[Block] = [header("Queue")]
    if data.queue is not None:
        blocks.extend(queue_blocks(data.queue, data.now))
    blocks.append(header("Today's shifts"))
    if data.today:
        lines = [
            f"• {slack_span(v.shift.starts_at, v.shift.ends_at, data.tz)}: "
            f"{seat_list(v, attendance=True)}"
            for v in data.today
        ]
        blocks.append(section("\n".join(lines)))
    else:
        blocks.append(section("No shifts in the next 24 hours."))
    blocks.append(header("No-show alerts"))
    if data.no_shows:
        lines = []
        for seat, rotation in data.no_shows:
            who = seat.absent_user_id or seat.user_id
            outcome = f"covered by <@{seat.user_id}>" if seat.absent_user_id else "*not covered*"
            if seat.late_at is not None:
                outcome += ", checked in late"
            lines.append(
                f"• <@{who}> missed *{escape(rotation.name)}* "
                f"{slack_span(seat.starts_at, seat.ends_at, data.tz)} — {outcome}"
            )
        blocks.append(section("\n".join(lines)))
    else:
        blocks.append(section("No no-shows in the last 7 days. :tada:"))
    return blocks


def _engineer(data: HomeData) -> list[Block]:
    blocks: list[Block] = [header("Your next shifts")]
    if not data.seats:
        blocks.append(section("You have no upcoming shifts."))
        return blocks
    for seat, rotation in data.seats:
        state = label(seat, data.now)
        on_now = " — *on now*" if seat.starts_at <= data.now else ""
        block = section(
            f"*{escape(rotation.name)}* {slack_span(seat.starts_at, seat.ends_at, data.tz)}"
            f"{on_now}\n_{state}_ · shift #{seat.shift_id}"
        )
        blocks.append(block)
        window_open = seat.state == "scheduled" and seat.window_opens_at <= data.now < seat.ends_at
        if seat.state == "scheduled" and seat.starts_at > data.now:
            blocks.append(actions(*seat_buttons(seat, window_open=window_open)))
        elif can_hand_off(seat, data.now):
            check_in = seat_buttons(seat, window_open=True)[:1] if window_open else []
            blocks.append(actions(*check_in, handoff_button(seat)))
        elif window_open:
            blocks.append(actions(*seat_buttons(seat, window_open=True)[:1]))
    return blocks


def _owner(data: HomeData) -> list[Block]:
    blocks: list[Block] = [header("Top bugs by support load")]
    if not data.bugs:
        blocks.append(section("No Jira bugs are linked to tickets yet."))
        return blocks
    blocks.extend(section(bug_line(b, i, data.now)) for i, b in enumerate(data.bugs, start=1))
    if data.components:
        lines = "\n".join(component_line(c) for c in data.components)
        blocks.append(section("*Support load per component*\n" + lines))
    blocks.append(
        context("`/support bugs` ranks every linked bug; `/support bugs <KEY>` lists its tickets.")
    )
    return blocks


def render_home(data: HomeData) -> dict[str, Any]:
    """The Home tab view for one user."""
    blocks: list[Block] = [
        header("supportbot"),
        section(
            f"Hi <@{data.user_id}>. Ticket threads, support rotations and Jira bugs, in one place."
        ),
    ]
    if data.desk is not None:
        blocks.extend(desk_blocks(data.desk, data.now))
    if LEAD in data.roles:
        blocks.extend(_lead(data))
    if ENGINEER in data.roles or data.seats:
        blocks.extend(_engineer(data))
    if OWNER in data.roles:
        blocks.extend(_owner(data))
    if not (data.roles or data.seats or data.desk):
        blocks.append(
            section(
                "Type `/support help` in any channel to see what you can do: "
                "`/support queue` for the queue, `/support shifts` for who is on support."
            )
        )
    blocks.append(divider())
    blocks.append(actions(button("Refresh", Action.HOME_REFRESH)))
    blocks.append(context(f"Updated {slack_time(data.now, tz=data.tz)}"))
    return {"type": "home", "blocks": fit_blocks(blocks, SURFACE_BLOCKS)}
