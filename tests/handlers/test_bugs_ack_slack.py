"""The bug listeners answer Slack in time: the ack goes before any network call, and the Link
modal's search answers within Slack's 3 seconds while Jira hangs."""

from __future__ import annotations

import time
from typing import Any

from bug_helpers import SUPPORT, ticket_thread

# Slack waits 3 seconds for the answer to an options request.
OPTIONS_DEADLINE = 3.0


def test_the_link_shortcut_is_acknowledged_before_an_unknown_user_is_read(bugdesk: Any) -> None:
    bugdesk.slack.add_user("U0NEW", "nia", real_name="Nia New")
    _, root = ticket_thread(bugdesk)
    bare = bugdesk.bare_driver()
    with bugdesk.slack.hold("users.info", timeout=5) as held:
        opened = bare.message_shortcut(
            "link_bug", user_id="U0NEW", channel_id=SUPPORT, message=root
        )
        assert opened.status == 200
        assert opened.view is None and opened.ephemeral == []  # acknowledged, nothing shown yet
        assert held.wait_arrival()  # then the app asks Slack who U0NEW is
    bugdesk.followed()
    assert opened.view is not None and opened.view["callback_id"] == "bug_link_form"
    [call] = bugdesk.slack.calls_to("users.info")
    assert call.args["user"] == "U0NEW"
    bare.close()


def test_a_hanging_jira_does_not_hold_up_the_link_modal_or_its_search(bugdesk: Any) -> None:
    _, root = ticket_thread(bugdesk)
    with bugdesk.jira.hold("search.jql", timeout=OPTIONS_DEADLINE + 1) as held:
        asked = bugdesk.jira.request_count
        opened = bugdesk.driver.message_shortcut(
            "link_bug", user_id="U0AGENT", channel_id=SUPPORT, message=root
        )
        assert opened.view is not None  # the modal opens from the database alone
        assert bugdesk.jira.request_count == asked
        started = time.monotonic()
        found = bugdesk.driver.options("bug_search", "refund", user_id="U0AGENT", view=opened.view)
        took = time.monotonic() - started
        assert held.wait_arrival(timeout=0)  # Jira was asked and had not answered
    assert took < OPTIONS_DEADLINE, f"the options answer took {took:.2f}s"
    [option] = found.options
    assert "Jira search failed" in option["text"]["text"]
    assert "cannot reach Jira" in option["text"]["text"]
