"""Migrations build the schema the models describe, on every backend."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine

from bot import migrate


def test_migrated_database_matches_models(engine: Engine) -> None:
    assert migrate.current(engine) == migrate.head(engine)
    with engine.connect() as conn:
        opts = {"compare_type": True, "include_name": migrate.include_name}
        context = MigrationContext.configure(conn, opts=opts)
        assert compare_metadata(context, migrate.metadata()) == []


def test_upgrade_is_idempotent_and_downgrade_reverses(engine: Engine) -> None:
    migrate.upgrade(engine)
    assert migrate.current(engine) == migrate.head(engine)
    migrate.downgrade(engine, "base")
    assert migrate.current(engine) is None
    migrate.upgrade(engine)
    assert migrate.current(engine) == migrate.head(engine)
