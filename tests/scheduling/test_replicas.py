"""Replicas for real: `supportbot run` processes sharing one PostgreSQL database, the leader
killed mid-burst; and the one-process rule on SQLite."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import run_cli
from harness import BOT_TOKEN, SIGNING_SECRET, SUPPORT_CHANNEL, ZENDESK_SECRET, manifest_scopes
from replicas import (
    Replica,
    post_zendesk,
    replica_env,
    start_replica,
    wait_healthy,
    wait_leader,
)

from integrations.simulators.slack.server import SlackSimulator
from integrations.simulators.zendesk.server import ZendeskSimulator

TICKETS = 24
TAKEOVER_SECONDS = 15.0


def _events(desk: ZendeskSimulator) -> tuple[list[dict[str, Any]], set[str]]:
    """Each ticket created with a comment, then two more comments; and every comment's text."""
    desk.deliver = "queue"
    agent = desk.add_agent("Agent Smith")
    customer = desk.add_user("Casey Customer")
    comments = set()
    for n in range(TICKETS):
        ticket = desk.create_ticket(
            f"Replica ticket {n}", f"first {n}", requester_id=customer["id"]
        )
        for part in ("a", "b"):
            desk.add_comment(ticket["id"], f"note {n}-{part}", author_id=agent["id"])
            comments.add(f"note {n}-{part}")
    events = list(desk.pending_webhooks)
    desk.pending_webhooks.clear()
    return events, comments


def _counted(slack: SlackSimulator) -> tuple[dict[str, int], dict[str, int]]:
    """Root messages per ticket subject, and replies per comment text."""
    roots: dict[str, int] = {}
    replies: dict[str, int] = {}
    for root in slack.messages(SUPPORT_CHANNEL):
        text = root.get("text", "")
        if "Replica ticket" not in text:
            continue
        subject = "Replica ticket " + text.split("Replica ticket ", 1)[1].split()[0]
        roots[subject] = roots.get(subject, 0) + 1
        for reply in slack.replies(SUPPORT_CHANNEL, root["ts"]):
            said = reply.get("text", "")
            if "note " in said:
                note = "note " + said.split("note ", 1)[1].split()[0]
                replies[note] = replies.get(note, 0) + 1
    return roots, replies


@pytest.mark.parametrize("count", [2, 3])
def test_killed_leader_is_replaced_and_nothing_is_lost_or_repeated(
    scratch_url: str, tmp_path: Path, count: int
) -> None:
    db_url = scratch_url
    slack = SlackSimulator(token=BOT_TOKEN, scopes=manifest_scopes()).start()
    slack.add_channel(SUPPORT_CHANNEL, "support")
    desk = ZendeskSimulator(webhook_secret=ZENDESK_SECRET).start()
    replicas: list[Replica] = []
    try:
        events, comments = _events(desk)
        env = {**replica_env(db_url, slack, desk), "SCHEDULER_TICK_SECONDS": "30"}
        replicas = [start_replica(env, tmp_path, f"replica-{i}") for i in range(count)]
        wait_healthy(replicas)
        leader = wait_leader(replicas)
        alive = list(replicas)
        killed_at = None
        for n, payload in enumerate(events):
            if n == len(events) // 2:
                leader.kill()
                killed_at = time.monotonic()
                alive.remove(leader)
            # A load balancer alternates; a refused connection is retried on another replica
            # (Zendesk retries failed deliveries), so every event is accepted once at least.
            for attempt in range(len(alive)):
                if post_zendesk(alive[(n + attempt) % len(alive)].url, ZENDESK_SECRET, payload):
                    break
            else:
                raise AssertionError(f"no replica accepted event {n}")
        assert killed_at is not None
        # Taken over means the new leader's first sweep has run.
        remaining = max(0.0, TAKEOVER_SECONDS - (time.monotonic() - killed_at))
        wait_leader(alive, timeout=remaining, swept=True)
        took = time.monotonic() - killed_at
        assert took <= TAKEOVER_SECONDS, f"takeover after {took:.1f} s"

        subjects = {f"Replica ticket {n}" for n in range(TICKETS)}
        deadline = time.monotonic() + 60
        roots, replies = _counted(slack)
        while time.monotonic() < deadline and (set(roots) != subjects or set(replies) != comments):
            time.sleep(0.2)
            roots, replies = _counted(slack)
        time.sleep(1.5)  # anything sent twice would show by now
        roots, replies = _counted(slack)
        assert roots == dict.fromkeys(subjects, 1)
        assert replies == dict.fromkeys(comments, 1)
        for replica in alive:
            assert replica.process.poll() is None
    finally:
        for replica in replicas:
            replica.stop()
        slack.stop()
        desk.stop()


def test_second_process_on_one_sqlite_file_refuses_to_start(tmp_path: Path) -> None:
    database = tmp_path / "bot.db"
    env = {
        "DATABASE_URL": f"sqlite:///{database}",
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": "http://127.0.0.1:9/api/",
    }
    first = start_replica(env, tmp_path, "first")
    try:
        wait_healthy([first])
        second = run_cli(["run", "--port", "0"], cwd=tmp_path, env=env, timeout=60)
        assert second.returncode == 2
        lines = second.stderr.strip().splitlines()
        assert len(lines) == 1, second.stderr
        assert f"pid {first.process.pid}" in lines[0] and "SQLite" in lines[0]
        assert "Traceback" not in second.stderr
        assert first.health() is not None  # the first one carries on
    finally:
        first.stop()
    # Once the first has stopped, the file is free again.
    again = start_replica(env, tmp_path, "again")
    try:
        wait_healthy([again])
    finally:
        again.stop()
