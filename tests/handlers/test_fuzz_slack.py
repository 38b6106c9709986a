"""Fuzzing /slack/events: real slash commands, interactions and events, mutated and signed.

The seeds are what the Slack driver sent during real flows (a ticket thread, the bug modals,
the rotation modal, shift buttons, the App Home, every subcommand); each fuzz run mutates
them, signs them like Slack and sends them. Whatever the body, the answer is 2xx or 4xx, the
app logs one refusal line and no traceback, stays healthy, and `/support help` still works.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest
from bug_helpers import SUPPORT, file_bug, link_ticket, open_file_form, ticket_thread
from fuzzing import CANARY, broken, count, dumps, mutated, run
from harness import SIGNING_SECRET
from hypothesis import strategies as st
from rotation_helpers import ROTATION_CHANNEL, add_workspace, form_values, refresh_directory

from bot.ids import Action
from integrations.simulators.driver.client import DriverResponse, SlackDriver

PATH = "/slack/events"
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
CONTENT_TYPES = [FORM, JSON, "text/plain", "application/json; charset=utf-8", ""]


class Recorder(SlackDriver):
    """The Slack driver, keeping a copy of every body it sends."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sent: list[tuple[bytes, str]] = []

    def post(self, body: bytes, content_type: str, **kwargs: Any) -> DriverResponse:
        self.sent.append((body, content_type))
        return super().post(body, content_type, **kwargs)


def _record_flows(app: Any) -> Recorder:
    """Real requests of every kind, through a recording driver."""
    add_workspace(app.slack)
    refresh_directory(app)
    slack = Recorder(
        app.url,
        SIGNING_SECRET,
        app.slack,
        clock=app.clock.epoch,
        after_answer=app.runtime.followups.wait,
    )
    names = [e.name for e in app.runtime.bolt.supportbot_registry.entries()]
    for name in names:
        slack.command("/support", name, user_id="U0LEAD", channel_id=SUPPORT)
    for text in (
        f"help {CANARY}",
        "route add group billing <#C0SUPPORT|support>",
        "bugs SUP-1",
        "ooo 2d",
        "sla set high 2h",
    ):
        slack.command("/support", text, user_id="U0LEAD", channel_id=SUPPORT)
    opened = slack.command(
        "/support", "rotation create", user_id="U0LEAD", channel_id=ROTATION_CHANNEL
    )
    assert opened.view is not None
    slack.view_submission("U0LEAD", opened.view, form_values())
    _, root = ticket_thread(app, f"Checkout fails {CANARY}")
    original, app.driver = app.driver, slack
    file_form = open_file_form(app, root)
    assert file_form.view is not None
    slack.block_action("U0AGENT", Action.BUG_LINK_INSTEAD, view=file_form.view)
    slack.view_closed("U0AGENT", file_form.view)
    file_bug(app, root)
    app.settle()
    link_ticket(app, root, "SUP-1")
    slack.block_action("U0AGENT", Action.BUG_UNLINK, message=root, value="SUP-1")
    reply, _ = slack.user_message("U0AGENT", SUPPORT, f"Same here {CANARY}", thread_ts=root["ts"])
    slack.message_shortcut("send_to_ticket", user_id="U0AGENT", channel_id=SUPPORT, message=reply)
    slack.message_shortcut("file_bug", user_id="U0AGENT", channel_id=SUPPORT, message=root)
    slack.app_home_opened("U0AGENT")
    slack.block_action("U0AGENT", Action.HOME_REFRESH, view={"type": "home", "id": "V0HOME"})
    for action in (Action.SHIFT_CHECKIN, Action.SHIFT_CANT_MAKE_IT, Action.SHIFT_TAKE):
        slack.block_action("U0BE1", action, channel_id=ROTATION_CHANNEL, value="1")
    slack.url_verification(CANARY)
    app.settle()
    app.driver = original
    return slack


@pytest.fixture
def recorded(bugdesk: Any) -> dict[str, list[Any]]:
    """The recorded bodies by kind: command fields, interaction payloads, event envelopes."""
    slack = _record_flows(bugdesk)
    kinds: dict[str, list[Any]] = {"commands": [], "interactions": [], "events": []}
    for body, content_type in slack.sent:
        if content_type == JSON:
            kinds["events"].append(json.loads(body))
            continue
        fields = dict(parse_qsl(body.decode()))
        if "payload" in fields:
            kinds["interactions"].append(json.loads(fields["payload"]))
        else:
            kinds["commands"].append(fields)
    assert all(len(seeds) >= 3 for seeds in kinds.values()), {k: len(v) for k, v in kinds.items()}
    return kinds


