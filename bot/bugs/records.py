"""Jira bugs and the tickets waiting on them: file, link and unlink requests, and the bug record.

Calls to Jira are pending calls (`jira.create`, `jira.link`, `jira.unlink`) made by a sweep
outside any transaction; what their answers change is in `bot.bug_calls`, and what a bug's
status changes cause is in `bot.bug_notices`. Nothing here talks to Jira or Slack.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import outbox, pending_calls, people
from bot.bugs.filing import CREATE, Filing, jira_fields, thread_messages
from bot.bugs.models import Bug, BugLink
from bot.bugs.render import messages as render
from bot.bugs.state import DONE, BugState
from bot.db import insert_if_absent, update_rows
from bot.errors import UserError
from bot.settings import DEFAULT_FIX_TEMPLATE
from bot.tickets.models import Ticket

LINK = "jira.link"
UNLINK = "jira.unlink"
KEY_PATTERN = re.compile(r"^[A-Z][A-Z0-9_]*-\d+$")
# A closed bug keeps being polled this long, so a reopen whose webhook was lost is still seen.
REOPEN_WATCH = timedelta(days=14)


@dataclass(frozen=True)
class BugConfig:
    """What the bug rules need from the settings."""

    project_key: str | None = None
    notes: bool = False  # helpdesk notes can be sent (Zendesk is configured)
    callback: bool = False  # the generic helpdesk takes notes and replies (HELPDESK_CALLBACK_URL)
    fix_template: str = DEFAULT_FIX_TEMPLATE  # CUSTOMER_FIX_TEMPLATE


# ---- the bug record --------------------------------------------------------------------------


def bug_by_key(session: Session, key: str, *, lock: bool = False) -> Bug | None:
    """A known bug by Jira key (locked for update on PostgreSQL when asked)."""
    query = select(Bug).where(Bug.key == key.upper())
    if lock and session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return session.scalar(query)


def record_bug(session: Session, state: BugState, now: datetime) -> Bug:
    """The bug for `state.key`, created from `state` when new (its first status is a baseline)."""
    insert_if_absent(
        session,
        Bug,
        {
            "key": state.key,
            "summary": (state.summary or "")[:1000],
            "url": state.url,
            "status": state.status,
            "category": state.category,
            "resolution": state.resolution,
            "fix_versions": list(state.fix_versions),
            "components": list(state.components or []),
            "jira_created_at": state.created_at,
            "category_changed_at": state.category_changed_at,
            "source_updated_at": state.updated_at,
            "created_at": now,
            "updated_at": now,
        },
        ["key"],
    )
    bug = bug_by_key(session, state.key, lock=True)
    assert bug is not None
    if state.url and not bug.url:
        bug.url = state.url
    return bug


def record_link(
    session: Session, bug: Bug, ticket: Ticket, *, how: str, user_id: str, now: datetime
) -> BugLink:
    """Link a ticket to a bug (again, if it was unlinked); the first filer stays `filed`."""
    insert_if_absent(
        session,
        BugLink,
        {
            "bug_id": bug.id,
            "ticket_id": ticket.id,
            "how": how,
            "linked_by": user_id,
            "linked_at": now,
        },
        ["bug_id", "ticket_id"],
    )
    link = session.scalar(
        select(BugLink).where(BugLink.bug_id == bug.id, BugLink.ticket_id == ticket.id)
    )
    assert link is not None
    if link.unlinked_at is not None:
        link.how, link.linked_by, link.linked_at = how, user_id, now
        link.unlinked_at = link.unlinked_by = None
    return link


def links_of(session: Session, ticket_id: int) -> list[tuple[BugLink, Bug]]:
    """The bugs a ticket is linked to now, oldest link first."""
    rows = session.execute(
        select(BugLink, Bug)
        .join(Bug, Bug.id == BugLink.bug_id)
        .where(BugLink.ticket_id == ticket_id, BugLink.unlinked_at.is_(None))
        .order_by(BugLink.id)
    ).all()
    return [(link, bug) for link, bug in rows]


# ---- requests from Slack ----------------------------------------------------------------------


def ticket_label(ticket: Ticket) -> str:
    """`Zendesk #123` or `freshdesk #123`."""
    desk = "Zendesk" if ticket.provider == "zendesk" else ticket.provider
    return f"{desk} #{ticket.external_id}"


def thread_of(session: Session, ticket: Ticket) -> tuple[str, str]:
    """(channel, root ts) of a ticket's thread; the ts is empty while the root is not posted."""
    posted = outbox.posted(session, ticket.root_key)
    return posted if posted is not None else (ticket.channel_id, "")


def ticket_tag(ticket: Ticket) -> str:
    """The Jira label every bug filed from this ticket carries (`support-zendesk-123`)."""
    return re.sub(r"[^A-Za-z0-9_.-]", "-", f"support-{ticket.provider}-{ticket.external_id}")


def _ticket_payload(ticket: Ticket, channel: str, thread_ts: str, user_id: str) -> dict[str, Any]:
    return {
        "ticket_pk": ticket.id,
        "ticket_label": ticket_label(ticket),
        "ticket_subject": ticket.subject,
        "ticket_url": ticket.url,
        "ticket_global_id": f"supportbot-ticket-{ticket.provider}-{ticket.external_id}"[:255],
        "channel": channel,
        "thread_ts": thread_ts,
        "user_id": user_id,
    }


