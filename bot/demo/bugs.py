"""Demo chapter: a bug filed into Jira from a ticket thread, a second ticket linked to it, and
everyone waiting told when it is fixed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.demo.transcript import message_lines, render_view, user_names
from bot.events import bug_config
from bot.ids import BugField as F
from scheduling.sweeps import jira_poll

if TYPE_CHECKING:
    from bot.demo.story import Demo

SUPPORT = "C0SUPPORT"


def _thread(demo: Demo, root: dict[str, Any], title: str) -> None:
    names = user_names(demo.slack)
    print(f"── {title} " + "─" * max(4, 60 - len(title)))
    for line in message_lines(root, names):
        print("  " + line)
    for reply in demo.slack.replies(SUPPORT, root["ts"]):
        for n, line in enumerate(message_lines(reply, names)):
            print(("      ↳ " if n == 0 else "        ") + line)


def _initial(view: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for block in view["blocks"]:
        element = block.get("element") or {}
        if block.get("type") != "input":
            continue
        if "initial_value" in element:
            values[block["block_id"]] = element["initial_value"]
        elif "initial_option" in element:
            values[block["block_id"]] = element["initial_option"]["value"]
    return values


def bug_life(demo: Demo) -> None:
    """File a bug from a thread, link a second ticket, close the bug in Jira, see who hears."""
    from bot.demo.story import step

    runtime = demo.runtime
    now = demo.clock.advance(hours=2)
    jira_poll.refresh_meta(runtime.factory, runtime.clients, bug_config(runtime.settings), now)
    z = demo.zendesk
    dana = z.add_user("Dana Customer", email="dana@initech.example")
    eve = z.add_user("Eve Customer", email="eve@umbrella.example")

    step("Two customers hit the same problem: each ticket gets its thread in #support")
    first = z.create_ticket(
        "Checkout fails with a saved card",
        "Paying with my saved Visa fails.",
        requester_id=dana["id"],
    )
    second = z.create_ticket(
        "Cannot pay for my order", "The pay button spins forever.", requester_id=eve["id"]
    )
    demo.settle()
    roots = {
        t["id"]: next(
            m for m in demo.slack.messages(SUPPORT) if f"Zendesk #{t['id']}:" in m["text"]
        )
        for t in (first, second)
    }
    for ticket in (first, second):
        _thread(demo, roots[ticket["id"]], f"thread of Zendesk #{ticket['id']}")
    demo.clock.advance(minutes=30)
    message, _ = demo.driver.user_message(
        "U0ADA",
        SUPPORT,
        "Reproduced: only cards saved before May fail.",
        thread_ts=roots[first["id"]]["ts"],
    )

    demo.clock.advance(minutes=2)
    step("Ada uses the *File bug* shortcut on her reply: the modal opens prefilled")
    opened = demo.driver.message_shortcut(
        "file_bug", user_id="U0ADA", channel_id=SUPPORT, message=message
    )
    print(render_view(opened.view, "File a Jira bug (modal)", demo.slack))
    prefilled = _initial(opened.view)
    print(
        f"  (prefilled: summary {prefilled[F.SUMMARY]!r}, project {prefilled[F.PROJECT]}, "
        f"type {prefilled[F.ISSUE_TYPE]}; Ada's reply is ticked to be quoted)"
    )
    values = {
        **_initial(opened.view),
        F.MESSAGES: [message["ts"]],
        F.PRIORITY: "High",
        F.COMPONENTS: ["SUP:Billing"],
        F.LABELS: "checkout",
    }
    demo.driver.view_submission("U0ADA", opened.view, values)
    demo.settle()
    _thread(demo, roots[first["id"]], f"thread of Zendesk #{first['id']}")
    issue = demo.jira.issue("SUP-1")["fields"]
    print(
        f"\n  Jira SUP-1: {issue['summary']!r}, {issue['priority']['name']}, "
        f"components {[c['name'] for c in issue['components']]}"
    )
    print("  description:\n    " + issue["description"].replace("\n", "\n    "))
    for link in demo.jira.remote_links("SUP-1"):
        print(f"    remote link: {link['object']['title']} → {link['object']['url']}")

    demo.clock.advance(minutes=40)
    step("Bob links the second ticket to the same bug, searching Jira by words")
    opened = demo.driver.message_shortcut(
        "link_bug", user_id="U0BOB", channel_id=SUPPORT, message=roots[second["id"]]
    )
    found = demo.driver.options("bug_search", "checkout sav", user_id="U0BOB", view=opened.view)
    print("  search “checkout sav” offers: " + ", ".join(o["text"]["text"] for o in found.options))
    demo.driver.view_submission("U0BOB", opened.view, {F.PICK: {"bug_search": found.options[0]}})
    demo.settle()
    _thread(demo, roots[second["id"]], f"thread of Zendesk #{second['id']}")
    for comment in demo.jira.comments("SUP-1"):
        print(f"\n  Jira SUP-1 comment: {comment['body']}")

    demo.clock.advance(hours=5)
    step("A developer fixes it: Jira moves SUP-1 to Done (fix version 2.4) and calls the webhook")
    demo.jira.close("SUP-1", resolution="Fixed", fix_version="2.4", actor="Dev Dora")
    demo.settle()
    for ticket in (first, second):
        _thread(demo, roots[ticket["id"]], f"thread of Zendesk #{ticket['id']}")
    names = user_names(demo.slack)
    for user in ("U0ADA", "U0BOB"):
        print(f"── DM with @{names[user]} (about the bug) " + "─" * 30)
        for dm in demo.slack.dms(user):
            if "SUP-1" in dm["text"]:
                print("\n".join("  " + line for line in message_lines(dm, names)))
    for ticket in (first, second):
        note = [c for c in z.comments[ticket["id"]] if not c["public"]][-1]
        print(f"  Zendesk #{ticket['id']} internal note: {note['body']!r}")

    demo.clock.advance(hours=1)
    step("A third customer reports it in other words: the new thread lists the earlier tickets")
    frank = z.add_user("Frank Customer", email="frank@hooli.example")
    third = z.create_ticket(
        "Saved card fails at checkout",
        "Checkout with my saved Mastercard fails every time.",
        requester_id=frank["id"],
    )
    demo.settle()
    root = next(m for m in demo.slack.messages(SUPPORT) if f"Zendesk #{third['id']}:" in m["text"])
    _thread(demo, root, f"thread of Zendesk #{third['id']}")
    reply = next(
        r for r in demo.slack.replies(SUPPORT, root["ts"]) if "Earlier tickets" in r["text"]
    )
    button = next(b for b in reply["blocks"] if b.get("accessory"))
    step(f"Ada clicks *{button['accessory']['text']['text']}*: one click links the new ticket")
    demo.driver.block_action(
        "U0ADA",
        "bug_link_similar",
        message={**reply, "thread_ts": root["ts"]},
        channel_id=SUPPORT,
        block_id=button["block_id"],
    )
    demo.settle()
    _thread(demo, root, f"thread of Zendesk #{third['id']}")
