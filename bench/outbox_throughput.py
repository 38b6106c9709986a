"""Dispatcher throughput with rate limits off (simulator and pacing), on SQLite by default.

Target: at least 200 messages per second on 2 cores, none lost or duplicated.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from datetime import UTC, datetime

from common import Report, fresh_database

from bot import outbox
from bot.db import session_factory, transaction
from integrations.simulators.slack.server import SlackSimulator
from integrations.slack_delivery import Dispatcher, make_web_client


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--channels", type=int, default=10)
    parser.add_argument("--database-url")
    args = parser.parse_args()

    report = Report(f"outbox throughput: {args.messages} messages, rate limits off")
    url, engine = fresh_database(args.database_url)
    factory = session_factory(engine)
    slack = SlackSimulator(token="xoxb-bench").start()
    channels = [f"C0BENCH{i:02d}" for i in range(args.channels)]
    for channel in channels:
        slack.add_channel(channel, channel.lower())
    now = datetime.now(UTC)
    with transaction(factory) as session:
        for i in range(args.messages):
            outbox.enqueue_post(
                session,
                key=f"bench:{i}",
                channel=channels[i % len(channels)],
                text=f"message {i}",
                now=now,
            )
    dispatcher = Dispatcher(
        factory, make_web_client("xoxb-bench", slack.api_url), channel_rate=0, batch_size=200
    )
    started = time.monotonic()
    totals = dispatcher.drain(timeout=300)
    elapsed = time.monotonic() - started
    dispatcher.close()
    keys = Counter(
        m["metadata"]["event_payload"]["outbox_key"] for c in channels for m in slack.messages(c)
    )
    report.figure("database", url.split(":")[0])
    report.figure("sent", totals.sent)
    report.figure("elapsed", elapsed, "s")
    report.target("throughput", args.messages / elapsed, 200, at_most=False, unit="msg/s")
    report.target("lost", args.messages - len(keys), 0)
    report.target("duplicated", sum(n - 1 for n in keys.values()), 0)
    slack.stop()
    report.finish()


if __name__ == "__main__":
    main()
