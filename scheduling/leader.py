"""Who runs scheduled work: the holder of a PostgreSQL advisory lock, or the only SQLite process."""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable

from sqlalchemy import Connection, Engine, text

log = logging.getLogger("supportbot.leader")

# An arbitrary constant shared by every replica of this app (fits in pg_locks.objid).
LOCK_KEY = 727_270_001

# The lock lives as long as the leader's session. A killed process's socket is closed by its
# kernel and PostgreSQL ends the session at once; a leader whose host or network vanished is
# found out by TCP keepalives on both ends (5 s idle, then 3 probes 2 s apart: about 11 s), so
# another replica takes over well within 15 s.
# https://www.postgresql.org/docs/current/runtime-config-connection.html#GUC-TCP-KEEPALIVES-IDLE
SERVER_KEEPALIVES = (
    "SELECT set_config('tcp_keepalives_idle', '5', false), "
    "set_config('tcp_keepalives_interval', '2', false), "
    "set_config('tcp_keepalives_count', '3', false)"
)


def identity() -> str:
    """This process as other replicas see it: host and pid."""
    return f"{socket.gethostname()}:{os.getpid()}"


class Leadership:
    """Tries to become leader each tick; holds a dedicated connection while it is."""

    def __init__(self, engine: Engine, name: str | None = None) -> None:
        self.engine = engine
        self.name = name or identity()
        self.single_process = engine.dialect.name != "postgresql"
        self._conn: Connection | None = None
        self._lock = threading.Lock()
        self._led = False
        # Called once each time this process becomes leader (see Clockwork's takeover).
        self.on_acquired: Callable[[], None] = lambda: None

    def acquire(self) -> bool:
        """True while this process leads (re-checks the lock connection each call)."""
        leads = self._try()
        if leads and not self._led:
            self._led = True
            try:
                self.on_acquired()
            except Exception:  # noqa: BLE001 - the ticks redo what a takeover starts
                log.exception("leader.takeover_failed name=%s", self.name)
        elif not leads:
            self._led = False
        return leads

    def _try(self) -> bool:
        if self.single_process:
            return True
        with self._lock:
            if self._conn is not None:
                try:
                    self._conn.execute(text("SELECT 1"))
                    return True
                except Exception:  # noqa: BLE001 - a dead connection means the lock is gone
                    log.warning("leader.lost name=%s", self.name)
                    self._drop()
            try:
                conn = self.engine.connect()
                conn.execute(
                    text("SELECT set_config('application_name', :n, false)"),
                    {"n": f"supportbot-leader {self.name}"[:63]},
                )
                conn.execute(text(SERVER_KEEPALIVES))
                got = conn.execute(
                    text("SELECT pg_try_advisory_lock(:k)"), {"k": LOCK_KEY}
                ).scalar()
                conn.commit()
            except Exception:  # noqa: BLE001 - database down: not leader this tick
                log.warning("leader.unavailable name=%s", self.name)
                return False
            if got:
                self._conn = conn
                log.info("leader.acquired name=%s", self.name)
                return True
            conn.close()
            return False

    @property
    def is_leader(self) -> bool:
        """Whether this process held the lock at the last check."""
        return self.single_process or self._conn is not None

    def current(self) -> str | None:
        """The name of whichever process leads now (this one or another replica)."""
        if self.single_process:
            return self.name
        if self._conn is not None:
            return self.name
        query = text(
            "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.objid = :k AND l.objsubid = 1 AND l.granted "
            # Advisory locks are per database; pg_locks shows every database of the server.
            "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
            "LIMIT 1"
        )
        try:
            with self.engine.connect() as conn:
                found = conn.execute(query, {"k": LOCK_KEY}).scalar()
        except Exception:  # noqa: BLE001 - health reporting only
            return None
        return str(found).removeprefix("supportbot-leader ") if found else None

    def release(self) -> None:
        """Give up leadership (on shutdown)."""
        with self._lock:
            if self._conn is not None:
                try:
                    self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": LOCK_KEY})
                    self._conn.commit()
                except Exception:  # noqa: BLE001 - closing the connection releases it anyway
                    log.debug("leader.unlock_failed name=%s", self.name)
                self._drop()

    def _drop(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except Exception:  # noqa: BLE001 - already broken
                log.debug("leader.close_failed name=%s", self.name)
            self._conn = None
