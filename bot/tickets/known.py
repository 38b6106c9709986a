"""Helpdesk names as one transaction knows them: each id is read at most once.

The thread of a ticket asks for the same ids many times (its requester, assignee, each
comment's author, each change's actor, once per event). What one read found, a row or
nothing, is kept for the rest of the transaction (the session's identity map alone would not
do: it holds rows weakly, and a row nobody references is read again). Code that stores a
name, or learns that a lookup finished meanwhile, says so with `forget_misses`; a rollback,
a savepoint's included, forgets everything read (a row read may have been written inside)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from bot.tickets.models import HelpdeskName

Key = tuple[str, str, str]
READ = "helpdesk_names_read"


def name_row(session: Session, provider: str, kind: str, external_id: str) -> HelpdeskName | None:
    """The stored name behind one helpdesk id (kind "user" or "group"), if any."""
    read: dict[Key, HelpdeskName | None] = session.info.setdefault(READ, {})
    key = (provider, kind, external_id)
    if key not in read:
        read[key] = session.get(HelpdeskName, key)
    return read[key]


def forget_misses(session: Session, keys: Iterable[Key]) -> None:
    """These ids may have a name now: read them again when next asked."""
    read: dict[Key, HelpdeskName | None] = session.info.get(READ, {})
    for key in keys:
        if key in read and read[key] is None:
            del read[key]


@event.listens_for(Session, "after_soft_rollback")
def _forget_all(session: Session, previous_transaction: SessionTransaction) -> None:
    session.info.pop(READ, None)
