"""`route add` and `sync on` only take channels the bot is in, joining public ones itself."""

from __future__ import annotations

import json
from typing import Any

SUPPORT = "C0SUPPORT"


def _say(app: Any, text: str, channel: str = SUPPORT) -> str:
    answer = app.driver.command("/support", text, user_id="U0LEAD", channel_id=channel)
    posted = app.slack.responses(answer.response_url)  # the answer after asking Slack
    return "\n".join(answer.ephemeral) + json.dumps([answer.json, posted])


def _rules(app: Any) -> str:
    listing = app.driver.command("/support", "route list", user_id="U0LEAD", channel_id=SUPPORT)
    return json.dumps(listing.json)


def _members(app: Any, channel: str) -> list[str]:
    return app.slack.state.channels[channel]["members"]


def test_route_add_joins_a_public_channel_the_bot_is_not_in(app: Any) -> None:
    app.slack.add_channel("C0BILLING", "billing", members=["U0LEAD"], bot_member=False)
    said = _say(app, "route add group Billing <#C0BILLING|billing>")
    assert "Rule 1 added" in said and "I joined <#C0BILLING>" in said
    assert "U0BOT" in _members(app, "C0BILLING")
    [info] = app.slack.calls_to("conversations.info")
    assert info.args["channel"] == "C0BILLING" and info.response["channel"]["is_member"] is False
    assert len(app.slack.calls_to("conversations.join")) == 1
    again = _say(app, "route ADD tag vip <#C0BILLING|billing>")
    assert "Rule 2 added" in again and "I joined" not in again
    assert len(app.slack.calls_to("conversations.join")) == 1  # a member already: no join


def test_a_private_channel_without_the_bot_is_refused_and_nothing_is_saved(app: Any) -> None:
    app.slack.add_channel("G0SECRET", "secret", is_private=True, bot_member=False)
    said = _say(app, "route add group Billing <#G0SECRET|secret>")
    assert "If it is a private channel, invite me first" in said and "Nothing changed" in said
    assert "No routing rules yet" in _rules(app)
    assert app.slack.calls_to("conversations.join") == []
    app.slack.add_channel("G0SECRET", "secret", is_private=True)  # someone invites the bot
    assert "Rule 1 added" in _say(app, "route add group Billing <#G0SECRET|secret>")


def test_without_the_join_scope_the_lead_is_told_to_invite_the_bot(app: Any) -> None:
    app.slack.add_channel("C0BILLING", "billing", bot_member=False)
    app.slack.fail_method("conversations.join", "missing_scope")
    said = _say(app, "route add group Billing <#C0BILLING|billing>")
    assert "may not join it by myself: invite me" in said
    assert "No routing rules yet" in _rules(app)


def test_archived_channels_and_an_unreachable_slack_are_refused(app: Any) -> None:
    app.slack.add_channel("C0OLD", "old", bot_member=False, is_archived=True)
    assert "is archived" in _say(app, "route add group Billing <#C0OLD|old>")
    app.slack.add_channel("C0BILLING", "billing", bot_member=False)
    app.slack.fail("conversations.info", 503, {"ok": False, "error": "service_unavailable"})
    assert "could not ask Slack" in _say(app, "route add group Billing <#C0BILLING|billing>")
    assert "No routing rules yet" in _rules(app)


def test_sync_on_needs_the_bot_in_the_channel(app: Any) -> None:
    app.slack.add_channel("G0PRIV", "escalations", is_private=True, bot_member=False,
                          members=["U0LEAD"])  # fmt: skip
    said = _say(app, "sync on", channel="G0PRIV")
    assert "invite me first" in said
    assert "stay in Slack" in _say(app, "sync status", channel="G0PRIV")
    app.slack.add_channel("C0TRIAGE", "triage", bot_member=False, members=["U0LEAD"])
    said = _say(app, "sync on", channel="C0TRIAGE")
    assert "is now sent to the ticket" in said and "I joined" in said
    assert "U0BOT" in _members(app, "C0TRIAGE")
    assert "is now sent to the ticket" in _say(app, "sync status", channel="C0TRIAGE")