def request_filing(
    session: Session,
    *,
    ticket: Ticket,
    filing: Filing,
    form: dict[str, Any],
    user_id: str,
    channel: str,
    thread_ts: str,
    request_id: str,
    now: datetime,
    also: Sequence[Ticket] = (),
) -> bool:
    """Store a filing as a `jira.create` call and tell the user; False if already stored.

    `also` are more tickets the new bug is for (an emerging pattern's): each is linked to it
    once Jira created it.
    """
    quoted = [
        (people.display_name(session, m.user), m.text)
        for m in thread_messages(session, channel, thread_ts)
        if m.ts in filing.messages
    ]
    description = render.filing_description(filing.description, quoted)
    payload = {
        **_ticket_payload(ticket, channel, thread_ts, user_id),
        "fields": jira_fields(filing),
        "description": description,
        "tag": ticket_tag(ticket),
        "form": form,
    }
    if also:
        payload["also"] = [_ticket_payload(t, *thread_of(session, t), user_id) for t in also]
    key = f"bug.create:{ticket.id}:{request_id}"
    queued = pending_calls.enqueue(
        session, key=key, kind=CREATE, payload=payload, now=now, requested_by=user_id
    )
    if queued:
        outbox.enqueue_ephemeral(
            session,
            key=f"{key}:accepted",
            channel=channel,
            user_id=user_id,
            thread_ts=thread_ts,
            now=now,
            text=render.filing_accepted(filing.project, filing.summary),
        )
    return queued


def request_link(
    session: Session,
    *,
    ticket: Ticket,
    key: str,
    user_id: str,
    channel: str,
    thread_ts: str,
    request_id: str,
    now: datetime,
) -> bool:
    """Store a `jira.link` call (remote link + comment on the issue); False if already stored."""
    key = key.strip().upper()
    if not KEY_PATTERN.match(key):
        raise UserError(f"{key[:40]} is not a Jira issue key like SUP-123", field="key")
    if any(bug.key == key for _, bug in links_of(session, ticket.id)):
        raise UserError(f"This ticket is already linked to {key}.", field="key")
    payload = {
        **_ticket_payload(ticket, channel, thread_ts, user_id),
        "key": key,
        "how": "linked",
        "comment": True,
    }
    call_key = f"bug.link:{ticket.id}:{key}:{request_id}"
    queued = pending_calls.enqueue(
        session, key=call_key, kind=LINK, payload=payload, now=now, requested_by=user_id
    )
    if queued:
        outbox.enqueue_ephemeral(
            session,
            key=f"{call_key}:accepted",
            channel=channel,
            user_id=user_id,
            thread_ts=thread_ts,
            now=now,
            text=f":hourglass_flowing_sand: Linking this ticket to {key} in Jira…",
        )
    return queued


def unlink(
    session: Session,
    *,
    ticket: Ticket,
    key: str,
    user_id: str,
    thread_ts: str,
    request_id: str,
    now: datetime,
) -> Bug:
    """Unlink a ticket from a bug now; the remote links leave the Jira issue by a pending call.

    `request_id` (the interaction's trigger or view id) makes this unlink's keys unique.
    """
    found = next(((lk, b) for lk, b in links_of(session, ticket.id) if b.key == key.upper()), None)
    if found is None:
        raise UserError(f"This ticket is not linked to {key[:40]}.")
    link, bug = found
    link.unlinked_at, link.unlinked_by = now, user_id
    stamp = re.sub(r"[^A-Za-z0-9._-]", "", request_id)[:80]
    pending_calls.enqueue(
        session,
        key=f"bug.unlink:{ticket.id}:{bug.key}:{stamp}",
        kind=UNLINK,
        requested_by=user_id,
        now=now,
        payload={
            **_ticket_payload(ticket, ticket.channel_id, thread_ts, user_id),
            "key": bug.key,
        },
    )
    outbox.enqueue_message(
        session,
        render.unlinked(bug.key, bug.url, user_id),
        key=f"bug:{bug.key}:unlinked:{ticket.id}:{stamp}",
        channel=ticket.channel_id,
        thread_key=ticket.root_key,
        now=now,
    )
    return bug


# ---- what the modals show --------------------------------------------------------------------


# ---- what the poll reads -----------------------------------------------------------------------


def keys_to_poll(session: Session, now: datetime, limit: int = 10000) -> list[str]:
    """Linked bugs not done (and those done lately, to see reopens), least recently polled first."""
    linked = select(BugLink.bug_id).where(BugLink.unlinked_at.is_(None))
    watched = (Bug.category.is_(None)) | (Bug.category != DONE)
    watched = watched | (Bug.category_changed_at >= now - REOPEN_WATCH)
    rows = session.execute(
        select(Bug.key, Bug.polled_at)
        .where(Bug.id.in_(linked), Bug.gone_at.is_(None), watched)
        .order_by(Bug.polled_at.is_not(None), Bug.polled_at, Bug.id)
        .limit(limit)
    ).all()
    return [key for key, _ in rows]


def mark_polled(session: Session, keys: list[str], gone: list[str], now: datetime) -> None:
    """Stamp polled bugs; bugs Jira no longer has (deleted, or hidden from us) stop being polled."""
    if keys:
        update_rows(session, Bug, Bug.key.in_(keys), polled_at=now)
    if gone:
        update_rows(session, Bug, Bug.key.in_(gone), gone_at=now)
