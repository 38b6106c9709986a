"""Routing, replies sent back to the ticket as internal notes, and reconciliation."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from bot.db import reading, transaction
from bot.models import AppState, PendingCall
from scheduling.jobs import build_jobs

SUPPORT = "C0SUPPORT"


def _roots(app: Any, channel: str = SUPPORT) -> list[dict[str, Any]]:
    return [m for m in app.slack.messages(channel) if "Zendesk #" in m["text"]]


def _text(message: dict[str, Any]) -> str:
    return message["text"] + json.dumps(message.get("blocks") or [])


def _ticket(app: Any, subject: str = "Broken", **fields: Any) -> dict[str, Any]:
    z = app.zendesk
    customer = z.add_user("Carla Customer", email="carla@globex.test")
    return z.create_ticket(subject, "It broke", requester_id=customer["id"], **fields)


def _job(app: Any, name: str) -> Any:
    jobs = build_jobs(app.runtime.factory, app.runtime.clients, app.runtime.settings)
    return next(j for j in jobs if j.name == name)


def test_leads_route_tickets_by_group_and_others_are_refused(desk: Any) -> None:
    desk.slack.add_channel("C0BILLING", "billing-support", members=["U0LEAD"])
    refused = desk.driver.command(
        "/support",
        "route add group Billing <#C0BILLING|billing>",
        user_id="U0AGENT",
        channel_id=SUPPORT,
    )
    assert "for support leads only" in refused.json["text"] and "<@U0LEAD>" in refused.json["text"]
    added = desk.driver.command(
        "/support",
        "route add group Billing <#C0BILLING|billing>",
        user_id="U0LEAD",
        channel_id=SUPPORT,
    )
    assert added.json is None  # acknowledged at once, answered once Slack said the bot is in
    assert added.ephemeral == ["Rule 1 added"]
    listing = desk.driver.command("/support", "route list", user_id="U0LEAD", channel_id=SUPPORT)
    assert "Billing" in json.dumps(listing.json) and "C0BILLING" in json.dumps(listing.json)
    billing = desk.zendesk.add_group("Billing")
    _ticket(desk, "Invoice wrong", group_id=billing["id"])
    _ticket(desk, "Other thing")
    desk.settle()
    assert [m["text"].split(":")[1].strip() for m in _roots(desk, "C0BILLING")] == [
        "Invoice wrong [new]"
    ]
    assert len(_roots(desk)) == 1


def test_bad_route_arguments_get_a_usage_line(desk: Any) -> None:
    for text in (
        "route add colour blue <#C0X|x>",
        "route add group Billing #billing",
        "route remove nine",
        "route add group",
    ):
        answer = desk.driver.command("/support", text, user_id="U0LEAD", channel_id=SUPPORT)
        [said] = answer.ephemeral
        assert said.startswith(":warning:") and "Usage: `/support route" in said, text
    assert desk.slack.calls_to("conversations.info") == []  # refused before asking Slack


def test_rerouted_ticket_keeps_its_thread_and_gets_a_cross_link(desk: Any) -> None:
    desk.slack.add_channel("C0BILLING", "billing-support", members=["U0LEAD"])
    desk.driver.command(
        "/support",
        "route add group Billing <#C0BILLING|billing>",
        user_id="U0LEAD",
        channel_id=SUPPORT,
    )
    ticket = _ticket(desk, "Moving ticket")
    desk.settle()
    billing = desk.zendesk.add_group("Billing")
    desk.clock.advance(seconds=10)
    desk.zendesk.update_ticket(ticket["id"], group_id=billing["id"])
    desk.settle()
    [root] = _roots(desk)
    assert "Billing" in _text(root)  # the thread stays where it was, up to date
    [link] = desk.slack.messages("C0BILLING")
    assert "is now routed here" in _text(link)
    assert "https://acme.slack.com/archives/C0SUPPORT/p" in _text(link)


def test_shortcut_sends_a_thread_reply_to_the_ticket_as_an_internal_note(desk: Any) -> None:
    ticket = _ticket(desk)
    desk.settle()
    [root] = _roots(desk)
    message, _ = desk.driver.user_message(
        "U0AGENT", SUPPORT, "Customer is on plan X", thread_ts=root["ts"]
    )
    answer = desk.driver.message_shortcut(
        "send_to_ticket", user_id="U0AGENT", channel_id=SUPPORT, message=message
    )
    assert any("Sending to ticket" in t for t in answer.ephemeral)
    desk.settle()
    notes = [c for c in desk.zendesk.comments[ticket["id"]] if not c["public"]]
    assert len(notes) == 1
    assert "Customer is on plan X" in notes[0]["body"] and "Ada Agent" in notes[0]["body"]
    # Zendesk's webhook for that note is not echoed into the thread.
    replies = [m["text"] for m in desk.slack.replies(SUPPORT, root["ts"])]
    assert sum("Customer is on plan X" in t for t in replies) == 1  # the agent's own message
    assert any("Sent to ticket" in e["text"] for e in desk.slack.ephemerals(user="U0AGENT"))
    again = desk.driver.message_shortcut(
        "send_to_ticket", user_id="U0AGENT", channel_id=SUPPORT, message=message
    )
    assert any("already sent" in t for t in again.ephemeral)


def test_the_note_is_stored_and_acknowledged_before_the_agent_is_answered(desk: Any) -> None:
    _ticket(desk)
    desk.settle()
    [root] = _roots(desk)
    message, _ = desk.driver.user_message("U0AGENT", SUPPORT, "Plan X", thread_ts=root["ts"])
    bare = desk.bare_driver()
    with desk.slack.hold("response_url", timeout=5) as held:
        answer = bare.message_shortcut(
            "send_to_ticket", user_id="U0AGENT", channel_id=SUPPORT, message=message
        )
        assert answer.status == 200 and answer.ephemeral == []  # acknowledged, not answered yet
        assert held.wait_arrival()
        # The answer is on its way while the note request is committed for everyone to see.
        with reading(desk.runtime.factory) as session:
            notes = session.scalars(select(PendingCall).where(PendingCall.kind == "helpdesk.note"))
            assert len(notes.all()) == 1
    desk.followed()
    assert any("Sending to ticket" in t for t in answer.ephemeral)
    bare.close()


def test_shortcut_outside_a_ticket_thread_says_so(desk: Any) -> None:
    message = desk.slack.post_as_user("U0AGENT", SUPPORT, "just chatting")
    answer = desk.driver.message_shortcut(
        "send_to_ticket", user_id="U0AGENT", channel_id=SUPPORT, message=message
    )
    assert any("not in a ticket thread" in t for t in answer.ephemeral)


def test_helpdesk_errors_are_shown_to_the_agent_and_the_note_is_retried(desk: Any) -> None:
    ticket = _ticket(desk)
    desk.settle()
    [root] = _roots(desk)
    desk.zendesk.fail("tickets.update", 503, {"error": "ServiceUnavailable"}, times=1)
    message, _ = desk.driver.user_message("U0AGENT", SUPPORT, "retry me", thread_ts=root["ts"])
    desk.driver.message_shortcut(
        "send_to_ticket", user_id="U0AGENT", channel_id=SUPPORT, message=message
    )
    desk.settle()
    warned = [e["text"] for e in desk.slack.ephemerals(user="U0AGENT")]
    assert any("will be retried" in t and "503" in t for t in warned)
    assert not [c for c in desk.zendesk.comments[ticket["id"]] if not c["public"]]
    desk.clock.advance(minutes=2)
    desk.settle()
    assert len([c for c in desk.zendesk.comments[ticket["id"]] if not c["public"]]) == 1


def test_channel_opt_in_syncs_every_reply_in_ticket_threads(desk: Any) -> None:
    ticket = _ticket(desk)
    desk.settle()
    [root] = _roots(desk)
    desk.driver.user_message("U0AGENT", SUPPORT, "not synced yet", thread_ts=root["ts"])
    desk.clock.advance(seconds=1)
    answer = desk.driver.command("/support", "sync on", user_id="U0LEAD", channel_id=SUPPORT)
    [said] = answer.ephemeral
    assert "is now sent to the ticket" in said
    desk.clock.advance(seconds=1)
    desk.driver.user_message("U0AGENT", SUPPORT, "synced reply", thread_ts=root["ts"])
    desk.driver.user_message("U0AGENT", SUPPORT, "top-level chatter")
    desk.settle()
    bodies = [c["body"] for c in desk.zendesk.comments[ticket["id"]] if not c["public"]]
    assert len(bodies) == 1 and "synced reply" in bodies[0]


def test_reconciliation_recovers_tickets_whose_webhooks_were_lost(desk: Any) -> None:
    z = desk.zendesk
    z.deliver = "drop"
    ticket = _ticket(desk, "Lost webhook")
    z.add_comment(
        ticket["id"], "A comment nobody heard about", author_id=z.add_agent("Ada Agent")["id"]
    )
    desk.clock.advance(minutes=2)  # the export leaves out the last minute
    job = _job(desk, "zendesk_export")
    assert job.run(desk.clock.now())["stored"] == 1
    desk.settle()
    [root] = _roots(desk)
    assert "Lost webhook" in root["text"]
    texts = [m["text"] for m in desk.slack.replies(SUPPORT, root["ts"])]
    assert sum("A comment nobody heard about" in t for t in texts) == 1
    # Running again, or the lost webhooks arriving late, adds nothing.
    assert job.run(desk.clock.now()).get("stored", 0) == 0
    for lost in z.lost_webhooks():
        z.deliver = "sync"
        z.replay(lost["id"])
    desk.settle()
    assert len(_roots(desk)) == 1
    assert len(desk.slack.replies(SUPPORT, root["ts"])) == len(texts)
    with transaction(desk.runtime.factory) as session:
        assert session.get(AppState, "zendesk.export").value["cursor"]


def test_reconciliation_backs_off_when_rate_limited(desk: Any) -> None:
    desk.zendesk.fail(
        "incremental.tickets", 429, {"error": "APIRateLimitExceeded"}, headers={"Retry-After": "60"}
    )
    job = _job(desk, "zendesk_export")
    assert job.run(desk.clock.now()) == {"failed": 1}
    assert job.run(desk.clock.now()) == {"paused": 1}
    desk.clock.advance(seconds=61)
    assert "tickets" in job.run(desk.clock.now())


def test_tickets_route_by_brand_tag_and_priority_first_match_wins(desk: Any) -> None:
    for channel, name in (("C0BRAND", "acme-shop"), ("C0TAG", "vip"), ("C0URGENT", "urgent")):
        desk.slack.add_channel(channel, name, members=["U0LEAD"])
    for rule in (
        "route add brand Acme Shop <#C0BRAND|acme-shop>",
        "route add tag VIP <#C0TAG|vip>",
        "route add priority Urgent <#C0URGENT|urgent>",
    ):
        added = desk.driver.command("/support", rule, user_id="U0LEAD", channel_id=SUPPORT)
        [answer] = desk.slack.responses(added.response_url)  # after checking the channel
        assert "Rule" in answer["text"], answer
    shop = desk.zendesk.add_brand("Acme Shop")
    _ticket(desk, "By brand", brand_id=shop["id"], tags=["vip"], priority="urgent")
    _ticket(desk, "By tag", tags=["billing", "vip"], priority="urgent")
    _ticket(desk, "By priority", priority="urgent")
    _ticket(desk, "Nothing matches", tags=["billing"], priority="high")
    desk.settle()

    def subjects(channel: str) -> list[str]:
        return [m["text"].split(": ", 1)[1].rsplit(" [", 1)[0] for m in _roots(desk, channel)]

    assert subjects("C0BRAND") == ["By brand"]  # the first matching rule wins
    assert subjects("C0TAG") == ["By tag"]
    assert subjects("C0URGENT") == ["By priority"]
    assert subjects(SUPPORT) == ["Nothing matches"]
