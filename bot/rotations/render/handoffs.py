"""The rotation's side of a hand-off: the Hand off prompt and the note modal."""

from __future__ import annotations

import json
from typing import Any

from bot.ids import Action, View
from bot.ids import QuestionField as F
from bot.render.blocks import (
    Block,
    Message,
    actions,
    button,
    context,
    escape,
    fallback,
    plain,
    section,
)
from bot.render.times import clock, slack_clock, slack_span
from bot.rotations.models import Rotation, ShiftAssignment


def handoff_button(seat: ShiftAssignment) -> Block:
    """The Hand off button of a seat (DM and App Home)."""
    return button("Hand off", Action.HANDOFF_OPEN, value=str(seat.id), style="primary")


def prompt(rotation: Rotation, seat: ShiftAssignment, tz: str) -> Message:
    """To each person on a shift, 30 minutes before it ends."""
    head = (
        f":wave: Your *{escape(rotation.name)}* shift ends at {slack_clock(seat.ends_at, tz)}. "
        "Leave a note for the next person: what is going on, what to watch."
    )
    blocks = [
        section(head),
        actions(handoff_button(seat)),
        context(
            "At the end of the shift the next person gets your note with the tickets you "
            "worked on, the bugs you filed and the questions still waiting for an engineer."
        ),
    ]
    ends = clock(seat.ends_at, tz)
    return fallback(f"Your {escape(rotation.name)} shift ends at {ends}: hand off"), blocks


def note_form(rotation: Rotation, seat: ShiftAssignment, tz: str, note: str) -> dict[str, Any]:
    """The modal for the hand-off note (prefilled with one left before)."""
    element: Block = {
        "type": "plain_text_input",
        "action_id": F.HANDOFF_NOTE,
        "multiline": True,
        "max_length": 3000,
        "placeholder": plain("Ticket 4471 waits on the customer; the EU queue is slow today…", 150),
    }
    if note:
        element["initial_value"] = note
    blocks: list[Block] = [
        context(
            f"*{escape(rotation.name)}*, {slack_span(seat.starts_at, seat.ends_at, tz)}. "
            "The next person gets this at the end of your shift."
        ),
        {
            "type": "input",
            "block_id": F.HANDOFF_NOTE,
            "label": plain("Note for the next person", 2000),
            "element": element,
        },
    ]
    return {
        "type": "modal",
        "callback_id": View.HANDOFF_FORM,
        "title": plain("Hand off", 24),
        "submit": plain("Save note", 24),
        "close": plain("Cancel", 24),
        "private_metadata": json.dumps({"seat": seat.id}),
        "blocks": blocks,
    }
