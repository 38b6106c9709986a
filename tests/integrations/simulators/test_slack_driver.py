"""The Slack driver against a small Bolt app served over real HTTP, wired to the simulator."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from slack_bolt import App, BoltRequest
from slack_sdk import WebClient

from integrations.simulators.driver import payloads
from integrations.simulators.driver.client import SlackDriver
from integrations.simulators.slack.server import SlackSimulator

SECRET = "driver-test-signing-secret"
TOKEN = "xoxb-driver-test"
MODAL = {
    "type": "modal",
    "callback_id": "new_ticket",
    "title": {"type": "plain_text", "text": "New ticket"},
    "submit": {"type": "plain_text", "text": "Create"},
    "notify_on_close": True,
    "blocks": [
        {
            "type": "input",
            "block_id": "subject",
            "label": {"type": "plain_text", "text": "Subject"},
            "element": {"type": "plain_text_input", "action_id": "value"},
        },
        {
            "type": "input",
            "block_id": "customer",
            "optional": True,
            "label": {"type": "plain_text", "text": "Customer"},
            "element": {"type": "external_select", "action_id": "customer_pick"},
        },
    ],
}
CONFIRM = {
    "type": "modal",
    "callback_id": "confirm",
    "title": {"type": "plain_text", "text": "Sure?"},
    "submit": {"type": "plain_text", "text": "Yes"},
    "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Really file it?"}}],
}
BUTTON_MESSAGE = [
    {
        "type": "actions",
        "block_id": "ticket_actions",
        "elements": [
            {
                "type": "button",
                "action_id": "open_modal",
                "text": {"type": "plain_text", "text": "Open"},
                "value": "ticket-1",
            }
        ],
    }
]


def _bolt_app(sim: SlackSimulator, seen: list[dict[str, Any]]) -> App:
    app = App(
        signing_secret=SECRET,
        client=WebClient(token=TOKEN, base_url=sim.api_url),
        process_before_response=True,
    )

    @app.middleware
    def record(request: BoltRequest, next: Any) -> Any:  # noqa: A002 - Bolt's argument name
        seen.append({"headers": request.headers, "body": request.body})
        return next()

    @app.command("/ticket")
    def ticket(ack: Any, command: dict[str, Any]) -> None:
        ack(f"Got it: {command['text']}")

    @app.command("/announce")
    def announce(ack: Any, command: dict[str, Any]) -> None:
        ack(text=f"Announcing {command['text']}", response_type="in_channel")

    @app.command("/later")
    def later(ack: Any, respond: Any) -> None:
        ack()
        respond("done later")

    @app.action("open_modal")
    def open_modal(ack: Any, body: dict[str, Any], client: WebClient) -> None:
        ack()
        client.views_open(trigger_id=body["trigger_id"], view=MODAL)

    @app.shortcut("new_ticket")
    def shortcut(ack: Any, body: dict[str, Any], client: WebClient) -> None:
        ack()
        client.views_open(trigger_id=body["trigger_id"], view=MODAL)

    @app.shortcut("quote")
    def quote(ack: Any, respond: Any, shortcut: dict[str, Any]) -> None:
        ack()
        respond(f"quoting {shortcut['message']['text']}")

    @app.view("new_ticket")
    def submit(ack: Any, view: dict[str, Any], client: WebClient) -> None:
        subject = view["state"]["values"]["subject"]["value"]["value"] or ""
        if len(subject) < 3:
            ack(response_action="errors", errors={"subject": "Too short"})
            return
        if subject == "confirm first":
            ack(response_action="push", view=CONFIRM)
            return
        ack()
        client.chat_postMessage(channel="C1", text=f"New ticket: {subject}")

    @app.view("confirm")
    def confirmed(ack: Any) -> None:
        ack(response_action="clear")

    @app.view_closed("new_ticket")
    def closed(ack: Any) -> None:
        ack()

    @app.options("customer_pick")
    def customers(ack: Any, payload: dict[str, Any]) -> None:
        ack(options=[{"text": {"type": "plain_text", "text": "Globex"}, "value": "globex"}])

    @app.event("message")
    def on_message(event: dict[str, Any], say: Any) -> None:
        say(text=f"echo {event['text']}", thread_ts=event.get("thread_ts") or event["ts"])

    @app.event("app_home_opened")
    def home(event: dict[str, Any], client: WebClient) -> None:
        section = {"type": "section", "text": {"type": "mrkdwn", "text": "Welcome"}}
        client.views_publish(user_id=event["user"], view={"type": "home", "blocks": [section]})

    return app


class _BoltServer:
    """A minimal http.server front for `app.dispatch` on an ephemeral loopback port."""

    def __init__(self, app: App) -> None:
        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802 - http.server naming
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode("utf-8")
                headers = {k.lower(): [v] for k, v in self.headers.items()}
                answer = app.dispatch(BoltRequest(body=body, headers=headers))
                payload = (answer.body or "").encode("utf-8")
                self.send_response(answer.status)
                for key, values in answer.headers.items():
                    if key.lower() != "content-length":
                        for value in values:
                            self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def sim() -> Iterator[SlackSimulator]:
    sim = SlackSimulator(token=TOKEN)
    sim.start()
    sim.add_user("U1", "alice")
    sim.add_channel("C1", "support", members=["U1"])
    yield sim
    sim.stop()


@pytest.fixture
def seen() -> list[dict[str, Any]]:
    return []


@pytest.fixture
def driver(sim: SlackSimulator, seen: list[dict[str, Any]]) -> Iterator[SlackDriver]:
    server = _BoltServer(_bolt_app(sim, seen))
    with SlackDriver(server.url, SECRET, sim) as driver:
        yield driver
    server.stop()


def test_command_ack_text_is_shown_only_to_the_user(
    sim: SlackSimulator, driver: SlackDriver, seen: list[dict[str, Any]]
) -> None:
    answer = driver.command("/ticket", "printer on fire", user_id="U1", channel_id="C1")
    assert answer.status == 200 and answer.text == "Got it: printer on fire"
    assert answer.ephemeral == ["Got it: printer on fire"]
    assert sim.ephemerals(user="U1")[0]["source"] == "ack"
    body = seen[-1]["body"]
    assert body["command"] == "/ticket" and body["text"] == "printer on fire"
    assert (body["team_domain"], body["channel_name"], body["user_name"]) == (
        "acme",
        "support",
        "alice",
    )
    assert body["response_url"] == answer.response_url and body["trigger_id"]


def test_in_channel_ack_and_response_url_follow_ups(
    sim: SlackSimulator, driver: SlackDriver
) -> None:
    loud = driver.command("/announce", "maintenance", user_id="U1", channel_id="C1")
    assert loud.ephemeral == [] and sim.messages("C1")[-1]["text"] == "Announcing maintenance"
    later = driver.command("/later", user_id="U1", channel_id="C1")
    assert later.text == "" and later.ephemeral == ["done later"]


def test_button_opens_a_modal_visible_as_the_response_view(
    sim: SlackSimulator, driver: SlackDriver
) -> None:
    client = WebClient(token=TOKEN, base_url=sim.api_url)
    posted = client.chat_postMessage(channel="C1", text="Ticket", blocks=BUTTON_MESSAGE)
    message = sim.message("C1", posted["ts"])
    assert message is not None
    answer = driver.block_action("U1", "open_modal", message=message)
    assert answer.status == 200
    assert answer.view is not None and answer.view["callback_id"] == "new_ticket"
    assert sim.views("U1")[0]["id"] == answer.view["id"]


def test_view_submission_errors_keep_the_modal_and_success_closes_it(
    sim: SlackSimulator, driver: SlackDriver
) -> None:
    opened = driver.global_shortcut("new_ticket", user_id="U1").view
    assert opened is not None
    rejected = driver.view_submission("U1", opened, {"subject": "x"})
    assert rejected.errors == {"subject": "Too short"}
    assert [v["id"] for v in sim.views("U1")] == [opened["id"]]
    accepted = driver.view_submission("U1", opened, {"subject": "Printer", "customer": "globex"})
    assert accepted.status == 200 and accepted.errors is None
    assert sim.views("U1") == [] and sim.messages("C1")[-1]["text"] == "New ticket: Printer"


def test_view_submission_push_then_clear(sim: SlackSimulator, driver: SlackDriver) -> None:
    opened = driver.global_shortcut("new_ticket", user_id="U1").view
    assert opened is not None
    pushed = driver.view_submission("U1", opened, {"subject": {"value": "confirm first"}})
    assert pushed.view is not None and pushed.view["callback_id"] == "confirm"
    assert [v["callback_id"] for v in sim.views("U1")] == ["new_ticket", "confirm"]
    assert pushed.view["previous_view_id"] == opened["id"]
    driver.view_submission("U1", pushed.view, {})
    assert sim.views("U1") == []


def test_block_suggestion_returns_the_apps_options(driver: SlackDriver) -> None:
    answer = driver.options("customer_pick", "glo", user_id="U1", view=dict(MODAL, id="V1"))
    assert answer.options == [{"text": {"type": "plain_text", "text": "Globex"}, "value": "globex"}]


def test_message_shortcut_can_respond(sim: SlackSimulator, driver: SlackDriver) -> None:
    message = sim.post_as_user("U1", "C1", "the customer is angry")
    answer = driver.message_shortcut("quote", user_id="U1", channel_id="C1", message=message)
    assert answer.ephemeral == ["quoting the customer is angry"]


def test_view_closed_closes_the_modal(sim: SlackSimulator, driver: SlackDriver) -> None:
    opened = driver.global_shortcut("new_ticket", user_id="U1").view
    assert opened is not None
    assert driver.view_closed("U1", opened).status == 200
    assert sim.views("U1") == []


def test_user_message_and_retries_reach_the_app(
    sim: SlackSimulator, driver: SlackDriver, seen: list[dict[str, Any]]
) -> None:
    message, answer = driver.user_message("U1", "C1", "hello bot")
    assert answer.status == 200
    [reply] = sim.replies("C1", message["ts"])
    assert reply["text"] == "echo hello bot" and reply["bot_id"] == "B0BOT"
    driver.event({"type": "app_mention"}, event_id="Ev1", retry_num=2, retry_reason="http_error")
    assert seen[-1]["headers"]["x-slack-retry-num"] == ["2"]
    assert seen[-1]["headers"]["x-slack-retry-reason"] == ["http_error"]


def test_app_home_opened_publishes_home(sim: SlackSimulator, driver: SlackDriver) -> None:
    assert driver.app_home_opened("U1").status == 200
    home = sim.home("U1")
    assert home is not None and home["type"] == "home"


def test_url_verification_echoes_the_challenge(driver: SlackDriver) -> None:
    assert driver.url_verification("c-123").json == {"challenge": "c-123"}


def test_bad_signatures_are_refused(driver: SlackDriver) -> None:
    assert driver.command("/ticket", user_id="U1", channel_id="C1", signature="v0=bad").status == (
        401
    )
    assert driver.command("/ticket", user_id="U1", channel_id="C1", sign=False).status == 401
    stale = driver.command("/ticket", user_id="U1", channel_id="C1", timestamp=1_000_000_000)
    assert stale.status == 401


def test_state_values_take_slacks_shape_per_element() -> None:
    view = {
        "blocks": [
            _input("sev", {"type": "static_select", "options": [_option("High", "high")]}),
            _input("tags", {"type": "multi_static_select", "options": [_option("A", "a")]}),
            _input("who", {"type": "users_select"}),
            _input("when", {"type": "datepicker"}),
            _input("note", {"type": "plain_text_input"}),
        ]
    }
    values = payloads.state_values(
        view, {"sev": "high", "tags": ["a"], "who": "U1", "when": "2026-01-02"}
    )
    assert values["sev"]["a"]["selected_option"] == _option("High", "high")
    assert values["tags"]["a"]["selected_options"] == [_option("A", "a")]
    assert values["who"]["a"] == {"type": "users_select", "selected_user": "U1"}
    assert values["when"]["a"]["selected_date"] == "2026-01-02"
    assert values["note"]["a"] == {"type": "plain_text_input", "value": None}
    with pytest.raises(ValueError):
        payloads.state_values(view, {"typo": "x"})


def _input(block_id: str, element: dict[str, Any]) -> dict[str, Any]:
    label = {"type": "plain_text", "text": block_id}
    return {
        "type": "input",
        "block_id": block_id,
        "label": label,
        "element": {**element, "action_id": "a"},
    }


def _option(text: str, value: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": text}, "value": value}


def test_after_answer_runs_once_the_answer_is_shown(
    sim: SlackSimulator, driver: SlackDriver
) -> None:
    shown: list[list[str]] = []
    waiting = SlackDriver(
        driver.url,
        SECRET,
        sim,
        path="",
        after_answer=lambda: shown.append([e["text"] for e in sim.ephemerals(user="U1")]),
    )
    answer = waiting.command("/ticket", "printer", user_id="U1", channel_id="C1")
    assert answer.ack_text == "Got it: printer"
    assert shown == [["Got it: printer"]]  # the ack was in the simulator before the hook ran
    waiting.close()
