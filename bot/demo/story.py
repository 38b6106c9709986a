"""`supportbot demo`: the real app against local simulators, narrated as people would see it."""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

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
LEADS = "C0LEADS"
ZENDESK_SECRET = "demo-zendesk-secret"
JIRA_SECRET = "demo-jira-secret"


class DemoClock:
    """The story's one clock: the app, the simulators and the people in it read it, and it
    only moves forward (a chapter that needs a later moment moves it there)."""

    def __init__(self, start: datetime) -> None:
        self.current = start

    def now(self) -> datetime:
        """The story's present."""
        return self.current

    def epoch(self) -> float:
        """The story's present in Unix seconds."""
        return self.current.timestamp()

    def advance(self, **delta: float) -> datetime:
        """Move forward by a timedelta's keyword arguments."""
        return self.set(self.current + timedelta(**delta))

    def set(self, moment: datetime) -> datetime:
        """Move forward to `moment` (never back)."""
        if moment < self.current:
            raise ValueError(f"the demo's clock only moves forward ({moment} < {self.current})")
        self.current = moment
        return moment


def story_start(today: datetime) -> datetime:
    """The story starts on the coming Monday at 09:30 UTC, so its week ends in a digest."""
    monday = (today + timedelta(days=-today.weekday() % 7)).replace(
        hour=9, minute=30, second=0, microsecond=0
    )
    return monday if monday >= today else monday + timedelta(days=7)


class Demo:
    """The simulators, the running app and a driver, with helpers to narrate."""

    def __init__(self, workdir: Path) -> None:
        self.clock = DemoClock(story_start(datetime.now(UTC)))
        self.slack = SlackSimulator(token=TOKEN, clock=self.clock.epoch).start()
        self.slack.add_user("U0ADA", "ada", real_name="Ada (support agent)", tz="Europe/Berlin")
        self.slack.add_user("U0LEE", "lee", real_name="Lee (support lead)", tz="America/New_York")
        self.slack.add_user("U0BOB", "bob", real_name="Bob (backend engineer)", tz="Europe/Paris")
        self.slack.add_channel(SUPPORT, "support", members=["U0ADA", "U0LEE", "U0BOB"])
        self.slack.add_channel(LEADS, "support-leads", members=["U0LEE"])
        self.zendesk = ZendeskSimulator(webhook_secret=ZENDESK_SECRET, clock=self.clock.epoch)
        self.zendesk.start()
        self.jira = JiraSimulator(webhook_secret=JIRA_SECRET, clock=self.clock.epoch).start()
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
            leads_channel=LEADS,
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
            public_url="https://supportbot.example.com",
        )
        self.runtime: Runtime = build_runtime(
            settings, clock=self.clock.now, scheduler=False, engine=engine
        )
        self.server = WebServer(self.runtime.web).start()
        self.driver = SlackDriver(
            self.server.url,
            SECRET,
            self.slack,
            clock=self.clock.epoch,
            after_answer=self.runtime.followups.wait,
        )
        self._jobs: dict[str, Any] = {}
        self.zendesk.webhook_url = f"{self.server.url}/webhooks/zendesk"
        self.jira.webhooks.url = f"{self.server.url}/webhooks/jira"

    def settle(self) -> None:
        """Let the app process what it received and deliver what it queued."""
        self.runtime.settle(timeout=30)

    def run_job(self, name: str) -> dict[str, Any]:
        """Run one of the scheduler's jobs (`sla`, `digest`, `rotations`, …) as it would run
        now, then deliver what it queued."""
        if not self._jobs:
            from scheduling.jobs import build_jobs

            runtime = self.runtime
            jobs = build_jobs(runtime.factory, runtime.clients, runtime.settings)
            self._jobs = {job.name: job for job in jobs}
        result = dict(self._jobs[name].run(self.clock.now()) or {})
        self.settle()
        return result

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
    from bot.demo.customers import customers_told
    from bot.demo.insights import emerging_pattern, queue_and_load, weekly_digest
    from bot.demo.oncall import engineers_on_shift
    from bot.demo.people import agents_and_assignees
    from bot.demo.rotations import support_rotation
    from bot.demo.routing import routing_and_sla
    from bot.demo.tickets import ticket_life

    return [
        foundation,
        ticket_life,
        routing_and_sla,
        support_rotation,
        bug_life,
        customers_told,
        agents_and_assignees,
        engineers_on_shift,
        queue_and_load,
        emerging_pattern,
        weekly_digest,
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
