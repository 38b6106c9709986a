"""The Slack simulator through slack_sdk's WebClient over real HTTP (time is faked, never slept)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from integrations.simulators.slack.server import DEFAULT_SCOPES, SlackSimulator

TOKEN = "xoxb-test"
START = 1_764_000_000.0
SECTION = {"type": "section", "text": {"type": "mrkdwn", "text": "hello"}}
MODAL = {
    "type": "modal",
    "callback_id": "new_ticket",
    "title": {"type": "plain_text", "text": "New ticket"},
    "submit": {"type": "plain_text", "text": "Create"},
    "blocks": [
        {
            "type": "input",
            "block_id": "subject",
            "label": {"type": "plain_text", "text": "Subject"},
            "element": {"type": "plain_text_input", "action_id": "value"},
        }
    ],
}


class FakeClock:
    """A clock tests move by hand."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def _workspace(sim: SlackSimulator) -> SlackSimulator:
    sim.add_user("U1", "alice", real_name="Alice Doe", email="alice@acme.test")
    sim.add_user("U2", "bob", tz="Europe/Berlin")
    sim.add_channel("C1", "support", members=["U1", "U2"])
    sim.add_channel("C2", "random", members=["U1"], bot_member=False)
    sim.add_channel("G1", "secret", is_private=True, members=["U1"], bot_member=False)
    sim.add_channel("C3", "old", is_archived=True)
    return sim


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sim(clock: FakeClock) -> Iterator[SlackSimulator]:
    sim = SlackSimulator(token=TOKEN, clock=clock)
    sim.start()
    yield _workspace(sim)
    sim.stop()


@pytest.fixture
def client(sim: SlackSimulator) -> WebClient:
    return WebClient(token=TOKEN, base_url=sim.api_url)


