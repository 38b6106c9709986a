"""Telling customers a bug is fixed: the button, the modal, and what the agent and threads see.

Block Kit's checkboxes element holds at most 10 options
(https://api.slack.com/reference/block-kit/block-elements#checkboxes) and a modal 100 blocks,
so the tickets are listed ten to a block, up to `SHOWN`; any beyond are one more option
("the other N tickets"), chosen or left out together.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from bot.ids import Action, View
from bot.ids import CustomerField as F
from bot.render.blocks import (
    OPTION_TEXT,
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

SHOWN = 80  # tickets listed one by one: 8 checkbox blocks of 10
PER_BLOCK = 10
REPLY_LIMIT = 3000
STATUS_LABELS = {"": "Leave as it is", "pending": "Pending", "solved": "Solved"}


def tell_button(key: str) -> Block:
    """The actions block a close notice carries."""
    return actions(
        button("Tell the customers", Action.CUSTOMERS_TELL, value=key, style="primary"),
        block_id=f"customers:{key}"[:255],
    )


def _option(value: str, text: str) -> Block:
    return {"text": plain(text, OPTION_TEXT), "value": value}


def _ticket_option(ticket: Any) -> Block:
    state = f" ({ticket.status})" if ticket.status == "solved" else ""
    return _option(str(ticket.id), cut(f"{ticket.label} {ticket.subject}{state}", OPTION_TEXT))


def _checkboxes(block_id: str, label: str, options: list[Block]) -> Block:
    return {
        "type": "input",
        "block_id": block_id,
        "optional": True,
        "label": plain(label, 2000),
        "element": {
            "type": "checkboxes",
            "action_id": block_id,
            "options": options,
            "initial_options": options,
        },
    }


def form(offer: Any) -> dict[str, Any]:
    """The Tell the customers modal for an `Offer`."""
    shown = offer.tickets[:SHOWN]
    rest = offer.tickets[SHOWN:]
    n = len(offer.tickets)
    head = f"*{escape(offer.bug)}* is done. Send this public reply to the customers below"
    if offer.told:
        head += f" ({offer.told} told already, not listed)"
    blocks: list[Block] = [
        section(head + "."),
        {
            "type": "input",
            "block_id": F.REPLY,
            "label": plain("Public reply", 2000),
            "element": {
                "type": "plain_text_input",
                "action_id": F.REPLY,
                "multiline": True,
                "max_length": REPLY_LIMIT,
                "initial_value": cut(offer.body, REPLY_LIMIT, ""),
            },
        },
    ]
    for i in range(0, len(shown), PER_BLOCK):
        part = shown[i : i + PER_BLOCK]
        label = "Tickets" if i == 0 else f"Tickets {i + 1}–{i + len(part)}"
        blocks.append(
            _checkboxes(f"{F.TICKETS}_{i // PER_BLOCK}", label, [_ticket_option(t) for t in part])
        )
    if rest:
        option = _option("all", f"The other {len(rest)} linked tickets waiting on it")
        blocks.append(_checkboxes(F.OTHERS, f"And {len(rest)} more", [option]))
    status_options = [_option(v or "keep", label) for v, label in STATUS_LABELS.items()]
    blocks.append(
        {
            "type": "input",
            "block_id": F.STATUS,
            "optional": True,
            "label": plain("Then set the ticket status to", 2000),
            "element": {
                "type": "static_select",
                "action_id": F.STATUS,
                "options": status_options,
                "initial_option": status_options[0],
            },
        }
    )
    blocks.append(context(f"{n} ticket{'s' if n != 1 else ''} waiting. Each gets the reply once."))
    meta = {
        "bug": offer.bug,
        "transition": offer.transition_id,
        "shown": [t.id for t in shown],
        **offer.scope,
    }
    return {
        "type": "modal",
        "callback_id": View.CUSTOMERS_FORM,
        "title": plain("Tell the customers", 24),
        "submit": plain("Send", 24),
        "close": plain("Cancel", 24),
        "private_metadata": json.dumps(meta, separators=(",", ":")),
        "blocks": blocks,
    }


def read(values: dict[str, Any]) -> tuple[str, list[int], bool, str | None]:
    """(reply, ticked ticket ids, whether the other tickets are chosen, new status)."""
    reply = str((values.get(F.REPLY, {}).get(F.REPLY) or {}).get("value") or "")
    ticked: list[int] = []
    others = False
    for block_id, inputs in values.items():
        for element in inputs.values():
            chosen = [o.get("value") for o in element.get("selected_options") or []]
            if block_id.startswith(F.TICKETS):
                ticked += [int(v) for v in chosen if str(v).isdigit()]
            elif block_id == F.OTHERS:
                others = "all" in chosen
    status = (values.get(F.STATUS, {}).get(F.STATUS) or {}).get("selected_option") or {}
    value = status.get("value")
    return reply, ticked, others, (value if value in ("pending", "solved") else None)


def first_tickets_block(meta: dict[str, Any]) -> str:
    """The block a 'pick a ticket' error is shown on."""
    return f"{F.TICKETS}_0" if meta.get("shown") else F.OTHERS


def nobody_left(key: str, told: int) -> str:
    """Why the modal does not open: no customer left to tell."""
    if told:
        return (
            f"Every customer waiting on {escape(key)} has been told already ({told}); "
            "each thread shows who told them."
        )
    return (
        f"No ticket linked to {escape(key)} is still open or was solved while waiting, "
        "or its helpdesk takes no replies from here."
    )


def queued(key: str, n: int, already: int) -> Message:
    """The DM confirming a submission."""
    if not n:
        text = (
            f"Nobody new to tell about {escape(key)}: the {already} chosen had been told already "
            "or no longer wait on it."
        )
        return fallback(text), []
    text = f":mega: Telling {n} customer{'s' if n != 1 else ''} that {escape(key)} is fixed."
    if already:
        text += f" {already} chosen had been told already or no longer wait on it; skipped."
    text += " Each ticket's thread records it once the helpdesk has the reply."
    return fallback(text), []


def told_in_thread(key: str, user_id: str, body: str, status: str | None) -> Message:
    """The thread's record of who told the customer what."""
    then = f" and set the ticket to *{status}*" if status else ""
    quoted = "\n".join("> " + line for line in escape(cut(body, 2500)).splitlines() or [""])
    text = f":mega: <@{user_id}> told the customer that {escape(key)} is fixed{then}:\n{quoted}"
    return fallback(text), []


def delayed(label: str, error: str) -> Message:
    """The DM when the helpdesk does not take a reply yet (once per submission)."""
    text = (
        f":warning: The helpdesk did not take the reply to {escape(label)} yet "
        f"({escape(cut(error, 300))}). Replies are retried automatically; you will hear of any "
        "given up."
    )
    return fallback(text), []


def gave_up(label: str, error: str) -> Message:
    """The DM when a reply is given up."""
    text = (
        f":x: Could not tell the customer of {escape(label)}: {escape(cut(error, 300))}. "
        "Gave up; reply on the ticket by hand."
    )
    return fallback(text), []


def already_told(tellers: Sequence[str]) -> str:
    """A reopen DM's line: how many of the person's customers were told it was fixed, by whom."""
    people = sorted({f"<@{who}>" for who in tellers})
    n = len(tellers)
    return (
        f"{n} customer{'s' if n != 1 else ''} had been told it was fixed (by "
        f"{', '.join(people)}); nothing was sent to them now."
    )
