"""Leads' and product owners' views at scale: 100,000 tickets, 5,000 bugs, 50,000 links and
20,000 shifts in the database.

Targets: `/support queue` and `/support bugs` through the signed HTTP endpoint, p99 <= 200 ms;
rendering a lead's (and product owner's and engineer's) App Home, p99 <= 300 ms. The query
plans of the statements these views run are printed with the indexes they use.
With --database-url postgresql://…, a scratch database is created on that server and dropped.
"""

from __future__ import annotations

import argparse
import gc
import random
import re
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from common import Report, fresh_database, percentile, scratch
from sqlalchemy import Engine, event, insert, text

from bot import people
from bot.bugs import load as bug_load
from bot.bugs.models import Bug, BugLink
from bot.db import reading, session_factory, transaction
from bot.insights import agent_desk, home, queue
from bot.insights.render.home import render_home
from bot.main import build_runtime
from bot.models import AppState, OutboxMessage
from bot.rotations.models import Rotation, RotationMember, Shift, ShiftAssignment
from bot.settings import Settings
from bot.sla import targets
from bot.tickets import links
from bot.tickets.models import Ticket
from handlers.server import WebServer
from integrations.simulators.driver.client import SlackDriver
from integrations.simulators.slack.server import SlackSimulator

SECRET = "bench-signing-secret"
NOW = datetime.now(UTC).replace(microsecond=0)
CHANNELS = [f"C0CHAN{i:02d}" for i in range(10)]
GROUPS = ["Billing", "Payments", "Login", "Mobile", "Shipping", "Search", "Reports", "API"]
PRIORITIES = ["urgent", "high", "normal", "normal", "low", None]
OPEN = ["new", "open", "open", "pending", "hold"]
COMPONENTS = ["Checkout", "Auth", "Mobile app", "Search", "Billing", "API", "Reports", "Sync"]
LEAD = "U0LEAD"
AGENT = "U0AGENT7"
BATCH = 5000


def _chunks(rows: list[dict[str, Any]]) -> Any:
    for start in range(0, len(rows), BATCH):
        yield rows[start : start + BATCH]


