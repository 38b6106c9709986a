"""Filing Jira bugs from ticket threads, linking and unlinking tickets, driven through Slack."""

from __future__ import annotations

import base64
import logging
from typing import Any

import pytest
from bug_helpers import (
    SUPPORT,
    bug_replies,
    file_bug,
    initial_values,
    link_ticket,
    open_file_form,
    refresh_meta,
    replies,
    submit,
    text_of,
    ticket_thread,
)

from bot.bugs import records
from bot.db import transaction
from bot.ids import BugField as F
from bot.models import PendingCall
from bot.tickets.models import Ticket


def _ephemerals(app: Any, user: str = "U0AGENT") -> list[str]:
    return [e["text"] for e in app.slack.ephemerals(user=user)]


def _ticket_pk(app: Any, external_id: int) -> int:
    with transaction(app.runtime.factory) as session:
        ticket = session.query(Ticket).filter_by(external_id=str(external_id)).one()
        return ticket.id


def _links(app: Any, external_id: int) -> list[tuple[str, str, str]]:
    with transaction(app.runtime.factory) as session:
        rows = records.links_of(session, _ticket_pk(app, external_id))
        return [(bug.key, link.how, link.linked_by) for link, bug in rows]


def test_file_bug_button_opens_a_modal_prefilled_from_the_ticket_and_cached_options(
    bugdesk: Any,
) -> None:
    refresh_meta(bugdesk)
    _, root = ticket_thread(bugdesk)
    assert "File bug" in text_of(root)
    before = bugdesk.jira.request_count
    opened = open_file_form(bugdesk, root)
    assert bugdesk.jira.request_count == before  # the modal opens from the cache alone
    values = initial_values(opened.view)
    assert values[F.SUMMARY] == "Checkout fails"
    assert "Card declined at checkout" in values[F.DESCRIPTION]
    assert (values[F.PROJECT], values[F.ISSUE_TYPE]) == ("SUP", "Bug")
    blocks = {b.get("block_id"): b for b in opened.view["blocks"]}
    priorities = [o["value"] for o in blocks[F.PRIORITY]["element"]["options"]]
    assert priorities == ["Highest", "High", "Medium", "Low", "Lowest"]
    groups = blocks[F.COMPONENTS]["element"]["option_groups"]
    assert [o["value"] for o in groups[0]["options"]] == [
        "SUP:Backend",
        "SUP:Frontend",
        "SUP:Billing",
        "SUP:Mobile",
    ]


def test_file_bug_shortcut_on_a_thread_reply_quotes_that_reply(bugdesk: Any) -> None:
    _, root = ticket_thread(bugdesk)
    message, _ = bugdesk.driver.user_message(
        "U0AGENT", SUPPORT, "Only Visa cards fail", thread_ts=root["ts"]
    )
    opened = bugdesk.driver.message_shortcut(
        "file_bug", user_id="U0AGENT", channel_id=SUPPORT, message=message
    )
    assert initial_values(opened.view)[F.MESSAGES] == [message["ts"]]
    submit(bugdesk, opened.view)
    bugdesk.settle()
    description = bugdesk.jira.issue("SUP-1")["fields"]["description"]
    assert "Only Visa cards fail" in description and "Ada Agent" in description


def test_filing_creates_the_issue_with_remote_links_and_tells_the_thread(bugdesk: Any) -> None:
    refresh_meta(bugdesk)
    ticket, root = ticket_thread(bugdesk)
    answer = file_bug(
        bugdesk,
        root,
        **{F.PRIORITY: "High", F.COMPONENTS: ["SUP:Billing"], F.LABELS: "checkout, vip"},
    )
    assert answer.status == 200 and answer.errors is None
    bugdesk.settle()
    assert any("Filing “Checkout fails”" in t for t in _ephemerals(bugdesk))
    fields = bugdesk.jira.issue("SUP-1")["fields"]
    assert (fields["summary"], fields["issuetype"]["name"]) == ("Checkout fails", "Bug")
    assert fields["priority"]["name"] == "High"
    assert [c["name"] for c in fields["components"]] == ["Billing"]
    assert set(fields["labels"]) == {"checkout", "vip", f"support-zendesk-{ticket['id']}"}
    ticket_url = bugdesk.zendesk.ticket_url(ticket["id"])
    assert ticket_url in fields["description"]
    assert "https://acme.slack.com/archives/C0SUPPORT/p" in fields["description"]
    urls = [link["object"]["url"] for link in bugdesk.jira.remote_links("SUP-1")]
    assert urls[0] == ticket_url and urls[1].startswith("https://acme.slack.com/archives/")
    [filed] = bug_replies(bugdesk, root, "Filed SUP-1")
    assert "<@U0AGENT> filed" in text_of(filed) and "To Do" in text_of(filed)
    assert bugdesk.jira.browse_url("SUP-1") in text_of(filed)
    assert _links(bugdesk, ticket["id"]) == [("SUP-1", "filed", "U0AGENT")]


