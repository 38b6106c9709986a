"""Demo chapters: what leads and product owners see — the queue, bugs by support load, the
numbers of the week, a lead's App Home — and the weekly digest."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from bot.demo.transcript import render_ephemeral, render_thread, render_view
from scheduling.sweeps import directory

if TYPE_CHECKING:
    from bot.demo.story import Demo

SUPPORT = "C0SUPPORT"


def queue_and_load(demo: Demo) -> None:
    """`/support queue`, `/support bugs`, `/support stats`, `/support sla`, and Lee's Home."""
    from bot.demo.story import step

    runtime = demo.runtime
    # The hourly directory job learns the workspace's address, so listings link to threads.
    directory.refresh(runtime.factory, runtime.clients, [], demo.clock.now())
    z = demo.zendesk
    frank = z.add_user("Frank Customer", email="frank@hooli.example")
    demo.clock.advance(hours=1)
    step("Frank's whole team is locked out: an urgent ticket starts its thread in #support")
    ticket = z.create_ticket(
        "Everything is down for our whole team",
        "Nobody at Hooli can log in this morning.",
        requester_id=frank["id"],
        priority="urgent",
    )
    demo.settle()
    root = next(m for m in demo.slack.messages(SUPPORT) if f"#{ticket['id']}:" in m["text"])
    print(render_thread(demo.slack, SUPPORT, root, "new thread in #support"))
    demo.clock.advance(minutes=40)

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


def weekly_digest(demo: Demo) -> None:
    """The next Monday at 09:00 the weekly digest goes out in #support."""
    from bot.demo.story import step

    now = demo.clock.now()
    monday = (now + timedelta(days=(7 - now.weekday()) % 7 or 7)).replace(
        hour=9, minute=0, second=0, microsecond=0
    )
    demo.clock.set(monday + timedelta(seconds=30))  # the first scheduler tick after 09:00
    step("Monday 09:00: the weekly digest goes out in #support")
    demo.run_job("digest")
    digest = [m for m in demo.slack.messages(SUPPORT) if "Weekly support digest" in m["text"]]
    print(render_thread(demo.slack, SUPPORT, digest[-1], "#support"))
