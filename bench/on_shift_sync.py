"""The on-shift user group sync across 200 rotations when nothing changed: time and Slack calls.

Targets: a sweep with nothing changed <= 20 ms (median of 25) and no Slack call at all.

Every rotation (two teams of 5) runs every day from 09:00 to 17:00 UTC with 2 people per shift,
planned from eight weeks back to four ahead, and has its own on-shift user group and channel
topic. The first sweep at 10:00 sets all 400 groups and topics in the Slack simulator; the
sweeps measured after it find nothing to do. A last sweep after the shift ends shows the
changed state set again.
With --database-url postgresql://…, a scratch database is created on that server and dropped.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from datetime import UTC, datetime, timedelta

from common import Report, fresh_database, scratch
from slack_sdk import WebClient

from bot import people
from bot.db import session_factory, transaction
from bot.rotations import lifecycle
from bot.rotations.config import RotationSpec
from integrations.clients import Clients
from integrations.simulators.slack.server import SlackSimulator
from scheduling.sweeps import on_shift
from scheduling.sweeps import rotations as sweeps

NOW = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
PLANNED_FROM = NOW - timedelta(weeks=8)
WRITES = ("usergroups.users.update", "usergroups.enable", "usergroups.disable")


def populate(factory: object, slack: SlackSimulator, count: int) -> None:
    """`count` rotations over two teams of 5, each with an on-shift group and a topic."""
    with transaction(factory) as session:  # type: ignore[arg-type]
        for r in range(count):
            for team in ("A", "B"):
                members = [f"U{r:03d}{team}{i}" for i in range(5)]
                for user in members:
                    people.record_user(session, {"id": user, "name": user, "tz": "UTC"}, NOW)
                    slack.add_user(user, user.lower())
                people.replace_group(
                    session,
                    f"S{r:03d}{team}",
                    handle=f"r{r}-{team}",
                    name=team,
                    members=members,
                    now=NOW,
                )
            people.replace_group(
                session, f"S{r:03d}N", handle=f"r{r}-now", name="now", members=[], now=NOW
            )
            slack.add_usergroup(f"S{r:03d}N", f"r{r}-now")
            slack.add_channel(f"C{r:08d}", f"rotation-{r}")
    with transaction(factory) as session:  # type: ignore[arg-type]
        for r in range(count):
            spec = RotationSpec(
                name=f"rotation-{r:03d}",
                channel=f"C{r:08d}",
                timezone="UTC",
                days=["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                start="09:00",
                length_minutes=480,
                people_per_shift=2,
                teams=[f"S{r:03d}A", f"S{r:03d}B"],
                leads=["U000A0"],
                usergroup=f"S{r:03d}N",
                channel_topic=True,
                start_date=PLANNED_FROM.date().isoformat(),
            )
            lifecycle.create(session, spec, actor="bench", now=PLANNED_FROM, plan=False)
    with transaction(factory) as session:  # type: ignore[arg-type]
        sweeps.plan(session, PLANNED_FROM, horizon=timedelta(weeks=12))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rotations", type=int, default=200)
    parser.add_argument("--database-url")
    args = parser.parse_args()

    with scratch(args.database_url) as target:
        url, engine = fresh_database(target)
        factory = session_factory(engine)
        report = Report(
            f"on-shift sync: {args.rotations} rotations, {engine.dialect.name}, "
            f"{os.cpu_count()} cores"
        )
        slack = SlackSimulator(token="xoxb-bench", clock=lambda: NOW.timestamp()).start()
        populate(factory, slack, args.rotations)
        clients = Clients(slack=WebClient(token="xoxb-bench", base_url=slack.api_url))

        started = time.perf_counter()
        first = on_shift.sync(factory, clients, NOW)
        report.figure("first sweep: groups and topics set", first["synced"])
        report.figure("first sweep", (time.perf_counter() - started) * 1000, "ms")
        assert first == {"synced": 2 * args.rotations, "refused": 0}, first
        assert len(slack.usergroup("S000N")["users"]) == 2

        slack.reset_calls()
        idle = []
        for _ in range(25):
            started = time.perf_counter()
            result = on_shift.sync(factory, clients, NOW + timedelta(minutes=1))
            idle.append((time.perf_counter() - started) * 1000)
            assert result == {"synced": 0, "refused": 0}, result
        calls = len(slack.calls)
        report.target("sweep, nothing changed (median)", statistics.median(idle), 20.0, unit="ms")
        report.figure("sweep, nothing changed (max)", max(idle), "ms")
        report.target("Slack calls while nothing changed", float(calls), 0.0)

        after = on_shift.sync(factory, clients, NOW + timedelta(hours=8))  # the shift is over
        report.figure("sweep after the shift ended: changes set", after["synced"])
        assert slack.usergroup("S000N")["date_delete"] > 0
        slack.stop()
        engine.dispose()
    report.finish()


if __name__ == "__main__":
    main()