def _good(app: Any) -> None:
    answer = app.driver.command("/support", "help", user_id="U0AGENT", channel_id=SUPPORT)
    assert answer.status == 200 and "/support help" in json.dumps(answer.json)


def _form(fields: Any) -> bytes:
    """A form body from mutated fields: lists become repeated fields, others their text."""
    if not isinstance(fields, dict):
        return dumps(fields)
    pairs = []
    for key, value in fields.items():
        for item in value if isinstance(value, list) else [value]:
            text = item if isinstance(item, str) else json.dumps(item, default=str)
            pairs.append((str(key), text))
    return urlencode(pairs, errors="surrogatepass").encode()


def _send(app: Any, kind: str, body: bytes, content_type: str) -> int:
    answer = app.driver.post(body, content_type)
    return count(f"{PATH} ({kind})", answer.status)


def _fresh(app: Any, payload: Any) -> Any:
    """Slack sends a new trigger_id with every interaction: so does the fuzzer."""
    if isinstance(payload, dict) and isinstance(payload.get("trigger_id"), str):
        user = payload.get("user")
        user_id = user.get("id") if isinstance(user, dict) else payload.get("user_id")
        payload["trigger_id"] = app.slack.new_trigger_id(str(user_id or "U0AGENT"))
    return payload


def test_slash_command_fuzz(bugdesk: Any, recorded: dict[str, list[Any]]) -> None:
    seeds = st.sampled_from(recorded["commands"])

    def form(fields: Any) -> bytes:
        return _form(_fresh(bugdesk, fields))

    bodies = st.one_of(
        st.tuples(seeds.flatmap(mutated).map(form), st.just(FORM)),
        st.tuples(seeds.flatmap(mutated).map(form), st.just(FORM)),
        st.tuples(seeds.map(_form).flatmap(broken), st.sampled_from(CONTENT_TYPES)),
    )
    run(bugdesk, PATH, bodies, lambda b: _send(bugdesk, "commands", *b), lambda: _good(bugdesk))


def test_interaction_fuzz(bugdesk: Any, recorded: dict[str, list[Any]]) -> None:
    seeds = st.sampled_from(recorded["interactions"])

    def payload_form(payload: Any) -> bytes:
        raw = dumps(_fresh(bugdesk, payload), ascii_only=False)
        return urlencode({"payload": raw}).encode()

    bodies = st.one_of(
        st.tuples(seeds.flatmap(mutated).map(payload_form), st.just(FORM)),
        st.tuples(seeds.flatmap(mutated).map(payload_form), st.just(FORM)),
        st.tuples(seeds.flatmap(mutated).map(payload_form), st.just(FORM)),
        st.tuples(
            seeds.map(lambda p: {"payload": dumps(p).decode()}).flatmap(mutated).map(_form),
            st.sampled_from(CONTENT_TYPES),
        ),
        st.tuples(seeds.map(dumps).flatmap(broken).map(_payload_field), st.just(FORM)),
    )
    run(bugdesk, PATH, bodies, lambda b: _send(bugdesk, "interactions", *b), lambda: _good(bugdesk))


def _payload_field(raw: bytes) -> bytes:
    return b"payload=" + urlencode({"x": raw}).encode()[2:]


def test_event_fuzz(bugdesk: Any, recorded: dict[str, list[Any]]) -> None:
    seeds = st.sampled_from(recorded["events"])
    bodies = st.one_of(
        st.tuples(seeds.flatmap(mutated).map(dumps), st.just(JSON)),
        st.tuples(seeds.flatmap(mutated).map(dumps), st.just(JSON)),
        st.tuples(seeds.flatmap(mutated).map(dumps), st.sampled_from(CONTENT_TYPES)),
        st.tuples(seeds.map(dumps).flatmap(broken), st.sampled_from(CONTENT_TYPES)),
    )
    run(bugdesk, PATH, bodies, lambda b: _send(bugdesk, "events", *b), lambda: _good(bugdesk))
