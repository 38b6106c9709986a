"""The outbox dispatcher against the Slack simulator: order, pacing, retries, recovery."""

from __future__ import annotations

from typing import Any

from races import together
from slack_sdk import WebClient

from bot import delivery, outbox
from bot.db import transaction
from bot.main import build_runtime
from integrations.slack_delivery import Dispatcher, make_web_client

CHANNEL = "C0SUPPORT"


def _post(app: Any, key: str, text: str, **kwargs: Any) -> None:
    with transaction(app.runtime.factory) as session:
        outbox.enqueue_post(
            session,
            key=key,
            channel=kwargs.pop("channel", CHANNEL),
            text=text,
            now=app.clock.now(),
            **kwargs,
        )


def _dispatcher(app: Any, **kwargs: Any) -> Dispatcher:
    client = make_web_client(app.slack.token, app.slack.api_url)
    return Dispatcher(app.runtime.factory, client, clock=app.clock.epoch, **kwargs)


def _rows(app: Any) -> dict[str, Any]:
    with transaction(app.runtime.factory) as session:
        return {
            r.key: r
            for r in outbox.listing(
                session, ["pending", "sending", "sent", "dead", "superseded"], limit=1000
            )
        }


def test_message_is_delivered_with_metadata_and_its_ts_recorded(app: Any) -> None:
    _post(app, "k1", "hello <b>")
    app.settle()
    [message] = app.slack.messages(CHANNEL)
    assert message["text"] == "hello <b>"
    assert message["metadata"]["event_type"] == "supportbot_message"
    assert message["metadata"]["event_payload"]["outbox_key"] == "k1"
    row = _rows(app)["k1"]
    assert row.status == "sent" and row.posted_ts == message["ts"]


def test_enqueuing_the_same_key_twice_sends_once(app: Any) -> None:
    _post(app, "same", "one")
    _post(app, "same", "two")
    app.settle()
    assert [m["text"] for m in app.slack.messages(CHANNEL)] == ["one"]


def test_thread_replies_wait_for_their_parent_and_keep_their_order(app: Any) -> None:
    with transaction(app.runtime.factory) as session:
        now = app.clock.now()
        outbox.enqueue_post(session, key="root", channel=CHANNEL, text="root", now=now)
        for i in range(5):
            outbox.enqueue_post(
                session, key=f"r{i}", channel=CHANNEL, text=f"reply {i}", thread_key="root", now=now
            )
    app.slack.fail("chat.postMessage", 500, {"ok": False, "error": "internal_error"})
    app.settle()
    assert app.slack.messages(CHANNEL) == []  # root failed: its replies must wait
    app.clock.advance(seconds=10)
    app.settle()
    [root] = app.slack.messages(CHANNEL)
    assert [m["text"] for m in app.slack.replies(CHANNEL, root["ts"])] == [
        f"reply {i}" for i in range(5)
    ]


def test_updates_edit_the_posted_message_and_only_the_latest_pending_one_is_sent(app: Any) -> None:
    with transaction(app.runtime.factory) as session:
        now = app.clock.now()
        outbox.enqueue_post(session, key="root", channel=CHANNEL, text="v0", now=now)
        for i in range(1, 4):
            outbox.enqueue_update(
                session, key=f"root:v{i}", target_key="root", text=f"v{i}", now=now
            )
    app.settle()
    [root] = app.slack.messages(CHANNEL)
    assert root["text"] == "v3"
    assert len(app.slack.calls_to("chat.update")) == 1
    assert _rows(app)["root:v1"].status == "superseded"


def test_dm_to_a_user_id_goes_to_the_bots_dm_channel(app: Any) -> None:
    _post(app, "dm1", "psst", channel="U0AGENT")
    app.settle()
    assert [m["text"] for m in app.slack.dms("U0AGENT")] == ["psst"]


