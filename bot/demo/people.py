"""Demo chapter: helpdesk agents found in Slack by email (or mapped by a lead), a bug noted on
the Zendesk tickets it is linked to, each assignee's DM when it is fixed, and an agent's Home."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from bot.demo.transcript import (
    message_lines,
    render_dms,
    render_ephemeral,
    render_view,
    user_names,
)
from bot.ids import BugField as F
from scheduling.sweeps import directory

if TYPE_CHECKING:
    from bot.demo.story import Demo

SUPPORT = "C0SUPPORT"
_KEY = re.compile(r"\bSUP-\d+\b")


def _answer(demo: Demo, user: str, text: str, title: str) -> None:
    """Run `/support <text>` and print what only the user sees (the ack or the later answer)."""
    answer = demo.driver.command("/support", text, user_id=user, channel_id=SUPPORT)
    shown = answer.json
    if not shown and answer.response_url:
        posted = demo.slack.responses(answer.response_url)
        shown = posted[-1] if posted else None
    print(render_ephemeral(shown, title, demo.slack))


def _root(demo: Demo, ticket: dict[str, Any]) -> dict[str, Any]:
    return next(m for m in demo.slack.messages(SUPPORT) if f"Zendesk #{ticket['id']}:" in m["text"])


def _notes(demo: Demo, ticket: dict[str, Any]) -> list[str]:
    return [c["body"] for c in demo.zendesk.comments[ticket["id"]] if not c["public"]]


def _thread_replies(demo: Demo, root: dict[str, Any], phrase: str) -> None:
    names = user_names(demo.slack)
    for reply in demo.slack.replies(SUPPORT, root["ts"]):
        if phrase in reply["text"]:
            for n, line in enumerate(message_lines(reply, names)):
                print(("  ↳ " if n == 0 else "    ") + line)


def agents_and_assignees(demo: Demo) -> None:
    """Agents found by email or mapped by a lead; notes both ways; assignees hear of the fix."""
    from bot.demo.story import step

    z, slack = demo.zendesk, demo.slack
    slack.add_user("U0CAM", "cam", real_name="Cam (support agent)", email="cam@acme.example")
    slack.add_user("U0DEE", "dee", real_name="Dee (contractor)", email="dee@home.example")
    cam = z.add_agent("Cameron Nguyen", email="cam@acme.example")
    dee = z.add_agent("Dee Dalton", email="dee@contractor.example")
    frank = z.add_user("Frank Customer", email="frank@hooli.example")

    step("Two Zendesk tickets are assigned: to Cameron and to Dee, as Zendesk names them")
    blank = z.create_ticket("Invoice PDF is blank", "The PDF has no pages.",
                            requester_id=frank["id"], assignee_id=cam["id"])  # fmt: skip
    wrong = z.create_ticket("Invoice total is wrong", "VAT counted twice.",
                            requester_id=frank["id"], assignee_id=dee["id"])  # fmt: skip
    demo.settle()
    print(
        "  The bot asked Slack who has each agent's email (users.lookupByEmail): Cameron's "
        "Zendesk email is Cam's in Slack; Dee's is not known to Slack."
    )
    _answer(demo, "U0LEE", "people list", "ephemeral reply to @lee: /support people list")

    step("Lee maps Dee's helpdesk email to Dee's Slack account")
    _answer(
        demo, "U0LEE", "people map dee@contractor.example <@U0DEE|dee>",
        "ephemeral reply to @lee: /support people map",
    )  # fmt: skip

    step("Ada files a bug from Cameron's ticket; Bob links Dee's ticket to it")
    opened = demo.driver.block_action("U0ADA", "bug_file", message=_root(demo, blank),
                                      channel_id=SUPPORT)  # fmt: skip
    assert opened.view is not None
    values: dict[str, Any] = {F.SUMMARY: "Invoices render without pages", F.PROJECT: "SUP",
                              F.ISSUE_TYPE: "Bug"}  # fmt: skip
    demo.driver.view_submission("U0ADA", opened.view, values)
    demo.settle()
    key = _KEY.search(_notes(demo, blank)[-1])
    assert key is not None
    bug = key.group(0)
    opened = demo.driver.message_shortcut("link_bug", user_id="U0BOB", channel_id=SUPPORT,
                                          message=_root(demo, wrong))  # fmt: skip
    found = demo.driver.options("bug_search", bug, user_id="U0BOB", view=opened.view)
    option = next(o for o in found.options if o["value"] == bug)
    demo.driver.view_submission("U0BOB", opened.view, {F.PICK: {"bug_search": option}})
    demo.settle()
    print("  The Zendesk tickets learn of the bug at once, as internal notes:")
    for ticket in (blank, wrong):
        print(f"  Zendesk #{ticket['id']} internal note: {_notes(demo, ticket)[-1]!r}")

    step(f"{bug} is fixed: the threads say so, and each assignee gets one DM")
    demo.jira.close(bug, resolution="Fixed", fix_version="2.5", actor="Dev Dora")
    demo.settle()
    for ticket in (blank, wrong):
        print(f"── thread of Zendesk #{ticket['id']} " + "─" * 30)
        _thread_replies(demo, _root(demo, ticket), "is done")
    for user in ("U0CAM", "U0DEE"):
        print(render_dms(slack, user))

    step("Cam opens the Home tab: their tickets, and what was fixed since they last looked")
    runtime = demo.runtime  # the hourly directory job learns the workspace's address (links)
    directory.refresh(runtime.factory, runtime.clients, [], runtime.deps.clock())
    demo.driver.app_home_opened("U0CAM")
    demo.settle()
    print(render_view(slack.home("U0CAM"), "App Home of @cam", slack))
