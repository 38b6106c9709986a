"""A Jira bug linked to 1,000 tickets in 20 channels is closed: every notification goes out.

The close arrives as Jira's signed webhook; the app stores it, decides the transition, and
queues a reply in each ticket's thread, one DM per agent and an internal note per Zendesk
ticket. Slack's rate limits are on (one chat.postMessage per second per channel, burst 1), so
the ideal for N replies per channel is N - 1 seconds; DMs go out in parallel lanes.

Targets: time from the close to the last message within 10% of that ideal; 0 messages lost;
0 duplicated (replies, DMs and helpdesk notes).
"""

from __future__ import annotations

import argparse
import threading
import time
from collections import Counter
from datetime import UTC, datetime

import processes
from common import Report, fresh_database, mean
from sqlalchemy import func, select

from bot.bugs import records
from bot.bugs.state import BugState
from bot.db import transaction
from bot.events import apply_ticket_events, ticket_config
from bot.main import build_runtime
from bot.models import OutboxMessage
from bot.settings import Settings
from bot.tickets import routing
from bot.tickets.intake import HelpdeskEvent, TicketSnapshot
from bot.tickets.models import Ticket
from handlers.server import WebServer
from integrations.simulators.jira.server import JiraSimulator
from integrations.simulators.slack.server import SlackSimulator
from integrations.simulators.zendesk.server import ZendeskSimulator
from integrations.slack_delivery import Dispatcher, make_web_client

