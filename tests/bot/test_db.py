"""The unit of work: writers take turns in arrival order; readers do not wait for writers."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.db import FairLock, reading, transaction
from bot.models import AppState


def test_the_fair_lock_hands_over_in_arrival_order() -> None:
    lock, order = FairLock(), []

    def take(name: str) -> None:
        with lock:
            order.append(name)

    with lock:
        with lock:  # re-entrant for its owner
            threads = []
            for name in ("a", "b", "c"):
                thread = threading.Thread(target=take, args=(name,))
                thread.start()
                threads.append(thread)
                while len(lock._queue) < len(threads):  # each queued before the next
                    time.sleep(0.001)
    for thread in threads:
        thread.join(timeout=5)
    assert order == ["a", "b", "c"]


def test_a_reader_sees_committed_data_while_a_writer_holds_the_database(
    factory: sessionmaker[Session],
) -> None:
    now = datetime.now(UTC)
    with transaction(factory) as session:
        session.add(AppState(name="before", value={}, updated_at=now))
    writing, done = threading.Event(), threading.Event()

    def writer() -> None:
        with transaction(factory) as session:
            session.add(AppState(name="during", value={}, updated_at=now))
            session.flush()
            writing.set()
            done.wait(timeout=10)

    thread = threading.Thread(target=writer)
    thread.start()
    assert writing.wait(timeout=10)
    started = time.monotonic()
    try:
        with reading(factory) as session:
            names = set(session.scalars(select(AppState.name)))
    finally:
        done.set()
        thread.join(timeout=10)
    assert names == {"before"}  # the writer's row is not committed yet
    assert time.monotonic() - started < 2  # and the reader did not wait for it
    with reading(factory) as session:
        assert session.scalar(select(func.count()).select_from(AppState)) == 2