def test_rate_limited_message_waits_for_retry_after_then_goes_once(app: Any) -> None:
    app.slack.fail(
        "chat.postMessage",
        429,
        {"ok": False, "error": "ratelimited"},
        headers={"Retry-After": "30"},
    )
    _post(app, "rl", "later")
    app.settle()
    assert app.slack.messages(CHANNEL) == []
    row = _rows(app)["rl"]
    assert row.status == "pending" and row.attempts == 0  # a 429 is not a failed attempt
    app.clock.advance(seconds=31)
    app.settle()
    assert [m["text"] for m in app.slack.messages(CHANNEL)] == ["later"]


def test_slack_down_for_a_while_holds_then_drains_without_loss(app: Any) -> None:
    app.slack.fail("chat.postMessage", 503, "unavailable", times=3)
    for i in range(3):
        _post(app, f"m{i}", f"message {i}")
    for _ in range(4):
        app.settle()
        app.clock.advance(minutes=1)
    assert [m["text"] for m in app.slack.messages(CHANNEL)] == [f"message {i}" for i in range(3)]


def test_lost_response_is_reconciled_by_metadata_not_posted_again(app: Any) -> None:
    # Slack posts the message but the answer never arrives (a 500 after the effect).
    app.slack.fail(
        "chat.postMessage", 500, {"ok": False, "error": "internal_error"}, after_effect=True
    )
    _post(app, "lost", "exactly once")
    app.settle()
    app.clock.advance(seconds=10)
    app.settle()
    assert [m["text"] for m in app.slack.messages(CHANNEL)] == ["exactly once"]
    assert _rows(app)["lost"].status == "sent"
    assert len(app.slack.calls_to("conversations.history")) >= 1


def test_crash_between_slack_answer_and_commit_does_not_post_twice(app: Any) -> None:
    _post(app, "crash", "posted before the crash")
    # A dispatcher claims the row and posts it, then dies before recording the ts.
    with transaction(app.runtime.factory) as session:
        batch = delivery.claim(session, app.clock.now())
    [claimed] = batch.by_channel[CHANNEL]
    WebClient(token=app.slack.token, base_url=app.slack.api_url).chat_postMessage(
        channel=CHANNEL,
        text="posted before the crash",
        metadata={"event_type": "supportbot_message", "event_payload": {"outbox_key": claimed.key}},
    )
    # After restart nothing is sent while the lease holds, then recovery finds the message.
    app.settle()
    app.clock.advance(seconds=61)
    app.settle()
    assert len(app.slack.messages(CHANNEL)) == 1
    assert _rows(app)["crash"].status == "sent"


def test_thread_reply_lost_in_a_crash_is_found_in_the_thread(app: Any) -> None:
    with transaction(app.runtime.factory) as session:
        now = app.clock.now()
        outbox.enqueue_post(session, key="root", channel=CHANNEL, text="root", now=now)
        outbox.enqueue_post(
            session, key="reply", channel=CHANNEL, text="reply", thread_key="root", now=now
        )
    app.slack.fail(
        "chat.postMessage", 500, {"ok": False, "error": "internal_error"}, after_effect=True
    )
    app.settle()  # root posted, answer lost; reply waits
    app.clock.advance(seconds=10)
    app.settle()
    app.slack.fail(
        "chat.postMessage", 500, {"ok": False, "error": "internal_error"}, after_effect=True
    )
    app.clock.advance(seconds=10)
    app.settle()
    app.clock.advance(seconds=10)
    app.settle()
    [root] = app.slack.messages(CHANNEL)
    assert [m["text"] for m in app.slack.replies(CHANNEL, root["ts"])] == ["reply"]


def test_unfixable_errors_are_dead_lettered_at_once_with_the_reason(app: Any) -> None:
    app.slack.add_channel("C0OUTSIDE", "outside", bot_member=False, is_private=True)
    _post(app, "nf", "nowhere", channel="C0NOSUCH")
    _post(app, "priv", "private", channel="C0OUTSIDE")
    app.settle()
    rows = _rows(app)
    assert rows["nf"].status == "dead" and rows["nf"].last_error == "channel_not_found"
    assert rows["priv"].status == "dead"
    assert rows["nf"].attempts == 1


