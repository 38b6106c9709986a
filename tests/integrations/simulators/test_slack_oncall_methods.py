"""The Slack simulator's user group writes and channel topics, through slack_sdk's WebClient."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from integrations.simulators.slack.server import DEFAULT_SCOPES, SlackSimulator

TOKEN = "xoxb-test"


@pytest.fixture
def sim() -> Iterator[SlackSimulator]:
    sim = SlackSimulator(token=TOKEN, clock=lambda: 1_764_000_000.0).start()
    sim.add_user("U1", "alice")
    sim.add_user("U2", "bob")
    sim.add_user("U3", "gone", deleted=True)
    sim.add_usergroup("S1", "support-now", users=["U1"])
    sim.add_channel("C1", "support", members=["U1"])
    sim.add_channel("C2", "elsewhere", members=["U1"], bot_member=False)
    sim.add_channel("G1", "private", is_private=True, members=["U1"])
    sim.add_channel("C3", "old", is_archived=True)
    yield sim
    sim.stop()


@pytest.fixture
def client(sim: SlackSimulator) -> WebClient:
    return WebClient(token=TOKEN, base_url=sim.api_url)


def _error(fn: Callable[..., Any], **kwargs: Any) -> str:
    with pytest.raises(SlackApiError) as caught:
        fn(**kwargs)
    return str(caught.value.response["error"])


def test_users_update_replaces_every_member(sim: SlackSimulator, client: WebClient) -> None:
    answer = client.usergroups_users_update(usergroup="S1", users=["U2", "U1"])
    assert answer["usergroup"]["users"] == ["U2", "U1"]
    assert client.usergroups_users_list(usergroup="S1")["users"] == ["U2", "U1"]
    client.usergroups_users_update(usergroup="S1", users="U2")
    assert sim.usergroup("S1")["users"] == ["U2"]


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"usergroup": "S9", "users": "U1"}, "no_such_subteam"),
        ({"usergroup": "S1", "users": ""}, "no_users_provided"),
        ({"usergroup": "S1", "users": "U1,U404"}, "invalid_users"),
        ({"usergroup": "S1", "users": "U3"}, "invalid_users"),
    ],
)
def test_users_update_refuses_what_slack_refuses(
    sim: SlackSimulator, client: WebClient, kwargs: dict[str, str], error: str
) -> None:
    assert _error(client.usergroups_users_update, **kwargs) == error
    assert sim.usergroup("S1")["users"] == ["U1"]


def test_writes_need_the_scope_and_a_group_the_app_may_edit(
    sim: SlackSimulator, client: WebClient
) -> None:
    sim.lock_usergroup("S1")
    assert _error(client.usergroups_users_update, usergroup="S1", users="U2") == (
        "permission_denied"
    )
    assert _error(client.usergroups_disable, usergroup="S1") == "permission_denied"
    sim.lock_usergroup("S1", locked=False)
    sim.set_scopes([s for s in DEFAULT_SCOPES if s != "usergroups:write"])
    assert _error(client.usergroups_users_update, usergroup="S1", users="U2") == "missing_scope"
    assert _error(client.usergroups_enable, usergroup="S1") == "missing_scope"
    assert sim.usergroup("S1")["users"] == ["U1"]


def test_disable_hides_the_group_from_listings_until_enabled(
    sim: SlackSimulator, client: WebClient
) -> None:
    client.usergroups_disable(usergroup="S1")
    assert sim.usergroup("S1")["date_delete"] > 0
    assert client.usergroups_list()["usergroups"] == []
    listed = client.usergroups_list(include_disabled=True)["usergroups"]
    assert [g["id"] for g in listed] == ["S1"]
    client.usergroups_enable(usergroup="S1")
    assert sim.usergroup("S1")["date_delete"] == 0
    assert [g["id"] for g in client.usergroups_list()["usergroups"]] == ["S1"]
    assert sim.usergroup("S1")["users"] == ["U1"]  # kept while disabled


def test_set_topic_changes_the_channel_and_says_so(sim: SlackSimulator, client: WebClient) -> None:
    answer = client.conversations_setTopic(channel="C1", topic="On support now: Alice")
    assert answer["channel"]["topic"]["value"] == "On support now: Alice"
    assert client.conversations_info(channel="C1")["channel"]["topic"]["creator"] == "U0BOT"
    [notice] = sim.messages("C1")
    assert notice["subtype"] == "channel_topic"
    client.conversations_setTopic(channel="G1", topic="private too")
    assert sim.conversation("G1")["topic"]["value"] == "private too"


@pytest.mark.parametrize(
    ("channel", "topic", "error"),
    [
        ("C1", "x" * 251, "too_long"),
        ("C2", "hi", "not_in_channel"),
        ("C3", "hi", "is_archived"),
        ("C404", "hi", "channel_not_found"),
    ],
)
def test_set_topic_refusals(
    sim: SlackSimulator, client: WebClient, channel: str, topic: str, error: str
) -> None:
    assert _error(client.conversations_setTopic, channel=channel, topic=topic) == error


def test_set_topic_needs_the_topic_scope_of_the_channel_type(
    sim: SlackSimulator, client: WebClient
) -> None:
    sim.set_scopes([s for s in DEFAULT_SCOPES if s != "channels:write.topic"])
    assert _error(client.conversations_setTopic, channel="C1", topic="hi") == "missing_scope"
    assert client.conversations_setTopic(channel="G1", topic="hi")["ok"]
    assert sim.conversation("C1")["topic"]["value"] == ""
