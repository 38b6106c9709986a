"""POST /webhooks/jira: signed issue updates decide when linked bugs close or reopen."""

from __future__ import annotations

import json
from typing import Any

import requests
from bug_helpers import (
    SUPPORT,
    bug_replies,
    file_bug,
    link_ticket,
    notes,
    poll,
    text_of,
    ticket_thread,
)
from harness import JIRA_SECRET

from bot.bugs.models import Bug, BugTransition
from bot.db import transaction
from bot.models import InboundEvent
from integrations.signatures import sign_jira
from integrations.slack_directory import fetch_user


def _post(
    app: Any, body: bytes, *, identifier: str = "hook-1", signature: str | None = None
) -> requests.Response:
    headers = {"Content-Type": "application/json", "X-Atlassian-Webhook-Identifier": identifier}
    if signature is not None:
        headers["X-Hub-Signature"] = signature
    return requests.post(f"{app.url}/webhooks/jira", data=body, headers=headers, timeout=10)


def _jira_events(app: Any) -> int:
    with transaction(app.runtime.factory) as session:
        return session.query(InboundEvent).filter_by(source="jira").count()


def _bug(app: Any, key: str) -> Bug:
    with transaction(app.runtime.factory) as session:
        return session.query(Bug).filter_by(key=key).one()


def _three_tickets(app: Any) -> tuple[str, list[tuple[dict, dict]]]:
    """SUP-1 filed from ticket A by Ada, ticket B linked by Ada, ticket C linked by Lee."""
    a = ticket_thread(app, "Checkout fails")
    b = ticket_thread(app, "Payment declined")
    c = ticket_thread(app, "Cannot pay")
    file_bug(app, a[1])
    app.settle()
    link_ticket(app, b[1], "SUP-1")
    link_ticket(app, c[1], "SUP-1", user="U0LEAD")
    app.clock.advance(minutes=1)
    return "SUP-1", [a, b, c]


def test_missing_or_bad_signatures_are_401_and_change_nothing(bugdesk: Any) -> None:
    _, root = ticket_thread(bugdesk)
    file_bug(bugdesk, root)
    bugdesk.settle()
    bugdesk.clock.advance(minutes=1)
    delivery = bugdesk.jira.close("SUP-1", deliver="drop")
    body = delivery.body
    before = _jira_events(bugdesk)
    for signature in (None, "", sign_jira("wrong-secret", body), "sha256=" + "0" * 64):
        assert _post(bugdesk, body, signature=signature).status_code == 401
    tampered = body.replace(b'"Done"', b'"Fixed"')
    assert _post(bugdesk, tampered, signature=sign_jira(JIRA_SECRET, body)).status_code == 401
    bugdesk.settle()
    assert _jira_events(bugdesk) == before
    assert _bug(bugdesk, "SUP-1").category == "new"
    assert bug_replies(bugdesk, root, "is done") == []
    assert _post(bugdesk, body, signature=sign_jira(JIRA_SECRET, body)).status_code == 200


def test_closing_notifies_every_thread_one_dm_per_agent_and_adds_helpdesk_notes(
    bugdesk: Any,
) -> None:
    key, tickets = _three_tickets(bugdesk)
    bugdesk.jira.close(key, resolution="Fixed", fix_version="2.4")
    bugdesk.settle()
    for ticket, root in tickets:
        [done] = bug_replies(bugdesk, root, "is done")
        shown = text_of(done)
        assert "Fixed" in shown and "2.4" in shown and "*Done*" in shown
        [note] = [n for n in notes(bugdesk, ticket) if f"{key} (" in n and "is done" in n]
        assert "is done" in note and "Fixed" in note and "2.4" in note
        assert bug_replies(bugdesk, root, "internal note") == []  # the note's echo stays silent
    assert "<@U0AGENT>" in text_of(bug_replies(bugdesk, tickets[0][1], "is done")[0])
    assert "<@U0LEAD>" in text_of(bug_replies(bugdesk, tickets[2][1], "is done")[0])
    [ada] = bugdesk.slack.dms("U0AGENT")
    assert "2 of your tickets are waiting on it" in ada["text"]
    assert f"Zendesk #{tickets[0][0]['id']}" in text_of(ada)
    assert f"Zendesk #{tickets[1][0]['id']}" in text_of(ada)
    [lee] = bugdesk.slack.dms("U0LEAD")
    assert "1 of your tickets is waiting" in lee["text"]


def test_the_tickets_assignee_is_mentioned_when_slack_knows_them(bugdesk: Any) -> None:
    z = bugdesk.zendesk
    agent = z.add_agent("Ada Agent", email="ada@acme.test")
    ticket, root = ticket_thread(bugdesk)
    z.update_ticket(ticket["id"], assignee_id=agent["id"])
    bugdesk.settle()
    runtime = bugdesk.runtime  # the directory job has cached Ada's Slack profile
    fetch_user(runtime.factory, runtime.clients.slack, "U0AGENT", bugdesk.clock.now())
    file_bug(bugdesk, root, user="U0LEAD")
    bugdesk.settle()
    bugdesk.clock.advance(minutes=1)
    bugdesk.jira.close("SUP-1")
    bugdesk.settle()
    [done] = bug_replies(bugdesk, root, "is done")
    assert "<@U0LEAD>" in text_of(done) and "<@U0AGENT> (assignee)" in text_of(done)


