"""Tell the customers: from a bug's close notice, one public reply per ticket, exactly once."""

from __future__ import annotations

import json
from typing import Any

import pytest
from bug_helpers import SUPPORT, bug_replies, file_bug, link_ticket, submit, text_of, ticket_thread
from pydantic import ValidationError

from bot.bugs.models import CustomerReply
from bot.db import transaction
from bot.settings import Settings


def _three(app: Any) -> list[tuple[dict, dict]]:
    """SUP-1 filed from A by Ada, B linked by Ada, C linked by Lee; then closed in 2.4."""
    a = ticket_thread(app, "Checkout fails")
    b = ticket_thread(app, "Payment declined")
    c = ticket_thread(app, "Cannot pay")
    file_bug(app, a[1])
    app.settle()
    link_ticket(app, b[1], "SUP-1")
    link_ticket(app, c[1], "SUP-1", user="U0LEAD")
    app.clock.advance(minutes=1)
    app.jira.close("SUP-1", resolution="Fixed", fix_version="2.4")
    app.settle()
    return [a, b, c]


def _notice(app: Any, root: dict[str, Any]) -> dict[str, Any]:
    [done] = bug_replies(app, root, "is done")
    return done


def _open_from_thread(app: Any, root: dict[str, Any], user: str = "U0AGENT") -> Any:
    notice = _notice(app, root)
    return app.driver.block_action(
        user, "customers_tell", value="SUP-1", message=notice, channel_id=SUPPORT
    )


def _public(app: Any, ticket: dict[str, Any]) -> list[str]:
    return [c["body"] for c in app.zendesk.comments[ticket["id"]] if c["public"]][1:]


def _options(view: dict[str, Any]) -> list[str]:
    return [
        o["value"]
        for b in view["blocks"]
        if b.get("block_id", "").startswith("customers_tickets")
        for o in b["element"]["options"]
    ]


def test_the_close_notice_tells_every_customer_once_and_each_thread_records_it(
    bugdesk: Any,
) -> None:
    tickets = _three(bugdesk)
    for _, root in tickets:
        assert "customers_tell" in json.dumps(_notice(bugdesk, root)["blocks"])
    [ada] = bugdesk.slack.dms("U0AGENT")
    assert "Tell the customers" in text_of(ada)
    opened = _open_from_thread(bugdesk, tickets[1][1])
    assert opened.view is not None, opened.ephemeral
    reply = opened.view["blocks"][1]["element"]["initial_value"]
    assert "Payment" not in reply and "2.4" in reply  # the template, filled from the bug
    assert len(_options(opened.view)) == 3
    answer = submit(bugdesk, opened.view, customers_status="pending")
    assert answer.status == 200 and not answer.json, answer.text
    bugdesk.settle()
    for ticket, root in tickets:
        assert _public(bugdesk, ticket) == [reply]
        assert bugdesk.zendesk.tickets[ticket["id"]]["status"] == "pending"
        [record] = bug_replies(bugdesk, root, "told the customer")
        assert "<@U0AGENT>" in record["text"] and "*pending*" in record["text"]
        assert "2.4" in record["text"]
        # Zendesk's webhook echoing the reply adds nothing: the record says it.
        thread = bugdesk.slack.replies(SUPPORT, root["ts"])
        assert sum(reply[:40] in m["text"] for m in thread) == 1
    assert any("Telling 3 customers" in m["text"] for m in bugdesk.slack.dms("U0AGENT"))


def test_a_double_submit_or_a_second_agent_tells_no_one_twice(bugdesk: Any) -> None:
    tickets = _three(bugdesk)
    opened = _open_from_thread(bugdesk, tickets[0][1])
    again = _open_from_thread(bugdesk, tickets[2][1], user="U0LEAD")
    submit(bugdesk, opened.view)
    submit(bugdesk, opened.view)
    submit(bugdesk, again.view, user="U0LEAD")
    bugdesk.settle()
    bugdesk.settle()
    for ticket, root in tickets:
        assert len(_public(bugdesk, ticket)) == 1
        assert len(bug_replies(bugdesk, root, "told the customer")) == 1
    later = _open_from_thread(bugdesk, tickets[0][1], user="U0LEAD")
    assert later.view is None
    assert any("told already" in e for e in later.ephemeral)
    with transaction(bugdesk.runtime.factory) as session:
        assert {r.told_by for r in session.query(CustomerReply)} == {"U0AGENT"}


def test_unticked_tickets_are_left_alone_and_none_chosen_is_a_field_error(bugdesk: Any) -> None:
    tickets = _three(bugdesk)
    opened = _open_from_thread(bugdesk, tickets[0][1])
    first = _options(opened.view)[0]
    refused = submit(bugdesk, opened.view, customers_tickets_0=[])
    assert refused.json["response_action"] == "errors"
    assert "at least one ticket" in refused.json["errors"]["customers_tickets_0"]
    submit(bugdesk, opened.view, customers_tickets_0=[first])
    bugdesk.settle()
    told = [t for t, _ in tickets if _public(bugdesk, t)]
    assert [str(t["id"]) for t in told] != [] and len(told) == 1
    # The thread's own ticket is listed first.
    assert len(bug_replies(bugdesk, tickets[0][1], "told the customer")) == 1


