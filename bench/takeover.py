"""Leader takeover: SIGKILL the leading `supportbot run` and time until another replica's first
sweep (its /healthz shows it leads, with a scheduled job run after the kill).

PostgreSQL only (on SQLite exactly one process runs). Two replicas, the leader killed and
replaced by a fresh replica `--rounds` times. Target: every takeover <= 15 s.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime

import processes
from common import Report, fresh_database, scratch

from integrations.simulators.slack.server import SlackSimulator

TOKEN = "xoxb-bench"


def first_sweep_after(apps: list[processes.App], since: float, timeout: float) -> float | None:
    """Seconds from `since` (epoch) until a live replica leads and has run a job since then."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for app in apps:
            report = app.health() if app.process.poll() is None else None
            scheduler = (report or {}).get("scheduler") or {}
            ticked = scheduler.get("last_tick")
            if scheduler.get("this_process_leads") and ticked:
                at = datetime.fromisoformat(ticked).timestamp()
                if at >= since:
                    return time.time() - since
        time.sleep(0.02)
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if not (args.database_url or "").startswith("postgres"):
        print("takeover: needs --database-url postgresql://… (SQLite runs one process)")
        sys.exit(2)
    with scratch(args.database_url) as url:
        run(args, url)


def run(args: argparse.Namespace, url: str | None) -> None:
    report = Report(f"leader takeover after SIGKILL, {args.rounds} rounds")
    url, engine = fresh_database(url)
    engine.dispose()
    slack = SlackSimulator(token=TOKEN).start()
    env = {
        "DATABASE_URL": url,
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": "bench-signing-secret",
        "SLACK_API_URL": slack.api_url,
    }
    apps = [processes.start(env, f"replica-{i}") for i in range(2)]
    took: list[float] = []
    try:
        processes.wait_healthy(apps)
        for n in range(args.rounds):
            leader = processes.wait_leader(apps)
            assert leader is not None, "no replica leads"
            killed_at = time.time()
            leader.kill()
            apps.remove(leader)
            seconds = first_sweep_after(apps, killed_at, timeout=60)
            took.append(seconds if seconds is not None else 60.0)
            report.figure(f"round {n + 1}: first sweep of the new leader after", took[-1], "s")
            fresh = processes.start(env, f"replica-{n + 2}")
            processes.wait_healthy([fresh])
            apps.append(fresh)
    finally:
        for app in apps:
            app.stop()
        slack.stop()
    report.target("slowest takeover", max(took), 15, unit="s")
    report.finish()


if __name__ == "__main__":
    main()
