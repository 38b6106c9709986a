"""Demo chapter: a bug fixed → the customers told, from the close notice, once each."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.demo.transcript import message_lines, render_ephemeral, render_view, user_names
from bot.ids import CustomerField as F

if TYPE_CHECKING:
    from bot.demo.story import Demo

SUPPORT = "C0SUPPORT"


def _root(demo: Demo, subject: str) -> dict[str, Any]:
    return next(m for m in demo.slack.messages(SUPPORT) if subject in m["text"])


def _form_values(view: dict[str, Any], reply: str, status: str) -> dict[str, Any]:
    values: dict[str, Any] = {F.REPLY: reply, F.STATUS: status}
    for block in view["blocks"]:
        element = block.get("element") or {}
        if "initial_options" in element:
            values[block["block_id"]] = [o["value"] for o in element["initial_options"]]
    return values


def customers_told(demo: Demo) -> None:
    """Ada tells both customers waiting on SUP-1 that it is fixed; a second try tells no one."""
    from bot.demo.story import step

    names = user_names(demo.slack)
    first = _root(demo, "Checkout fails with a saved card")
    second = _root(demo, "Cannot pay for my order")
    notice = next(m for m in demo.slack.replies(SUPPORT, first["ts"]) if "is done" in m["text"])

    demo.clock.advance(minutes=10)
    step("Ada clicks *Tell the customers* on the close notice: the reply is filled in for SUP-1")
    opened = demo.driver.block_action(
        "U0ADA", "customers_tell", value="SUP-1", message=notice, channel_id=SUPPORT
    )
    print(render_view(opened.view, "Tell the customers (modal)", demo.slack))
    filled = next(b for b in opened.view["blocks"] if b.get("block_id") == F.REPLY)
    print(f"  (the reply starts as: {filled['element']['initial_value']!r})")
    for block in opened.view["blocks"]:
        if str(block.get("block_id", "")).startswith(F.TICKETS):
            for option in block["element"]["options"]:
                print(f"  [x] {option['text']['text']}")

    demo.clock.advance(minutes=1)
    step("She adds a line, sets the tickets to pending, and sends (the double click is harmless)")
    reply = filled["element"]["initial_value"] + " Please update the app to 2.4."
    values = _form_values(opened.view, reply, "pending")
    demo.driver.view_submission("U0ADA", opened.view, values)
    demo.driver.view_submission("U0ADA", opened.view, values)
    demo.settle()
    for root in (first, second):
        ticket_id = root["text"].split("Zendesk #")[1].split(":")[0]
        told = [
            r for r in demo.slack.replies(SUPPORT, root["ts"]) if "told the customer" in r["text"]
        ]
        print(f"── thread of Zendesk #{ticket_id} (the record) " + "─" * 20)
        for record in told:
            print("\n".join("  " + line for line in message_lines(record, names)))
        ticket = demo.zendesk.tickets[int(ticket_id)]
        public = [c["body"] for c in demo.zendesk.comments[int(ticket_id)][1:] if c["public"]]
        print(f"  Zendesk #{ticket_id}: status {ticket['status']}, public replies: {public!r}")
    print(f"── DM with @{names['U0ADA']} " + "─" * 40)
    for dm in demo.slack.dms("U0ADA"):
        if "Telling" in dm["text"]:
            print("\n".join("  " + line for line in message_lines(dm, names)))

    demo.clock.advance(minutes=5)
    step("Bob clicks *Tell the customers* too: everyone was told already")
    again = demo.driver.block_action(
        "U0BOB", "customers_tell", value="SUP-1", message=notice, channel_id=SUPPORT
    )
    print(
        render_ephemeral({"text": " ".join(again.ephemeral)}, "ephemeral reply to @bob", demo.slack)
    )
