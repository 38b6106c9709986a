"""The Jira poll over 5,000 linked open bugs (the fallback for lost webhooks).

Fifty of the bugs were closed in Jira with their webhooks lost; the poll must find exactly
those, in batched `key in (...)` searches.

Targets: at most 50 Jira requests for the whole poll; the 50 closes found, each once.
The time is printed as a figure.
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime

from common import Report, fresh_database
from sqlalchemy import func, select

from bot.bugs import records
from bot.bugs.models import BugTransition
from bot.bugs.state import BugState
from bot.db import session_factory, transaction
from bot.tickets.models import Ticket
from integrations.clients import Clients
from integrations.jira import JiraClient
from integrations.simulators.jira.server import JiraSimulator
from integrations.slack_delivery import make_web_client
from scheduling.sweeps import jira_poll


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bugs", type=int, default=5000)
    parser.add_argument("--tickets", type=int, default=500)
    parser.add_argument("--closed", type=int, default=50)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    report = Report(f"bug poll: {args.bugs} linked open bugs, {args.closed} closed unheard")
    url, engine = fresh_database(args.database_url)
    factory = session_factory(engine)
    jira = JiraSimulator().start()
    keys = [jira.create_issue(summary=f"Bug {n}") for n in range(args.bugs)]
    now = datetime.now(UTC)
    with transaction(factory) as session:
        tickets = []
        for n in range(args.tickets):
            ticket = Ticket(
                provider="zendesk",
                external_id=str(n + 1),
                subject=f"Ticket {n}",
                description="",
                status="open",
                tags=[],
                channel_id="C0SUPPORT",
                routed_channel_id="C0SUPPORT",
                root_key=f"ticket:zendesk:{n + 1}:root",
                version=1,
                published_version=1,
                first_seen_at=now,
            )
            session.add(ticket)
            tickets.append(ticket)
        session.flush()
        for n, key in enumerate(keys):
            bug = records.record_bug(session, BugState(key=key, category="new"), now)
            ticket = tickets[n % len(tickets)]
            records.record_link(session, bug, ticket, how="linked", user_id="U0AGENT", now=now)
    closed = keys[:: max(1, args.bugs // args.closed)][: args.closed]
    for key in closed:
        jira.close(key, deliver="drop")
    client = JiraClient(jira.url, jira.email, jira.api_token)
    clients = Clients(slack=make_web_client("xoxb-bench", "http://127.0.0.1:9/api/"), jira=client)
    config = records.BugConfig(project_key="SUP", notes=False)
    jira.reset_calls()
    started = time.monotonic()
    summary = jira_poll.poll(factory, clients, config, datetime.now(UTC))
    elapsed = time.monotonic() - started
    requests = jira.request_count
    with transaction(factory) as session:
        transitions = session.scalar(select(func.count()).select_from(BugTransition))
    again = jira_poll.poll(factory, clients, config, datetime.now(UTC))
    report.figure("database", url.split(":")[0])
    report.figure("bugs read", summary.get("bugs", 0))
    report.figure("poll time", elapsed, "s")
    report.figure("bugs per second", summary.get("bugs", 0) / elapsed if elapsed else 0.0)
    report.target("Jira requests", requests, 50)
    report.target("closes missed", args.closed - summary.get("transitions", 0), 0)
    report.target("transitions recorded twice", transitions - args.closed + again["transitions"], 0)
    jira.stop()
    report.finish()


if __name__ == "__main__":
    main()