def test_duplicate_deliveries_and_jira_retries_notify_once(bugdesk: Any) -> None:
    key, tickets = _three_tickets(bugdesk)
    delivery = bugdesk.jira.close(key)
    bugdesk.jira.redeliver(delivery.identifier)
    again = _post(
        bugdesk,
        delivery.body,
        identifier=delivery.identifier,
        signature=sign_jira(JIRA_SECRET, delivery.body),
    )
    assert again.status_code == 200
    bugdesk.settle()
    for _, root in tickets:
        assert len(bug_replies(bugdesk, root, "is done")) == 1
    assert len(bugdesk.slack.dms("U0AGENT")) == 1 and len(bugdesk.slack.dms("U0LEAD")) == 1
    with transaction(bugdesk.runtime.factory) as session:
        stored = session.query(InboundEvent).filter_by(external_id=delivery.identifier).count()
    assert stored == 1


def test_done_is_decided_by_status_category_not_by_localised_names(bugdesk: Any) -> None:
    _, root = ticket_thread(bugdesk)
    file_bug(bugdesk, root)
    bugdesk.settle()
    # "Done" is now the name of an in-progress status; "Fertig" is the done one.
    bugdesk.jira.set_status_names({"Done": "Fertig", "In Progress": "Done"})
    bugdesk.clock.advance(minutes=1)
    bugdesk.jira.transition("SUP-1", "Done")
    bugdesk.settle()
    assert bug_replies(bugdesk, root, "is done") == []
    assert _bug(bugdesk, "SUP-1").category == "indeterminate"
    bugdesk.clock.advance(minutes=1)
    bugdesk.jira.close("SUP-1", status="Fertig")
    bugdesk.settle()
    [done] = bug_replies(bugdesk, root, "is done")
    assert "Fertig" in text_of(done)


def test_reopen_is_told_once_and_a_second_close_again(bugdesk: Any) -> None:
    key, tickets = _three_tickets(bugdesk)
    bugdesk.jira.close(key)
    bugdesk.settle()
    bugdesk.clock.advance(minutes=10)
    reopened = bugdesk.jira.reopen(key)
    bugdesk.jira.redeliver(reopened.identifier)
    bugdesk.settle()
    assert poll(bugdesk)["transitions"] == 0
    bugdesk.settle()
    for _, root in tickets:
        [back] = bug_replies(bugdesk, root, "was reopened")
        assert "To Do" in text_of(back)
    assert [m["text"].split(":")[0] for m in bugdesk.slack.dms("U0LEAD")] == [
        f"{key} is done (Done, resolution Fixed)",
        f"{key} was reopened",
    ]
    bugdesk.clock.advance(minutes=10)
    bugdesk.jira.close(key, resolution="Duplicate")
    bugdesk.settle()
    for _, root in tickets:
        assert len(bug_replies(bugdesk, root, "is done")) == 2
    with transaction(bugdesk.runtime.factory) as session:
        kinds = [t.kind for t in session.query(BugTransition).order_by(BugTransition.id)]
    assert kinds == ["closed", "reopened", "closed"]


def test_a_late_out_of_order_delivery_changes_nothing(bugdesk: Any) -> None:
    _, root = ticket_thread(bugdesk)
    file_bug(bugdesk, root)
    bugdesk.settle()
    bugdesk.clock.advance(minutes=1)
    bugdesk.jira.transition("SUP-1", "In Progress", deliver="queue")
    bugdesk.clock.advance(minutes=1)
    bugdesk.jira.close("SUP-1")
    bugdesk.settle()
    bugdesk.clock.advance(minutes=30)
    [late] = bugdesk.jira.flush()
    assert late.status == 200
    bugdesk.settle()
    assert len(bug_replies(bugdesk, root, "is done")) == 1
    assert bug_replies(bugdesk, root, "was reopened") == []
    assert _bug(bugdesk, "SUP-1").category == "done"


def test_other_events_are_202_and_malformed_bodies_400(bugdesk: Any) -> None:
    def signed(payload: Any) -> requests.Response:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        return _post(bugdesk, body, signature=sign_jira(JIRA_SECRET, body))

    assert (
        signed({"webhookEvent": "jira:issue_deleted", "issue": {"key": "SUP-1"}}).status_code == 202
    )
    assert signed(b"not json").status_code == 400
    assert signed({"issue": {}}).status_code == 400
    no_category = {"webhookEvent": "jira:issue_updated", "issue": {"key": "X-1", "fields": {}}}
    assert signed(no_category).status_code == 400
    assert _jira_events(bugdesk) == 0


def test_updates_of_issues_nobody_linked_are_ignored(bugdesk: Any) -> None:
    key = bugdesk.jira.create_issue(summary="Unrelated")
    ticket_thread(bugdesk)
    bugdesk.jira.close(key)
    bugdesk.settle()
    with transaction(bugdesk.runtime.factory) as session:
        [event] = session.query(InboundEvent).filter_by(source="jira").all()
        assert (event.status, event.error) == ("ignored", "not a linked bug")
    assert [m for m in bugdesk.slack.messages(SUPPORT) if "is done" in m["text"]] == []