def test_guests_cannot_file_or_link(bugdesk: Any) -> None:
    bugdesk.slack.add_user("U0GUEST", "gus", real_name="Gus Guest", is_restricted=True)
    _, root = ticket_thread(bugdesk)
    for opened in (
        open_file_form(bugdesk, root, user="U0GUEST"),
        bugdesk.driver.message_shortcut(
            "link_bug", user_id="U0GUEST", channel_id=SUPPORT, message=root
        ),
    ):
        assert opened.view is None
        assert any("Only full members" in t for t in opened.ephemeral)
    view = open_file_form(bugdesk, root).view
    refused = submit(bugdesk, view, user="U0GUEST")
    assert refused.errors and "full members" in refused.errors[F.SUMMARY]
    bugdesk.settle()
    assert bugdesk.jira.calls_to("issue.create") == []


def test_blank_summary_and_unknown_components_are_errors_on_the_fields(bugdesk: Any) -> None:
    bugdesk.jira.add_project("OPS", "Operations", components=["Infra"])
    refresh_meta(bugdesk)
    _, root = ticket_thread(bugdesk)
    blank = file_bug(bugdesk, root, **{F.SUMMARY: "   "})
    assert set(blank.errors or {}) == {F.SUMMARY}
    wrong = file_bug(
        bugdesk, root, **{F.PROJECT: "OPS", F.COMPONENTS: ["SUP:Billing", "OPS:Infra"]}
    )
    assert wrong.errors == {F.COMPONENTS: "Billing is not a component of OPS."}
    bugdesk.settle()
    assert bugdesk.jira.calls_to("issue.create") == []


def test_jira_field_errors_reach_the_agent_and_the_form_keeps_their_input(bugdesk: Any) -> None:
    refresh_meta(bugdesk)
    bugdesk.jira.set_required_fields("SUP", ["components"])
    _, root = ticket_thread(bugdesk)
    file_bug(bugdesk, root, **{F.SUMMARY: "Checkout fails on Visa", F.LABELS: "visa"})
    bugdesk.settle()
    refused = [t for t in _ephemerals(bugdesk) if "Jira refused the bug" in t]
    assert len(refused) == 1 and "components: Components is required." in refused[0]
    assert bug_replies(bugdesk, root, "Filed") == []
    again = open_file_form(bugdesk, root).view
    assert "Jira refused the last attempt" in text_of({"text": "", "blocks": again["blocks"]})
    values = initial_values(again)
    assert (values[F.SUMMARY], values[F.LABELS]) == ("Checkout fails on Visa", "visa")
    submit(bugdesk, again, **{F.COMPONENTS: ["SUP:Billing"]})
    bugdesk.settle()
    assert len(bug_replies(bugdesk, root, "Filed SUP-1")) == 1


def test_jira_down_keeps_the_filing_and_the_thread_gets_the_link_when_it_is_back(
    bugdesk: Any,
) -> None:
    _, root = ticket_thread(bugdesk)
    bugdesk.jira.set_down(True)
    file_bug(bugdesk, root)
    bugdesk.settle()
    delayed = [t for t in _ephemerals(bugdesk) if "did not take the bug yet" in t]
    assert len(delayed) == 1 and "503" in delayed[0] and "saved" in delayed[0]
    assert bug_replies(bugdesk, root, "Filed") == []
    bugdesk.clock.advance(seconds=31)
    bugdesk.settle()  # still down: retried, and the agent is not told again
    assert len([t for t in _ephemerals(bugdesk) if "did not take" in t]) == 1
    bugdesk.jira.set_down(False)
    bugdesk.clock.advance(minutes=2)
    bugdesk.settle()
    assert len(bug_replies(bugdesk, root, "Filed SUP-1")) == 1
    assert bugdesk.jira.api_token not in " ".join(_ephemerals(bugdesk))


