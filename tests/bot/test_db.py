"""The unit of work: writers take turns in arrival order; readers do not wait for writers; the
shared statements: insert unless present, compare-and-set."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.db import (
    FairLock,
    compare_and_set,
    insert_if_absent,
    insert_rows_if_absent,
    reading,
    transaction,
    update_rows,
)
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


NOW = datetime(2024, 5, 6, 9, 0, tzinfo=UTC)


def _state(name: str, at: datetime) -> dict[str, object]:
    return {"name": name, "value": {"at": at.isoformat()}, "updated_at": at}


def test_compare_and_set_wins_only_while_the_row_is_as_read(
    factory: sessionmaker[Session],
) -> None:
    later = NOW + timedelta(minutes=1)
    with transaction(factory) as session:
        session.add(AppState(**_state("cursor", NOW)))
    with transaction(factory) as session:
        row = session.get(AppState, "cursor")
        assert row is not None
        read = row.updated_at
        as_read = (AppState.name == "cursor", AppState.updated_at == read)
        assert compare_and_set(session, AppState, *as_read, updated_at=later)
        assert not compare_and_set(session, AppState, *as_read, updated_at=NOW)
        assert row.updated_at == NOW  # loaded objects are left as they were read
        session.refresh(row)
        assert row.updated_at == later
        assert update_rows(session, AppState, AppState.name.in_(["cursor", "none"]), value={}) == 1


def test_inserts_leave_rows_already_there_alone(factory: sessionmaker[Session]) -> None:
    later = NOW + timedelta(minutes=1)
    with transaction(factory) as session:
        assert insert_if_absent(session, AppState, _state("a", NOW), ["name"])
        assert not insert_if_absent(session, AppState, _state("a", later), ["name"])
        rows = [_state(name, later) for name in ("a", "b", "c")]
        table = AppState.__table__
        inserted = insert_rows_if_absent(
            session, AppState, rows, ["name"], returning=(table.c.name, table.c.updated_at)
        )
        assert inserted == {"b": later, "c": later}
        insert_rows_if_absent(session, AppState, [_state("d", NOW), *rows], ["name"])
        assert insert_rows_if_absent(session, AppState, [], ["name"]) == {}
    with reading(factory) as session:
        found = session.execute(select(AppState.name, AppState.updated_at)).all()
    stored = {name: at for name, at in found}
    assert stored == {"a": NOW, "b": later, "c": later, "d": NOW}
