"""A bug linked to 1,000 tickets in 20 channels closes, and one agent tells all the customers.

The close arrives as Jira's signed webhook; its helpdesk notes drain first. Then one agent
clicks *Tell the customers* on a close notice, and submits the modal twice (a double click).
Zendesk's limits are on: Update Ticket allows 100 requests a minute per account
(developer.zendesk.com/api-reference/introduction/rate-limits/), answered 429 + Retry-After.

The app, Zendesk and Slack share one clock that moves forward by the real time each step
takes, and jumps to the next moment a call is due when the app waits (on its pacing budget, or
a Retry-After): so the measured time is the work plus the waits the rate limit imposes, without
sitting through ten real minutes. The ideal is the earliest the limit lets the last reply go:
with the first at 0, request N may go at (ceil(N / 100) - 1) minutes.

Targets: time / ideal <= 1.10; 0 replies lost; 0 sent twice; the requests in any rolling
minute within the limit.
"""

from __future__ import annotations

import argparse
import math
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from common import Report, fresh_database, scratch
from sqlalchemy import func, select

from bot.bugs import records
from bot.bugs.customers import PUBLIC_REPLY
from bot.bugs.state import BugState
from bot.db import transaction
from bot.events import apply_ticket_events, ticket_config
from bot.main import Runtime, build_runtime
from bot.models import PendingCall
from bot.settings import Settings
from bot.tickets import routing
from bot.tickets.intake import HelpdeskEvent, TicketSnapshot
from bot.tickets.models import Ticket
from handlers.server import WebServer
from integrations.simulators.driver.client import SlackDriver
from integrations.simulators.jira.server import JiraSimulator
from integrations.simulators.slack.server import SlackSimulator
from integrations.simulators.zendesk.server import ZendeskSimulator

TOKEN = "xoxb-bench"
SIGNING = "bench-signing-secret"
JIRA_SECRET = "bench-jira-secret"
RATE = 100  # Zendesk's Update Ticket requests a minute


class Clock:
    """One clock for the app and the simulators: it runs at real speed from `start`, and the
    benchmark makes it jump over waits."""

    def __init__(self, start: datetime) -> None:
        self.start = start
        self.began = time.perf_counter()
        self.skipped = 0.0

    def now(self) -> datetime:
        """The current time."""
        return self.start + timedelta(seconds=time.perf_counter() - self.began + self.skipped)

    def epoch(self) -> float:
        """The current time in Unix seconds."""
        return self.now().timestamp()

    def advance(self, seconds: float) -> None:
        """Jump forward."""
        self.skipped += seconds

    def reach(self, moment: datetime) -> None:
        """Jump forward to `moment` (never back)."""
        self.skipped += max((moment - self.now()).total_seconds(), 0.0)


def drain_calls(
    runtime: Runtime, clock: Clock, done: Callable[[], bool], limit: float = 3600
) -> None:
    """Make pending calls until `done()`; when the app waits, the clock jumps to the next due
    call (the time the work takes runs on it as it does)."""
    factory = runtime.factory
    began = clock.now()
    while not done():
        handled = runtime.calls_worker.run_until_idle()
        if handled or done():
            continue
        with transaction(factory) as session:
            due = session.scalar(
                select(func.min(PendingCall.next_attempt_at)).where(PendingCall.status == "pending")
            )
        if due is None:
            break
        clock.reach(due)
        if (clock.now() - began).total_seconds() > limit:
            break


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tickets", type=int, default=1000)
    parser.add_argument("--channels", type=int, default=20)
    parser.add_argument("--agents", type=int, default=10)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with scratch(args.database_url) as url:
        run(args, url)