def test_a_filing_whose_answer_was_lost_is_not_filed_twice(bugdesk: Any) -> None:
    _, root = ticket_thread(bugdesk)
    error = {"errorMessages": ["Internal server error"], "errors": {}}
    bugdesk.jira.fail("issue.create", 500, error, after_effect=True)
    file_bug(bugdesk, root)
    bugdesk.settle()
    assert bug_replies(bugdesk, root, "Filed") == []
    bugdesk.clock.advance(minutes=1)
    bugdesk.settle()
    assert len(bug_replies(bugdesk, root, "Filed SUP-1")) == 1
    with pytest.raises(KeyError):
        bugdesk.jira.issue("SUP-2")


def test_rate_limited_filing_waits_for_retry_after(bugdesk: Any) -> None:
    _, root = ticket_thread(bugdesk)
    bugdesk.jira.rate_limit(times=1, retry_after=90)
    file_bug(bugdesk, root)
    bugdesk.settle()
    [delayed] = [t for t in _ephemerals(bugdesk) if "did not take the bug yet" in t]
    assert "429" in delayed and "in about 90 s" in delayed
    asked = bugdesk.jira.request_count
    bugdesk.clock.advance(seconds=60)
    bugdesk.settle()
    assert bugdesk.jira.request_count == asked  # nothing sent to Jira before Retry-After
    bugdesk.clock.advance(seconds=31)
    bugdesk.settle()
    assert len(bug_replies(bugdesk, root, "Filed SUP-1")) == 1


def test_link_by_key_and_by_search_and_the_issue_lists_every_ticket(bugdesk: Any) -> None:
    key = bugdesk.jira.create_issue(summary="Refund button missing")
    first, root1 = ticket_thread(bugdesk, "Cannot get a refund")
    second, root2 = ticket_thread(bugdesk, "Refund impossible")
    link_ticket(bugdesk, root1, key)
    opened = bugdesk.driver.message_shortcut(
        "link_bug", user_id="U0LEAD", channel_id=SUPPORT, message=root2
    )
    found = bugdesk.driver.options("bug_search", "refund butt", user_id="U0LEAD", view=opened.view)
    assert [o["value"] for o in found.options] == [key]
    assert found.options[0]["text"]["text"] == f"{key} · Refund button missing"
    bugdesk.driver.view_submission(
        "U0LEAD", opened.view, {F.PICK: {"bug_search": found.options[0]}}
    )
    bugdesk.settle()
    for root, who in ((root1, "U0AGENT"), (root2, "U0LEAD")):
        [linked] = bug_replies(bugdesk, root, f"Linked to {key}")
        assert f"<@{who}> linked this ticket" in text_of(linked)
    comments = [c["body"] for c in bugdesk.jira.comments(key)]
    assert len(comments) == 2
    assert f"Zendesk #{first['id']}" in comments[0] and "Linked by Ada Agent" in comments[0]
    assert f"Zendesk #{second['id']}" in comments[1] and "Linked by Lee Lead" in comments[1]
    urls = {link["object"]["url"] for link in bugdesk.jira.remote_links(key)}
    assert {
        bugdesk.zendesk.ticket_url(first["id"]),
        bugdesk.zendesk.ticket_url(second["id"]),
    } <= urls
    assert len(urls) == 4  # two tickets and their two threads
    assert _links(bugdesk, second["id"]) == [(key, "linked", "U0LEAD")]


def test_one_ticket_can_link_several_bugs_but_not_the_same_twice(bugdesk: Any) -> None:
    one = bugdesk.jira.create_issue(summary="Refund button missing")
    two = bugdesk.jira.create_issue(summary="Refund email late")
    ticket, root = ticket_thread(bugdesk)
    link_ticket(bugdesk, root, one)
    link_ticket(bugdesk, root, two)
    assert [k for k, _, _ in _links(bugdesk, ticket["id"])] == [one, two]
    again = link_ticket(bugdesk, root, one)
    assert again.errors == {F.PICK: f"This ticket is already linked to {one}."}


def test_search_failure_is_shown_and_cannot_be_submitted(bugdesk: Any) -> None:
    _, root = ticket_thread(bugdesk)
    opened = bugdesk.driver.message_shortcut(
        "link_bug", user_id="U0AGENT", channel_id=SUPPORT, message=root
    )
    bugdesk.jira.set_down(True)
    found = bugdesk.driver.options("bug_search", "refund", user_id="U0AGENT", view=opened.view)
    [option] = found.options
    assert (
        "Jira search failed" in option["text"]["text"]
        and "unavailable" in option["text"]["text"].lower()
    )
    answer = bugdesk.driver.view_submission(
        "U0AGENT", opened.view, {F.PICK: {"bug_search": option}}
    )
    assert answer.errors and F.PICK in answer.errors


