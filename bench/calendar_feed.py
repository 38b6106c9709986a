"""`GET /calendar/<token>.ics` for a person with a year of shifts, over HTTP: p50 and p99.

Target: p99 <= 50 ms (after 20 warm-up requests; the first, cold request is printed too).
The calendar client runs in its own process, as a subscribing calendar would, so it does not
share the server's interpreter.

One person holds a daily 8-hour shift (Europe/Berlin) every day of the last year and the next
four weeks (about 390 seats, each with its check-in recorded), among 20 other rotations of 10
people with the same history, so the tables are not tiny. A swap midway through the run shows
what a change costs (its request is part of the sample).
With --database-url postgresql://…, a scratch database is created on that server and dropped.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import time
from datetime import UTC, datetime, timedelta

import requests
from common import Report, fresh_database, percentile, scratch
from sqlalchemy import select, update

from bot import people
from bot.db import session_factory, transaction
from bot.main import build_runtime
from bot.rotations import calendar, lifecycle
from bot.rotations.config import RotationSpec
from bot.rotations.models import ShiftAssignment
from bot.rotations.seats import event, hand_over
from bot.settings import Settings
from handlers.server import WebServer
from integrations.simulators.slack.server import SlackSimulator
from scheduling.sweeps import rotations as sweeps

NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
YEAR_AGO = NOW - timedelta(days=365)
A = ShiftAssignment


def populate(factory: object, others: int) -> None:
    """The person's rotation and `others` more, a year of planned, attended shifts each."""
    with transaction(factory) as session:  # type: ignore[arg-type]
        people.record_user(session, {"id": "U0YEAR", "name": "Yara", "tz": "Europe/Berlin"}, NOW)
        people.record_user(session, {"id": "U0SWAP", "name": "Sam", "tz": "Europe/Berlin"}, NOW)
        specs = [("daily-support", ["U0YEAR"])]
        for r in range(others):
            users = [f"U{r:03d}P{i:02d}" for i in range(10)]
            for user in users:
                people.record_user(session, {"id": user, "name": user, "tz": "UTC"}, NOW)
            specs.append((f"rotation-{r:03d}", users))
        for name, users in specs:
            spec = RotationSpec(
                name=name,
                channel="C0BENCH",
                timezone="Europe/Berlin",
                days=["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                start="09:00",
                length_minutes=480,
                users=users,
                start_date=YEAR_AGO.date().isoformat(),
            )
            lifecycle.create(session, spec, actor="bench", now=YEAR_AGO, plan=False)
    with transaction(factory) as session:  # type: ignore[arg-type]
        sweeps.plan(session, YEAR_AGO, horizon=timedelta(days=365 + 28))
    with transaction(factory) as session:  # type: ignore[arg-type]
        session.execute(
            update(A).where(A.ends_at <= NOW).values(state="checked_in", next_notice_at=None)
        )
        for seat in session.scalars(select(A).where(A.ends_at <= NOW)):
            event(session, seat.shift_id, "checked_in", seat.starts_at, assignment_id=seat.id)


def poll(conn: object, link: str) -> None:
    """The calendar client (another process): fetch the feed as often as asked, answer with
    (milliseconds, body) of each fetch; 0 ends it."""
    http = requests.Session()
    while count := conn.recv():  # type: ignore[attr-defined]
        found = []
        for _ in range(count):
            started = time.perf_counter()
            answer = http.get(link, timeout=10)
            elapsed = (time.perf_counter() - started) * 1000
            assert answer.status_code == 200, answer.status_code
            found.append((elapsed, answer.content))
        conn.send(found)  # type: ignore[attr-defined]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--others", type=int, default=20)
    parser.add_argument("--database-url")
    args = parser.parse_args()

    with scratch(args.database_url) as target:
        url, engine = fresh_database(target)
        factory = session_factory(engine)
        report = Report(
            f"calendar feed: a year of shifts, {args.requests} requests, "
            f"{engine.dialect.name}, {os.cpu_count()} cores"
        )
        populate(factory, args.others)
        with transaction(factory) as session:
            token = calendar.issue(session, "U0YEAR", NOW)
            last_seat = session.scalar(
                select(A.id).where(A.user_id == "U0YEAR").order_by(A.starts_at.desc()).limit(1)
            )
        slack = SlackSimulator(token="xoxb-bench").start()
        settings = Settings(
            _env_file=None,
            slack_bot_token="xoxb-bench",
            slack_signing_secret="bench-signing-secret",
            slack_api_url=slack.api_url,
            database_url=url,
            log_level="WARNING",
        )
        runtime = build_runtime(settings, scheduler=False, engine=engine, clock=lambda: NOW)
        server = WebServer(runtime.web).start()
        link = f"{server.url}/calendar/{token}.ics"
        context = multiprocessing.get_context("spawn")
        ours, theirs = context.Pipe()
        client = context.Process(target=poll, args=(theirs, link), daemon=True)
        client.start()
        ours.send(1)
        [(cold, body)] = ours.recv()
        events = body.count(b"BEGIN:VEVENT")
        report.figure("events in the feed", events)
        report.figure("feed size", len(body) // 1024, "KiB")
        report.figure("first request (nothing rendered yet)", cold, "ms")
        ours.send(20)
        ours.recv()
        half = args.requests // 2
        ours.send(half)
        latencies = [ms for ms, _ in ours.recv()]
        with transaction(factory) as session:  # the last seat changes hands: the feed follows
            seat = session.get(A, last_seat)
            assert seat is not None
            hand_over(session, seat, "U0SWAP", "", NOW, actor="bench", kind="swapped")
        ours.send(args.requests - half)
        answers = ours.recv()
        latencies += [ms for ms, _ in answers]
        ours.send(0)
        client.join(timeout=30)
        assert answers[-1][1].count(b"BEGIN:VEVENT") == events - 1, "the swapped seat left it"
        report.figure("p50", percentile(latencies, 50), "ms")
        report.target("p99", percentile(latencies, 99), 50.0, unit="ms")
        report.figure("max", max(latencies), "ms")
        server.stop()
        runtime.stop()
        slack.stop()
        engine.dispose()
    report.finish()


if __name__ == "__main__":
    main()