def test_from_the_dm_an_agent_tells_their_own_tickets(bugdesk: Any) -> None:
    tickets = _three(bugdesk)
    [dm] = bugdesk.slack.dms("U0LEAD")
    channel = bugdesk.slack.dm_channel("U0LEAD")
    opened = bugdesk.driver.block_action(
        "U0LEAD", "customers_tell", value="SUP-1", message=dm, channel_id=channel
    )
    assert len(_options(opened.view)) == 1
    submit(bugdesk, opened.view, user="U0LEAD")
    bugdesk.settle()
    assert [bool(_public(bugdesk, t)) for t, _ in tickets] == [False, False, True]


def test_while_zendesk_is_down_the_agent_is_told_once_and_replies_are_retried(
    bugdesk: Any,
) -> None:
    tickets = _three(bugdesk)
    opened = _open_from_thread(bugdesk, tickets[0][1])
    bugdesk.zendesk.fail("tickets.update", 503, {"error": "Service Unavailable"}, times=3)
    submit(bugdesk, opened.view)
    bugdesk.settle()
    warnings = [m for m in bugdesk.slack.dms("U0AGENT") if "did not take the reply" in m["text"]]
    assert len(warnings) == 1 and "retried automatically" in warnings[0]["text"]
    bugdesk.clock.advance(minutes=2)
    bugdesk.settle()
    for ticket, _ in tickets:
        assert len(_public(bugdesk, ticket)) == 1


def test_a_lost_answer_is_not_sent_twice(bugdesk: Any) -> None:
    tickets = _three(bugdesk)
    opened = _open_from_thread(bugdesk, tickets[0][1])
    bugdesk.zendesk.fail("tickets.update", 504, times=1, after_effect=True)
    submit(bugdesk, opened.view)
    bugdesk.settle()
    bugdesk.clock.advance(minutes=2)
    bugdesk.settle()
    for ticket, root in tickets:
        assert len(_public(bugdesk, ticket)) == 1
        assert len(bug_replies(bugdesk, root, "told the customer")) == 1


def test_a_refused_reply_is_given_up_and_the_agent_told_what_failed(bugdesk: Any) -> None:
    tickets = _three(bugdesk)
    opened = _open_from_thread(bugdesk, tickets[0][1])
    body = {"error": "RecordInvalid", "description": "Record validation errors"}
    bugdesk.zendesk.fail("tickets.update", 422, body, times=1)
    submit(bugdesk, opened.view)
    bugdesk.settle()
    [gave_up] = [m for m in bugdesk.slack.dms("U0AGENT") if "Could not tell" in m["text"]]
    assert "RecordInvalid" in gave_up["text"] and "by hand" in gave_up["text"]


def test_on_reopen_nothing_is_sent_and_the_notice_says_who_was_told(bugdesk: Any) -> None:
    tickets = _three(bugdesk)
    opened = _open_from_thread(bugdesk, tickets[0][1])
    submit(bugdesk, opened.view)
    bugdesk.settle()
    before = {t["id"]: len(bugdesk.zendesk.comments[t["id"]]) for t, _ in tickets}
    bugdesk.clock.advance(minutes=5)
    bugdesk.jira.reopen("SUP-1")
    bugdesk.settle()
    for ticket, root in tickets:
        public = [c for c in bugdesk.zendesk.comments[ticket["id"]] if c["public"]]
        assert len(public) == 2  # the request and the one reply; nothing new is public
        assert len(bugdesk.zendesk.comments[ticket["id"]]) >= before[ticket["id"]]
        [reopened] = bug_replies(bugdesk, root, "was reopened")
        assert "<@U0AGENT> had told the customer" in reopened["text"]
        assert "customers_tell" not in json.dumps(reopened.get("blocks") or [])
    [dm] = [m for m in bugdesk.slack.dms("U0AGENT") if "was reopened" in m["text"]]
    assert "2 customers had been told" in text_of(dm) and "<@U0AGENT>" in text_of(dm)


def test_an_unknown_placeholder_in_the_template_is_a_clear_settings_error() -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(_env_file=None, customer_fix_template="Hi {name}, {key} is fixed")
    assert "unknown placeholder {name}" in str(caught.value)
    assert "{fix_version}" in str(caught.value)
    with pytest.raises(ValidationError):
        Settings(_env_file=None, customer_fix_template="{summary!r}")
    ok = Settings(_env_file=None, customer_fix_template="{key} fixed in {fix_version} {{ok}}")
    assert ok.customer_fix_template.startswith("{key}")


def test_guests_cannot_tell_customers(bugdesk: Any) -> None:
    bugdesk.slack.add_user("U0GUEST", "gus", real_name="Gus Guest", is_restricted=True)
    tickets = _three(bugdesk)
    refused = _open_from_thread(bugdesk, tickets[0][1], user="U0GUEST")
    assert refused.view is None and any("Only full members" in t for t in refused.ephemeral)
    view = _open_from_thread(bugdesk, tickets[0][1]).view
    answer = submit(bugdesk, view, user="U0GUEST")
    assert "Only full members" in answer.json["errors"]["customers_tickets_0"]
    bugdesk.settle()
    assert [_public(bugdesk, t) for t, _ in tickets] == [[], [], []]


def test_a_form_opened_before_a_reopen_sends_nothing(bugdesk: Any) -> None:
    tickets = _three(bugdesk)
    view = _open_from_thread(bugdesk, tickets[0][1]).view
    bugdesk.clock.advance(minutes=3)
    bugdesk.jira.reopen("SUP-1")
    bugdesk.settle()
    answer = submit(bugdesk, view)
    assert "reopened" in answer.json["errors"]["customers_tickets_0"]
    bugdesk.settle()
    assert [_public(bugdesk, t) for t, _ in tickets] == [[], [], []]
