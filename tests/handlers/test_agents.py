"""Helpdesk agents are found in Slack by email, then by name, and hear when their bugs change."""

from __future__ import annotations

from typing import Any

from bug_helpers import bug_replies, file_bug, link_ticket, text_of, ticket_thread

from bot.db import transaction
from bot.tickets.models import HelpdeskAgent
from integrations.slack_directory import fetch_user


def _assign(app: Any, ticket: dict[str, Any], agent: dict[str, Any]) -> None:
    app.zendesk.update_ticket(ticket["id"], assignee_id=agent["id"])
    app.settle()


def _agent(app: Any, email: str) -> HelpdeskAgent | None:
    with transaction(app.runtime.factory) as session:
        found = session.get(HelpdeskAgent, email)
        if found is not None:
            session.expunge(found)
        return found


def test_the_assignee_found_by_email_gets_one_dm_listing_all_their_tickets(bugdesk: Any) -> None:
    # Zendesk and Slack spell Cam's name differently: only the email says who Cam is.
    bugdesk.slack.add_user("U0CAM", "cam", real_name="Cam Nguyen", email="cam@acme.test")
    cam = bugdesk.zendesk.add_agent("Cameron N.", email="Cam@Acme.test")
    first, first_root = ticket_thread(bugdesk, "Checkout fails")
    second, second_root = ticket_thread(bugdesk, "Payment declined")
    _assign(bugdesk, first, cam)
    _assign(bugdesk, second, cam)
    lookups = bugdesk.slack.calls_to("users.lookupByEmail")
    # Once for both tickets (the agent who made the updates is looked up too, once).
    assert [c.args["email"] for c in lookups].count("cam@acme.test") == 1
    assert _agent(bugdesk, "cam@acme.test").slack_user_id == "U0CAM"
    file_bug(bugdesk, first_root)
    bugdesk.settle()
    link_ticket(bugdesk, second_root, "SUP-1", user="U0LEAD")
    bugdesk.clock.advance(minutes=1)
    bugdesk.jira.close("SUP-1", resolution="Fixed")
    bugdesk.settle()
    [dm] = [m for m in bugdesk.slack.dms("U0CAM") if "SUP-1" in m["text"]]
    assert "2 of your tickets are waiting on it" in dm["text"]
    for ticket in (first, second):
        assert f"Zendesk #{ticket['id']}" in text_of(dm)
    [ada] = bugdesk.slack.dms("U0AGENT")
    assert "1 of your tickets is waiting" in ada["text"]
    [lee] = bugdesk.slack.dms("U0LEAD")
    assert "1 of your tickets is waiting" in lee["text"]
    for root in (first_root, second_root):
        [done] = bug_replies(bugdesk, root, "is done")
        assert "<@U0CAM> (assignee)" in text_of(done)

    bugdesk.clock.advance(minutes=5)
    bugdesk.jira.reopen("SUP-1")
    bugdesk.settle()
    [_, back] = bugdesk.slack.dms("U0CAM")
    assert "SUP-1 was reopened: 2 of your tickets are linked to it" in back["text"]


def test_an_assignee_who_also_filed_hears_once_with_the_ticket_listed_once(bugdesk: Any) -> None:
    bugdesk.slack.add_user("U0AGENT", "agent", real_name="Ada Agent", email="ada@acme.test")
    ada = bugdesk.zendesk.add_agent("A. Lovelace", email="ada@acme.test")
    ticket, root = ticket_thread(bugdesk)
    _assign(bugdesk, ticket, ada)
    file_bug(bugdesk, root, user="U0AGENT")
    bugdesk.settle()
    bugdesk.clock.advance(minutes=1)
    bugdesk.jira.close("SUP-1")
    bugdesk.settle()
    [dm] = bugdesk.slack.dms("U0AGENT")
    assert "1 of your tickets is waiting" in dm["text"]
    assert text_of(dm).count(f"Zendesk #{ticket['id']}") == 1
    [done] = bug_replies(bugdesk, root, "is done")
    assert done["text"].count("<@U0AGENT>") == 1  # (its blocks repeat the text)


def test_an_email_slack_does_not_know_falls_back_to_the_name(bugdesk: Any) -> None:
    ada = bugdesk.zendesk.add_agent("Ada Agent", email="ada@contractor.test")
    runtime = bugdesk.runtime  # the directory job has cached Ada's Slack profile
    fetch_user(runtime.factory, runtime.clients.slack, "U0AGENT", bugdesk.clock.now())
    ticket, root = ticket_thread(bugdesk)
    _assign(bugdesk, ticket, ada)
    [lookup] = [
        c
        for c in bugdesk.slack.calls_to("users.lookupByEmail")
        if c.args["email"] == "ada@contractor.test"
    ]
    assert lookup.response["error"] == "users_not_found"
    assert _agent(bugdesk, "ada@contractor.test").how == "missing"
    file_bug(bugdesk, root, user="U0LEAD")
    bugdesk.settle()
    bugdesk.clock.advance(minutes=1)
    bugdesk.jira.close("SUP-1")
    bugdesk.settle()
    [done] = bug_replies(bugdesk, root, "is done")
    assert "<@U0AGENT> (assignee)" in text_of(done)
    assert len(bugdesk.slack.dms("U0AGENT")) == 1 and len(bugdesk.slack.dms("U0LEAD")) == 1


def test_an_assignee_slack_cannot_find_is_named_and_gets_no_dm(bugdesk: Any) -> None:
    nobody = bugdesk.zendesk.add_agent("Nora Nobody", email="nora@contractor.test")
    ticket, root = ticket_thread(bugdesk)
    _assign(bugdesk, ticket, nobody)
    file_bug(bugdesk, root)
    bugdesk.settle()
    bugdesk.clock.advance(minutes=1)
    bugdesk.jira.close("SUP-1")
    bugdesk.settle()
    [done] = bug_replies(bugdesk, root, "is done")
    assert "assignee *Nora Nobody*" in text_of(done)
    assert [
        m["channel"]
        for m in bugdesk.slack.find_messages(
            lambda m: "SUP-1 is done" in m["text"] and m["channel"].startswith("D")
        )
    ] == [bugdesk.slack.dm_channel("U0AGENT")]
