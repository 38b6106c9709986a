"""Ticket threads survive Slack outages and a dispatcher killed mid-drain: no loss, no duplicate."""

from __future__ import annotations

from collections import Counter
from typing import Any

from slack_sdk import WebClient

from bot import delivery, outbox
from bot.db import transaction
from integrations.slack_delivery import Dispatcher, make_web_client

SUPPORT = "C0SUPPORT"


def _tickets(app: Any, count: int) -> None:
    z = app.zendesk
    customer = z.add_user("Carla Customer")
    agent = z.add_agent("Ada Agent")
    for n in range(count):
        ticket = z.create_ticket(f"Ticket {n}", f"Problem {n}", requester_id=customer["id"])
        z.add_comment(ticket["id"], f"answer {n}", author_id=agent["id"])
        z.solve(ticket["id"], actor_id=agent["id"])


def _posted(app: Any) -> Counter[str]:
    keys: Counter[str] = Counter()
    for root in app.slack.messages(SUPPORT):
        for message in [root, *app.slack.replies(SUPPORT, root["ts"])]:
            meta = message.get("metadata") or {}
            keys[(meta.get("event_payload") or {}).get("outbox_key", message["text"])] += 1
    return keys


def test_slack_outage_holds_the_threads_then_drains_them_whole(desk: Any) -> None:
    desk.slack.fail(
        "chat.postMessage", 503, {"ok": False, "error": "service_unavailable"}, times=10_000
    )
    _tickets(desk, 5)
    desk.settle()
    assert desk.slack.messages(SUPPORT) == []
    desk.slack.clear_failures()
    for _ in range(6):
        desk.clock.advance(minutes=5)
        desk.settle()
    posted = _posted(desk)
    assert len([k for k in posted if k.endswith(":root")]) == 5
    assert all(n == 1 for n in posted.values())
    roots = [m for m in desk.slack.messages(SUPPORT)]
    assert all("[solved]" in r["text"] for r in roots)


def test_dispatcher_killed_mid_drain_and_restarted_loses_and_repeats_nothing(desk: Any) -> None:
    _tickets(desk, 8)
    desk.runtime.inbox_worker.run_until_idle()
    desk.runtime.calls_worker.run_until_idle()
    desk.runtime.inbox_worker.run_until_idle()
    # The first process claims a batch, posts part of it, and dies before recording anything.
    with transaction(desk.runtime.factory) as session:
        batch = delivery.claim(session, desk.clock.now(), limit=6)
    raw = WebClient(token=desk.slack.token, base_url=desk.slack.api_url)
    for row in batch.by_channel[SUPPORT][:3]:
        args = {"thread_ts": row.thread_ts} if row.thread_ts else {}
        raw.chat_postMessage(
            channel=SUPPORT,
            text=row.payload["text"],
            blocks=row.payload.get("blocks"),
            **args,
            metadata={"event_type": "supportbot_message", "event_payload": {"outbox_key": row.key}},
        )
    # A lost answer while the restarted process drains, for good measure.
    desk.slack.fail(
        "chat.postMessage", 500, {"ok": False, "error": "internal_error"}, after_effect=True
    )
    restarted = Dispatcher(
        desk.runtime.factory,
        make_web_client(desk.slack.token, desk.slack.api_url),
        channel_rate=0,
        clock=desk.clock.epoch,
    )
    for _ in range(4):
        desk.clock.advance(minutes=2)
        restarted.drain(timeout=20)
    restarted.close()
    posted = _posted(desk)
    assert all(n == 1 for n in posted.values()), [k for k, n in posted.items() if n > 1]
    with transaction(desk.runtime.factory) as session:
        left = outbox.counts(session)
    assert left.get("pending", 0) == 0 and left.get("sending", 0) == 0 and not left.get("dead")
    assert len([k for k in posted if k.endswith(":root")]) == 8
