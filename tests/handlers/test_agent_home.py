"""An agent's App Home: their tickets with thread links and SLA state, the bugs those wait on,
and the tickets whose bug was fixed since they last looked."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from bug_helpers import file_bug, link_ticket
from harness import TravellingClock

from scheduling.sweeps import directory

SUPPORT = "C0SUPPORT"


@pytest.fixture
def clock() -> Iterator[TravellingClock]:
    """One clock for the app, the simulators and Python: Slack requests hours later are signed
    (and checked) then too."""
    start = datetime.now(UTC).replace(microsecond=0)
    with time_machine.travel(start, tick=False) as traveller:
        yield TravellingClock(start, traveller)


def _home(app: Any, user: str) -> str:
    app.driver.app_home_opened(user)
    app.settle()
    view = app.slack.home(user)
    assert view is not None
    return json.dumps(view["blocks"], ensure_ascii=False)


def _section(shown: str, title: str) -> str:
    """The text of the section (or header and its section) that starts with `title`."""
    blocks = json.loads(shown)
    for n, block in enumerate(blocks):
        text = (block.get("text") or {}).get("text", "")
        if block["type"] == "header" and text == title:
            return blocks[n + 1]["text"]["text"]
        if block["type"] == "section" and text.startswith(f"*{title}*"):
            return text
    return ""


def _root(app: Any, ticket: dict[str, Any]) -> dict[str, Any]:
    return next(m for m in app.slack.messages(SUPPORT) if f"Zendesk #{ticket['id']}:" in m["text"])


def test_an_agent_sees_their_tickets_the_bugs_they_wait_on_and_fresh_fixes(bugdesk: Any) -> None:
    app, z = bugdesk, bugdesk.zendesk
    app.slack.add_user("U0CAM", "cam", real_name="Cam Nguyen", email="cam@acme.test")
    cam = z.add_agent("Cameron N.", email="cam@acme.test")
    bob = z.add_agent("Bob Backup", email="bob@acme.test")
    carla = z.add_user("Carla Customer", email="carla@globex.test")
    urgent = z.create_ticket("Checkout fails", "Card declined", requester_id=carla["id"],
                             priority="urgent", assignee_id=cam["id"])  # fmt: skip
    slow = z.create_ticket("Export is slow", "Takes ages", requester_id=carla["id"],
                           priority="low", assignee_id=cam["id"])  # fmt: skip
    other = z.create_ticket("Someone else's", "Not Cam's", requester_id=carla["id"],
                            assignee_id=bob["id"])  # fmt: skip
    done = z.create_ticket("Solved already", "Done", requester_id=carla["id"],
                           assignee_id=cam["id"])  # fmt: skip
    app.settle()
    z.solve(done["id"])
    directory.refresh(app.runtime.factory, app.runtime.clients, [], app.clock.now())
    app.settle()
    file_bug(app, _root(app, urgent))
    app.settle()
    export_bug = app.jira.create_issue(summary="Exports time out")
    link_ticket(app, _root(app, slow), export_bug)
    app.clock.advance(minutes=50)  # the urgent ticket's first response is at risk after 45m

    shown = _home(app, "U0CAM")
    mine = _section(shown, "Your tickets")
    assert f"#{urgent['id']} Checkout fails" in mine and f"#{slow['id']} Export is slow" in mine
    assert f"#{other['id']}" not in mine and f"#{done['id']}" not in mine
    assert mine.index("Checkout fails") < mine.index("Export is slow")  # at risk first
    assert "*first response at risk*" in mine
    assert "https://acme.slack.com/archives/C0SUPPORT/p" in mine  # linked to the threads
    waiting = _section(shown, "Bugs your tickets wait on")
    assert "SUP-1" in waiting and export_bug in waiting and "*To Do*" in waiting
    assert "Fixed since you last looked" not in shown

    app.clock.advance(minutes=5)
    app.jira.close("SUP-1", resolution="Fixed")
    app.settle()
    app.clock.advance(minutes=5)
    fixed = _section(_home(app, "U0CAM"), "Fixed since you last looked")
    assert "SUP-1" in fixed and "(Fixed)" in fixed and f"#{urgent['id']} Checkout fails" in fixed
    assert "SUP-1" not in _section(_home(app, "U0CAM"), "Bugs your tickets wait on")

    app.clock.advance(minutes=5)  # seen: the next visit no longer calls it news
    assert "Fixed since you last looked" not in _home(app, "U0CAM")


def test_an_agent_without_open_tickets_is_told_so_and_others_see_no_agent_section(
    bugdesk: Any,
) -> None:
    app = bugdesk
    app.slack.add_user("U0CAM", "cam", real_name="Cam Nguyen", email="cam@acme.test")
    cam = app.zendesk.add_agent("Cameron N.", email="cam@acme.test")
    carla = app.zendesk.add_user("Carla Customer", email="carla@globex.test")
    ticket = app.zendesk.create_ticket("Hello", "Hi", requester_id=carla["id"],
                                       assignee_id=cam["id"])  # fmt: skip
    app.settle()
    app.zendesk.solve(ticket["id"])
    app.settle()
    assert "No open tickets are assigned to you" in _section(_home(app, "U0CAM"), "Your tickets")
    assert "Your tickets" not in _home(app, "U0AGENT")


def test_a_lead_mapping_moves_the_tickets_to_another_home(bugdesk: Any) -> None:
    app = bugdesk
    nora = app.zendesk.add_agent("Nora Nobody", email="nora@contractor.test")
    carla = app.zendesk.add_user("Carla Customer", email="carla@globex.test")
    ticket = app.zendesk.create_ticket("Hello", "Hi", requester_id=carla["id"],
                                       assignee_id=nora["id"])  # fmt: skip
    app.settle()
    assert "Your tickets" not in _home(app, "U0AGENT")
    app.driver.command(
        "/support", "people map nora@contractor.test <@U0AGENT>", user_id="U0LEAD",
        channel_id=SUPPORT,
    )  # fmt: skip
    assert f"#{ticket['id']} Hello" in _section(_home(app, "U0AGENT"), "Your tickets")
