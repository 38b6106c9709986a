"""Helpdesk names are read once per transaction, found or not, and read again only when the
transaction learns they may have changed (a name stored, a rollback)."""

from __future__ import annotations

import gc
from datetime import UTC, datetime

from sqlalchemy import Engine, event, insert
from sqlalchemy.orm import Session, sessionmaker

from bot.db import transaction
from bot.tickets import known
from bot.tickets.models import HelpdeskName

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _name(external_id: str, name: str) -> HelpdeskName:
    return HelpdeskName(
        provider="zendesk", kind="user", external_id=external_id, name=name, updated_at=NOW
    )


def _reads(engine: Engine) -> list[str]:
    reads: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def count(conn, cursor, statement, params, context, executemany) -> None:  # noqa: ANN001
        if statement.lstrip().upper().startswith("SELECT") and "helpdesk_names" in statement:
            reads.append(statement)

    return reads


def test_a_name_found_or_missing_is_read_once(engine: Engine, factory: sessionmaker[Session]):
    with transaction(factory) as session:
        session.add(_name("1", "Ada"))
    reads = _reads(engine)
    with transaction(factory) as session:
        for _ in range(3):
            row = known.name_row(session, "zendesk", "user", "1")
            assert row is not None and row.name == "Ada"
            del row
            gc.collect()  # the identity map alone would have let the row go
            assert known.name_row(session, "zendesk", "user", "2") is None
    assert len(reads) == 2


def test_a_miss_is_read_again_once_forgotten(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as session:
        assert known.name_row(session, "zendesk", "user", "7") is None
        session.execute(  # as a lookup's outcome stores it
            insert(HelpdeskName).values(
                provider="zendesk", kind="user", external_id="7", name="Grace", updated_at=NOW
            )
        )
        assert known.name_row(session, "zendesk", "user", "7") is None
        known.forget_misses(session, [("zendesk", "user", "7")])
        row = known.name_row(session, "zendesk", "user", "7")
        assert row is not None and row.name == "Grace"


def test_a_rollback_forgets_what_was_read_inside(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as session:
        savepoint = session.begin_nested()
        session.add(_name("9", "Linus"))
        session.flush()
        assert known.name_row(session, "zendesk", "user", "9") is not None
        savepoint.rollback()
        assert known.name_row(session, "zendesk", "user", "9") is None