def test_unlink_from_the_thread_and_from_the_link_modal(bugdesk: Any) -> None:
    key = bugdesk.jira.create_issue(summary="Refund button missing")
    ticket, root = ticket_thread(bugdesk)
    link_ticket(bugdesk, root, key)
    [linked] = bug_replies(bugdesk, root, f"Linked to {key}")
    bugdesk.driver.block_action("U0AGENT", "bug_unlink", message=linked, channel_id=SUPPORT)
    bugdesk.settle()
    assert len(bug_replies(bugdesk, root, f"Unlinked from {key}")) == 1
    assert _links(bugdesk, ticket["id"]) == []
    assert bugdesk.jira.remote_links(key) == []

    link_ticket(bugdesk, root, key, user="U0LEAD")
    opened = bugdesk.driver.message_shortcut(
        "link_bug", user_id="U0LEAD", channel_id=SUPPORT, message=root
    )
    assert initial_values(opened.view) == {}
    bugdesk.driver.view_submission("U0LEAD", opened.view, {F.UNLINK: [key]})
    bugdesk.settle()
    assert len(bug_replies(bugdesk, root, f"Unlinked from {key}")) == 2
    assert _links(bugdesk, ticket["id"]) == []
    bugdesk.clock.advance(minutes=1)
    bugdesk.jira.close(key)
    bugdesk.settle()
    assert bug_replies(bugdesk, root, "is done") == []
    assert bugdesk.slack.dms("U0AGENT") == [] and bugdesk.slack.dms("U0LEAD") == []


def test_without_cached_options_the_modal_asks_in_text_and_jira_checks(bugdesk: Any) -> None:
    _, root = ticket_thread(bugdesk)
    opened = open_file_form(bugdesk, root)
    assert bugdesk.jira.request_count == 0
    blocks = {b.get("block_id"): b for b in opened.view["blocks"]}
    assert blocks[F.PROJECT]["element"]["type"] == "plain_text_input"
    assert initial_values(opened.view)[F.PROJECT] == "SUP"
    submit(bugdesk, opened.view, **{F.COMPONENTS: "Backend, Mobile", F.PRIORITY: "Low"})
    bugdesk.settle()
    fields = bugdesk.jira.issue("SUP-1")["fields"]
    assert [c["name"] for c in fields["components"]] == ["Backend", "Mobile"]
    assert fields["priority"]["name"] == "Low"


def test_file_modal_can_switch_to_linking(bugdesk: Any) -> None:
    _, root = ticket_thread(bugdesk)
    view = open_file_form(bugdesk, root).view
    bugdesk.driver.block_action("U0AGENT", "bug_link_instead", view=view)
    [top] = bugdesk.slack.views("U0AGENT")
    assert top["callback_id"] == "bug_link_form"


def test_shortcut_outside_a_ticket_thread_says_so(bugdesk: Any) -> None:
    message = bugdesk.slack.post_as_user("U0AGENT", SUPPORT, "just chatting")
    opened = bugdesk.driver.message_shortcut(
        "file_bug", user_id="U0AGENT", channel_id=SUPPORT, message=message
    )
    assert opened.view is None and any("not in a ticket thread" in t for t in opened.ephemeral)


def test_replies_in_the_thread_are_unchanged_by_filing(bugdesk: Any) -> None:
    _, root = ticket_thread(bugdesk)
    before = len(replies(bugdesk, root))
    file_bug(bugdesk, root)
    bugdesk.settle()
    assert len(replies(bugdesk, root)) == before + 1


def test_jira_credentials_never_reach_logs_or_users(bugdesk: Any, caplog: Any) -> None:
    caplog.set_level(logging.DEBUG)
    _, root = ticket_thread(bugdesk)
    bugdesk.jira.api_token = "rotated-token"  # Jira now refuses the bot's credentials: 401
    file_bug(bugdesk, root)
    bugdesk.settle()
    [refused] = [t for t in _ephemerals(bugdesk) if "Jira refused the bug" in t]
    assert "401" in refused and "check JIRA_EMAIL and JIRA_API_TOKEN" in refused
    token = bugdesk.runtime.settings.secret("jira_api_token")
    basic = base64.b64encode(f"{bugdesk.jira.email}:{token}".encode()).decode()
    shown = caplog.text + " ".join(_ephemerals(bugdesk))
    assert token not in shown and basic not in shown
    with transaction(bugdesk.runtime.factory) as session:
        [call] = session.query(PendingCall).filter_by(kind="jira.create").all()
        assert call.status == "failed" and token not in (call.last_error or "")
