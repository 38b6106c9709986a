"""Demo chapter: a routing rule sends a group's tickets to their own channel, and an
unanswered ticket's SLA alert lands in its thread."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.demo.transcript import render_channel, render_ephemeral, render_thread

if TYPE_CHECKING:
    from bot.demo.story import Demo

SUPPORT = "C0SUPPORT"
REFUNDS = "C0REFUNDS"


def routing_and_sla(demo: Demo) -> None:
    """`/support route add`, a ticket routed by it, and the SLA alert in its thread."""
    from bot.demo.story import step

    z = demo.zendesk
    demo.slack.add_channel(REFUNDS, "refunds", members=["U0ADA", "U0LEE"])
    refunds = z.add_group("Refunds")
    gina = z.add_user("Gina Customer", email="gina@hooli.example")
    demo.clock.advance(minutes=15)

    step("Lee sends the Refunds group's tickets to #refunds (`/support route add`)")
    answer = demo.driver.command(
        "/support",
        f"route add group Refunds <#{REFUNDS}|refunds>",
        user_id="U0LEE",
        channel_id=SUPPORT,
    )
    print(render_ephemeral(answer.json, "ephemeral reply to @lee", demo.slack))

    demo.clock.advance(minutes=5)
    step("A refund request for the Refunds group: its thread starts in #refunds, not #support")
    ticket = z.create_ticket(
        "Refund for a cancelled order",
        "I cancelled order 5120 within the hour but was still charged.",
        requester_id=gina["id"],
        priority="high",
        group_id=refunds["id"],
    )
    demo.settle()
    print(render_channel(demo.slack, REFUNDS, "#refunds"))
    in_support = any(f"#{ticket['id']}:" in m["text"] for m in demo.slack.messages(SUPPORT))
    print(f"  (#support has {'a' if in_support else 'no'} thread for it)")

    demo.clock.advance(hours=3, minutes=5)
    step("Three hours on, nobody has answered Gina: the SLA alert lands in the ticket's thread")
    demo.run_job("sla")
    root = next(m for m in demo.slack.messages(REFUNDS) if f"#{ticket['id']}:" in m["text"])
    print(render_thread(demo.slack, REFUNDS, root, "thread in #refunds"))
