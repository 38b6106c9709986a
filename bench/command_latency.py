"""`/support help` round trip through the signed HTTP endpoint: p50 and p99 over 500 requests.

Target: p99 <= 50 ms.
"""

from __future__ import annotations

import argparse
import time

from common import Report, fresh_database, percentile

from bot.main import build_runtime
from bot.settings import Settings
from handlers.server import WebServer
from integrations.simulators.driver.client import SlackDriver
from integrations.simulators.slack.server import SlackSimulator

SECRET = "bench-signing-secret"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--database-url")
    args = parser.parse_args()

    report = Report(f"/support help round trip, {args.requests} requests")
    url, _ = fresh_database(args.database_url)
    slack = SlackSimulator(token="xoxb-bench").start()
    slack.add_user("U0BENCH", "bench")
    slack.add_channel("C0BENCH", "bench", members=["U0BENCH"])
    settings = Settings(
        _env_file=None,
        slack_bot_token="xoxb-bench",
        slack_signing_secret=SECRET,
        slack_api_url=slack.api_url,
        database_url=url,
        log_level="WARNING",
    )
    runtime = build_runtime(settings, scheduler=False)
    server = WebServer(runtime.web).start()
    driver = SlackDriver(server.url, SECRET, slack)
    for _ in range(20):  # warm up connections and caches
        driver.command("/support", "help", user_id="U0BENCH", channel_id="C0BENCH")
    latencies = []
    for _ in range(args.requests):
        started = time.perf_counter()
        answer = driver.command("/support", "help", user_id="U0BENCH", channel_id="C0BENCH")
        latencies.append((time.perf_counter() - started) * 1000)
        assert answer.status == 200 and "help" in answer.json["text"]
    report.figure("database", url.split(":")[0])
    report.figure("p50", percentile(latencies, 50), "ms")
    report.target("p99", percentile(latencies, 99), 50, unit="ms")
    server.stop()
    runtime.stop()
    slack.stop()
    report.finish()


if __name__ == "__main__":
    main()
