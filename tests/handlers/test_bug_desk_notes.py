"""Links both ways: filing, linking and unlinking a bug each add one internal note to the
helpdesk ticket naming the Jira key and URL, retried while the helpdesk is down."""

from __future__ import annotations

from typing import Any

from bug_helpers import SUPPORT, bug_replies, file_bug, link_ticket, notes, ticket_thread


def _jira_url(app: Any, key: str) -> str:
    return f"{app.jira.url}/browse/{key}"


def test_filing_and_linking_add_one_note_to_each_ticket(bugdesk: Any) -> None:
    first, first_root = ticket_thread(bugdesk, "Checkout fails")
    second, second_root = ticket_thread(bugdesk, "Payment declined")
    file_bug(bugdesk, first_root)
    bugdesk.settle()
    link_ticket(bugdesk, second_root, "SUP-1", user="U0LEAD")
    bugdesk.settle()
    url = _jira_url(bugdesk, "SUP-1")
    assert notes(bugdesk, first) == [
        f"Filed as Jira bug SUP-1 (Checkout fails) by Ada Agent from Slack. {url}\n— supportbot"
    ]
    assert notes(bugdesk, second) == [
        f"Linked to Jira bug SUP-1 (Checkout fails) by Lee Lead from Slack. {url}\n— supportbot"
    ]
    for root in (first_root, second_root):  # the notes' echoes stay out of the threads
        assert bug_replies(bugdesk, root, "internal note") == []
    bugdesk.clock.advance(minutes=10)
    bugdesk.settle()
    assert len(notes(bugdesk, first)) == 1 and len(notes(bugdesk, second)) == 1


def test_unlinking_says_so_on_the_ticket(bugdesk: Any) -> None:
    key = bugdesk.jira.create_issue(summary="Refund button missing")
    ticket, root = ticket_thread(bugdesk)
    link_ticket(bugdesk, root, key)
    [linked] = bug_replies(bugdesk, root, f"Linked to {key}")
    bugdesk.clock.advance(minutes=1)
    bugdesk.driver.block_action("U0AGENT", "bug_unlink", message=linked, channel_id=SUPPORT)
    bugdesk.settle()
    url = _jira_url(bugdesk, key)
    assert notes(bugdesk, ticket) == [
        f"Linked to Jira bug {key} (Refund button missing) by Ada Agent from Slack. {url}"
        "\n— supportbot",
        f"No longer linked to Jira bug {key} (Refund button missing): unlinked by Ada Agent "
        f"in Slack. {url}\n— supportbot",
    ]


def test_a_note_is_retried_while_the_helpdesk_is_down_and_added_once(bugdesk: Any) -> None:
    ticket, root = ticket_thread(bugdesk)
    bugdesk.zendesk.fail("tickets.update", 503, {"error": "Service unavailable"}, times=2)
    file_bug(bugdesk, root)
    bugdesk.settle()
    assert notes(bugdesk, ticket) == []
    bugdesk.clock.advance(minutes=1)
    bugdesk.settle()
    assert notes(bugdesk, ticket) == []
    bugdesk.clock.advance(minutes=2)
    bugdesk.settle()
    [note] = notes(bugdesk, ticket)
    assert "Filed as Jira bug SUP-1" in note
    assert len(bugdesk.zendesk.calls_to("tickets.update")) == 3


def test_a_note_whose_answer_was_lost_is_not_added_twice(bugdesk: Any) -> None:
    ticket, root = ticket_thread(bugdesk)
    # Zendesk adds the note but the answer never arrives (a timeout, a dropped connection).
    bugdesk.zendesk.fail("tickets.update", 502, {"error": "Bad gateway"}, after_effect=True)
    file_bug(bugdesk, root)
    bugdesk.settle()
    assert len(notes(bugdesk, ticket)) == 1
    bugdesk.clock.advance(minutes=1)
    bugdesk.settle()
    [note] = notes(bugdesk, ticket)
    assert "Filed as Jira bug SUP-1" in note
    assert len(bugdesk.zendesk.calls_to("tickets.comments")) == 1  # checked before trying again
    assert len(bugdesk.zendesk.calls_to("tickets.update")) == 1
