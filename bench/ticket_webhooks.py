"""10,000 Zendesk webhook deliveries for 1,000 tickets (20% duplicates, shuffled) to the signed
endpoint, with the app processing as they arrive.

Zendesk (the senders and the simulator) and Slack (the simulator) run in other processes, as
they would: the app's process serves, processes and delivers, and nothing else.

Targets: at least 300 events/s accepted and p99 endpoint latency <= 50 ms (2 cores); every
event processed and delivered within 20 s of the last accepted delivery; at the end exactly
1,000 root messages, every comment exactly once, and every root message showing the ticket's
final state.

`--database-url postgresql://…` runs it in a scratch database on that server, against one
`supportbot run` as deployed (which on PostgreSQL starts its worker processes); with
`--replicas N` the app is N `supportbot run` processes (WORKER_PROCESSES=0: together they fill
the machine's cores) and the senders alternate between them.
`--in-process` (and `--ingest-only`) runs the app inside this script, in one interpreter, as on
SQLite: the figure for WORKER_PROCESSES=0, and the one to profile.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from http.client import HTTPConnection
from typing import Any
from urllib.parse import urlsplit

import processes
from common import Report, fresh_database, percentile, scratch
from slack_sdk import WebClient

from bot.main import build_runtime
from bot.settings import Settings
from handlers.server import WebServer
from integrations.signatures import sign_zendesk
from integrations.simulators.slack.server import SlackSimulator
from integrations.simulators.zendesk.server import ZendeskSimulator

SECRET = "bench-zendesk-secret"
TOKEN = "xoxb-bench"
CHANNEL = "C0SUPPORT"


def build_events(desk: ZendeskSimulator, tickets: int) -> tuple[list[dict[str, Any]], dict]:
    """Eight events per ticket, captured as Zendesk would send them; and each final state."""
    desk.deliver = "queue"
    agents = [desk.add_agent(f"Agent {i}") for i in range(10)]
    customers = [desk.add_user(f"Customer {i}") for i in range(50)]
    finals = {}
    for n in range(tickets):
        customer, agent = customers[n % 50], agents[n % 10]
        ticket = desk.create_ticket(
            f"Bench ticket {n}", f"Problem {n}", requester_id=customer["id"]
        )  # created + comment_added
        desk.add_comment(ticket["id"], f"comment {n}-a", author_id=agent["id"])
        desk.add_comment(ticket["id"], f"comment {n}-b", author_id=customer["id"])
        desk.update_ticket(ticket["id"], status="open", priority="urgent")  # 2 events
        desk.update_ticket(ticket["id"], assignee_id=agent["id"])
        desk.solve(ticket["id"])
        finals[str(ticket["id"])] = agent["name"]
    events = list(desk.pending_webhooks)
    desk.pending_webhooks.clear()
    return events, finals


def simulators(conn: Any, tickets: int) -> None:
    """Run the Slack and Zendesk simulators in this (child) process until told to stop."""
    slack = SlackSimulator(token=TOKEN).start()
    slack.add_channel(CHANNEL, "support")
    desk = ZendeskSimulator(webhook_secret=SECRET).start()
    events, finals = build_events(desk, tickets)
    conn.send((slack.api_url, desk.url, desk.email, desk.api_token, events, finals))
    conn.recv()
    slack.stop()
    desk.stop()


def slack_thread_state(api_url: str) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Every root message in the channel with its replies, read back through the Web API."""
    client = WebClient(token=TOKEN, base_url=api_url)
    roots, cursor = [], None
    while True:
        page = client.conversations_history(channel=CHANNEL, limit=999, cursor=cursor)
        roots.extend(m for m in page["messages"] if "Zendesk #" in m.get("text", ""))
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            break
    found = []
    for root in roots:
        thread = client.conversations_replies(channel=CHANNEL, ts=root["ts"], limit=1000)
        found.append((root, [m for m in thread["messages"] if m["ts"] != root["ts"]]))
    return found


