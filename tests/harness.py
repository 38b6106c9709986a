"""The app running for real on loopback, wired to the simulators, with a clock tests can move."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from bot.main import Runtime, build_runtime
from bot.settings import Settings
from handlers.server import WebServer
from integrations.simulators.driver.client import SlackDriver
from integrations.simulators.driver.socket import SocketDriver
from integrations.simulators.helpdesk import HelpdeskReceiver
from integrations.simulators.jira.server import JiraSimulator
from integrations.simulators.slack.server import SlackSimulator
from integrations.simulators.zendesk.server import ZendeskSimulator

SIGNING_SECRET = "test-signing-secret-0123456789abcdef"
BOT_TOKEN = "xoxb-test-token"
APP_TOKEN = "xapp-1-A0SIM-1-test"
SUPPORT_CHANNEL = "C0SUPPORT"
ZENDESK_SECRET = "zendesk-webhook-secret"
HELPDESK_SECRET = "helpdesk-webhook-secret"
JIRA_SECRET = "jira-webhook-secret"
MANIFEST = Path(__file__).resolve().parent.parent / "app_manifest.yml"


def manifest_scopes() -> list[str]:
    """The bot scopes app_manifest.yml asks for: the simulated token holds exactly these, so a
    call needing another scope fails in the tests as it would in the workspace."""
    return list(yaml.safe_load(MANIFEST.read_text())["oauth_config"]["scopes"]["bot"])


class Clock:
    """Wall-clock time that stands still until a test moves it."""

    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime.now(UTC).replace(microsecond=0)

    def now(self) -> datetime:
        """The current (frozen) time."""
        return self.current

    def epoch(self) -> float:
        """The current time in Unix seconds."""
        return self.current.timestamp()

    def advance(self, **delta: float) -> datetime:
        """Move forward by a timedelta's keyword arguments."""
        self.current += timedelta(**delta)
        return self.current


class TravellingClock(Clock):
    """The app's clock, with the process's time moved along (Bolt checks request signatures
    against the real clock, so a request "three days later" must be signed then too)."""

    def __init__(self, start: datetime, traveller: Any) -> None:
        super().__init__(start)
        self.traveller = traveller

    def advance(self, **delta: float) -> datetime:
        """Move forward."""
        return self.set(self.current + timedelta(**delta))

    def set(self, moment: datetime) -> datetime:
        """Move to `moment`."""
        self.current = moment
        self.traveller.move_to(moment)
        return moment


@dataclass
class App:
    """A running app, its Slack simulator, a signed driver and the shared clock."""

    runtime: Runtime
    server: WebServer
    slack: SlackSimulator
    driver: SlackDriver
    clock: Clock
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def url(self) -> str:
        """The app's base URL."""
        return self.server.url

    def settle(self) -> None:
        """Process stored events, then deliver everything the outbox can send now."""
        self.runtime.settle(timeout=20)

    def bare_driver(self) -> SlackDriver:
        """A driver that sees the app as Slack does: each answer as it arrives, without waiting
        for what the app does right after acking (`followed()` waits for that)."""
        return SlackDriver(self.url, SIGNING_SECRET, self.slack, clock=self.clock.epoch)

    def followed(self) -> None:
        """Wait for the work the app does right after acking (opening modals, replies)."""
        assert self.runtime.followups.wait(timeout=20), "follow-ups still running"

    @property
    def zendesk(self) -> ZendeskSimulator:
        """The Zendesk simulator wired to this app."""
        return self.extras["zendesk"]

    @property
    def jira(self) -> JiraSimulator:
        """The Jira simulator wired to this app."""
        return self.extras["jira"]

    @property
    def helpdesk(self) -> HelpdeskReceiver:
        """The generic helpdesk's callback receiver wired to this app."""
        return self.extras["helpdesk"]

    def stop(self) -> None:
        """Stop the server, the runtime and the simulators."""
        self.server.stop()
        self.runtime.stop()
        self.slack.stop()
        if "zendesk" in self.extras:
            self.extras["zendesk"].stop()
        if "jira" in self.extras:
            self.extras["jira"].stop()
        if "helpdesk" in self.extras:
            self.extras["helpdesk"].stop()


