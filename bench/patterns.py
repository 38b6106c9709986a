"""The emerging-patterns sweep at scale: 100,000 tickets over four weeks and a day (with tags,
groups and bugs with components linked to a fifth of them), one tag spiking in the last day.

Targets: a full sweep (three aggregate queries, the spike's tickets, its message) <= 1 s; a
sweep with nothing new since the last one <= 50 ms. Each is measured several times (the full
sweep on a fresh cursor and a fresh day, so it really rescans and raises).
With --database-url postgresql://…, a scratch database is created on that server and dropped.
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from common import Report, fresh_database, percentile, scratch
from sqlalchemy import Engine, delete, insert

from bot.bugs.models import Bug, BugLink
from bot.db import session_factory, transaction
from bot.insights import patterns
from bot.insights.models import Pattern
from bot.models import AppState
from bot.tickets.models import Ticket

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
SPAN = timedelta(days=29)
TAGS = [f"tag{i}" for i in range(40)]
GROUPS = [f"Group {i}" for i in range(12)]
COMPONENTS = ["Checkout", "Auth", "Mobile app", "Search", "Billing", "API", "Reports", "Sync"]
BATCH = 5000


def populate(engine: Engine, tickets: int, bugs: int) -> None:
    """Tickets spread evenly over 29 days, in the order they arrived; `spike` tagged on about
    70 of the last day's."""
    rng = random.Random(11)  # noqa: S311 - repeatable data
    rows: list[dict[str, Any]] = []
    factory = session_factory(engine)
    ages = sorted((rng.uniform(0, SPAN.total_seconds()) for _ in range(tickets)), reverse=True)
    for i, age in enumerate(ages, start=1):
        seen = NOW - timedelta(seconds=age)
        tags = rng.sample(TAGS, 2)
        if seen > NOW - timedelta(hours=24) and rng.random() < 0.02:
            tags.append("spike")
        rows.append(
            {
                "id": i,
                "provider": "zendesk",
                "external_id": str(i),
                "subject": f"Ticket {i}",
                "description": "",
                "status": "open",
                "group_name": rng.choice(GROUPS),
                "tags": tags,
                "channel_id": "C0SUPPORT",
                "routed_channel_id": "C0SUPPORT",
                "root_key": f"ticket:zendesk:{i}:root",
                "first_seen_at": seen,
            }
        )
        if len(rows) == BATCH:
            with transaction(factory) as session:
                session.execute(insert(Ticket), rows)
            rows = []
    with transaction(factory) as session:
        if rows:
            session.execute(insert(Ticket), rows)
        session.execute(
            insert(Bug),
            [
                {
                    "id": b,
                    "key": f"SUP-{b}",
                    "summary": f"Bug {b}",
                    "fix_versions": [],
                    "components": rng.sample(COMPONENTS, rng.randint(0, 2)),
                    "created_at": NOW - SPAN,
                    "updated_at": NOW - SPAN,
                }
                for b in range(1, bugs + 1)
            ],
        )
        links = [
            {
                "bug_id": rng.randint(1, bugs),
                "ticket_id": t,
                "how": "linked",
                "linked_by": "U0AGENT",
                "linked_at": NOW - SPAN,
            }
            for t in range(1, tickets + 1, 5)
        ]
        for start in range(0, len(links), BATCH):
            session.execute(insert(BugLink), links[start : start + BATCH])


def run(args: argparse.Namespace, target: str | None) -> None:
    _, engine = fresh_database(target)
    backend = engine.dialect.name
    report = Report(f"pattern sweep: {args.tickets} tickets over 29 days ({backend})")
    started = time.perf_counter()
    populate(engine, args.tickets, args.bugs)
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
    report.figure("load", time.perf_counter() - started, "s")
    factory = session_factory(engine)
    config = patterns.PatternConfig(min_tickets=5, factor=3.0, channel="C0LEADS")
    full: list[float] = []
    idle: list[float] = []
    raised = 0
    for round_ in range(args.rounds):
        now = NOW + timedelta(minutes=round_)
        with transaction(factory) as session:  # a new day and no cursor: a real rescan
            session.execute(delete(Pattern))
            session.execute(delete(AppState).where(AppState.name == patterns.CURSOR))
        t0 = time.perf_counter()
        with transaction(factory) as session:
            result = patterns.sweep(session, now, config)
        full.append(time.perf_counter() - t0)
        raised = result["raised"]
        for _ in range(5):
            t0 = time.perf_counter()
            with transaction(factory) as session:
                again = patterns.sweep(session, now, config)
            idle.append(time.perf_counter() - t0)
            assert again == {"raised": 0, "skipped": 1}, again
    report.figure("spikes raised per full sweep", raised)
    report.figure("full sweep median", percentile(full, 50) * 1000, "ms")
    report.target("full sweep worst", max(full) * 1000, 1000, unit="ms")
    report.figure("nothing-new sweep median", percentile(idle, 50) * 1000, "ms")
    report.target("nothing-new sweep p99", percentile(idle, 99) * 1000, 50, unit="ms")
    engine.dispose()
    if raised < 1:
        report.misses.append("the spike was not raised")
    report.finish()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url")
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--bugs", type=int, default=2_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with scratch(args.database_url) as target:
        run(args, target)


if __name__ == "__main__":
    main()
