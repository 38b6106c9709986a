"""Make pending calls to Zendesk, Jira and Slack's directory: claim, call outside any
transaction, record."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bot import pending_calls
from bot.db import transaction
from bot.pending_calls import Claimed, Reactions
from bot.tickets import agents, notes
from bot.tickets import names as ticket_names
from bot.tickets.render.thread import note_for_ticket
from integrations import helpdesk_calls, jira_calls
from integrations.clients import Clients
from integrations.pacing import Pacer
from integrations.slack_directory import lookup_email, user_name

log = logging.getLogger("supportbot.calls")

Executor = Callable[[Claimed, datetime], dict[str, Any]]


def run(
    factory: sessionmaker[Session],
    executors: Mapping[str, Executor],
    reactions: Mapping[str, Reactions],
    now: datetime,
    *,
    limit: int = 20,
    pacer: Pacer | None = None,
) -> dict[str, int]:
    """Make up to `limit` due calls; returns counts of done and failed calls. Calls that
    update Zendesk tickets wait for `pacer`'s budget (put back, not counted as attempts)."""
    with transaction(factory) as session:
        claimed = pending_calls.claim(session, now, list(executors), limit)
    done = failed = 0
    for call in claimed:
        wait = pacer.take() if pacer is not None and helpdesk_calls.paced(call) else None
        if wait is not None:
            with transaction(factory) as session:
                pending_calls.release(session, call.id, wait)
            continue
        try:
            result = executors[call.kind](call, now)
        except Exception as err:  # noqa: BLE001 - every vendor error is recorded on the call
            permanent = bool(getattr(err, "permanent", False))
            retry_after = getattr(err, "retry_after", None)
            reason = str(err) if hasattr(err, "permanent") else type(err).__name__
            if not hasattr(err, "permanent"):
                log.exception("calls.unexpected kind=%s key=%s", call.kind, call.key)
            log.warning(
                "calls.failed kind=%s key=%s attempt=%d reason=%s",
                call.kind,
                call.key,
                call.attempts,
                reason,
            )
            with transaction(factory) as session:
                then = pending_calls.failed(
                    session,
                    call.id,
                    reason,
                    now,
                    permanent=permanent,
                    retry_after=retry_after,
                    reactions=reactions,
                )
            _follow_up(factory, then, now)
            failed += 1
            continue
        with transaction(factory) as session:
            then = pending_calls.succeeded(session, call.id, result, now, reactions)
        _follow_up(factory, then, now)
        done += 1
    return {"done": done, "failed": failed}


def _follow_up(
    factory: sessionmaker[Session], then: pending_calls.FollowUp | None, now: datetime
) -> None:
    """Run a reaction's follow-up in its own transaction, after the outcome is committed."""
    if then is not None:
        with transaction(factory) as session:
            then(session, now)


def executors(factory: sessionmaker[Session], clients: Clients) -> dict[str, Executor]:
    """The calls this process can make, by kind."""
    slack = clients.slack

    def who_has(call: Claimed, _now: datetime) -> dict[str, Any]:
        return {"user": lookup_email(slack, call.payload["email"])}

    table = {agents.LOOKUP: who_has, **jira_calls.executors(factory, clients)}
    if clients.zendesk is None:
        return {**table, **helpdesk_calls.executors(factory, clients, table)}
    zendesk = clients.zendesk

    def note(call: Claimed, now: datetime) -> dict[str, Any]:
        payload = call.payload
        author = user_name(factory, clients.slack, payload["user_id"], now)
        body = note_for_ticket(text=payload["text"], author=author)
        with transaction(factory) as session:
            notes.prepare(session, payload, body, author)
        result = zendesk.add_internal_note(payload["ticket_id"], body)
        return {**result, "body": body, "author": author}

    def lookup(call: Claimed, _now: datetime) -> dict[str, Any]:
        return {"names": [zendesk.name_of(call.payload["kind"], call.payload["id"])]}

    table = {notes.NOTE: note, ticket_names.LOOKUP: lookup, **table}
    return {**table, **helpdesk_calls.executors(factory, clients, table)}
