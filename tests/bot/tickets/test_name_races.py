"""A ticket waiting for a name, and the lookup bringing that name, committing at the same time:
whichever commits last, the ticket ends up published with the name (PostgreSQL shows the race;
see tests/races.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from races import together
from sqlalchemy import Engine, select
from sqlalchemy.orm import sessionmaker

from bot import pending_calls
from bot.db import transaction
from bot.events import apply_ticket_events
from bot.models import OutboxMessage, PendingCall
from bot.tickets import names
from bot.tickets.intake import ZENDESK, HelpdeskEvent, TicketSnapshot
from bot.tickets.models import Ticket
from bot.tickets.threads import TicketConfig

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CONFIG = TicketConfig(default_channel="C0SUPPORT", lookups=True)
REACTIONS = {
    names.LOOKUP: pending_calls.Reactions(
        on_success=lambda s, call, result, now: names.names_found(
            s, ZENDESK, result["names"], now, CONFIG
        ),
        on_failure=lambda s, call, error, gave_up, now: None,
    )
}


def _race(engine: Engine, round_: int, tables: list[str]) -> tuple[Ticket, OutboxMessage | None]:
    factory = sessionmaker(engine, expire_on_commit=False)
    requester = f"90{round_}"
    with transaction(factory) as session:  # the lookup is being made (claimed, running)
        key = f"{names.LOOKUP}:{ZENDESK}:user:{requester}"
        pending_calls.enqueue(
            session, key=key, kind=names.LOOKUP, payload={"kind": "user", "id": requester}, now=NOW
        )
        [claimed] = pending_calls.claim(session, NOW, [names.LOOKUP])
    snapshot = TicketSnapshot(
        external_id=str(100 + round_),
        subject="Checkout fails",
        status="new",
        requester_id=requester,
        updated_at=NOW,
    )

    def ticket_arrives() -> Any:
        with transaction(factory) as session:
            return apply_ticket_events(
                session, [HelpdeskEvent(ZENDESK, "created", snapshot)], NOW, CONFIG
            )

    def name_arrives() -> None:
        with transaction(factory) as session:
            then = pending_calls.succeeded(
                session,
                claimed.id,
                {"names": [{"kind": "user", "id": requester, "name": "Dana Customer"}]},
                NOW,
                REACTIONS,
            )
        if then is not None:
            with transaction(factory) as session:
                then(session, NOW)

    results = together(engine, tables, ticket_arrives, name_arrives)
    assert not [r for r in results if isinstance(r, Exception)], results
    with transaction(factory) as session:
        ticket = session.scalar(select(Ticket).where(Ticket.external_id == snapshot.external_id))
        assert ticket is not None
        root = session.scalar(  # the root message, or its latest edit
            select(OutboxMessage)
            .where(
                (OutboxMessage.key == ticket.root_key)
                | (OutboxMessage.target_key == ticket.root_key)
            )
            .order_by(OutboxMessage.id.desc())
            .limit(1)
        )
        assert session.scalar(select(PendingCall.status).where(PendingCall.key == key)) == "done"
        return ticket, root


def test_a_name_found_while_its_ticket_arrives_is_shown_at_once(engine: Engine) -> None:
    # Held at its first write, the ticket's transaction reads the lookup's state after the
    # lookup's outcome is written or before, whichever wins; held only at the lookup's table,
    # it has read the (missing) name before either.
    for round_ in range(10):
        tables = ["tickets", "pending_calls"] if round_ % 2 else ["pending_calls"]
        ticket, root = _race(engine, round_, tables)
        assert ticket.waiting_since is None, f"round {round_}: still waiting for a found name"
        assert ticket.requester_name == "Dana Customer", f"round {round_}"
        assert root is not None and "Dana Customer" in json.dumps(root.payload), f"round {round_}"
