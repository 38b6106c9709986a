"""How long work a request creates takes to reach Slack, with `supportbot run` as deployed.

1. A helpdesk webhook to its Slack post: 100 tickets, each created (its root message) and
   100 ms later commented on (a thread reply): 200 events 100 ms apart.
   Targets: p50 <= 100 ms, p99 <= 300 ms.
2. A submitted File bug modal to the issue key in the ticket's thread, against the Jira
   simulator: 20 bugs. Target: p50 <= 150 ms.

The app runs as its own process (scheduler on, default tick); the Slack and Jira simulators run
here, and each latency is the time from sending the request to the simulator answering the
chat.postMessage that shows its result.
"""

from __future__ import annotations

import argparse
import json
import time
from http.client import HTTPConnection
from typing import Any
from urllib.parse import urlsplit

import processes
from common import Report, fresh_database, percentile, scratch

from integrations.signatures import sign_helpdesk
from integrations.simulators.driver.client import SlackDriver
from integrations.simulators.jira.server import JiraSimulator
from integrations.simulators.slack.server import SlackSimulator

TOKEN = "xoxb-bench"
SIGNING = "bench-signing-secret"
HELPDESK = "bench-helpdesk-secret"
JIRA = "bench-jira-secret"
CHANNEL = "C0SUPPORT"
AGENT = "U0AGENT"


def event(kind: str, n: int, **extra: Any) -> dict[str, Any]:
    """A generic helpdesk event for ticket `n`."""
    ticket = {
        "id": f"LAT-{n}",
        "subject": f"Latency ticket {n}",
        "status": "open",
        "priority": "High",
        "requester": {"name": "Dana"},
        "updated_at": "2026-01-01T10:00:00Z",
    }
    head = {"type": kind, "source": "freshdesk", "ticket": ticket, "event_id": f"{kind}-{n}"}
    return head | extra


def posted_after(
    slack: SlackSimulator, since: int, match: Any, timeout: float = 10
) -> float | None:
    """When (epoch seconds) the simulator answered a chat.postMessage matching `match`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with slack.lock:
            found = [c for c in slack.calls[since:] if c.route == "chat.postMessage"]
        for call in found:
            if call.response.get("ok") and match(call.args):
                return call.at
        time.sleep(0.002)
    return None


def opened_view(slack: SlackSimulator, seen: set[str], timeout: float = 10) -> dict[str, Any]:
    """The modal the app opens right after acking the click (views.open with its trigger)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        views = [v for v in slack.views(AGENT) if v["id"] not in seen]
        if views:
            seen.add(views[-1]["id"])
            return views[-1]
        time.sleep(0.005)
    raise SystemExit("the File bug modal never opened")


def initial_values(view: dict[str, Any]) -> dict[str, Any]:
    """What a modal's inputs hold when opened."""
    values: dict[str, Any] = {}
    for block in view["blocks"]:
        element = block.get("element") or {}
        if block.get("type") != "input":
            continue
        if "initial_value" in element:
            values[block["block_id"]] = element["initial_value"]
        elif "initial_option" in element:
            values[block["block_id"]] = element["initial_option"]["value"]
        elif "initial_options" in element:
            values[block["block_id"]] = [o["value"] for o in element["initial_options"]]
    return values


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tickets", type=int, default=100)
    parser.add_argument("--bugs", type=int, default=20)
    parser.add_argument("--gap", type=float, default=0.1, help="seconds between events")
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with scratch(args.database_url) as url:
        run(args, url)