def populate(engine: Engine, tickets: int, bugs: int, links_count: int, shifts: int) -> None:
    """Bulk-load the database (10% of tickets open, the rest solved or closed)."""
    rng = random.Random(7)  # noqa: S311 - repeatable data, not secrets
    table = targets.DEFAULTS
    ticket_rows, outbox_rows = [], []
    for i in range(1, tickets + 1):
        opened = NOW - timedelta(minutes=rng.randint(5, 90 * 24 * 60))
        priority = rng.choice(PRIORITIES)
        is_open = rng.random() < 0.1
        status = rng.choice(OPEN) if is_open else rng.choice(["solved", "closed"])
        found = targets.thresholds(opened, targets.target_for(table, priority))
        answered = (
            None
            if (is_open and rng.random() < 0.4)
            else opened + timedelta(minutes=rng.randint(5, 600))
        )
        channel = rng.choice(CHANNELS)
        ticket_rows.append(
            {
                "id": i,
                "provider": "zendesk",
                "external_id": str(i),
                "subject": f"Ticket {i} about {rng.choice(COMPONENTS)}",
                "description": "A customer cannot finish what they started.",
                "status": status,
                "priority": priority,
                "assignee": None if rng.random() < 0.3 else f"Agent {rng.randint(1, 40)}",
                "assignee_id": None,
                "group_name": rng.choice(GROUPS),
                "tags": rng.sample(["vip", "refund", "bug", "howto", "outage", "mobile"], 2),
                "url": f"https://acme.zendesk.com/agent/tickets/{i}",
                "opened_at": opened,
                "first_seen_at": opened,
                "first_response_at": answered,
                "solved_at": None if is_open else opened + timedelta(hours=rng.randint(1, 96)),
                "channel_id": channel,
                "routed_channel_id": channel,
                "root_key": f"ticket:zendesk:{i}:root",
                "version": 1,
                "published_version": 1,
                "response_risk_at": found.response_risk_at,
                "response_due_at": found.response_due_at,
                "resolve_risk_at": found.resolve_risk_at,
                "resolve_due_at": found.resolve_due_at,
                "sla_next_at": None,
            }
        )
        outbox_rows.append(
            {
                "key": f"ticket:zendesk:{i}:root",
                "method": "chat.postMessage",
                "channel": channel,
                "payload": {"text": "root"},
                "meta": {},
                "status": "sent",
                "attempts": 1,
                "next_attempt_at": opened,
                "created_at": opened,
                "sent_at": opened,
                "posted_channel": channel,
                "posted_ts": f"{opened.timestamp():.6f}",
            }
        )
    bug_rows = [
        {
            "id": b,
            "key": f"SUP-{b}",
            "summary": f"Bug {b} in {rng.choice(COMPONENTS)}",
            "url": f"https://acme.atlassian.net/browse/SUP-{b}",
            "status": rng.choice(["To Do", "In Progress", "Done"]),
            "category": rng.choice(["new", "indeterminate", "done"]),
            "fix_versions": [],
            "components": rng.sample(COMPONENTS, rng.randint(0, 2)),
            "jira_created_at": NOW - timedelta(days=rng.randint(1, 400)),
            "created_at": NOW - timedelta(days=rng.randint(1, 400)),
            "updated_at": NOW,
        }
        for b in range(1, bugs + 1)
    ]
    pairs: set[tuple[int, int]] = set()
    while len(pairs) < links_count:
        # A few bugs draw most tickets, as in life.
        bug = min(int(rng.paretovariate(1.2)), bugs)
        pairs.add((bug if rng.random() < 0.3 else rng.randint(1, bugs), rng.randint(1, tickets)))
    link_rows = [
        {
            "bug_id": b,
            "ticket_id": t,
            "how": "linked",
            "linked_by": "U0AGENT",
            "linked_at": NOW - timedelta(minutes=rng.randint(1, 90 * 24 * 60)),
        }
        for b, t in pairs
    ]
    rotation_count, per = 20, shifts // 20
    rotation_rows = [
        {
            "id": r,
            "name": f"rotation-{r}",
            "channel": "C0ROTATE",
            "timezone": "Europe/Berlin",
            "pattern": {},
            "people_per_shift": 1,
            "reminder_lead_minutes": [1440, 15],
            "leads": [LEAD],
            "teams": [],
            "users": [f"U0P{r:02d}{p:02d}" for p in range(10)],
            "holidays": [],
            "fixed_shifts": [],
            "status": "active",
            "created_by": LEAD,
            "created_at": NOW,
            "updated_at": NOW,
        }
        for r in range(1, rotation_count + 1)
    ]
    member_rows = [
        {"rotation_id": r, "user_id": u, "team_id": "", "active": True, "joined_at": NOW}
        for r in range(1, rotation_count + 1)
        for u in rotation_rows[r - 1]["users"]
    ]
    shift_rows, seat_rows = [], []
    for r in range(1, rotation_count + 1):
        for k in range(per):
            starts = NOW + timedelta(hours=(k - per // 2) * 3 + r % 3)
            sid = (r - 1) * per + k + 1
            shift_rows.append(
                {
                    "id": sid,
                    "rotation_id": r,
                    "key": f"{r}:0:pattern:{starts.isoformat()}",
                    "starts_at": starts,
                    "ends_at": starts + timedelta(hours=2),
                    "source": "pattern",
                    "status": "scheduled",
                    "created_at": NOW,
                }
            )
            past = starts < NOW
            state = rng.choice(["checked_in"] * 8 + ["late", "no_show"]) if past else "scheduled"
            seat_rows.append(
                {
                    "shift_id": sid,
                    "rotation_id": r,
                    "seat": 0,
                    "user_id": rotation_rows[r - 1]["users"][k % 10],
                    "team_id": "",
                    "state": state,
                    "starts_at": starts,
                    "ends_at": starts + timedelta(hours=2),
                    "window_opens_at": starts - timedelta(minutes=15),
                    "window_closes_at": starts + timedelta(minutes=10),
                }
            )
    with engine.begin() as conn:
        for model, rows in (
            (Ticket, ticket_rows),
            (OutboxMessage, outbox_rows),
            (Bug, bug_rows),
            (BugLink, link_rows),
            (Rotation, rotation_rows),
            (RotationMember, member_rows),
            (Shift, shift_rows),
            (ShiftAssignment, seat_rows),
        ):
            for chunk in _chunks(rows):
                conn.execute(insert(model), chunk)
        conn.execute(
            insert(AppState),
            [
                {
                    "name": links.WORKSPACE,
                    "value": {"url": "https://acme.slack.com/"},
                    "updated_at": NOW,
                }
            ],
        )
        if engine.dialect.name == "postgresql":
            for name in ("tickets", "bugs", "rotations", "shifts"):
                conn.execute(text(f"SELECT setval('{name}_id_seq', (SELECT max(id) FROM {name}))"))
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    factory = session_factory(engine)
    with transaction(factory) as session:
        people.record_user(session, {"id": LEAD, "name": "lead", "tz": "Europe/Berlin"}, NOW)
        # A helpdesk agent found by name: "Agent 7" is assigned about 1 in 57 tickets.
        people.record_user(session, {"id": AGENT, "name": "agent7", "real_name": "Agent 7"}, NOW)


def capture(engine: Engine, run: Any) -> list[tuple[str, Any]]:
    """The SELECT statements `run()` sends, with their parameters."""
    seen: list[tuple[str, Any]] = []

    def listen(
        conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool
    ) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, params))

    event.listen(engine, "before_cursor_execute", listen)
    try:
        run()
    finally:
        event.remove(engine, "before_cursor_execute", listen)
    return seen


INDEX = re.compile(
    r"(?:USING (?:COVERING )?INDEX|Index (?:Only )?Scan(?: Backward)? using|Bitmap Index Scan on)"
    r" (\w+)"
)


