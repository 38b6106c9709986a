"""Outbox delivery of 1,000 messages across 10 channels with Slack's rate limits on.

Targets: total time within 10% of the rate-limit ideal; 0 messages lost; 0 duplicated.
The simulator allows one chat.postMessage per second per channel (burst 1), so the ideal for
N messages per channel is N - 1 seconds.
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
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--channels", type=int, default=10)
    parser.add_argument("--database-url")
    args = parser.parse_args()

    report = Report(
        f"outbox pacing: {args.messages} messages, {args.channels} channels, rate limits on"
    )
    url, engine = fresh_database(args.database_url)
    factory = session_factory(engine)
    slack = SlackSimulator(token="xoxb-bench", rate_limits=True).start()
    slack.set_rate_limits(True, post_per_channel_per_second=1.0, post_burst=1)
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
        factory, make_web_client("xoxb-bench", slack.api_url), channel_rate=1.0, batch_size=200
    )
    started = time.monotonic()
    dispatcher.drain(timeout=args.messages * 2)
    elapsed = time.monotonic() - started
    dispatcher.close()

    per_channel = -(-args.messages // args.channels)
    ideal = max(per_channel - 1, 1)
    keys = Counter(
        m["metadata"]["event_payload"]["outbox_key"]
        for channel in channels
        for m in slack.messages(channel)
        if m.get("metadata")
    )
    expected = {f"bench:{i}" for i in range(args.messages)}
    lost = len(expected - set(keys))
    duplicated = sum(n - 1 for n in keys.values() if n > 1)
    limited = sum(1 for c in slack.calls_to("chat.postMessage") if c.status == 429)
    report.figure("database", url.split(":")[0])
    report.figure("elapsed", elapsed, "s")
    report.figure("rate-limit ideal", float(ideal), "s")
    report.figure("429 answers", limited)
    report.target("time / ideal", elapsed / ideal, 1.10)
    report.target("lost", lost, 0)
    report.target("duplicated", duplicated, 0)
    slack.stop()
    report.finish()


if __name__ == "__main__":
    main()
