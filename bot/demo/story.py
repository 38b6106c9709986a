"""`supportbot demo`: the real app against local simulators, narrated as people would see it."""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable
from pathlib import Path

from bot import migrate
from bot.db import make_engine
from bot.demo.transcript import render_channel, render_ephemeral, render_view
from bot.main import Runtime, build_runtime
from bot.settings import Settings
from handlers.server import WebServer
from integrations.simulators.driver.client import SlackDriver
from integrations.simulators.jira.server import JiraSimulator
from integrations.simulators.slack.server import SlackSimulator
from integrations.simulators.zendesk.server import ZendeskSimulator

SECRET = "demo-signing-secret"
TOKEN = "xoxb-demo"
SUPPORT = "C0SUPPORT"
ZENDESK_SECRET = "demo-zendesk-secret"
JIRA_SECRET = "demo-jira-secret"


class Demo:
    """The simulators, the running app and a driver, with helpers to narrate."""

    def __init__(self, workdir: Path) -> None:
        self.slack = SlackSimulator(token=TOKEN).start()
        self.slack.add_user("U0ADA", "ada", real_name="Ada (support agent)", tz="Europe/Berlin")
        self.slack.add_user("U0LEE", "lee", real_name="Lee (support lead)", tz="America/New_York")
        self.slack.add_user("U0BOB", "bob", real_name="Bob (backend engineer)", tz="Europe/Paris")
        self.slack.add_channel(SUPPORT, "support", members=["U0ADA", "U0LEE", "U0BOB"])
        self.zendesk = ZendeskSimulator(webhook_secret=ZENDESK_SECRET).start()
        self.jira = JiraSimulator(webhook_secret=JIRA_SECRET).start()
        url = f"sqlite:///{workdir / 'demo.db'}"
        engine = make_engine(url)
        migrate.upgrade(engine)
        settings = Settings(
            _env_file=None,
            slack_bot_token=TOKEN,
            slack_signing_secret=SECRET,
            slack_api_url=self.slack.api_url,
            database_url=url,
            support_channel=SUPPORT,
            support_leads="U0LEE",
            outbox_channel_rate=0,
            log_level="WARNING",
            zendesk_url=self.zendesk.url,
            zendesk_email=self.zendesk.email,
            zendesk_api_token=self.zendesk.api_token,
            zendesk_webhook_secret=ZENDESK_SECRET,
            jira_url=self.jira.url,
            jira_email=self.jira.email,
            jira_api_token=self.jira.api_token,
            jira_project_key="SUP",
            jira_webhook_secret=JIRA_SECRET,
        )
        self.runtime: Runtime = build_runtime(settings, scheduler=False, engine=engine)
        self.server = WebServer(self.runtime.web).start()
        self.driver = SlackDriver(
            self.server.url, SECRET, self.slack, after_answer=self.runtime.followups.wait
        )
        self.zendesk.webhook_url = f"{self.server.url}/webhooks/zendesk"
        self.jira.webhooks.url = f"{self.server.url}/webhooks/jira"

    def settle(self) -> None:
        """Let the app process what it received and deliver what it queued."""
        self.runtime.settle(timeout=30)

    def stop(self) -> None:
        """Shut everything down."""
        self.server.stop()
        self.runtime.stop()
        self.slack.stop()
        self.zendesk.stop()
        self.jira.stop()


def step(title: str) -> None:
    """Print a chapter heading."""
    print(f"\n### {title}\n")


def foundation(demo: Demo) -> None:
    """The bot starts, posts its welcome through the outbox, answers /support help."""
    step("supportbot starts and introduces itself in #support (delivered through the outbox)")
    demo.runtime.announce()
    demo.settle()
    print(render_channel(demo.slack, SUPPORT, "#support"))

    step("Lee types `/support help` (only Lee sees the answer)")
    answer = demo.driver.command("/support", "help", user_id="U0LEE", channel_id=SUPPORT)
    print(render_ephemeral(answer.json, "ephemeral reply to @lee", demo.slack))

    step("Ada opens the app's Home tab")
    demo.driver.event(
        {
            "type": "app_home_opened",
            "user": "U0ADA",
            "channel": "D0ADA",
            "tab": "home",
            "event_ts": "1.0",
        }
    )
    demo.settle()
    print(render_view(demo.slack.home("U0ADA"), "App Home of @ada", demo.slack))


def chapters() -> list[Callable[[Demo], None]]:
    """The demo's chapters, in order."""
    from bot.demo.bugs import bug_life
    from bot.demo.insights import queue_and_load
    from bot.demo.people import agents_and_assignees
    from bot.demo.rotations import support_rotation
    from bot.demo.tickets import ticket_life

    return [
        foundation,
        ticket_life,
        support_rotation,
        bug_life,
        agents_and_assignees,
        queue_and_load,
    ]


def run_demo() -> int:
    """Run every chapter and print the transcript; returns the exit code."""
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="supportbot-demo-") as tmp:
        demo = Demo(Path(tmp))
        try:
            print(
                "supportbot demo: the real app, talking to local simulators of Slack, Zendesk "
                "and Jira over HTTP on 127.0.0.1."
            )
            for chapter in chapters():
                chapter(demo)
        finally:
            demo.stop()
    print("\nThat is the demo. `supportbot run` serves the same app for your workspace.")
    return 0