def send_all(base_urls: list[str], bodies: list[bytes]) -> tuple[list[float], dict[int, int]]:
    """POST each body, signed fresh, on keep-alive connections (one per app, alternating
    between them); latencies in ms.

    Plain http.client connections: the load generator shares the machine's two cores with the
    app, so it should cost as little CPU as it can.
    """
    connections = []
    for base_url in base_urls:
        parsed = urlsplit(base_url)
        connections.append(HTTPConnection(parsed.hostname, parsed.port, timeout=30))
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    for n, body in enumerate(bodies):
        http = connections[n % len(connections)]
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        headers = {
            "Content-Type": "application/json",
            "X-Zendesk-Webhook-Signature-Timestamp": stamp,
            "X-Zendesk-Webhook-Signature": sign_zendesk(SECRET, stamp, body),
        }
        started = time.perf_counter()
        http.request("POST", "/webhooks/zendesk", body=body, headers=headers)
        answer = http.getresponse()
        answer.read()
        latencies.append((time.perf_counter() - started) * 1000)
        statuses[answer.status] += 1
    for http in connections:
        http.close()
    return latencies, dict(statuses)


def check(
    args: argparse.Namespace,
    report: Report,
    url: str,
    api_url: str,
    finals: dict,
    statuses: Counter[int],
    latencies: list[float],
    accepted_in: float,
    left: int,
    settled_in: float,
) -> None:
    """Print the figures and check every ticket's thread in the Slack simulator."""
    threads = slack_thread_state(api_url)
    roots = [root for root, _ in threads]
    comments: Counter[str] = Counter()
    final_ok = 0
    for root, replies in threads:
        for reply in replies:
            said = reply["text"].split(": ", 1)[-1]
            if said.startswith("comment "):
                comments[said] += 1
        ticket_id = root["text"].split("#", 1)[1].split(":", 1)[0]
        shown = root["text"] + json.dumps(root.get("blocks") or [])
        if "[solved]" in root["text"] and "urgent" in shown and finals[ticket_id] in shown:
            final_ok += 1
    expected_comments = 2 * args.tickets
    report.figure("database", url.split(":")[0])
    report.figure("answers", dict(statuses))
    report.figure("accepted in", accepted_in, "s")
    report.figure("waiting when the last delivery was accepted", left)
    report.target("processed and delivered after", settled_in, 20, unit="s")
    report.figure("p50 latency", percentile(latencies, 50), "ms")
    report.target(
        "events accepted per second", args.deliveries / accepted_in, 300, at_most=False, unit="ev/s"
    )
    report.target("p99 latency", percentile(latencies, 99), 50, unit="ms")
    report.target("root messages - tickets", abs(len(roots) - args.tickets), 0)
    report.target("comments missing", expected_comments - len(comments), 0)
    report.target("comments posted twice", sum(n - 1 for n in comments.values()), 0)
    report.target("roots not showing the final state", args.tickets - final_ok, 0)


def replicas(
    args: argparse.Namespace,
    report: Report,
    url: str,
    engine: Any,
    settings: Settings,
    deliveries: list[dict[str, Any]],
    api_url: str,
    finals: dict,
) -> None:
    """The same load on `supportbot run` replicas, each request to the next replica in turn."""
    env = {
        "DATABASE_URL": url,
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": "x",
        "SLACK_API_URL": api_url,
        "SUPPORT_CHANNEL": CHANNEL,
        "ZENDESK_URL": settings.zendesk_url or "",
        "ZENDESK_EMAIL": settings.zendesk_email or "",
        "ZENDESK_API_TOKEN": settings.secret("zendesk_api_token") or "",
        "ZENDESK_WEBHOOK_SECRET": SECRET,
        "OUTBOX_CHANNEL_RATE": "0",
    }
    if args.replicas > 1:
        # Replicas sharing this machine's cores already use them all: one process each, as an
        # operator running several replicas on one host would set it.
        env["WORKER_PROCESSES"] = "0"
    apps = [processes.start(env, f"replica-{i}") for i in range(args.replicas)]
    try:
        processes.wait_healthy(apps)
        bodies = [json.dumps(payload).encode() for payload in deliveries]
        slices = [bodies[i :: args.concurrency] for i in range(args.concurrency)]
        urls = [app.url for app in apps]
        context = multiprocessing.get_context("spawn")
        started = time.monotonic()
        with context.Pool(args.concurrency) as pool:
            results = pool.starmap(
                send_all, [(urls[i:] + urls[:i], chunk) for i, chunk in enumerate(slices)]
            )
        accepted_in = time.monotonic() - started
        left = processes.backlog(engine)
        settled_in = processes.drain(engine)
    finally:
        for app in apps:
            app.stop()
    latencies = [ms for chunk, _ in results for ms in chunk]
    statuses: Counter[int] = Counter()
    for _, counted in results:
        statuses.update(counted)
    check(args, report, url, api_url, finals, statuses, latencies, accepted_in, left, settled_in)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tickets", type=int, default=1000)
    parser.add_argument("--deliveries", type=int, default=10000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--database-url")
    parser.add_argument(
        "--ingest-only",
        action="store_true",
        help="measure the endpoint alone; process after ingestion (in this process)",
    )
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="run the app in this process, in one interpreter (PostgreSQL; SQLite always is)",
    )
    parser.add_argument(
        "--replicas",
        type=int,
        default=0,
        help="run N `supportbot run` processes (PostgreSQL) and alternate requests between them",
    )
    args = parser.parse_args()
    if args.replicas and not (args.database_url or "").startswith("postgres"):
        raise SystemExit("--replicas needs --database-url postgresql://… (SQLite is one process)")
    postgres = (args.database_url or "").startswith("postgres")
    if postgres and not (args.replicas or args.in_process or args.ingest_only):
        args.replicas = 1  # `supportbot run`, as deployed
    with scratch(args.database_url) as url:
        run(args, url)


