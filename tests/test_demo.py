"""`supportbot demo` runs the real app against the simulators and shows every chapter."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.demo.story import DemoClock, story_start


def test_the_demo_tells_the_whole_story(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_"))}
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "demo"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    shown = result.stdout
    assert "Traceback" not in shown + result.stderr
    for expected in (
        "delivered through the outbox",  # foundation: a message through the outbox
        "supportbot commands",  # /support help
        "Zendesk #1",  # a ticket's thread
        "chat-support",  # a rotation
        "SUP-1",  # a bug filed from a thread
        "[Link to SUP-1]",  # a new ticket finds an earlier one and its bug
        "@cam _by email_",  # a helpdesk agent found in Slack by email
        "Filed as Jira bug SUP-2",  # the Zendesk ticket's note naming the bug
        "@cam (assignee)",  # the assignee mentioned when the bug is fixed
        "── DM with @cam",  # and told in a DM
        "*Fixed since you last looked*",  # an agent's App Home
        ":mega: @ada told the customer that SUP-1 is fixed",  # customers told, in the thread
        "status pending, public replies: ['Good news",  # once each, on the Zendesk ticket
        "has been told already",  # and nobody twice
        "@bob is on it",  # a question taken by the engineer on shift
        "*Hand-off: payments-oncall*",  # a hand-off to the next person
        "@payments-now now reaches: @bea",  # the on-shift group follows the shift
        "*Support queue*",  # the queue
        "*Bugs by support load*",  # bugs by support load
        "*Support stats",  # the week in numbers
        "App Home of @lee",  # a lead's App Home
        "*Today's shifts*",
    ):
        assert expected in shown, expected
    assert shown.rstrip().endswith("serves the same app for your workspace.")
    for expected in (
        "status new → *open* · assignee → *Bob Billing* · group → *Billing*",  # one reply
        "its thread starts in #refunds",  # a routing rule at work
        "── #refunds",
        ":warning: First response at risk",  # an SLA alert in a thread
        "*Weekly support digest*",  # the digest at its time
        "*Emerging pattern:* tag `invoice`",  # a spike raised to the leads
        "@lee filed SUP-3",  # one bug filed for all the spike's tickets
        "[image Support, 8 weeks to",  # the digest's chart, with its alt text
        "(covering a no-show by @bob)",  # who is on now, as the story left it
    ):
        assert expected in shown, expected
    assert "<!date" not in shown and "<@U" not in shown  # shown as people read them
    steps = shown.split("\n### ")[1:]
    empty = [s.splitlines()[0] for s in steps if not "".join(s.splitlines()[1:]).strip()]
    assert not empty, f"headed steps that show nothing: {empty}"


def test_the_story_clock_only_moves_forward() -> None:
    start = story_start(datetime(2026, 12, 2, 15, 0, tzinfo=UTC))  # a Wednesday afternoon
    assert start == datetime(2026, 12, 7, 9, 30, tzinfo=UTC)  # the coming Monday morning
    assert story_start(start) == start
    clock = DemoClock(start)
    assert clock.advance(hours=2) == start + timedelta(hours=2)
    assert clock.set(start + timedelta(days=1)) == start + timedelta(days=1)
    with pytest.raises(ValueError, match="only moves forward"):
        clock.set(start)
    assert clock.now() == start + timedelta(days=1)
