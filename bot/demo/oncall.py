"""Demo chapter: reaching the engineer on shift from a ticket thread, handing the shift over,
the on-shift user group and topic, and shifts in a calendar.

The rotation is applied half an hour before Bob's shift; the story's clock then moves to his
shift, to its last half hour and to its end, and the sweeps run at each of those moments.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import requests

from bot.db import transaction
from bot.demo.transcript import message_lines, render_channel, render_ephemeral, user_names
from bot.ids import Action
from bot.ids import QuestionField as F
from bot.insights import handoffs
from bot.main import refresh_directory
from bot.rotations import files
from scheduling.sweeps import directory, on_shift

if TYPE_CHECKING:
    from bot.demo.story import Demo

SUPPORT = "C0SUPPORT"
PAYMENTS = "C0PAY"
ROTATIONS = """\
rotations:
  - name: payments-oncall
    channel: C0PAY
    timezone: Europe/Berlin
    leads: [U0LEE]
    users: [U0BOB, U0BEA]
    shifts:
      - {{user: U0BOB, start: "{bob_start}", end: "{bob_end}"}}
      - {{user: U0BEA, start: "{bob_end}", end: "{bea_end}"}}
    areas: [Payments, Refunds]
    escalation_minutes: 10
    usergroup: "@payments-now"
    topic: true
"""


def _at(demo: Demo, moment: datetime, run: Any) -> Any:
    """Move the story's clock to `moment`, run a sweep as it runs then, deliver what it queued."""
    demo.clock.set(moment)
    found = run(moment)
    demo.settle()
    return found


def _button_value(message: dict[str, Any], action: str) -> str:
    return next(
        str(e["value"])
        for b in message.get("blocks") or []
        for e in b.get("elements") or []
        if e.get("action_id") == action
    )


def _show_dm(demo: Demo, user: str, message: dict[str, Any]) -> None:
    names = user_names(demo.slack)
    print(f"── DM with @{names.get(user, user)} " + "─" * 40)
    print("\n".join("  " + line for line in message_lines(message, names)))


def _latest_dm(demo: Demo, user: str, words: str) -> dict[str, Any]:
    return next(m for m in reversed(demo.slack.dms(user)) if words in str(m))


def _on_shift_now(demo: Demo, moment: datetime) -> None:
    """The on-shift sync at `moment`, then what Slack shows."""
    runtime = demo.runtime
    _at(demo, moment, lambda at: on_shift.sync(runtime.factory, runtime.clients, at))
    names = user_names(demo.slack)
    members = [f"@{names.get(u, u)}" for u in demo.slack.usergroup("S0PAYNOW")["users"]]
    print(f"  @payments-now now reaches: {', '.join(members) or 'nobody (disabled)'}")
    print(f"  #payments topic: {demo.slack.conversation(PAYMENTS)['topic']['value']!r}")


