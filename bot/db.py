"""Engine and session construction, the one-transaction unit of work, and the statements
every domain writes the same way (insert unless present, compare-and-set updates).

SQLite has one writer at a time, and webhooks and commands must not wait long for it. So
this module also owns the contention tuning. Writers in this process queue on a `FairLock`
of our own and take turns in arrival order: Python's own lock let the thread that released
it take it straight back, so a background loop writing batch after batch could keep a
request waiting for many batches (and SQLite's busy handler, sleeping up to 100 ms between
retries, would hand over late). And while requests are arriving (`Pressure`, touched by
every webhook and Slack request), background work yields: the inbox worker, the calls
worker and the outbox dispatcher wait briefly before each round, and an inbox batch ends as
soon as a request arrives (or after a few milliseconds), so a webhook never waits long for the
writer.
"""

from __future__ import annotations

import sqlite3
import threading
import time
import weakref
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, update
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker


def normalize_url(url: str) -> str:
    """Use the psycopg 3 driver for plain postgresql:// URLs."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def is_sqlite(engine: Engine) -> bool:
    """True for the embedded SQLite backend."""
    return engine.dialect.name == "sqlite"


def make_engine(url: str, *, pool_size: int = 10, application_name: str = "supportbot") -> Engine:
    """An engine tuned per backend: WAL and busy timeout on SQLite, a bounded pool on PostgreSQL."""
    url = normalize_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, pool_pre_ping=False
        )
        _tune_sqlite(engine, in_memory=parsed.database in (None, "", ":memory:"))
        return engine
    return create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        pool_timeout=5,
        connect_args={
            "application_name": application_name,
            "connect_timeout": 5,
            # TCP keepalives: a connection to a vanished server fails in about 11 s, not hours.
            "keepalives": 1,
            "keepalives_idle": 5,
            "keepalives_interval": 2,
            "keepalives_count": 3,
        },
    )


def _tune_sqlite(engine: Engine, *, in_memory: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy issue BEGIN itself so `BEGIN IMMEDIATE` can take the write lock up
        # front (pysqlite's own deferred BEGIN leads to "database is locked" upgrades).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if not in_memory:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Readers (see `reading`) begin deferred: in WAL mode they never wait for a writer.
        read_only = connection.get_execution_options().get(READ_ONLY)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


READ_ONLY = "supportbot_read_only"


class FairLock:
    """A re-entrant lock handed over in arrival order.

    Python's own locks let the releasing thread take them straight back, so a background loop
    writing batch after batch could keep a request waiting for many batches; here every
    waiter gets its turn.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._owner: int | None = None
        self._depth = 0
        self._queue: deque[int] = deque()

    def __enter__(self) -> FairLock:
        me = threading.get_ident()
        with self._cond:
            if self._owner == me:
                self._depth += 1
                return self
            self._queue.append(me)
            while self._owner is not None or self._queue[0] != me:
                self._cond.wait()
            self._queue.popleft()
            self._owner, self._depth = me, 1
        return self

    def __exit__(self, *exc: object) -> None:
        with self._cond:
            self._depth -= 1
            if self._depth == 0:
                self._owner = None
                self._cond.notify_all()


_WRITE_LOCKS: weakref.WeakKeyDictionary[Engine, FairLock] = weakref.WeakKeyDictionary()
_LOCKS_GUARD = threading.Lock()


def _write_lock(engine: Engine) -> FairLock | None:
    """SQLite takes one writer at a time; queue this process's writers on a lock of our own.

    SQLite's busy handler retries a locked database with sleeps of up to 100 ms, so under
    load a waiting writer could idle long after the lock is free; a Python lock hands over at
    once, in turn. (SQLite is the single-process backend, so one lock covers every writer.)
    """
    if engine.dialect.name != "sqlite":
        return None
    with _LOCKS_GUARD:
        lock = _WRITE_LOCKS.get(engine)
        if lock is None:
            lock = _WRITE_LOCKS[engine] = FairLock()
        return lock


class Pressure:
    """Whether requests are arriving in a burst: background work yields to them then (one GIL,
    one SQLite writer). A lone request is no burst: the work it created starts at once."""

    def __init__(self, window: float = 0.05) -> None:
        self.window = window
        self._last = 0.0
        self._before = 0.0

    def touch(self) -> None:
        """A request is being served."""
        self._before, self._last = self._last, time.monotonic()

    def busy(self) -> bool:
        """Whether the last two requests both arrived within the window."""
        return time.monotonic() - self._before < self.window

    def wait(self, most: float = 0.25) -> None:
        """Let requests go first, but never stall background work for more than `most`."""
        deadline = time.monotonic() + most
        while self.busy() and time.monotonic() < deadline:
            time.sleep(0.002)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any exception."""
    lock = _write_lock(factory.kw["bind"])
    if lock is None:
        with factory() as session, session.begin():
            yield session
        return
    with lock, factory() as session, session.begin():
        yield session


@contextmanager
def reading(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A read-only unit of work (views, listings): on SQLite it neither takes the writers' lock
    nor blocks writers, reading a consistent snapshot; it is rolled back at the end."""
    with factory() as session:
        session.connection(execution_options={READ_ONLY: True})
        try:
            yield session
        finally:
            session.rollback()