TOKEN = "xoxb-bench"
JIRA_SECRET = "bench-jira-secret"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tickets", type=int, default=1000)
    parser.add_argument("--channels", type=int, default=20)
    parser.add_argument("--agents", type=int, default=10)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    report = Report(
        f"bug close: 1 bug linked to {args.tickets} tickets in {args.channels} channels, "
        "rate limits on"
    )
    url, engine = fresh_database(args.database_url)
    slack = SlackSimulator(token=TOKEN, rate_limits=False).start()
    channels = [f"C0LANE{i:02d}" for i in range(args.channels)]
    agents = [f"U0AG{i:02d}" for i in range(args.agents)]
    for agent in agents:
        slack.add_user(agent, agent.lower(), real_name=f"Agent {agent[-2:]}")
    for channel in channels:
        slack.add_channel(channel, channel.lower(), members=agents)
    desk = ZendeskSimulator().start()
    desk.deliver = "drop"
    jira = JiraSimulator(webhook_secret=JIRA_SECRET).start()
    key = jira.create_issue(summary="Checkout fails with saved cards")
    settings = Settings(
        _env_file=None,
        slack_bot_token=TOKEN,
        slack_signing_secret="x",
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
        outbox_channel_rate=1.0,
        # This Zendesk simulator enforces no limit, so notes are not paced to Zendesk's.
        zendesk_update_rate=10000,
        log_level="WARNING",
    )
    runtime = build_runtime(settings, scheduler=False, engine=engine)
    server = WebServer(runtime.web).start()
    jira.webhooks.url = f"{server.url}/webhooks/jira"

    # ---- setup: tickets with their threads, all linked to the bug (not measured) -------------
    started = time.monotonic()
    now = datetime.now(UTC)
    factory, config = runtime.factory, ticket_config(settings)
    with transaction(factory) as session:
        for i, channel in enumerate(channels):
            routing.add_rule(
                session, field="tag", value=f"lane{i}", channel=channel, user_id="U0", now=now
            )
    ids = []
    for n in range(args.tickets):
        made = desk.create_ticket(
            f"Cannot pay #{n}", "The pay button fails.", requester_id=desk.add_user(f"C{n}")["id"]
        )
        ids.append(made["id"])
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
                created = HelpdeskEvent("zendesk", "created", snapshot)
                apply_ticket_events(session, [created], now, config)
    setup_dispatcher = Dispatcher(factory, make_web_client(TOKEN, slack.api_url), channel_rate=0)
    setup_dispatcher.drain(timeout=300)
    setup_dispatcher.close()
    issue = jira.issue(key)["fields"]
    with transaction(factory) as session:
        bug = records.record_bug(
            session,
            BugState(key=key, category="new", summary=issue["summary"], url=jira.browse_url(key)),
            now,
        )
        rows = session.scalars(select(Ticket).order_by(Ticket.id)).all()
        for n, ticket in enumerate(rows):
            user = agents[n % len(agents)]
            records.record_link(session, bug, ticket, how="linked", user_id=user, now=now)
    report.figure("setup", time.monotonic() - started, "s")

    # ---- measured: the close -------------------------------------------------------------------
    slack.set_rate_limits(True, post_per_channel_per_second=1.0, post_burst=1)
    stop = threading.Event()
    delivering = threading.Thread(target=runtime.dispatcher.run, args=(stop,), daemon=True)
    runtime.inbox_worker.start()
    runtime.calls_worker.start()
    delivering.start()
    expected = args.tickets + len(agents)
    closed_at = time.monotonic()
    jira.close(key, resolution="Fixed", fix_version="2.4")
    done_at = None
    first_at = None
    deadline = closed_at + args.tickets / args.channels * 3 + 60
    while time.monotonic() < deadline:
        with transaction(factory) as session:
            sent = session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(
                    OutboxMessage.key.like(f"bug:{key}:closed:%"), OutboxMessage.status == "sent"
                )
            )
        if sent and first_at is None:
            first_at = time.monotonic()
        if sent >= expected:
            done_at = time.monotonic()
            break
        time.sleep(0.05)
    elapsed = (done_at or time.monotonic()) - closed_at
    processes.drain(runtime.engine, timeout=60)  # the helpdesk notes finish in the calls worker
    stop.set()
    runtime.dispatcher.notify()
    delivering.join(timeout=30)

    per_channel = -(-args.tickets // args.channels)
    ideal = max(per_channel - 1, 1)
    posted: Counter[str] = Counter()
    for channel in channels:
        for root in slack.messages(channel):
            for reply in slack.replies(channel, root["ts"]):
                meta = (reply.get("metadata") or {}).get("event_payload") or {}
                if str(meta.get("outbox_key", "")).startswith(f"bug:{key}:closed:"):
                    posted[meta["outbox_key"]] += 1
    for agent in agents:
        for dm in slack.dms(agent):
            meta = (dm.get("metadata") or {}).get("event_payload") or {}
            if str(meta.get("outbox_key", "")).startswith(f"bug:{key}:closed:"):
                posted[meta["outbox_key"]] += 1
    notes = Counter(
        ticket_id
        for ticket_id in ids
        for c in desk.comments[ticket_id]
        if not c["public"] and key in c["body"]
    )
    by_lane: dict[str, list[float]] = {}
    for call in slack.calls_to("chat.postMessage"):
        if call.status == 200 and call.args.get("thread_ts"):
            by_lane.setdefault(str(call.args.get("channel")), []).append(call.at)
    gaps = [b - a for times in by_lane.values() for a, b in zip(times, times[1:], strict=False)]
    limited = sum(1 for c in slack.calls_to("chat.postMessage") if c.status == 429)
    report.figure("database", url.split(":")[0])
    report.figure("thread replies + DMs posted", sum(posted.values()))
    report.figure("helpdesk notes added", sum(notes.values()))
    report.figure("elapsed (close to last message)", elapsed, "s")
    report.figure("close to first message", (first_at or closed_at) - closed_at, "s")
    report.figure("rate-limit ideal", float(ideal), "s")
    report.figure("429 answers", limited)
    report.figure("mean gap between replies in a channel", mean(gaps), "s")
    report.target("time / ideal", elapsed / ideal, 1.10)
    report.target("lost", expected - len(posted) + (len(ids) - len(notes)), 0)
    duplicated = sum(n - 1 for n in posted.values()) + sum(n - 1 for n in notes.values())
    report.target("duplicated", duplicated, 0)
    server.stop()
    runtime.stop()
    for simulator in (slack, desk, jira):
        simulator.stop()
    report.finish()


if __name__ == "__main__":
    main()
