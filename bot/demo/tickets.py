"""Demo chapter: a Zendesk ticket's life as the one Slack thread that follows it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.demo.transcript import readable, render_channel, render_thread

if TYPE_CHECKING:
    from bot.demo.story import Demo

SUPPORT = "C0SUPPORT"


def ticket_life(demo: Demo) -> None:
    """Created, commented, reassigned, answered from Slack as an internal note, solved."""
    from bot.demo.story import step

    z = demo.zendesk
    org = z.add_organization("Globex Corp")
    carla = z.add_user("Carla Customer", email="carla@globex.example", organization_id=org["id"])
    ada = z.add_agent("Ada Agent", email="ada@acme.example")
    bob = z.add_agent("Bob Billing", email="bob@acme.example")
    billing = z.add_group("Billing")

    step("A customer opens a Zendesk ticket: supportbot starts its thread in #support")
    ticket = z.create_ticket(
        "Charged twice for my subscription",
        "Hi, my card was charged twice this month. Order 4471.",
        requester_id=carla["id"],
        priority="high",
        organization_id=org["id"],
        tags=["billing", "refund"],
    )
    demo.settle()
    print(render_channel(demo.slack, SUPPORT, "#support"))

    demo.clock.advance(minutes=5)
    step("Ada replies to the customer in Zendesk, then hands the ticket to Bob in Billing")
    z.add_comment(
        ticket["id"], "Sorry about that, Carla! We are looking into it now.", author_id=ada["id"]
    )
    z.update_ticket(
        ticket["id"],
        assignee_id=bob["id"],
        group_id=billing["id"],
        status="open",
        actor_id=ada["id"],
    )
    demo.settle()
    root = next(m for m in demo.slack.messages(SUPPORT) if "Zendesk #" in m["text"])
    print("  (one reply per Zendesk update, naming who made it)")
    print(render_thread(demo.slack, SUPPORT, root, "thread in #support"))

    demo.clock.advance(minutes=10)
    step("Bob answers in the Slack thread and sends it to the ticket as an internal note")
    message, _ = demo.driver.user_message(
        "U0BOB",
        SUPPORT,
        "Duplicate charge confirmed in Stripe; refund issued.",
        thread_ts=root["ts"],
    )
    answer = demo.driver.message_shortcut(
        "send_to_ticket", user_id="U0BOB", channel_id=SUPPORT, message=message
    )
    print("  (only Bob sees) " + " / ".join(readable(t, demo.slack) for t in answer.ephemeral))
    demo.settle()
    note = [c for c in z.comments[ticket["id"]] if not c["public"]][-1]
    print(f"  Zendesk now holds the internal note: {note['body']!r}")

    demo.clock.advance(minutes=20)
    step("Bob solves the ticket in Zendesk: the root message and the thread follow")
    z.solve(ticket["id"], actor_id=bob["id"])
    demo.settle()
    print(render_channel(demo.slack, SUPPORT, "#support"))