def explain(engine: Engine, statements: list[tuple[str, Any]], label: str) -> None:
    """Print each statement's plan and the indexes it uses."""
    sqlite = engine.dialect.name == "sqlite"
    print(f"  -- query plans: {label}")
    with engine.connect() as conn:
        for statement, params in statements:
            prefix = "EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN "
            rows = conn.exec_driver_sql(prefix + statement, params).all()
            plan = [str(r[-1]) if sqlite else str(r[0]) for r in rows]
            used = sorted(set(INDEX.findall("\n".join(plan))))
            first = " ".join(statement.split())[:110]
            print(f"     {first}…")
            print(f"       indexes: {', '.join(used) or 'none'}")
            for line in plan:
                print(f"       | {line.strip()}")


def timed(requests: int, call: Any) -> list[float]:
    """Milliseconds of each of `requests` calls."""
    found = []
    for _ in range(requests):
        started = time.perf_counter()
        call()
        found.append((time.perf_counter() - started) * 1000)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--bugs", type=int, default=5_000)
    parser.add_argument("--links", type=int, default=50_000)
    parser.add_argument("--shifts", type=int, default=20_000)
    parser.add_argument("--no-plans", action="store_true", help="skip printing query plans")
    args = parser.parse_args()
    with scratch(args.database_url) as target:
        run(args, target)


def run(args: argparse.Namespace, target: str | None) -> None:
    url, engine = fresh_database(target)
    report = Report(
        f"queue, bugs and App Home: {args.tickets} tickets, {args.bugs} bugs, "
        f"{args.links} links, {args.shifts} shifts ({engine.dialect.name})"
    )
    started = time.perf_counter()
    populate(engine, args.tickets, args.bugs, args.links, args.shifts)
    report.figure("setup", time.perf_counter() - started, "s")
    # The data was loaded in this process, which a bot process would not carry: move what the
    # load left on the heap out of the collector's sight, so the timings are the app's own and
    # not full collections over the benchmark's set-up.
    gc.collect()
    gc.freeze()
    slack = SlackSimulator(token="xoxb-bench").start()
    slack.add_user(LEAD, "lead", tz="Europe/Berlin")
    slack.add_channel(CHANNELS[0], "support", members=[LEAD])
    settings = Settings(
        _env_file=None,
        slack_bot_token="xoxb-bench",
        slack_signing_secret=SECRET,
        slack_api_url=slack.api_url,
        database_url=url,
        support_leads=LEAD,
        product_owners=LEAD,
        log_level="WARNING",
    )
    runtime = build_runtime(settings, scheduler=False, clock=lambda: NOW)
    server = WebServer(runtime.web).start()
    driver = SlackDriver(server.url, SECRET, slack)

    def command(text_: str, expect: str) -> None:
        answer = driver.command("/support", text_, user_id=LEAD, channel_id=CHANNELS[0])
        assert answer.status == 200 and expect in answer.json["text"], answer.text[:300]

    config = home.HomeConfig(leads=[LEAD], product_owners=[LEAD], timezone="UTC")
    factory = runtime.factory

    def render(user: str = LEAD) -> None:
        with reading(factory) as session:
            view = render_home(home.home_data(session, user, NOW, config))
        assert len(view["blocks"]) <= 100

    for _ in range(5):  # warm up connections and caches
        command("queue", "Support queue")
        command("bugs", "")
        render()
    queue_ms = timed(args.requests, lambda: command("queue", "Support queue"))
    bugs_ms = timed(args.requests, lambda: command("bugs", ""))
    home_ms = timed(max(args.requests // 2, 20), render)
    agent_ms = timed(max(args.requests // 2, 20), lambda: render(AGENT))
    report.figure("database", engine.dialect.name)
    report.figure("/support queue p50", percentile(queue_ms, 50), "ms")
    report.target("/support queue p99", percentile(queue_ms, 99), 200, unit="ms")
    report.figure("/support bugs p50", percentile(bugs_ms, 50), "ms")
    report.target("/support bugs p99", percentile(bugs_ms, 99), 200, unit="ms")
    report.figure("App Home render p50", percentile(home_ms, 50), "ms")
    report.target("App Home render p99", percentile(home_ms, 99), 300, unit="ms")
    report.figure("App Home render (agent) p50", percentile(agent_ms, 50), "ms")
    report.target("App Home render (agent) p99", percentile(agent_ms, 99), 300, unit="ms")
    if not args.no_plans:
        with reading(factory) as session:
            explain(
                engine,
                capture(runtime.engine, lambda: queue.summary(session, NOW, queue.QueueFilter())),
                "/support queue",
            )
            explain(
                engine,
                capture(runtime.engine, lambda: bug_load.ranked(session, NOW, limit=15)),
                "/support bugs (ranking)",
            )
            explain(
                engine,
                capture(runtime.engine, lambda: bug_load.components(session, NOW)),
                "/support bugs (components)",
            )
            explain(
                engine,
                capture(runtime.engine, lambda: home.home_data(session, LEAD, NOW, config)),
                "App Home",
            )
            explain(
                engine,
                capture(runtime.engine, lambda: agent_desk.assigned_to(session, AGENT)),
                "App Home (an agent's tickets)",
            )
    server.stop()
    runtime.stop()
    slack.stop()
    engine.dispose()
    report.finish()


if __name__ == "__main__":
    main()
