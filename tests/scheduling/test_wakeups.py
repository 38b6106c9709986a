"""Work starts when it is committed: in this process, and on every replica (LISTEN/NOTIFY)."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime

import pytest
import requests
from harness import BOT_TOKEN, HELPDESK_SECRET, SIGNING_SECRET, SUPPORT_CHANNEL, manifest_scopes
from sqlalchemy import select, text

from bot import inbox
from bot.db import make_engine, reading, session_factory, transaction, wake
from bot.main import build_runtime
from bot.models import InboundEvent
from bot.settings import Settings
from handlers.server import WebServer
from integrations.signatures import sign_helpdesk
from integrations.simulators.slack.server import SlackSimulator
from scheduling.wakeups import Wakeups


def _helpdesk(url: str, n: int) -> int:
    body = json.dumps(
        {
            "type": "ticket.created",
            "source": "freshdesk",
            "event_id": f"live-{n}",
            "ticket": {"id": f"LIVE-{n}", "subject": f"Live ticket {n}", "status": "open"},
        }
    ).encode()
    stamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "X-Helpdesk-Timestamp": stamp,
        "X-Helpdesk-Signature": sign_helpdesk(HELPDESK_SECRET, stamp, body),
    }
    return requests.post(
        f"{url}/webhooks/helpdesk", data=body, headers=headers, timeout=10
    ).status_code


def test_a_webhook_reaches_slack_at_once_with_the_tick_an_hour_away(db_url: str) -> None:
    slack = SlackSimulator(token=BOT_TOKEN, scopes=manifest_scopes()).start()
    slack.add_channel(SUPPORT_CHANNEL, "support")
    settings = Settings(
        _env_file=None,
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=slack.api_url,
        database_url=db_url,
        support_channel=SUPPORT_CHANNEL,
        helpdesk_webhook_secret=HELPDESK_SECRET,
        outbox_channel_rate=0,
        scheduler_tick_seconds=3600,
    )
    runtime = build_runtime(settings, scheduler=True)
    server = WebServer(runtime.web).start()
    runtime.start()
    try:
        time.sleep(1)  # the jobs' first run at start has passed; the next is an hour away
        for n in range(3):
            sent = time.monotonic()
            assert _helpdesk(server.url, n) == 200
            while not any(f"Live ticket {n}" in m["text"] for m in slack.messages(SUPPORT_CHANNEL)):
                assert time.monotonic() - sent < 5, "the post waited for a tick"
                time.sleep(0.01)
    finally:
        server.stop()
        runtime.stop()
        slack.stop()


def test_a_commit_wakes_other_replicas_and_a_rollback_does_not(db_url: str) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("replicas share one database on PostgreSQL only")
    here_engine, there_engine = make_engine(db_url), make_engine(db_url)
    here, there = Wakeups(here_engine, "here"), Wakeups(there_engine, "there")
    factory = session_factory(here_engine)
    here.install(factory)
    woken: list[str] = []
    local: list[str] = []
    arrived = threading.Event()

    def outbox() -> None:
        woken.append("outbox")
        arrived.set()

    there.on("outbox", outbox)
    there.on("inbox", lambda: woken.append("inbox"))
    here.on("outbox", lambda: local.append("outbox"))
    there.start()
    try:
        deadline = time.monotonic() + 10
        while not there.listening:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        time.sleep(0.2)
        woken.clear()  # listening again fires every kind once: whatever was missed
        arrived.clear()
        with pytest.raises(RuntimeError), transaction(factory) as session:
            session.execute(text("SELECT 1"))
            wake(session, "outbox")
            raise RuntimeError("rolled back")
        time.sleep(0.5)
        assert woken == [] and local == []
        with transaction(factory) as session:
            session.execute(text("SELECT 1"))
            wake(session, "outbox")
        assert arrived.wait(5)
        assert woken == ["outbox"] and local == ["outbox"]
        woken.clear()
        arrived.clear()
        with transaction(factory) as session:  # several kinds of work in one commit
            wake(session, "outbox")
            wake(session, "inbox")
        assert arrived.wait(5)
        assert woken == ["inbox", "outbox"]  # in one transaction, delivered in that order
    finally:
        there.stop()
        here_engine.dispose()
        there_engine.dispose()


def test_notifications_from_this_process_are_not_handled_twice(db_url: str) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's")
    engine = make_engine(db_url)
    wakeups = Wakeups(engine, "solo")
    factory = session_factory(engine)
    wakeups.install(factory)
    calls: list[str] = []
    wakeups.on("calls", lambda: calls.append("calls"))
    wakeups.start()
    try:
        deadline = time.monotonic() + 10
        while not wakeups.listening:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        time.sleep(0.2)
        calls.clear()
        received = wakeups.received
        with transaction(factory) as session:
            wake(session, "calls")
        while wakeups.received == received:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        assert calls == ["calls"]  # after the commit, not again when its NOTIFY came back
    finally:
        wakeups.stop()
        engine.dispose()


def test_a_savepoint_rolled_back_keeps_the_work_queued_before_it(db_url: str) -> None:
    engine = make_engine(db_url)
    wakeups = Wakeups(engine, "solo")
    factory = session_factory(engine)
    wakeups.install(factory)
    woke: list[str] = []
    wakeups.on("calls", lambda: woke.append("calls"))
    wakeups.on("outbox", lambda: woke.append("outbox"))
    try:
        with transaction(factory) as session:
            wake(session, "calls")  # a lookup queued by the ticket's events
            with pytest.raises(RuntimeError), session.begin_nested():
                session.execute(text("SELECT 1"))
                raise RuntimeError("the similar-tickets search failed")
        assert woke == ["calls"]
        woke.clear()
        with pytest.raises(RuntimeError), transaction(factory) as session:
            wake(session, "outbox")
            raise RuntimeError("the whole transaction failed")
        with transaction(factory) as session:
            pass
        assert woke == []  # a transaction rolled back wakes nothing, then or later
    finally:
        engine.dispose()


def test_an_event_stored_on_the_request_path_wakes_other_replicas_once(db_url: str) -> None:
    engine = make_engine(db_url)
    factory = session_factory(engine)
    there_engine = make_engine(db_url) if db_url.startswith("postgresql") else None
    there = Wakeups(there_engine, "there") if there_engine is not None else None
    woken: list[str] = []
    arrived = threading.Event()

    def store(n: int) -> bool:
        return inbox.store_now(
            factory,
            source="helpdesk",
            external_id=f"request-path-{n}",
            event_type="ticket.created",
            payload={"n": n},
            now=datetime.now(UTC),
            subject=f"ticket:{n}",
            sender="here",
        )

    try:
        if there is not None:
            there.on("inbox", lambda: (woken.append("inbox"), arrived.set()))
            there.start()
            deadline = time.monotonic() + 10
            while not there.listening:
                assert time.monotonic() < deadline
                time.sleep(0.01)
            time.sleep(0.2)
            woken.clear()  # listening again fires every kind once
            arrived.clear()
        assert store(1) is True
        assert store(1) is False  # a repeated delivery: stored once, no second wake-up
        with reading(factory) as session:  # committed: another connection sees it
            pending = session.scalars(select(InboundEvent.external_id)).all()
        assert pending == ["request-path-1"]
        if there is not None:
            assert arrived.wait(5), "the other replica was not woken"
            time.sleep(0.3)
            assert woken == ["inbox"]
    finally:
        if there is not None:
            there.stop()
            there_engine.dispose()
        engine.dispose()
