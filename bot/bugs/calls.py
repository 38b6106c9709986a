"""What Jira's answers to the `jira.create`, `jira.link` and `jira.unlink` calls change.

A filed bug is recorded, linked and announced in the thread; then a `jira.link` call adds the
remote links to the ticket and the thread. A linked bug is recorded from the state Jira gave
(an observation like any other: it may reveal a transition), then linked and announced. Users
hear of failures ephemerally in the thread: once while Jira is down, and when it refuses.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot import outbox, pending_calls, people
from bot.bugs import notices
from bot.bugs.filing import CREATE
from bot.bugs.models import Bug
from bot.bugs.records import LINK, UNLINK, BugConfig, bug_by_key, record_bug, record_link
from bot.bugs.render import messages as render
from bot.bugs.state import BugState
from bot.models import PendingCall
from bot.pending_calls import Reactions
from bot.render.blocks import escape
from bot.tickets.models import Ticket

TICKET_KEYS = (
    "ticket_pk",
    "ticket_label",
    "ticket_subject",
    "ticket_url",
    "ticket_global_id",
    "channel",
    "thread_ts",
    "user_id",
)


def _tell(session: Session, call: PendingCall, suffix: str, text: str, now: datetime) -> None:
    payload = call.payload
    outbox.enqueue_ephemeral(
        session,
        key=f"{call.key}:{suffix}"[:255],
        channel=payload["channel"],
        user_id=payload["user_id"],
        thread_ts=payload.get("thread_ts"),
        text=text,
        now=now,
    )


def _announce(
    session: Session,
    call: PendingCall,
    ticket: Ticket,
    bug: Bug,
    kind: str,
    now: datetime,
    suffix: str = "",
) -> None:
    view = notices.bug_view(bug)
    user_id = call.payload["user_id"]
    outbox.enqueue_message(
        session,
        render.filed(view, user_id) if kind == "filed" else render.linked(view, user_id),
        key=f"{call.key}:announced{suffix}"[:255],
        channel=ticket.channel_id,
        thread_key=ticket.root_key,
        now=now,
        meta={"bug": bug.key, "ticket": ticket.external_id},
    )


def _note(
    session: Session,
    call: PendingCall,
    ticket: Ticket,
    bug: Bug,
    kind: str,
    config: BugConfig,
    now: datetime,
) -> None:
    """Tell the helpdesk ticket it was filed as, linked to or unlinked from the bug: an internal
    note queued under a key derived from this call, so it is added once."""
    if not notices.takes_notes(ticket, config):
        return
    by = people.display_name(session, call.payload["user_id"])
    body = render.link_note(notices.bug_view(bug), kind, by)
    notices.queue_notes(session, [ticket], f"{call.key}:note", body, now)


def _failed(session: Session, call: PendingCall, error: str, gave_up: bool, now: datetime) -> bool:
    """Tell the user once while retrying; returns True when the call is over (gave up)."""
    if not gave_up:
        if call.attempts == 1:
            wait = (call.next_attempt_at - now).total_seconds()
            if call.kind == CREATE:
                text = render.filing_delayed(error, wait)
            else:
                text = render.link_delayed(call.payload.get("key", "the bug"), error)
            _tell(session, call, "delayed", text, now)
        return False
    return True


def reactions(config: BugConfig) -> Mapping[str, Reactions]:
    """The core's reactions to the Jira calls."""

    def link_filed(
        session: Session, call: PendingCall, bug: Bug, payload: dict[str, Any], now: datetime
    ) -> None:
        """Link one ticket the filing was for, tell its thread, and add the remote links."""
        ticket = session.get(Ticket, payload.get("ticket_pk"))
        if ticket is None:
            return
        first = payload is call.payload
        record_link(session, bug, ticket, how="filed", user_id=payload["user_id"], now=now)
        _announce(session, call, ticket, bug, "filed", now, "" if first else f":{ticket.id}")
        _note(session, call, ticket, bug, "filed", config, now)
        pending_calls.enqueue(
            session,
            key=f"bug.link:{ticket.id}:{bug.key}:filed:{call.id}",
            kind=LINK,
            now=now,
            requested_by=payload["user_id"],
            payload={
                **{k: payload.get(k) for k in TICKET_KEYS},
                "key": bug.key,
                "how": "filed",
                "comment": False,
            },
        )

    def created(session: Session, call: PendingCall, result: dict[str, Any], now: datetime) -> None:
        bug = record_bug(session, BugState.from_json(result["issue"]), now)
        link_filed(session, call, bug, call.payload, now)
        for more in call.payload.get("also") or []:  # an emerging pattern's other tickets
            link_filed(session, call, bug, more, now)

    def create_failed(
        session: Session, call: PendingCall, error: str, gave_up: bool, now: datetime
    ) -> None:
        if _failed(session, call, error, gave_up, now):
            exhausted = call.attempts >= pending_calls.MAX_ATTEMPTS and not _refused(error)
            _tell(session, call, "refused", render.filing_refused(error, gave_up=exhausted), now)

    def linked(session: Session, call: PendingCall, result: dict[str, Any], now: datetime) -> None:
        payload = call.payload
        if payload.get("how") == "filed" or not result.get("issue"):
            return
        state = BugState.from_json(result["issue"])
        bug = bug_by_key(session, state.key)
        if bug is None:
            bug = record_bug(session, state, now)
        else:  # a known bug: what Jira said now is news like any webhook
            notices.observe(session, state, source="link", now=now, config=config)
        ticket = session.get(Ticket, payload["ticket_pk"])
        if ticket is None:
            return
        record_link(session, bug, ticket, how="linked", user_id=payload["user_id"], now=now)
        _announce(session, call, ticket, bug, "linked", now)
        _note(session, call, ticket, bug, "linked", config, now)

    def link_failed(
        session: Session, call: PendingCall, error: str, gave_up: bool, now: datetime
    ) -> None:
        if _failed(session, call, error, gave_up, now):
            filed = call.payload.get("how") == "filed"
            text = render.link_refused(call.payload["key"], error, filed=filed)
            _tell(session, call, "refused", text, now)

    def unlink_noted(session: Session, call: PendingCall, now: datetime) -> None:
        """The ticket was unlinked in Slack at once; its helpdesk hears once Jira was asked."""
        ticket = session.get(Ticket, call.payload["ticket_pk"])
        bug = bug_by_key(session, call.payload["key"])
        if ticket is not None and bug is not None:
            _note(session, call, ticket, bug, "unlinked", config, now)

    def unlinked(
        session: Session, call: PendingCall, result: dict[str, Any], now: datetime
    ) -> None:
        unlink_noted(session, call, now)

    def unlink_failed(
        session: Session, call: PendingCall, error: str, gave_up: bool, now: datetime
    ) -> None:
        if gave_up:
            key, reason = escape(call.payload["key"]), escape(error)
            text = f":warning: Unlinked here, but Jira still lists this ticket on {key}: {reason}."
            _tell(session, call, "refused", text, now)
            unlink_noted(session, call, now)

    return {
        CREATE: Reactions(on_success=created, on_failure=create_failed),
        LINK: Reactions(on_success=linked, on_failure=link_failed),
        UNLINK: Reactions(on_success=unlinked, on_failure=unlink_failed),
    }


def _refused(error: str) -> bool:
    """Whether Jira answered with a refusal (4xx) rather than being unreachable or busy."""
    return error.startswith("Jira answered 4") and not error.startswith("Jira answered 429")
