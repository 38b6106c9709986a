"""Alembic, configured in code: the migrations ship inside the package.

Upgrades and downgrades run under a PostgreSQL advisory lock, so replicas that start together
take turns: the first migrates, the others find the schema current and do nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, MetaData, text

MIGRATIONS = Path(__file__).parent / "migrations"
# Shared by every replica; distinct from the leader lock's key (scheduling/leader.py).
LOCK_KEY = 727_270_002
# Alembic's `context` is process-global: one migration at a time per process too.
_IN_PROCESS = threading.Lock()


def metadata() -> MetaData:
    """Every table: the kernel's and each domain's (importing a models module registers it)."""
    from bot.bugs import models as _bugs  # noqa: F401
    from bot.insights import models as _insights  # noqa: F401
    from bot.models import Base
    from bot.rotations import models as _rotations  # noqa: F401
    from bot.sla import models as _sla  # noqa: F401
    from bot.tickets import models as _tickets  # noqa: F401

    return Base.metadata


# The full-text index of tickets (migration 0014): SQL of each database's own, not a model.
SEARCH_INDEX = "ticket_search"


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Leave the search index's tables (FTS5 makes several) out of model comparisons."""
    return not (type_ == "table" and name is not None and name.startswith(SEARCH_INDEX))


def alembic_config(engine: Engine) -> Config:
    """An Alembic Config bound to `engine` (no alembic.ini needed)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


@contextmanager
def exclusive(engine: Engine) -> Iterator[None]:
    """Hold the migration lock (a session-level advisory lock on PostgreSQL, released even
    when the process dies, since its connection closes)."""
    with _IN_PROCESS:
        if engine.dialect.name != "postgresql":
            yield
            return
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": LOCK_KEY})
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": LOCK_KEY})


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply pending migrations (under the migration lock)."""
    with exclusive(engine):
        command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Revert to `revision` (under the migration lock)."""
    with exclusive(engine):
        command.downgrade(alembic_config(engine), revision)


def current(engine: Engine) -> str | None:
    """The revision the database is at, or None when it has none."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head(engine: Engine) -> str | None:
    """The newest revision shipped."""
    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
