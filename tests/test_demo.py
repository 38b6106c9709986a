"""`supportbot demo` runs the real app against the simulators and shows every chapter."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


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
        "@cam _by email_",  # a helpdesk agent found in Slack by email
        "Filed as Jira bug SUP-2",  # the Zendesk ticket's note naming the bug
        "@cam (assignee)",  # the assignee mentioned when the bug is fixed
        "── DM with @cam",  # and told in a DM
        "*Fixed since you last looked*",  # an agent's App Home
        "*Support queue*",  # the queue
        "*Bugs by support load*",  # bugs by support load
        "*Support stats",  # the week in numbers
        "App Home of @lee",  # a lead's App Home
        "*Today's shifts*",
    ):
        assert expected in shown, expected
    assert shown.rstrip().endswith("serves the same app for your workspace.")
