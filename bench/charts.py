"""Charts: one chart rendered and uploaded to the Slack simulator, end to end.

With 100,000 tickets over eight weeks in the database, each round builds the chart of the last
7 days as `/support stats` does (the figures and the eight weeks of tags: the part on the
request path, reported) and queues it; the dispatcher then draws it (matplotlib, Agg),
calls files.getUploadURLExternal, POSTs the PNG and calls files.completeUploadExternal.
Target: queued to shared in the simulator <= 500 ms, checked on the median chart (the machine
is shared: p95, worst and the process CPU time per chart are printed beside it). matplotlib is
imported once, before the rounds, as the app does at start.
With --database-url postgresql://…, a scratch database is created on that server and dropped.
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from common import Report, fresh_database, percentile, scratch
from sqlalchemy import Engine, insert

from bot.db import session_factory, transaction
from bot.insights import charts, stats
from bot.tickets.models import Ticket
from integrations.simulators.slack.server import SlackSimulator
from integrations.slack_delivery import Dispatcher, make_web_client

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
TAGS = ["billing", "login", "refund", "mobile", "outage", "howto", "vip", "api"]
BATCH = 5000


def populate(engine: Engine, tickets: int) -> None:
    """Tickets over eight weeks, in arrival order, with two tags each and SLA outcomes."""
    rng = random.Random(5)  # noqa: S311 - repeatable data
    ages = sorted((rng.uniform(0, 56 * 86400) for _ in range(tickets)), reverse=True)
    factory = session_factory(engine)
    rows: list[dict[str, Any]] = []
    for i, age in enumerate(ages, start=1):
        seen = NOW - timedelta(seconds=age)
        rows.append(
            {
                "id": i,
                "provider": "zendesk",
                "external_id": str(i),
                "subject": f"Ticket {i}",
                "description": "",
                "status": "solved",
                "tags": rng.sample(TAGS, 2),
                "channel_id": "C0SUPPORT",
                "routed_channel_id": "C0SUPPORT",
                "root_key": f"ticket:zendesk:{i}:root",
                "first_seen_at": seen,
                "opened_at": seen,
                "first_response_at": seen + timedelta(minutes=rng.randint(5, 600)),
                "response_due_at": seen + timedelta(hours=4),
                "resolve_due_at": seen + timedelta(hours=48),
                "solved_at": seen + timedelta(hours=rng.randint(1, 72)),
            }
        )
        if len(rows) == BATCH:
            with transaction(factory) as session:
                session.execute(insert(Ticket), rows)
            rows = []
    if rows:
        with transaction(factory) as session:
            session.execute(insert(Ticket), rows)


def run(args: argparse.Namespace, target: str | None) -> None:
    _, engine = fresh_database(target)
    backend = engine.dialect.name
    report = Report(f"charts: {args.tickets} tickets, {args.rounds} charts ({backend})")
    populate(engine, args.tickets)
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
    factory = session_factory(engine)
    slack = SlackSimulator(token="xoxb-bench").start()
    slack.add_user("U0LEAD", "lead")
    slack.add_channel("C0LEADS", "support-leads", members=["U0LEAD"])
    dispatcher = Dispatcher(factory, make_web_client("xoxb-bench", slack.api_url), channel_rate=0)
    built, data, shared, cpu = [], [], [], []
    try:
        for round_ in range(args.rounds):
            now = NOW + timedelta(seconds=round_)
            t0 = time.perf_counter()
            with transaction(factory) as session:
                figures = stats.summary(session, now - timedelta(days=7), now)
                tc = time.perf_counter()
                chart = charts.spec(session, figures, "Support, 8 weeks")
                data.append(time.perf_counter() - tc)
                charts.enqueue(
                    session,
                    chart,
                    key=f"bench:{round_}",
                    channel="U0LEAD" if round_ % 2 else "C0LEADS",
                    filename=f"bench-{round_}.png",
                    now=now,
                )
            t1, c1 = time.perf_counter(), time.process_time()
            result = dispatcher.run_once()
            t2 = time.perf_counter()
            cpu.append(time.process_time() - c1)
            assert result.sent == 1, result
            built.append(t1 - t0)
            shared.append(t2 - t1)
    finally:
        dispatcher.close()
    files = slack.shared_files()
    slack.stop()
    report.figure("charts shared", len(files))
    report.figure("PNG size median", percentile([f["bytes"] for f in files], 50) / 1024, "KiB")
    report.figure(
        "/support stats figures and chart data median", percentile(built, 50) * 1000, "ms"
    )
    report.figure("of which the chart's data median", percentile(data, 50) * 1000, "ms")
    report.target("render and upload median", percentile(shared, 50) * 1000, 500, unit="ms")
    report.figure("render and upload p95", percentile(shared, 95) * 1000, "ms")
    report.figure("render and upload worst", max(shared) * 1000, "ms")
    report.figure("render and upload CPU median", percentile(cpu, 50) * 1000, "ms")
    if len(files) != args.rounds or not all(f["png"] and f["alt_txt"] for f in files):
        report.misses.append("every chart shared once, as a PNG with alt text")
    engine.dispose()
    report.finish()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url")
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    with scratch(args.database_url) as target:
        run(args, target)


if __name__ == "__main__":
    main()