# Kinds of work a transaction can create; see `wake` (scheduling/wakeups.py listens).
WAKE_KINDS = ("inbox", "outbox", "calls")
_WAKE = "supportbot_wake"
WAKE_CHANNEL_PREFIX = "supportbot_"


def wake_channel(kind: str) -> str:
    """The PostgreSQL NOTIFY channel of one kind of work."""
    return f"{WAKE_CHANNEL_PREFIX}{kind}"


def wake(session: Session, kind: str) -> None:
    """Mark `session`: work of `kind` waits once it commits (whoever wired the session's
    factory wakes the workers then, in this process and on every replica)."""
    session.info.setdefault(_WAKE, set()).add(kind)


def woken(session: Session, *, clear: bool = False) -> set[str]:
    """The kinds of work marked on `session` (and forget them when `clear`)."""
    kinds = session.info.pop(_WAKE, set()) if clear else session.info.get(_WAKE, set())
    return set(kinds)


def _insert_for(dialect: str) -> Any:
    """INSERT with ON CONFLICT for a backend (SQLite or PostgreSQL), by dialect name."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def insert_if_absent(
    session: Session, model: type[Any], values: dict[str, Any], keys: list[str]
) -> bool:
    """INSERT … ON CONFLICT DO NOTHING on `keys`; True when a row was inserted.

    Pending ORM changes are flushed first, as `Session.execute` would (unless autoflush is
    off); the row itself goes in through Core, so no ORM object is made for it."""
    if session.autoflush:
        session.flush()
    statement = _insert_statement(session.get_bind().dialect.name, model, tuple(keys))
    return session.connection().execute(statement, values).first() is not None


# One statement per (dialect, table, conflict keys), built once: SQLAlchemy then finds its
# compiled form by the statement's cache key without rebuilding it from `.values()` each time.
_INSERTS: dict[tuple[str, str, tuple[str, ...]], Any] = {}


def _insert_statement(dialect: str, model: type[Any], keys: tuple[str, ...]) -> Any:
    found = _INSERTS.get((dialect, model.__tablename__, keys))
    if found is None:
        table = model.__table__
        # RETURNING tells reliably whether the row went in (psycopg can report rowcount -1).
        first_key = next(iter(table.primary_key.columns))
        found = (
            _insert_for(dialect)(table)
            .on_conflict_do_nothing(index_elements=list(keys))
            .returning(first_key)
        )
        _INSERTS[(dialect, model.__tablename__, keys)] = found
    return found


def insert_rows_if_absent(
    session: Session,
    model: type[Any],
    rows: list[dict[str, Any]],
    keys: list[str],
    *,
    returning: tuple[Any, Any] | None = None,
) -> dict[Any, Any]:
    """Bulk INSERT … ON CONFLICT DO NOTHING on `keys` (rows already there are left alone).

    With `returning` (two columns), a dict of the first to the second for the rows inserted.
    """
    if not rows:
        return {}
    # Core rather than ORM bulk insert: the same statement, without per-row ORM bookkeeping.
    insert = _insert_for(session.get_bind().dialect.name)
    statement = insert(model.__table__).on_conflict_do_nothing(index_elements=keys)
    if returning is None:
        session.connection().execute(statement, rows)
        return {}
    found = session.connection().execute(statement.returning(*returning), rows)
    return {a: b for a, b in found}


def update_rows(session: Session, model: type[Any], /, *where: Any, **values: Any) -> int:
    """UPDATE `model` SET `values` WHERE all of `where`; returns how many rows changed.

    Objects already loaded in the session are left as they are (refresh those you read on).
    """
    statement = (
        update(model).where(*where).values(**values).execution_options(synchronize_session=False)
    )
    return session.execute(statement).rowcount


def compare_and_set(session: Session, model: type[Any], /, *where: Any, **values: Any) -> bool:
    """Update the row(s) `where` still holds (e.g. a state or version as last read); True when
    this call won, False when another writer changed them first."""
    return update_rows(session, model, *where, **values) > 0


def sqlite_path(engine: Engine) -> Path | None:
    """The file of a SQLite database (None for PostgreSQL or an in-memory database)."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or database in (None, "", ":memory:"):
        return None
    return Path(database)


def backup_sqlite(engine: Engine, destination: Path) -> int:
    """Copy a live SQLite database into one self-contained file; returns its size in bytes.

    SQLite's online backup API reads one consistent snapshot through a normal connection, so
    transactions still in the write-ahead log (`-wal`) are in the copy and the bot keeps
    writing meanwhile; the copy is switched to rollback-journal mode so it is a single file.
    It is written next to `destination` and renamed into place only when complete.
    """
    source_path = sqlite_path(engine)
    if source_path is None:
        raise ValueError("not a SQLite database file")
    if not source_path.is_file():
        raise FileNotFoundError(str(source_path))
    partial = destination.with_name(destination.name + ".partial")
    partial.unlink(missing_ok=True)
    source = sqlite3.connect(source_path, timeout=30)
    try:
        target = sqlite3.connect(partial)
        try:
            source.backup(target)
            target.execute("PRAGMA journal_mode=DELETE")
            (verdict,) = target.execute("PRAGMA quick_check").fetchone()
        finally:
            target.close()
        if verdict != "ok":
            raise sqlite3.DatabaseError(f"the copy failed its check: {verdict}")
        partial.replace(destination)
    finally:
        source.close()
        partial.unlink(missing_ok=True)
    return destination.stat().st_size