def run(args: argparse.Namespace, database_url: str | None) -> None:
    """The benchmark on one database."""
    title = f"ticket webhooks: {args.deliveries} deliveries for {args.tickets} tickets"
    shape = {0: ", in one process", 1: ", one `supportbot run`"}
    report = Report(title + shape.get(args.replicas, f", {args.replicas} replicas"))
    url, engine = fresh_database(database_url)
    context = multiprocessing.get_context("spawn")
    control, child_end = context.Pipe()
    sims = context.Process(target=simulators, args=(child_end, args.tickets), daemon=True)
    sims.start()
    api_url, desk_url, desk_email, desk_token, events, finals = control.recv()
    unique = int(args.deliveries * 0.8)
    assert len(events) >= unique, f"only {len(events)} events for {unique} unique deliveries"
    rng = random.Random(7)
    chosen = events[:unique]
    deliveries = chosen + [rng.choice(chosen) for _ in range(args.deliveries - unique)]
    rng.shuffle(deliveries)

    settings = Settings(
        _env_file=None,
        slack_bot_token=TOKEN,
        slack_signing_secret="x",
        slack_api_url=api_url,
        database_url=url,
        support_channel=CHANNEL,
        zendesk_url=desk_url,
        zendesk_email=desk_email,
        zendesk_api_token=desk_token,
        zendesk_webhook_secret=SECRET,
        outbox_channel_rate=0,
        log_level="WARNING",
    )
    if args.replicas:
        replicas(args, report, url, engine, settings, deliveries, api_url, finals)
        control.send("stop")
        sims.join(timeout=30)
        report.finish()
        return
    runtime = build_runtime(settings, scheduler=False, engine=engine)
    server = WebServer(runtime.web).start()
    stop = threading.Event()
    delivering = threading.Thread(
        target=runtime.dispatcher.run,
        args=(stop,),
        kwargs={"yield_to": runtime.inbox_worker.pressure.wait},
        daemon=True,
    )
    if not args.ingest_only:
        runtime.inbox_worker.start()
        runtime.calls_worker.start()
        delivering.start()

    # The load comes from other processes, as Zendesk's would: the app's process only serves.
    bodies = [json.dumps(payload).encode() for payload in deliveries]
    slices = [bodies[i :: args.concurrency] for i in range(args.concurrency)]
    started = time.monotonic()
    with context.Pool(args.concurrency) as pool:
        results = pool.starmap(send_all, [([server.url], chunk) for chunk in slices])
    accepted_in = time.monotonic() - started
    left = processes.backlog(engine)
    latencies = [ms for chunk, _ in results for ms in chunk]
    statuses: Counter[int] = Counter()
    for _, counted in results:
        statuses.update(counted)
    if args.ingest_only:
        processing = time.monotonic()
        runtime.settle(timeout=300)
        settled_in = time.monotonic() - processing
    else:
        # The workers run in their own threads: done is when the database holds nothing
        # waiting (a worker's claimed rows are invisible to a second claimer, so a settle from
        # here could finish while the worker is still on the last ones).
        settled_in = processes.drain(engine)
        stop.set()
        runtime.dispatcher.notify()
        delivering.join(timeout=30)

    check(args, report, url, api_url, finals, statuses, latencies, accepted_in, left, settled_in)
    server.stop()
    runtime.stop()
    control.send("stop")
    sims.join(timeout=30)
    report.finish()


if __name__ == "__main__":
    main()