def _fails(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> SlackApiError:
    """The SlackApiError a WebClient call raises."""
    with pytest.raises(SlackApiError) as caught:
        fn(*args, **kwargs)
    return caught.value


def test_auth_test_identifies_the_bot_and_reports_scopes(client: WebClient) -> None:
    answer = client.auth_test()
    assert answer["user_id"] == "U0BOT" and answer["bot_id"] == "B0BOT"
    assert answer["team_id"] == "T0SIM" and answer["url"] == "https://acme.slack.com/"
    assert "chat:write" in answer.headers["x-oauth-scopes"].split(",")


def test_scopes_header_lists_the_token_scopes_it_was_given(clock: FakeClock) -> None:
    # https://docs.slack.dev/authentication/tokens: x-oauth-scopes on every Web API answer.
    with SlackSimulator(token=TOKEN, clock=clock, scopes=["commands", "chat:write"]) as sim:
        answer = WebClient(token=TOKEN, base_url=sim.api_url).auth_test()
        assert answer.headers["x-oauth-scopes"] == "commands,chat:write"
        refused = _fails(WebClient(token="xoxb-nope", base_url=sim.api_url).auth_test)
        assert "x-oauth-scopes" not in refused.response.headers


def test_missing_token_is_not_authed_and_a_wrong_one_invalid_auth(sim: SlackSimulator) -> None:
    assert _fails(WebClient(base_url=sim.api_url).auth_test).response["error"] == "not_authed"
    wrong = WebClient(token="xoxb-nope", base_url=sim.api_url)
    assert (
        _fails(wrong.chat_postMessage, channel="C1", text="x").response["error"] == "invalid_auth"
    )
    assert sim.messages("C1") == []


def test_replies_make_the_parent_a_thread(sim: SlackSimulator, client: WebClient) -> None:
    parent = client.chat_postMessage(channel="C1", text="Ticket #1")
    assert parent["channel"] == "C1" and parent["message"]["bot_id"] == "B0BOT"
    human = sim.post_as_user("U1", "C1", "on it", thread_ts=parent["ts"])
    reply = client.chat_postMessage(channel="C1", text="noted", thread_ts=parent["ts"])
    assert reply["message"]["thread_ts"] == parent["ts"]
    [top] = sim.messages("C1")
    assert top["reply_count"] == 2 and top["reply_users"] == ["U1", "U0BOT"]
    assert top["latest_reply"] == reply["ts"] and top["thread_ts"] == parent["ts"]
    assert [m["ts"] for m in sim.replies("C1", parent["ts"])] == [human["ts"], reply["ts"]]
    thread = client.conversations_replies(channel="C1", ts=human["ts"])["messages"]
    assert [m["text"] for m in thread] == ["Ticket #1", "on it", "noted"]
    assert float(parent["ts"]) < float(human["ts"]) < float(reply["ts"])


def test_reply_broadcast_also_shows_in_history(client: WebClient) -> None:
    parent = client.chat_postMessage(channel="C1", text="parent")
    client.chat_postMessage(channel="C1", text="loud", thread_ts=parent["ts"], reply_broadcast=True)
    history = client.conversations_history(channel="C1")["messages"]
    assert [m["text"] for m in history] == ["loud", "parent"]
    assert history[0]["subtype"] == "thread_broadcast"


def test_history_pages_newest_first_with_cursor(client: WebClient, clock: FakeClock) -> None:
    sent = []
    for i in range(5):
        clock.advance(1)
        sent.append(client.chat_postMessage(channel="C1", text=f"m{i}")["ts"])
    first = client.conversations_history(channel="C1", limit=2)
    assert [m["text"] for m in first["messages"]] == ["m4", "m3"] and first["has_more"]
    cursor = first["response_metadata"]["next_cursor"]
    second = client.conversations_history(channel="C1", limit=2, cursor=cursor)
    assert [m["text"] for m in second["messages"]] == ["m2", "m1"]
    window = client.conversations_history(
        channel="C1", oldest=sent[1], latest=sent[3], inclusive=True
    )
    assert [m["text"] for m in window["messages"]] == ["m3", "m2", "m1"]
    bad = _fails(client.conversations_history, channel="C1", cursor="not-a-cursor!")
    assert bad.response["error"] == "invalid_cursor"


def test_metadata_round_trips_only_with_include_all_metadata(client: WebClient) -> None:
    metadata = {"event_type": "ticket_thread", "event_payload": {"ticket": 42}}
    parent = client.chat_postMessage(channel="C1", text="t", metadata=metadata)
    client.chat_postMessage(channel="C1", text="r", thread_ts=parent["ts"], metadata=metadata)
    plain = client.conversations_history(channel="C1")["messages"][0]
    assert "metadata" not in plain
    full = client.conversations_history(channel="C1", include_all_metadata=True)["messages"][0]
    assert full["metadata"] == metadata
    replies = client.conversations_replies(channel="C1", ts=parent["ts"], include_all_metadata=True)
    assert [m["metadata"] for m in replies["messages"]] == [metadata, metadata]
    assert all(
        "metadata" not in m
        for m in client.conversations_replies(channel="C1", ts=parent["ts"])["messages"]
    )


def test_update_keeps_or_removes_metadata_and_marks_edited(
    sim: SlackSimulator, client: WebClient
) -> None:
    metadata = {"event_type": "ticket_thread", "event_payload": {"ticket": 7}}
    posted = client.chat_postMessage(channel="C1", text="v1", blocks=[SECTION], metadata=metadata)
    updated = client.chat_update(channel="C1", ts=posted["ts"], text="v2")
    assert updated["text"] == "v2" and updated["message"]["metadata"] == metadata
    stored = sim.message("C1", posted["ts"])
    assert stored is not None and stored["edited"]["user"] == "U0BOT"
    assert stored["blocks"] == [SECTION]  # omitted blocks are kept
    client.chat_update(channel="C1", ts=posted["ts"], text="v3", metadata={})
    assert sim.messages("C1")[0]["metadata"] is None
    human = sim.post_as_user("U1", "C1", "mine")
    assert (
        _fails(client.chat_update, channel="C1", ts=human["ts"], text="x").response["error"]
        == "cant_update_message"
    )
    missing = _fails(client.chat_update, channel="C1", ts="1.000001", text="x")
    assert missing.response["error"] == "message_not_found"


def test_delete_removes_only_the_bots_messages(sim: SlackSimulator, client: WebClient) -> None:
    posted = client.chat_postMessage(channel="C1", text="oops")
    human = sim.post_as_user("U1", "C1", "hi")
    assert _fails(client.chat_delete, channel="C1", ts=human["ts"]).response["error"] == (
        "cant_delete_message"
    )
    client.chat_delete(channel="C1", ts=posted["ts"])
    assert [m["text"] for m in sim.messages("C1")] == ["hi"]


def test_post_to_a_user_id_lands_in_the_bots_dm(sim: SlackSimulator, client: WebClient) -> None:
    answer = client.chat_postMessage(channel="U1", text="psst")
    assert answer["channel"].startswith("D") and answer["channel"] == sim.dm_channel("U1")
    assert [m["text"] for m in sim.dms("U1")] == ["psst"]
    opened = client.conversations_open(users="U1")
    assert opened["channel"]["id"] == answer["channel"]
    assert client.conversations_info(channel=answer["channel"])["channel"]["is_im"] is True


def test_posting_rules_follow_membership_scopes_and_archival(clock: FakeClock) -> None:
    scopes = [s for s in DEFAULT_SCOPES if s != "chat:write.public"]
    with SlackSimulator(token=TOKEN, clock=clock, scopes=scopes) as sim:
        client = WebClient(token=TOKEN, base_url=_workspace(sim).api_url)
        for channel, error in [
            ("C2", "not_in_channel"),
            ("G1", "channel_not_found"),
            ("C3", "is_archived"),
            ("C404", "channel_not_found"),
        ]:
            assert (
                _fails(client.chat_postMessage, channel=channel, text="x").response["error"]
                == error
            )
    with SlackSimulator(token=TOKEN, clock=clock) as public:
        client = WebClient(token=TOKEN, base_url=_workspace(public).api_url)
        assert client.chat_postMessage(channel="#random", text="hello")["channel"] == "C2"
        with pytest.warns(UserWarning):
            assert _fails(client.chat_postMessage, channel="C1").response["error"] == "no_text"
        missing = requests.post(
            public.api_url + "chat.postMessage", data={"token": TOKEN, "text": "x"}, timeout=5
        ).json()
        assert missing == {"ok": False, "error": "channel_not_found"}


def test_block_kit_and_length_limits(client: WebClient) -> None:
    too_many = _fails(client.chat_postMessage, channel="C1", text="x", blocks=[SECTION] * 51)
    assert too_many.response["error"] == "invalid_blocks"
    assert "50" in too_many.response["response_metadata"]["messages"][0]
    long_button = {
        "type": "actions",
        "elements": [
            {"type": "button", "action_id": "a", "text": {"type": "plain_text", "text": "x" * 80}}
        ],
    }
    invalid = _fails(client.chat_postMessage, channel="C1", text="x", blocks=[long_button])
    assert invalid.response["error"] == "invalid_blocks"
    assert "/blocks/0" in invalid.response["response_metadata"]["messages"][0]
    unknown = _fails(client.chat_postMessage, channel="C1", text="x", blocks=[{"type": "nope"}])
    assert unknown.response["error"] == "invalid_blocks"
    assert (
        _fails(client.chat_postMessage, channel="C1", text="x" * 40_001).response["error"]
        == "msg_too_long"
    )
    assert client.chat_postMessage(channel="C1", text="x", blocks=[SECTION] * 50)["ok"]


@pytest.mark.slack_warnings
def test_blocks_without_fallback_text_are_flagged(sim: SlackSimulator, client: WebClient) -> None:
    with pytest.warns(UserWarning):
        answer = client.chat_postMessage(channel="C1", blocks=[SECTION])
    assert answer["warning"] == "missing_text_in_blocks"
    assert sim.warnings == [
        {
            "warning": "missing_text_in_blocks",
            "method": "chat.postMessage",
            "channel": "C1",
            "ts": answer["ts"],
        }
    ]


def test_form_and_query_arguments_work_like_json(sim: SlackSimulator) -> None:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    posted = requests.post(
        sim.api_url + "chat.postMessage",
        data={"channel": "C1", "text": "form", "blocks": json.dumps([SECTION])},
        headers=headers,
        timeout=5,
    ).json()
    assert posted["ok"] and posted["message"]["blocks"] == [SECTION]
    history = requests.get(
        sim.api_url + "conversations.history",
        params={"channel": "C1", "limit": "1"},
        headers=headers,
        timeout=5,
    ).json()
    assert history["messages"][0]["text"] == "form"
    unknown = requests.post(sim.api_url + "chat.frobnicate", headers=headers, timeout=5).json()
    assert unknown == {"ok": False, "error": "unknown_method"}


def test_ephemeral_needs_a_member_and_permalinks_point_into_threads(
    sim: SlackSimulator, client: WebClient
) -> None:
    assert client.chat_postEphemeral(channel="C1", user="U1", text="only you")["message_ts"]
    assert sim.ephemerals(user="U1")[0]["text"] == "only you"
    outsider = _fails(client.chat_postEphemeral, channel="C1", user="U0BOT2", text="x")
    assert outsider.response["error"] == "user_not_in_channel"
    parent = client.chat_postMessage(channel="C1", text="p")
    reply = client.chat_postMessage(channel="C1", text="r", thread_ts=parent["ts"])
    plain = client.chat_getPermalink(channel="C1", message_ts=parent["ts"])["permalink"]
    assert plain == f"https://acme.slack.com/archives/C1/p{parent['ts'].replace('.', '')}"
    threaded = client.chat_getPermalink(channel="C1", message_ts=reply["ts"])["permalink"]
    assert threaded.endswith(f"?thread_ts={parent['ts']}&cid=C1")


def test_people_and_groups(sim: SlackSimulator, client: WebClient) -> None:
    alice = client.users_info(user="U1")["user"]
    assert alice["real_name"] == "Alice Doe" and alice["profile"]["email"] == "alice@acme.test"
    assert alice["tz"] == "America/New_York" and alice["tz_offset"] == -5 * 3600
    assert client.users_info(user="U2")["user"]["tz_offset"] == 3600
    assert client.users_lookupByEmail(email="ALICE@acme.test")["user"]["id"] == "U1"
    assert _fails(client.users_info, user="U9").response["error"] == "user_not_found"
    sim.remove_user("U2")
    assert client.users_info(user="U2")["user"]["deleted"] is True
    page = client.users_list(limit=2)
    assert len(page["members"]) == 2 and page["response_metadata"]["next_cursor"]
    sim.add_usergroup("S1", "oncall", users=["U1"])
    sim.set_usergroup_users("S1", ["U2", "U1"])
    assert client.usergroups_users_list(usergroup="S1")["users"] == ["U2", "U1"]
    listed = client.usergroups_list(include_users=True)["usergroups"]
    assert listed[0]["handle"] == "oncall" and listed[0]["users"] == ["U2", "U1"]
    assert "users" not in client.usergroups_list()["usergroups"][0]
    missing = _fails(client.usergroups_users_list, usergroup="S9")
    assert missing.response["error"] == "no_such_subteam"


def test_join_members_and_reactions(sim: SlackSimulator, client: WebClient) -> None:
    assert client.conversations_join(channel="C2")["channel"]["is_member"] is True
    assert "U0BOT" in client.conversations_members(channel="C2")["members"]
    posted = client.chat_postMessage(channel="C2", text="react to me")
    client.reactions_add(channel="C2", timestamp=posted["ts"], name="eyes")
    again = _fails(client.reactions_add, channel="C2", timestamp=posted["ts"], name="eyes")
    assert again.response["error"] == "already_reacted"
    got = client.reactions_get(channel="C2", timestamp=posted["ts"])["message"]["reactions"]
    assert got == [{"name": "eyes", "users": ["U0BOT"], "count": 1}]


def test_trigger_ids_are_single_use_and_expire(
    sim: SlackSimulator, client: WebClient, clock: FakeClock
) -> None:
    trigger = sim.new_trigger_id("U1")
    opened = client.views_open(trigger_id=trigger, view=MODAL)["view"]
    assert opened["id"] == opened["root_view_id"] and opened["hash"]
    assert opened["state"] == {"values": {}} and sim.views("U1")[0]["id"] == opened["id"]
    reused = _fails(client.views_open, trigger_id=trigger, view=MODAL)
    assert reused.response["error"] == "exchanged_trigger_id"
    late = sim.new_trigger_id("U1")
    clock.advance(3.5)
    assert _fails(client.views_open, trigger_id=late, view=MODAL).response["error"] == (
        "expired_trigger_id"
    )
    bogus = _fails(client.views_open, trigger_id="nope", view=MODAL)
    assert bogus.response["error"] == "invalid_trigger_id"
    bad_view = dict(MODAL, title={"type": "plain_text", "text": "x" * 30})
    invalid = _fails(client.views_open, trigger_id=sim.new_trigger_id("U1"), view=bad_view)
    assert invalid.response["error"] == "invalid_arguments"


def test_view_stack_limit_hash_conflict_and_home(sim: SlackSimulator, client: WebClient) -> None:
    root = client.views_open(trigger_id=sim.new_trigger_id("U1"), view=MODAL)["view"]
    for _ in range(2):
        client.views_push(trigger_id=sim.new_trigger_id("U1"), view=MODAL)
    full = _fails(client.views_push, trigger_id=sim.new_trigger_id("U1"), view=MODAL)
    assert full.response["error"] == "push_limit_reached"
    assert [v["root_view_id"] for v in sim.views("U1")] == [root["id"]] * 3
    changed = dict(MODAL, title={"type": "plain_text", "text": "Edited"})
    updated = client.views_update(view_id=root["id"], view=changed, hash=root["hash"])["view"]
    assert updated["id"] == root["id"] and updated["hash"] != root["hash"]
    stale = _fails(client.views_update, view_id=root["id"], view=changed, hash=root["hash"])
    assert stale.response["error"] == "hash_conflict"
    assert _fails(client.views_update, view_id="V404", view=changed).response["error"] == (
        "not_found"
    )
    home = {"type": "home", "blocks": [SECTION]}
    published = client.views_publish(user_id="U1", view=home)["view"]
    assert sim.home("U1") == published and published["type"] == "home"
    assert _fails(client.views_publish, user_id="U1", view=MODAL).response["error"] == (
        "invalid_arguments"
    )


def test_rate_limits_answer_429_with_retry_after_and_no_side_effect(
    sim: SlackSimulator, client: WebClient, clock: FakeClock
) -> None:
    sim.set_rate_limits(True)
    client.chat_postMessage(channel="C1", text="first")
    limited = _fails(client.chat_postMessage, channel="C1", text="second")
    assert limited.response.status_code == 429
    assert limited.response.headers["Retry-After"] == "1"
    assert limited.response["error"] == "ratelimited"
    assert client.chat_postMessage(channel="C2", text="other channel")["ok"]
    assert [m["text"] for m in sim.messages("C1")] == ["first"]
    clock.advance(1)
    assert client.chat_postMessage(channel="C1", text="later")["ok"]
    for _ in range(20):  # users.list is Tier 2: 20 a minute
        client.users_list()
    tier = _fails(client.users_list)
    assert tier.response.status_code == 429 and int(tier.response.headers["Retry-After"]) == 60
    clock.advance(59)
    assert _fails(client.users_list).response.status_code == 429
    clock.advance(1)
    assert client.users_list()["ok"]


def test_post_burst_allows_short_bursts(sim: SlackSimulator, client: WebClient) -> None:
    sim.set_rate_limits(True, post_burst=3)
    for i in range(3):
        client.chat_postMessage(channel="C1", text=str(i))
    assert _fails(client.chat_postMessage, channel="C1", text="x").response.status_code == 429


def test_response_url_allows_five_uses_within_thirty_minutes(
    sim: SlackSimulator, clock: FakeClock
) -> None:
    url = sim.new_response_url("C1", "U1")
    for i in range(5):
        answer = requests.post(url, json={"text": f"note {i}"}, timeout=5)
        assert answer.status_code == 200 and answer.json() == {"ok": True}
    used = requests.post(url, json={"text": "sixth"}, timeout=5)
    assert used.status_code == 404 and used.json()["error"] == "used_url"
    assert [e["text"] for e in sim.ephemerals(user="U1")] == [f"note {i}" for i in range(5)]
    assert len(sim.responses(url)) == 5
    loud = sim.new_response_url("C1", "U1")
    requests.post(loud, json={"text": "everyone", "response_type": "in_channel"}, timeout=5)
    assert sim.messages("C1")[-1]["text"] == "everyone"
    clock.advance(30 * 60 + 1)
    expired = requests.post(loud, json={"text": "late"}, timeout=5)
    assert expired.status_code == 404 and expired.json()["error"] == "expired_url"


def test_response_url_replaces_and_deletes_the_original(
    sim: SlackSimulator, client: WebClient
) -> None:
    posted = client.chat_postMessage(channel="C1", text="pick one")
    url = sim.new_response_url("C1", "U1", message_ts=posted["ts"])
    requests.post(url, json={"text": "picked", "replace_original": True}, timeout=5)
    [message] = sim.messages("C1")
    assert message["text"] == "picked" and message["edited"]
    requests.post(url, json={"delete_original": True}, timeout=5)
    assert sim.messages("C1") == []


def test_failure_injection(sim: SlackSimulator, client: WebClient) -> None:
    sim.fail("chat.postMessage", 500, {"ok": False, "error": "internal_error"})
    assert _fails(client.chat_postMessage, channel="C1", text="x").response.status_code == 500
    assert sim.messages("C1") == []
    sim.fail("chat.postMessage", 503, after_effect=True)
    assert _fails(client.chat_postMessage, channel="C1", text="lost").response.status_code == 503
    assert [m["text"] for m in sim.messages("C1")] == ["lost"]  # posted, but the answer was lost
    sim.fail_method("chat.postMessage", "channel_not_found", times=2)
    for _ in range(2):
        err = _fails(client.chat_postMessage, channel="C1", text="x")
        assert err.response.status_code == 200 and err.response["error"] == "channel_not_found"
    assert client.chat_postMessage(channel="C1", text="ok")["ok"]
    assert [c.status for c in sim.calls_to("chat.postMessage")] == [500, 503, 200, 200, 200]


def test_a_held_method_waits_until_released(sim: SlackSimulator, client: WebClient) -> None:
    answers: list[Any] = []
    with sim.hold("chat.postMessage") as held:
        poster = threading.Thread(
            target=lambda: answers.append(client.chat_postMessage(channel="C1", text="later"))
        )
        poster.start()
        assert held.wait_arrival()
        assert sim.messages("C1") == [] and answers == []  # still in flight
        assert client.chat_postEphemeral(channel="C1", user="U1", text="others go on")["ok"]
    poster.join(timeout=10)
    assert [m["text"] for m in sim.messages("C1")] == ["later"] and answers[0]["ok"]
    assert client.chat_postMessage(channel="C1", text="after")["ok"]  # released for good


def test_lookup_by_email_finds_members_case_blind_and_needs_its_scope(
    sim: SlackSimulator, client: WebClient, clock: FakeClock
) -> None:
    # https://docs.slack.dev/reference/methods/users.lookupByEmail: arg `email`, the `user`
    # object, error `users_not_found`, scope users:read.email.
    found = client.users_lookupByEmail(email="Alice@ACME.test")["user"]
    assert found["id"] == "U1" and found["profile"]["email"] == "alice@acme.test"
    unknown = _fails(client.users_lookupByEmail, email="nobody@acme.test")
    assert unknown.response["error"] == "users_not_found"
    [call] = [
        c for c in sim.calls_to("users.lookupByEmail") if c.args.get("email") == "nobody@acme.test"
    ]
    assert call.response == {"ok": False, "error": "users_not_found"}
    scopes = [s for s in DEFAULT_SCOPES if s != "users:read.email"]
    with SlackSimulator(token=TOKEN, clock=clock, scopes=scopes) as narrow:
        narrow_client = WebClient(token=TOKEN, base_url=_workspace(narrow).api_url)
        refused = _fails(narrow_client.users_lookupByEmail, email="alice@acme.test")
        assert refused.response["error"] == "missing_scope"
        assert refused.response["needed"] == "users:read.email"


def test_membership_is_read_with_conversations_info_and_public_channels_joined(
    sim: SlackSimulator, client: WebClient, clock: FakeClock
) -> None:
    assert client.conversations_info(channel="C1")["channel"]["is_member"] is True
    outside = client.conversations_info(channel="C2")["channel"]
    assert outside["is_member"] is False and outside["is_private"] is False
    # A private channel the bot is not in does not exist for it.
    assert _fails(client.conversations_info, channel="G1").response["error"] == "channel_not_found"
    assert _fails(client.conversations_join, channel="G1").response["error"] == "channel_not_found"
    assert client.conversations_info(channel="C3")["channel"]["is_archived"] is True
    assert _fails(client.conversations_join, channel="C3").response["error"] == "is_archived"
    joined = client.conversations_join(channel="C2")
    assert joined["channel"]["is_member"] is True and "warning" not in joined
    again = client.conversations_join(channel="C2")
    assert again["warning"] == "already_in_channel"
    assert client.conversations_info(channel="C2")["channel"]["is_member"] is True
    scopes = [s for s in DEFAULT_SCOPES if s not in ("channels:join", "channels:read")]
    with SlackSimulator(token=TOKEN, clock=clock, scopes=scopes) as narrow:
        narrow_client = WebClient(token=TOKEN, base_url=_workspace(narrow).api_url)
        assert _fails(narrow_client.conversations_join, channel="C2").response["needed"] == (
            "channels:join"
        )
        assert _fails(narrow_client.conversations_info, channel="C2").response["needed"] == (
            "channels:read"
        )