def engineers_on_shift(demo: Demo) -> None:
    """Areas and an on-shift group as code, a question taken by the engineer on shift, a
    hand-off at the end of the shift, and the shifts in a calendar."""
    from bot.demo.story import step

    runtime = demo.runtime
    applied = demo.clock.now()
    bob_start = applied + timedelta(minutes=30)
    now, bob_end = bob_start + timedelta(minutes=5), bob_start + timedelta(hours=2)
    demo.slack.add_channel(PAYMENTS, "payments", members=["U0LEE", "U0BOB", "U0BEA", "U0ADA"])
    demo.slack.add_usergroup("S0PAYNOW", "payments-now", "Payments on shift", users=["U0LEE"])
    refresh_directory(runtime.settings, runtime.factory)
    directory.refresh(runtime.factory, runtime.clients, [], now)  # the workspace's address

    step("Lee declares product areas, an on-shift group and a topic in the rotations file")
    text = ROTATIONS.format(
        bob_start=bob_start.isoformat(),
        bob_end=bob_end.isoformat(),
        bea_end=(bob_end + timedelta(hours=2)).isoformat(),
    )
    print("\n".join("  " + line for line in text.splitlines()))
    with transaction(runtime.factory) as session:
        outcomes = files.apply(session, text, actor="U0LEE", now=applied, default_leads=["U0LEE"])
    print("  supportbot rotations apply: " + ", ".join(f"{o.name} {o.action}" for o in outcomes))

    step("Every tick the app keeps @payments-now and the #payments topic on whoever is on")
    _on_shift_now(demo, now)  # five minutes into Bob's shift
    answer = demo.driver.command("/support", "checkin", user_id="U0BOB", channel_id=PAYMENTS)
    print(render_ephemeral(answer.json, "ephemeral reply to @bob", demo.slack))

    step("A customer's refund is missing: Ada asks the engineer on shift from the thread")
    customer = demo.zendesk.add_user("Gina Customer", email="gina@initrode.example")
    demo.zendesk.create_ticket(
        "Refund never arrived", "You promised a refund for order 5521.", requester_id=customer["id"]
    )
    demo.settle()
    root = next(m for m in demo.slack.messages(SUPPORT) if "Refund never arrived" in m["text"])
    opened = demo.driver.block_action("U0ADA", Action.QUESTION_ASK, message=root)
    options = [o["text"]["text"] for o in (opened.view or {})["blocks"][1]["element"]["options"]]
    print("  The Ask an engineer form offers: " + ", ".join(options))
    demo.driver.view_submission(
        "U0ADA",
        opened.view or {},
        {F.AREA: "Refunds", F.TEXT: "Is the refund for order 5521 stuck on our side?"},
    )
    demo.settle()
    ask = _latest_dm(demo, "U0BOB", "I'm on it")
    _show_dm(demo, "U0BOB", ask)

    step("Bob clicks [I'm on it] and answers in the thread")
    demo.driver.block_action(
        "U0BOB", Action.QUESTION_TAKE, message=ask, value=_button_value(ask, Action.QUESTION_TAKE)
    )
    demo.driver.user_message(
        "U0BOB", SUPPORT, "Stuck in the EU refunds queue; replaying it now.", thread_ts=root["ts"]
    )
    demo.settle()
    names = user_names(demo.slack)
    print("── the ticket's thread in #support " + "─" * 30)
    for message in [root, *demo.slack.replies(SUPPORT, root["ts"])]:
        print("\n".join("  " + line for line in message_lines(message, names)))

    step("Half an hour before his shift ends, Bob gets [Hand off] and leaves a note")
    _at(demo, bob_end - timedelta(minutes=30), lambda at: _sweep(demo, at))
    prompt = _latest_dm(demo, "U0BOB", "Hand off")
    _show_dm(demo, "U0BOB", prompt)
    opened = demo.driver.block_action(
        "U0BOB",
        Action.HANDOFF_OPEN,
        message=prompt,
        value=_button_value(prompt, Action.HANDOFF_OPEN),
    )
    note = "The EU refunds queue was stuck at 14:00; watch order 5521 until it lands."
    demo.driver.view_submission("U0BOB", opened.view or {}, {F.HANDOFF_NOTE: note})
    demo.settle()

    step("At the end of the shift Bea, who is next, gets the hand-off; #payments a summary")
    _at(demo, bob_end, lambda at: _sweep(demo, at))
    _show_dm(demo, "U0BEA", _latest_dm(demo, "U0BEA", "Hand-off"))
    print(render_channel(demo.slack, PAYMENTS, "#payments"))
    _on_shift_now(demo, bob_end)

    step("Bob puts his shifts in his calendar (`/support calendar`)")
    answer = demo.driver.command("/support", "calendar", user_id="U0BOB", channel_id=PAYMENTS)
    print(render_ephemeral(answer.json, "ephemeral reply to @bob", demo.slack))
    link = re.search(r"/calendar/[A-Za-z0-9_-]+\.ics", answer.json["text"])
    if link:
        body = requests.get(demo.server.url + link.group(0), timeout=10).text
        event = body[body.index("BEGIN:VEVENT") :].split("END:VEVENT")[0]
        shown = [line for line in event.splitlines() if line.startswith(("DTSTART", "SUMMARY"))]
        print("  the feed's first event: " + " · ".join(shown))


def _sweep(demo: Demo, at: datetime) -> dict[str, int]:
    with transaction(demo.runtime.factory) as session:
        return handoffs.sweep(session, at)