def run(args: argparse.Namespace, database_url: str | None) -> None:
    report = Report(
        f"tell the customers: 1 bug, {args.tickets} tickets in {args.channels} channels, "
        f"Zendesk Update Ticket limit {RATE}/min on"
    )
    url, engine = fresh_database(database_url)
    # Far enough back that the helpdesk notes drain before "now": Slack's request signatures
    # are checked against the real clock when the agent clicks.
    clock = Clock(datetime.now(UTC) - timedelta(minutes=30))
    slack = SlackSimulator(token=TOKEN, clock=clock.epoch).start()
    channels = [f"C0LANE{i:02d}" for i in range(args.channels)]
    agents = [f"U0AG{i:02d}" for i in range(args.agents)]
    for agent in agents:
        slack.add_user(agent, agent.lower(), real_name=f"Agent {agent[-2:]}")
    for channel in channels:
        slack.add_channel(channel, channel.lower(), members=agents)
    desk = ZendeskSimulator(clock=clock.epoch, rate_limits=True).start()
    desk.deliver = "drop"
    jira = JiraSimulator(webhook_secret=JIRA_SECRET, clock=clock.epoch).start()
    key = jira.create_issue(summary="Checkout fails with saved cards")
    settings = Settings(
        _env_file=None,
        slack_bot_token=TOKEN,
        slack_signing_secret=SIGNING,
        slack_api_url=slack.api_url,
        database_url=url,
        support_channel=channels[0],
        zendesk_url=desk.url,
        zendesk_email=desk.email,
        zendesk_api_token=desk.api_token,
        jira_url=jira.url,
        jira_email=jira.email,
        jira_api_token=jira.api_token,
        jira_project_key="SUP",
        jira_webhook_secret=JIRA_SECRET,
        outbox_channel_rate=0,
        zendesk_update_rate=RATE,
        log_level="ERROR",
    )
    runtime = build_runtime(settings, scheduler=False, engine=engine, clock=clock.now)
    server = WebServer(runtime.web).start()
    jira.webhooks.url = f"{server.url}/webhooks/jira"
    driver = SlackDriver(
        server.url, SIGNING, slack, clock=clock.epoch, after_answer=runtime.followups.wait
    )

    # ---- setup: tickets with their threads, all linked to the bug (not measured) -------------
    started = time.monotonic()
    factory, config = runtime.factory, ticket_config(settings)
    now = clock.now()
    with transaction(factory) as session:
        for i, channel in enumerate(channels):
            routing.add_rule(
                session, field="tag", value=f"lane{i}", channel=channel, user_id="U0", now=now
            )
    ids = [
        desk.create_ticket(
            f"Cannot pay #{n}", "The pay button fails.", requester_id=desk.add_user(f"C{n}")["id"]
        )["id"]
        for n in range(args.tickets)
    ]
    for start in range(0, len(ids), 100):
        with transaction(factory) as session:
            for n in range(start, min(start + 100, len(ids))):
                snapshot = TicketSnapshot(
                    external_id=str(ids[n]),
                    subject=f"Cannot pay #{n}",
                    description="The pay button fails.",
                    status="open",
                    requester_name=f"Customer {n}",
                    tags=[f"lane{n % args.channels}"],
                    url=desk.ticket_url(ids[n]),
                    updated_at=now,
                    complete=True,
                )
                apply_ticket_events(
                    session, [HelpdeskEvent("zendesk", "created", snapshot)], now, config
                )
    runtime.dispatcher.drain(timeout=300)
    with transaction(factory) as session:
        bug = records.record_bug(
            session,
            BugState(key=key, category="new", summary="Checkout fails", url=jira.browse_url(key)),
            now,
        )
        for n, ticket in enumerate(session.scalars(select(Ticket).order_by(Ticket.id)).all()):
            records.record_link(
                session, bug, ticket, how="linked", user_id=agents[n % len(agents)], now=now
            )
    clock.advance(60)
    jira.close(key, resolution="Fixed", fix_version="2.4")
    runtime.settle(timeout=120)

    def pending_kind(kind: str) -> int:
        with transaction(factory) as session:
            return session.scalar(
                select(func.count())
                .select_from(PendingCall)
                .where(PendingCall.kind == kind, PendingCall.status.in_(["pending", "running"]))
            )

    drain_calls(runtime, clock, lambda: pending_kind("helpdesk.system_note") == 0)
    runtime.dispatcher.drain(timeout=300)
    report.figure(
        "setup and the close's helpdesk notes (simulated)", time.monotonic() - started, "s"
    )

    # ---- measured: one agent tells every customer ----------------------------------------------
    clock.reach(datetime.now(UTC))
    root = slack.messages(channels[0])[0]
    notice = next(
        m
        for m in slack.replies(channels[0], root["ts"])
        if "customers_tell" in str(m.get("blocks"))
    )
    opened = driver.block_action(
        agents[0], "customers_tell", value=key, message=notice, channel_id=channels[0]
    )
    assert opened.view is not None, opened.ephemeral
    values: dict[str, object] = {}
    for block in opened.view["blocks"]:
        element = block.get("element") or {}
        if "initial_options" in element:
            values[block["block_id"]] = [o["value"] for o in element["initial_options"]]
        elif "initial_value" in element:
            values[block["block_id"]] = element["initial_value"]
    submitted_at = clock.now()
    wall = time.monotonic()
    for _ in range(2):  # a double click
        answer = driver.view_submission(agents[0], opened.view, values)
        assert answer.status == 200 and not answer.json, answer.text
    desk.reset_calls()
    drain_calls(runtime, clock, lambda: pending_kind(PUBLIC_REPLY) == 0)
    wall = time.monotonic() - wall
    runtime.settle(timeout=300)

    updates = [c for c in desk.calls_to("tickets.update")]
    replies = [c for c in updates if c.status == 200]
    limited = sum(1 for c in updates if c.status == 429)
    last = max((c.at for c in replies), default=submitted_at.timestamp())
    elapsed = last - submitted_at.timestamp()
    ideal = max((math.ceil(args.tickets / RATE) - 1) * 60.0, 1.0)
    busiest = max((sum(1 for b in replies if a.at <= b.at < a.at + 60) for a in replies), default=0)
    public = Counter(
        ticket_id for ticket_id in ids for c in desk.comments[ticket_id][1:] if c["public"]
    )
    records_posted: Counter[str] = Counter()
    for channel in channels:
        for message in slack.messages(channel):
            for reply in slack.replies(channel, message["ts"]):
                if "told the customer" in reply.get("text", ""):
                    records_posted[f"{channel}:{message['ts']}"] += 1
    report.figure("database", url.split(":")[0])
    report.figure("public replies added", sum(public.values()))
    report.figure("thread records posted", sum(records_posted.values()))
    report.figure("elapsed, submit to last reply (simulated clock)", elapsed, "s")
    report.figure("wall time of the telling", wall, "s")
    report.figure("rate-limit ideal", ideal, "s")
    report.figure("429 answers", limited)
    report.target("time / ideal", elapsed / ideal if ideal else 1.0, 1.10)
    report.target("most requests in a rolling minute", busiest, RATE)
    lost = (len(ids) - len(public)) + (len(ids) - len(records_posted))
    report.target("lost", lost, 0)
    twice = sum(n - 1 for n in public.values()) + sum(n - 1 for n in records_posted.values())
    report.target("sent twice", twice, 0)
    server.stop()
    runtime.stop()
    for simulator in (slack, desk, jira):
        simulator.stop()
    engine.dispose()
    report.finish()


if __name__ == "__main__":
    main()
