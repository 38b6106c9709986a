"""Wake-ups: work a transaction creates starts as soon as it commits, here and on every replica.

The core marks a session when it stores an inbound event, queues an outbox row or a pending
call (`bot.db.wake`). Sessions of the factory `install` is given then, on commit:

- on PostgreSQL, `pg_notify` one channel per kind of work inside the same transaction
  (PostgreSQL delivers notifications only when, and if, the transaction commits:
  https://www.postgresql.org/docs/current/sql-notify.html), and every replica's listener
  wakes its own worker for that kind;
- in this process, wake the local worker right after the commit.

A webhook's event is stored in one statement that notifies by itself (`bot.inbox.store_now`),
signed with this process's name as well.

The scheduler's tick stays the safety net: a lost notification only delays work to the tick.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import Engine, event, text
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from bot.db import WAKE_CHANNEL_PREFIX, WAKE_KINDS, wake_channel, woken

log = logging.getLogger("supportbot.wakeups")

RECONNECT_SECONDS = (0.5, 1.0, 2.0, 5.0)


class Wakeups:
    """Calls this process's handlers for each kind of work committed here or on a replica."""

    def __init__(self, engine: Engine, name: str) -> None:
        self.engine = engine
        self.name = name
        self.shared = engine.dialect.name == "postgresql"
        self._handlers: dict[str, list[Callable[[], None]]] = {k: [] for k in WAKE_KINDS}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._conn: Any = None
        self.listening = False
        self.received = 0

    def on(self, kind: str, handler: Callable[[], None]) -> None:
        """Call `handler` whenever work of `kind` is committed."""
        self._handlers[kind].append(handler)

    def fire(self, kinds: Iterable[str]) -> None:
        """Wake this process's handlers for `kinds`."""
        for kind in kinds:
            for handler in self._handlers.get(kind, ()):
                try:
                    handler()
                except Exception:  # noqa: BLE001 - a wake-up must never break a commit
                    log.exception("wakeup.handler_failed kind=%s", kind)

    def install(self, factory: sessionmaker[Session]) -> None:
        """Notify on commit for every session `factory` makes."""

        def before_commit(session: Session) -> None:
            kinds = woken(session)
            if not kinds or not self.shared:
                return
            ordered = sorted(kinds)  # one round trip for all of them
            calls = ", ".join(f"pg_notify(:channel{i}, :sender)" for i in range(len(ordered)))
            params = {f"channel{i}": wake_channel(kind) for i, kind in enumerate(ordered)}
            session.execute(text(f"SELECT {calls}"), {**params, "sender": self.name})

        def after_commit(session: Session) -> None:
            kinds = woken(session, clear=True)
            if kinds:
                self.fire(kinds)

        def after_soft_rollback(session: Session, previous: SessionTransaction) -> None:
            # Only the transaction's own rollback drops its wake-ups: a savepoint rolled back
            # (one failed event, a refused search) leaves the work queued before it to wake.
            # (`after_rollback` would fire for a savepoint too.)
            if previous.parent is None:
                woken(session, clear=True)

        event.listen(factory, "before_commit", before_commit)
        event.listen(factory, "after_commit", after_commit)
        event.listen(factory, "after_soft_rollback", after_soft_rollback)

    # ---- listening (PostgreSQL) -----------------------------------------------------------------
    def start(self) -> None:
        """Listen for other replicas' notifications (PostgreSQL only)."""
        if not self.shared or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._listen, name="wakeups", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop listening."""
        self._stop.set()
        conn = self._conn
        if conn is not None:
            try:
                conn.cancel_safe()
            except Exception:  # noqa: BLE001 - closing anyway
                log.debug("wakeup.cancel_failed")
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _listen(self) -> None:
        failures = 0
        while not self._stop.is_set():
            try:
                self._conn = self._connect()
                self.listening = True
                if failures:
                    log.info("wakeup.listening again=true")
                failures = 0
                # Whatever was committed while nobody listened: look now.
                self.fire(WAKE_KINDS)
                while not self._stop.is_set():
                    # The generator ends after `timeout` seconds in all, so `_stop` is seen.
                    for note in self._conn.notifies(timeout=1.0):
                        self.received += 1
                        if note.payload != self.name:  # our own commits woke us already
                            self.fire([note.channel.removeprefix(WAKE_CHANNEL_PREFIX)])
            except Exception as exc:  # noqa: BLE001 - reconnect; the tick covers the gap
                if self._stop.is_set():
                    break
                self.listening = False
                delay = RECONNECT_SECONDS[min(failures, len(RECONNECT_SECONDS) - 1)]
                failures += 1
                log.warning(
                    "wakeup.disconnected error=%s retry_in=%.1fs", type(exc).__name__, delay
                )
                self._stop.wait(delay)
            finally:
                self._close()
        self.listening = False

    def _connect(self) -> Any:
        import psycopg

        url = self.engine.url.set(drivername="postgresql")
        conn = psycopg.connect(
            url.render_as_string(hide_password=False),
            autocommit=True,
            application_name=f"supportbot-wakeups {self.name}"[:63],
            connect_timeout=5,
            **KEEPALIVES,
        )
        for kind in WAKE_KINDS:
            conn.execute(f"LISTEN {wake_channel(kind)}")
        return conn

    def _close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except Exception:  # noqa: BLE001 - already broken
                log.debug("wakeup.close_failed")


# libpq TCP keepalives: a connection whose peer vanished (host down, network cut) fails within
# about 5 + 2 * 3 = 11 s instead of the kernel's two hours.
KEEPALIVES: dict[str, int] = {
    "keepalives": 1,
    "keepalives_idle": 5,
    "keepalives_interval": 2,
    "keepalives_count": 3,
}
