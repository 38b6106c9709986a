"""Races that can really happen: several transactions that all read before any of them writes.

Only PostgreSQL can show such a race: SQLite serialises every write transaction, so a test run
there passes even when the atomic update under test is gone (it still shows the outcome is
right). On PostgreSQL `racing` holds an EXCLUSIVE lock on the tables the racers write: plain
reads go on, every write (and SELECT … FOR UPDATE) waits. Once every racer waits, the lock is
released and they write at once, so a read-then-write without a compare-and-set or a row lock
lets two of them win.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, text


def together(
    engine: Engine, tables: Sequence[str], *calls: Callable[[], Any], timeout: float = 30
) -> list[Any]:
    """Run `calls` in threads that race on `tables`; returns each one's result or exception."""
    results: list[Any] = [None] * len(calls)
    with racing(engine, tables) as all_waiting:
        barrier = threading.Barrier(len(calls))

        def run(i: int, call: Callable[[], Any]) -> None:
            barrier.wait()
            try:
                results[i] = call()
            except Exception as exc:  # noqa: BLE001 - the test inspects what each thread got
                results[i] = exc

        threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
        for thread in threads:
            thread.start()
        all_waiting(len(calls), timeout)
    for thread in threads:
        thread.join(timeout=timeout)
    return results


@contextmanager
def racing(engine: Engine, tables: Sequence[str]) -> Iterator[Callable[[int, float], None]]:
    """Hold writes to `tables` (PostgreSQL) until the block ends; yields `all_waiting(n, s)`,
    which returns once `n` other sessions wait on them (at most `s` seconds). On SQLite it
    holds nothing and `all_waiting` returns at once."""
    if engine.dialect.name != "postgresql":
        yield lambda n, timeout: None
        return
    names = ", ".join(f'"{t}"' for t in tables)
    with engine.connect() as holder:
        holder.execute(text(f"LOCK TABLE {names} IN EXCLUSIVE MODE"))

        def all_waiting(count: int, timeout: float) -> None:
            deadline = time.monotonic() + timeout
            with engine.connect() as probe:
                while _waiting(probe, tables) < count:
                    if time.monotonic() > deadline:
                        raise AssertionError(f"only {_waiting(probe, tables)} of {count} raced")
                    time.sleep(0.01)  # real waiting on other threads, not on the app's clock

        try:
            yield all_waiting
        finally:
            holder.rollback()


def _waiting(conn: Any, tables: Sequence[str]) -> int:
    """Sessions waiting for a lock on one of `tables`."""
    found = conn.execute(
        text(
            "SELECT count(DISTINCT l.pid) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
            "WHERE NOT l.granted AND c.relname = ANY(:tables)"
        ),
        {"tables": list(tables)},
    ).scalar_one()
    conn.rollback()
    return int(found)
