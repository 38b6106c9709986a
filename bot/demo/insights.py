"""Demo chapter: what leads and product owners see — the queue, bugs by support load, the
numbers of the week, and a lead's App Home."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.demo.transcript import render_ephemeral, render_view
from scheduling.sweeps import directory

if TYPE_CHECKING:
    from bot.demo.story import Demo

SUPPORT = "C0SUPPORT"


def queue_and_load(demo: Demo) -> None:
    """`/support queue`, `/support bugs`, `/support stats`, `/support sla`, and Lee's Home."""
    from bot.demo.story import step

    runtime = demo.runtime
    # The hourly directory job learns the workspace's address, so listings link to threads.
    directory.refresh(runtime.factory, runtime.clients, [], runtime.deps.clock())
    z = demo.zendesk
    frank = z.add_user("Frank Customer", email="frank@hooli.example")
    z.create_ticket(
        "Everything is down for our whole team",
        "Nobody at Hooli can log in since 09:00.",
        requester_id=frank["id"],
        priority="urgent",
    )
    demo.settle()

    def ask(user: str, text: str, title: str) -> None:
        answer = demo.driver.command("/support", text, user_id=user, channel_id=SUPPORT)
        print(render_ephemeral(answer.json, title, demo.slack))

    step("Lee checks the service levels, then the queue (`/support sla`, `/support queue`)")
    ask("U0LEE", "sla", "ephemeral reply to @lee")
    ask("U0LEE", "queue", "ephemeral reply to @lee")

    step("Which bugs generate the most support (`/support bugs`, `/support bugs SUP-1`)")
    ask("U0LEE", "bugs", "ephemeral reply to @lee")
    ask("U0LEE", "bugs SUP-1", "ephemeral reply to @lee")

    step("The week in numbers (`/support stats 7d`)")
    ask("U0LEE", "stats 7d", "ephemeral reply to @lee")

    step("Lee opens the app's Home tab: the queue, today's shifts and no-show alerts")
    demo.driver.app_home_opened("U0LEE")
    demo.settle()
    print(render_view(demo.slack.home("U0LEE"), "App Home of @lee", demo.slack))
