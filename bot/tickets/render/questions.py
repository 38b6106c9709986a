"""Questions to the engineer on shift: the Ask an engineer modal, the thread's replies and the
DMs with I'm on it. Question text is the agent's own: escaped in blocks and fallback text."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from bot.ids import Action, View
from bot.ids import QuestionField as F
from bot.render.blocks import (
    OPTION_TEXT,
    OPTION_VALUE,
    Block,
    Message,
    actions,
    button,
    context,
    cut,
    escape,
    fallback,
    plain,
    section,
)
from bot.render.times import duration, slack_time
from bot.tickets.models import EngineerQuestion
from bot.tickets.render.thread import TicketView, label

MAX_OPTIONS = 100
QUOTE = 1500
WHO = {"shift": "on shift", "backup": "backup", "leads": "lead"}


def _people(users: Sequence[str]) -> str:
    return ", ".join(f"<@{u}>" for u in users)


def _quote(text: str, limit: int = QUOTE) -> str:
    return ">" + escape(cut(text.strip(), limit)).replace("\n", "\n>")


def ask_form(
    choices: Sequence[tuple[str, str | None]],
    *,
    ticket_id: int,
    ticket_label: str,
    channel: str,
    thread_ts: str,
    text: str = "",
) -> dict[str, Any]:
    """The modal: a product area (with the rotation that covers it) and the question."""
    options = [
        {
            "text": plain(f"{area} ({rotation})" if rotation else area, OPTION_TEXT),
            "value": cut(area, OPTION_VALUE, ""),
        }
        for area, rotation in choices[:MAX_OPTIONS]
    ]
    question: Block = {"type": "plain_text_input", "multiline": True, "max_length": 2000}
    if text.strip():
        question["initial_value"] = cut(text.strip(), 2000, "")
    blocks: list[Block] = [
        context(
            f"Asks whoever is on shift for the area about *{escape(ticket_label)}*; if nobody "
            "takes it in time, a backup and then the leads are asked."
        ),
        {
            "type": "input",
            "block_id": F.AREA,
            "label": plain("Product area", 2000),
            "element": {"type": "static_select", "action_id": F.AREA, "options": options},
        },
        {
            "type": "input",
            "block_id": F.TEXT,
            "label": plain("Question", 2000),
            "element": {**question, "action_id": F.TEXT},
        },
    ]
    meta = {"ticket": ticket_id, "channel": channel, "thread_ts": thread_ts}
    return {
        "type": "modal",
        "callback_id": View.QUESTION_FORM,
        "title": plain("Ask an engineer", 24),
        "submit": plain("Ask", 24),
        "close": plain("Cancel", 24),
        "private_metadata": json.dumps(meta),
        "blocks": blocks,
    }


def asked_in_thread(
    question: EngineerQuestion, rotation: str, users: Sequence[str], stage: str, *, first: bool
) -> Message:
    """The thread's reply when a question goes out (`first`), or on to a backup or the leads."""
    area = f"*{escape(question.area)}* ({escape(rotation)})"
    whom = f"{_people(users)} ({WHO[stage]})" if users else "nobody"
    if first:
        head = f":raising_hand: <@{question.asked_by}> asks {whom} about {area}:"
        if stage != "shift":
            head += " nobody is on shift for it right now."
        blocks = [section(head), section(_quote(question.text))]
        plain_head = f"Question about {question.area} for the engineer {WHO[stage]}"
    elif users:
        head = f":arrow_double_up: Nobody took this yet: asking {whom} for {area}."
        blocks, plain_head = (
            [section(head)],
            f"Nobody took the question yet: asking the {WHO[stage]}",
        )
    else:
        head = f":warning: Nobody took this yet, and nobody else can be asked for {area}."
        blocks, plain_head = (
            [section(head)],
            "Nobody took the question, and nobody else can be asked",
        )
    return fallback(escape(f"{plain_head}: {cut(question.text, 200)}")), blocks


def ask_dm(question: EngineerQuestion, rotation: str, ticket: TicketView, stage: str) -> Message:
    """To the engineer asked: the question, the ticket, a link to the thread, I'm on it."""
    why = {
        "shift": f"you are on shift for {escape(question.area)} ({escape(rotation)})",
        "backup": f"nobody on shift took it: you are the backup for {escape(rotation)}",
        "leads": f"nobody on {escape(rotation)} took it: you are a lead",
    }[stage]
    head = (
        f":raising_hand: <@{question.asked_by}> has a question about "
        f"*{escape(label(ticket))}: {escape(cut(ticket.subject or '', 150))}* ({why})."
    )
    blocks = [
        section(head),
        section(_quote(question.text)),
        actions(button("I'm on it", Action.QUESTION_TAKE, value=str(question.id), style="primary")),
        context("<{permalink}|Open the ticket's thread> to answer there."),
    ]
    text = f"Question about {label(ticket)} ({question.area}): {cut(question.text, 200)}"
    return fallback(escape(text)), blocks


def taken_in_thread(question: EngineerQuestion) -> Message:
    """The thread's reply: who took the question, when, and how long it waited."""
    assert question.taken_by is not None and question.taken_at is not None
    waited = duration((question.taken_at - question.asked_at).total_seconds())
    line = (
        f":raised_hand: <@{question.taken_by}> is on it (took it {slack_time(question.taken_at)}, "
        f"{waited} after it was asked)."
    )
    return fallback(f"An engineer is on it ({waited} after the question)"), [context(line)]


def taken_dm(question: EngineerQuestion, rotation: str, *, mine: bool) -> Message:
    """The asked engineers' DMs once someone took the question (buttons gone)."""
    who = "You are" if mine else f"<@{question.taken_by}> is"
    head = f":white_check_mark: {who} on {escape(question.area)} ({escape(rotation)}):"
    blocks = [section(head), section(_quote(question.text, 500))]
    if mine:
        blocks.append(context("Answer in the ticket's thread; the agent sees you took it."))
    return fallback(f"{'You are' if mine else 'Someone is'} on the question"), blocks