def run(args: argparse.Namespace, url: str | None) -> None:
    report = Report(f"latency: {2 * args.tickets} webhook events, {args.bugs} bug filings")
    url, engine = fresh_database(url)
    engine.dispose()
    slack = SlackSimulator(token=TOKEN).start()
    slack.add_user(AGENT, "agent", real_name="Ada Agent")
    slack.add_channel(CHANNEL, "support", members=[AGENT])
    jira = JiraSimulator(webhook_secret=JIRA).start()
    app = processes.start(
        {
            "DATABASE_URL": url,
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING,
            "SLACK_API_URL": slack.api_url,
            "SUPPORT_CHANNEL": CHANNEL,
            "HELPDESK_WEBHOOK_SECRET": HELPDESK,
            "OUTBOX_CHANNEL_RATE": "0",
            "JIRA_URL": jira.url,
            "JIRA_EMAIL": jira.email,
            "JIRA_API_TOKEN": jira.api_token,
            "JIRA_PROJECT_KEY": "SUP",
            "JIRA_WEBHOOK_SECRET": JIRA,
        }
    )
    try:
        processes.wait_healthy([app])
        time.sleep(2)  # the first ticks (directory, Jira metadata) pass
        roots, replies = webhooks(args, app, slack)
        bugs = filings(args, app, slack)
    finally:
        app.stop()
        slack.stop()
        jira.stop()
    both = roots + replies
    report.figure("database", url.split(":")[0])
    report.figure("root p50", percentile(roots, 50), "ms")
    report.figure("reply p50", percentile(replies, 50), "ms")
    report.figure("root p99", percentile(roots, 99), "ms")
    report.figure("reply p99", percentile(replies, 99), "ms")
    report.target("webhook to post p50", percentile(both, 50), 100, unit="ms")
    report.target("webhook to post p99", percentile(both, 99), 300, unit="ms")
    report.figure("bug key p99", percentile(bugs, 99), "ms")
    report.target("bug modal to key p50", percentile(bugs, 50), 150, unit="ms")
    report.finish()


def webhooks(
    args: argparse.Namespace, app: processes.App, slack: SlackSimulator
) -> tuple[list[float], list[float]]:
    """Each ticket created, then commented on: ms from sending to the post."""
    parsed = urlsplit(app.url)
    http = HTTPConnection(parsed.hostname, parsed.port, timeout=30)
    roots: list[float] = []
    replies: list[float] = []
    waiting: list[tuple[str, int, float, int]] = []
    next_at = time.monotonic()
    for n in range(args.tickets):
        comment = {"id": f"c{n}", "body": f"latency comment {n}", "public": True}
        for kind, extra in (("ticket.created", {}), ("ticket.comment_added", {"comment": comment})):
            time.sleep(max(next_at - time.monotonic(), 0))
            next_at += args.gap
            body = json.dumps(event(kind, n, **extra)).encode()
            stamp = str(int(time.time()))
            since = len(slack.calls)
            sent = time.time()
            http.request(
                "POST",
                "/webhooks/helpdesk",
                body=body,
                headers={
                    "Content-Type": "application/json",
                    "X-Helpdesk-Timestamp": stamp,
                    "X-Helpdesk-Signature": sign_helpdesk(HELPDESK, stamp, body),
                },
            )
            answer = http.getresponse()
            answer.read()
            assert answer.status == 200, answer.status
            waiting.append((kind, n, sent, since))
    http.close()
    for kind, n, sent, since in waiting:
        if kind == "ticket.created":
            at = posted_after(slack, since, lambda a, n=n: f"Latency ticket {n}" in a["text"])
            roots.append(((at or sent + 60) - sent) * 1000)
        else:
            at = posted_after(slack, since, lambda a, n=n: f"latency comment {n}" in a["text"])
            replies.append(((at or sent + 60) - sent) * 1000)
    return roots, replies


def filings(args: argparse.Namespace, app: processes.App, slack: SlackSimulator) -> list[float]:
    """File a bug from ticket threads: ms from submitting the modal to the key in the thread."""
    driver = SlackDriver(app.url, SIGNING, slack)
    tops = [m for m in slack.messages(CHANNEL) if "Latency ticket" in m.get("text", "")]
    found: list[float] = []
    seen: set[str] = set()
    for root in tops[: args.bugs]:
        driver.block_action(AGENT, "bug_file", message=root, channel_id=CHANNEL)
        view = opened_view(slack, seen)
        values = initial_values(view)
        since = len(slack.calls)
        sent = time.time()
        answer = driver.view_submission(AGENT, view, values)
        assert answer.status == 200, answer.status

        def key_in_thread(call_args: dict[str, Any], ts: str = root["ts"]) -> bool:
            return call_args.get("thread_ts") == ts and "SUP-" in call_args.get("text", "")

        at = posted_after(slack, since, key_in_thread)
        found.append(((at or sent + 60) - sent) * 1000)
        time.sleep(args.gap)
    return found


if __name__ == "__main__":
    main()
