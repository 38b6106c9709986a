"""Telling customers under load: paced to Zendesk's Update Ticket limit, and two agents racing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from bug_helpers import SUPPORT, bug_replies, file_bug, link_ticket, submit, ticket_thread
from races import together

from integrations.simulators.zendesk.events import RateWindow

RATE = 4


@pytest.fixture
def paced(db_url: str, clock: Any) -> Iterator[Any]:
    """The app with Zendesk and Jira, Zendesk allowing 4 ticket updates a minute."""
    from harness import start_app

    running = start_app(db_url, clock=clock, zendesk=True, jira=True, zendesk_update_rate=RATE)
    running.zendesk.rate_limits = True
    running.zendesk.update_limit = RateWindow(RATE, clock.epoch)
    yield running
    running.stop()


def _bug_with_three_tickets(app: Any) -> list[tuple[dict, dict]]:
    tickets = [ticket_thread(app, s) for s in ("Checkout fails", "Payment declined", "No pay")]
    file_bug(app, tickets[0][1])
    app.settle()
    link_ticket(app, tickets[1][1], "SUP-1")
    link_ticket(app, tickets[2][1], "SUP-1", user="U0LEAD")
    app.clock.advance(minutes=1)
    app.jira.close("SUP-1", fix_version="2.4")
    app.settle()
    return tickets


def _open(app: Any, root: dict[str, Any], user: str) -> dict[str, Any]:
    [notice] = bug_replies(app, root, "is done")
    opened = app.driver.block_action(
        user, "customers_tell", value="SUP-1", message=notice, channel_id=SUPPORT
    )
    assert opened.view is not None, opened.ephemeral
    return opened.view


def _public(app: Any, ticket: dict[str, Any]) -> int:
    return sum(1 for c in app.zendesk.comments[ticket["id"]][1:] if c["public"])


def test_notes_and_replies_stay_within_the_update_limit_and_all_arrive(paced: Any) -> None:
    tickets = _bug_with_three_tickets(paced)
    submit(paced, _open(paced, tickets[0][1], "U0AGENT"))
    paced.settle()
    for _ in range(8):
        paced.clock.advance(seconds=61)
        paced.settle()
    updates = paced.zendesk.calls_to("tickets.update")
    assert [c for c in updates if c.status == 429] == []
    done = sorted(c.at for c in updates if c.status == 200)
    assert all(sum(1 for b in done if a <= b < a + 60) <= RATE for a in done)
    assert [_public(paced, t) for t, _ in tickets] == [1, 1, 1]
    assert len(done) == 9  # 3 link notes, 3 close notes, 3 public replies


def test_two_agents_sending_at_once_tell_each_customer_once(bugdesk: Any) -> None:
    tickets = [ticket_thread(bugdesk, s) for s in ("Checkout fails", "Payment declined")]
    file_bug(bugdesk, tickets[0][1])
    bugdesk.settle()
    link_ticket(bugdesk, tickets[1][1], "SUP-1", user="U0LEAD")
    bugdesk.clock.advance(minutes=1)
    bugdesk.jira.close("SUP-1", fix_version="2.4")
    bugdesk.settle()
    ada = _open(bugdesk, tickets[0][1], "U0AGENT")
    lee = _open(bugdesk, tickets[1][1], "U0LEAD")
    results = together(
        bugdesk.runtime.engine,
        ["customer_replies", "pending_calls"],
        lambda: submit(bugdesk, ada, "U0AGENT"),
        lambda: submit(bugdesk, lee, "U0LEAD"),
    )
    assert all(r.status == 200 and not r.json for r in results), results
    bugdesk.settle()
    for ticket, root in tickets:
        assert _public(bugdesk, ticket) == 1
        assert len(bug_replies(bugdesk, root, "told the customer")) == 1
    told = [
        m["text"]
        for user in ("U0AGENT", "U0LEAD")
        for m in bugdesk.slack.dms(user)
        if "Telling" in m["text"] or "Nobody new" in m["text"]
    ]
    assert sorted(t.split(" ")[0] for t in told) == [":mega:", "Nobody"]
