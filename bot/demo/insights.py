"""Demo chapters: what leads and product owners see — the queue, bugs by support load, the
numbers of the week, a lead's App Home — an emerging pattern filed as one bug, and the weekly
digest with its chart."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from bot.demo.transcript import render_channel, render_ephemeral, render_thread, render_view
from scheduling.sweeps import directory

if TYPE_CHECKING:
    from bot.demo.story import Demo

SUPPORT = "C0SUPPORT"
LEADS = "C0LEADS"


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


def _initial(view: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for block in view["blocks"]:
        element = block.get("element") or {}
        if block.get("type") == "input" and "initial_value" in element:
            values[block["block_id"]] = element["initial_value"]
        elif block.get("type") == "input" and "initial_option" in element:
            values[block["block_id"]] = element["initial_option"]["value"]
    return values


def emerging_pattern(demo: Demo) -> None:
    """Six invoices go wrong in an afternoon: the leads hear of it, and Lee files one bug."""
    from bot.demo.story import step

    z = demo.zendesk
    step("Six customers write in about wrong invoice totals within a few hours")
    for i, name in enumerate(["Gina", "Hal", "Ivy", "Jon", "Kim", "Lou"]):
        customer = z.add_user(f"{name} Customer", email=f"{name.lower()}@initech.example")
        z.create_ticket(
            f"Invoice total is wrong ({name})",
            "The invoice adds VAT twice.",
            requester_id=customer["id"],
            tags=["invoice"],
        )
        demo.clock.advance(minutes=20 + i)
    demo.settle()
    for message in demo.slack.messages(SUPPORT):
        if "Invoice total is wrong (" in message["text"]:
            print(f"  new thread in #support: {message['text']}")

    step("The patterns sweep raises the spike to the leads in #support-leads")
    demo.run_job("patterns")
    print(render_channel(demo.slack, LEADS, "#support-leads"))

    step("Lee clicks File one bug for all: the File bug modal lists the six tickets")
    alert = next(m for m in demo.slack.messages(LEADS) if "Emerging pattern" in m["text"])
    opened = demo.driver.block_action("U0LEE", "pattern_file", message=alert, channel_id=LEADS)
    assert opened.view is not None, opened.ephemeral
    print(render_view(opened.view, "modal opened for @lee", demo.slack))
    values = _initial(opened.view)
    print("  Summary (prefilled): " + values["bug_summary"])
    print("  Description (prefilled):\n    " + values["bug_description"].replace("\n", "\n    "))
    values["bug_summary"] = "Invoices add VAT twice"
    print("  Lee changes the summary to “Invoices add VAT twice” and files it.")
    demo.driver.view_submission("U0LEE", opened.view, values)
    demo.settle()
    demo.settle()  # the remote links, after the issue exists
    threads = demo.slack.messages(SUPPORT)
    root = next(m for m in threads if "Invoice total is wrong (Lou)" in m["text"])
    print(render_thread(demo.slack, SUPPORT, root, "one of the six threads in #support"))

    step("`/support patterns` lists today's and this week's patterns")
    answer = demo.driver.command("/support", "patterns", user_id="U0LEE", channel_id=SUPPORT)
    print(render_ephemeral(answer.json, "ephemeral reply to @lee", demo.slack))


def weekly_digest(demo: Demo) -> None:
    """The next Monday at 09:00 the weekly digest goes out in #support."""
    from bot.demo.story import step

    now = demo.clock.now()
    monday = (now + timedelta(days=(7 - now.weekday()) % 7 or 7)).replace(
        hour=9, minute=0, second=0, microsecond=0
    )
    demo.clock.set(monday + timedelta(seconds=30))  # the first scheduler tick after 09:00
    step("Monday 09:00: the weekly digest goes out in #support, its chart right after it")
    demo.run_job("digest")
    digest = [m for m in demo.slack.messages(SUPPORT) if "Weekly support digest" in m["text"]]
    print(render_thread(demo.slack, SUPPORT, digest[-1], "#support"))
    for chart in demo.slack.messages(SUPPORT):
        if chart.get("files") and float(chart["ts"]) > float(digest[-1]["ts"]):
            print(render_thread(demo.slack, SUPPORT, chart, "#support"))