def test_not_in_channel_is_dead_lettered_and_can_be_retried_after_inviting(
    app: Any, caplog: Any
) -> None:
    app.slack.state.scopes = [s for s in app.slack.state.scopes if s != "chat:write.public"]
    app.slack.add_channel("C0PUBLIC", "public", bot_member=False)
    _post(app, "nic", "hello", channel="C0PUBLIC")
    app.settle()
    row = _rows(app)["nic"]
    assert row.status == "dead" and row.last_error == "not_in_channel"
    assert any("invite the bot" in r.getMessage() for r in caplog.records)
    app.slack.add_channel("C0PUBLIC", "public", bot_member=True)
    with transaction(app.runtime.factory) as session:
        assert outbox.retry_dead(session, app.clock.now(), [row.id]) == 1
    app.settle()
    assert [m["text"] for m in app.slack.messages("C0PUBLIC")] == ["hello"]


def test_message_becomes_a_dead_letter_after_max_attempts(app: Any) -> None:
    app.slack.fail("chat.postMessage", 500, {"ok": False, "error": "internal_error"}, times=99)
    _post(app, "doomed", "never")
    dispatcher = _dispatcher(app, max_attempts=3, channel_rate=0)
    for _ in range(5):
        dispatcher.drain(timeout=5)
        app.clock.advance(minutes=10)
    row = _rows(app)["doomed"]
    assert row.status == "dead" and row.attempts == 3


def test_replies_of_a_dead_parent_become_dead_too(app: Any) -> None:
    with transaction(app.runtime.factory) as session:
        now = app.clock.now()
        outbox.enqueue_post(session, key="root", channel="C0NOSUCH", text="root", now=now)
        outbox.enqueue_post(
            session, key="child", channel="C0NOSUCH", text="c", thread_key="root", now=now
        )
    app.settle()
    assert _rows(app)["child"].status == "dead"


def test_two_dispatchers_draining_at_once_send_each_message_once(app: Any) -> None:
    """The race shows on PostgreSQL (both dispatchers scan the outbox before either claims);
    SQLite serialises the claims and shows only the order and the once."""
    for i in range(60):
        _post(app, f"p{i}", f"m{i}", channel=["C0SUPPORT", "U0AGENT", "U0LEAD"][i % 3])
    first, second = _dispatcher(app, channel_rate=0), _dispatcher(app, channel_rate=0)
    drains = [lambda d=d: d.drain(timeout=20) for d in (first, second)]
    results = together(app.runtime.engine, ["outbox_messages"], *drains)
    assert not [r for r in results if isinstance(r, Exception)], results
    posted = [c.args.get("text") for c in app.slack.calls_to("chat.postMessage") if c.status == 200]
    assert sorted(posted) == sorted(f"m{i}" for i in range(60))
    assert [m["text"] for m in app.slack.messages(CHANNEL)] == [f"m{i}" for i in range(0, 60, 3)]


def test_pacing_spaces_posts_in_one_channel(app: Any) -> None:
    app.slack.set_rate_limits(True)
    for i in range(3):
        _post(app, f"paced{i}", f"m{i}")
    dispatcher = _dispatcher(app, channel_rate=1.0)
    stats = dispatcher.run_once()
    assert stats.sent == 1  # one per second per channel
    assert stats.wake_in is not None and 0 < stats.wake_in <= 1.0
    app.clock.advance(seconds=1)
    assert dispatcher.run_once().sent == 1
    assert dispatcher.run_once().sent == 0
    assert not [c for c in app.slack.calls_to("chat.postMessage") if c.status == 429]


def test_runtime_wires_a_paced_dispatcher_by_default(app: Any) -> None:
    settings = app.runtime.settings.model_copy(update={"outbox_channel_rate": 1.0})
    runtime = build_runtime(settings, clock=app.clock.now, scheduler=False)
    assert runtime.dispatcher.interval == 1.0
    runtime.stop()
