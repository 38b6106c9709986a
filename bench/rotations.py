"""Rotation sweeps at scale: 200 rotations of 50 people (two teams each), 12 weeks of shifts.

Targets: generating 12 weeks for every rotation <= 10 s; a tick sweep with nothing due
<= 20 ms (median of 25); a tick with 1,000 reminders due enqueues all of them <= 2 s; and
fairness: with nobody out of office, max - min shifts per person within a rotation <= 1.

Every rotation runs Monday to Friday at 14:00 Europe/Berlin for 2 hours with 5 people per
shift, so Monday's 1,000 day-before reminders all fall due on Sunday at 14:00.
With --database-url postgresql://…, a scratch database is created on that server and dropped.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

from common import Report, fresh_database, scratch
from sqlalchemy import func, select

from bot import people
from bot.db import session_factory, transaction
from bot.models import OutboxMessage
from bot.rotations import lifecycle
from bot.rotations.config import RotationSpec
from bot.rotations.models import Rotation, ShiftAssignment
from scheduling.sweeps import rotations as sweeps

# Saturday 28 November 2026, 12:00 in Berlin: nothing is due until Sunday 14:00.
START = datetime(2026, 11, 28, 11, 0, tzinfo=UTC)
SUNDAY_REMINDERS = datetime(2026, 11, 29, 13, 0, 30, tzinfo=UTC)


def populate(factory: object, count: int, size: int) -> None:
    """`count` rotations, each over two user groups of size/2 people."""
    half = size // 2
    with transaction(factory) as session:  # type: ignore[arg-type]
        for r in range(count):
            for team in ("A", "B"):
                members = [f"U{r:03d}{team}{i:02d}" for i in range(half)]
                for user in members:
                    people.record_user(session, {"id": user, "name": user, "tz": "UTC"}, START)
                people.replace_group(
                    session,
                    f"S{r:03d}{team}",
                    handle=f"r{r}-{team}",
                    name=team,
                    members=members,
                    now=START,
                )
    with transaction(factory) as session:  # type: ignore[arg-type]
        for r in range(count):
            spec = RotationSpec(
                name=f"rotation-{r:03d}",
                channel=f"C{r:08d}",
                timezone="Europe/Berlin",
                days=["mon", "tue", "wed", "thu", "fri"],
                start="14:00",
                length_minutes=120,
                people_per_shift=5,
                teams=[f"S{r:03d}A", f"S{r:03d}B"],
                leads=["U0LEAD"],
            )
            lifecycle.create(session, spec, actor="bench", now=START, plan=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rotations", type=int, default=200)
    parser.add_argument("--people", type=int, default=50)
    parser.add_argument("--weeks", type=int, default=12)
    parser.add_argument("--database-url")
    args = parser.parse_args()

    with scratch(args.database_url) as target:
        url, engine = fresh_database(target)
        factory = session_factory(engine)
        report = Report(
            f"rotations: {args.rotations} rotations x {args.people} people, "
            f"{args.weeks} weeks, {engine.dialect.name}, {os.cpu_count()} cores"
        )
        populate(factory, args.rotations, args.people)

        started = time.perf_counter()
        with transaction(factory) as session:
            planned = sweeps.plan(session, START, horizon=timedelta(weeks=args.weeks))
        generation = time.perf_counter() - started
        report.figure("shifts generated", planned["shifts"])

        with transaction(factory) as session:
            seats = session.scalar(select(func.count()).select_from(ShiftAssignment))
            spread = 0
            for rotation_id in session.scalars(select(Rotation.id)):
                counts = Counter(
                    session.scalars(
                        select(ShiftAssignment.user_id).where(
                            ShiftAssignment.rotation_id == rotation_id
                        )
                    )
                )
                spread = max(spread, max(counts.values()) - min(counts.values()))
                assert len(counts) == args.people, "everyone should have shifts"
        report.figure("seats assigned", seats)

        idle = []
        for _ in range(25):
            started = time.perf_counter()
            with transaction(factory) as session:
                result = sweeps.tick(session, START)
            idle.append(time.perf_counter() - started)
            assert not any(result.values()), result

        started = time.perf_counter()
        with transaction(factory) as session:
            result = sweeps.tick(session, SUNDAY_REMINDERS)
        busy = time.perf_counter() - started
        with transaction(factory) as session:
            queued = session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.key.like("shift:%:reminder:1440:%"))
            )
        report.figure("reminders enqueued", queued)

        report.target("generate all rotations", generation, 10.0, unit="s")
        report.target("fairness: max - min shifts per person", float(spread), 1.0)
        report.target(
            "sweep, nothing due (median)", statistics.median(idle) * 1000, 20.0, unit="ms"
        )
        report.figure("sweep, nothing due (max)", max(idle) * 1000, "ms")
        report.target("sweep, 1,000 reminders due", busy, 2.0, unit="s")
        report.target("reminders enqueued", float(queued or 0), 1000.0, at_most=False)
        engine.dispose()
    report.finish()


if __name__ == "__main__":
    main()