def start_app(
    db_url: str,
    *,
    clock: Clock | None = None,
    zendesk: bool = False,
    jira: bool = False,
    helpdesk: bool = False,
    socket_mode: bool = False,
    **overrides: Any,
) -> App:
    """Start the app on an ephemeral port against fresh simulators (Zendesk when asked); with
    `socket_mode` Slack reaches it over the simulator's Socket Mode link and the driver sends
    envelopes there."""
    clock = clock or Clock()
    extras: dict[str, Any] = {}
    slack = SlackSimulator(
        token=BOT_TOKEN, clock=clock.epoch, scopes=manifest_scopes(), app_token=APP_TOKEN
    ).start()
    slack.add_user("U0AGENT", "agent", real_name="Ada Agent", tz="Europe/Berlin")
    slack.add_user("U0LEAD", "lead", real_name="Lee Lead", tz="America/New_York")
    slack.add_channel(SUPPORT_CHANNEL, "support", members=["U0AGENT", "U0LEAD"])
    values: dict[str, Any] = {
        "slack_bot_token": BOT_TOKEN,
        "slack_signing_secret": SIGNING_SECRET,
        "slack_api_url": slack.api_url,
        "database_url": db_url,
        "support_channel": SUPPORT_CHANNEL,
        "support_leads": "U0LEAD",
        "outbox_channel_rate": 0,
        "helpdesk_webhook_secret": HELPDESK_SECRET,
    }
    if zendesk:
        desk = ZendeskSimulator(clock=clock.epoch, webhook_secret=ZENDESK_SECRET).start()
        extras["zendesk"] = desk
        values.update(
            zendesk_url=desk.url,
            zendesk_email=desk.email,
            zendesk_api_token=desk.api_token,
            zendesk_webhook_secret=ZENDESK_SECRET,
        )
    if jira:
        tracker = JiraSimulator(webhook_secret=JIRA_SECRET, clock=clock.epoch).start()
        extras["jira"] = tracker
        values.update(
            jira_url=tracker.url,
            jira_email=tracker.email,
            jira_api_token=tracker.api_token,
            jira_project_key="SUP",
            jira_webhook_secret=JIRA_SECRET,
        )
    if helpdesk:
        receiver = HelpdeskReceiver(HELPDESK_SECRET, clock=clock.epoch).start()
        extras["helpdesk"] = receiver
        values.update(helpdesk_callback_url=receiver.url)
    if socket_mode:
        values["slack_app_token"] = APP_TOKEN
    values.update(overrides)
    settings = Settings(_env_file=None, **values)
    # Pings every second: the Socket Mode client replaces a link after about 5 s without a pong
    # (losing a command in flight, as Slack would), which a busy CI machine should not trip.
    runtime = build_runtime(settings, clock=clock.now, scheduler=False, socket_ping_interval=1.0)
    server = WebServer(runtime.web).start()
    # Like a person, the driver sees what the app does right after acking (a modal opening).
    driver = SlackDriver(
        server.url, SIGNING_SECRET, slack, clock=clock.epoch, after_answer=runtime.followups.wait
    )
    if runtime.socket_mode is not None:
        runtime.socket_mode.connect()
        assert slack.socket_mode.wait_links(1), "the app did not open a Socket Mode link"
        deadline = time.monotonic() + 10
        while runtime.socket_mode.state.connected_since is None:  # the app has read the hello
            assert time.monotonic() < deadline, "the app did not read Slack's hello"
            time.sleep(0.01)
        driver = SocketDriver(slack, clock=clock.epoch, after_answer=runtime.followups.wait)
    if zendesk:
        extras["zendesk"].webhook_url = f"{server.url}/webhooks/zendesk"
    if jira:
        extras["jira"].webhooks.url = f"{server.url}/webhooks/jira"
    return App(runtime, server, slack, driver, clock, extras)
