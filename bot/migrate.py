"""Alembic, configured in code: the migrations ship inside the package."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, MetaData

MIGRATIONS = Path(__file__).parent / "migrations"


def metadata() -> MetaData:
    """Every table: the kernel's and each domain's (importing a models module registers it)."""
    from bot.bugs import models as _bugs  # noqa: F401
    from bot.insights import models as _insights  # noqa: F401
    from bot.models import Base
    from bot.rotations import models as _rotations  # noqa: F401
    from bot.sla import models as _sla  # noqa: F401
    from bot.tickets import models as _tickets  # noqa: F401

    return Base.metadata


def alembic_config(engine: Engine) -> Config:
    """An Alembic Config bound to `engine` (no alembic.ini needed)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply pending migrations."""
    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Revert to `revision`."""
    command.downgrade(alembic_config(engine), revision)


def current(engine: Engine) -> str | None:
    """The revision the database is at, or None when it has none."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head(engine: Engine) -> str | None:
    """The newest revision shipped."""
    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
