"""A bug's status changes: decided once, whatever mix of webhooks and polls reports them, and
then told to everyone waiting — each linked ticket's thread, one DM per agent, a helpdesk note.

"Done" is Jira's status *category* `done` (status names are localised). Observations are
ordered by Jira's own times (`statuscategorychangedate`, then `updated`), so a late or repeated
report changes nothing; a transition is a `BugTransition` row unique on (bug, kind, category
change time), and only the transaction that inserts it queues the notifications, each under a
key derived from that transition.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import outbox
from bot.bugs import customers
from bot.bugs.models import Bug, BugLink, BugTransition
from bot.bugs.records import BugConfig, bug_by_key, ticket_label
from bot.bugs.render import customers as tell_render
from bot.bugs.render import messages as render
from bot.bugs.state import DONE, BugState
from bot.db import insert_if_absent, insert_rows_if_absent, wake
from bot.models import PendingCall, SlackUser
from bot.tickets import agents
from bot.tickets.models import Ticket, TicketComment

SYSTEM_NOTE = "helpdesk.system_note"
CLOSED = "closed"
REOPENED = "reopened"
ZENDESK = "zendesk"


@dataclass(frozen=True)
class Observed:
    """What one observation did: the transition it recorded, or why it changed nothing."""

    transition: str | None = None
    ignored: str | None = None


def observe(
    session: Session,
    state: BugState,
    *,
    source: str,
    now: datetime,
    config: BugConfig,
    detail: str | None = None,
) -> Observed:
    """Record what Jira says of a known bug; notify once when it enters or leaves `done`."""
    bug = bug_by_key(session, state.key, lock=True)
    if bug is None:
        return Observed(ignored="not a linked bug")
    bug.gone_at = None
    if bug.category is not None and _older(state, bug):
        return Observed(ignored="older than what is known")
    previous, previous_changed = bug.category, bug.category_changed_at
    _update(bug, state, now)
    if previous is None:
        return Observed()
    kind = _kind(previous, previous_changed, state)
    if kind is None:
        return Observed()
    changed_at = state.category_changed_at or state.updated_at or now
    # Recorded once: only the call that inserts the transition goes on to notify.
    inserted = insert_if_absent(
        session,
        BugTransition,
        {
            "bug_id": bug.id,
            "kind": kind,
            "changed_at": changed_at,
            "from_category": previous,
            "to_category": state.category,
            "status": state.status,
            "resolution": state.resolution,
            "fix_versions": list(state.fix_versions),
            "source": source,
            "detail": detail,
            "observed_at": now,
        },
        ["bug_id", "kind", "changed_at"],
    )
    if not inserted:
        return Observed(ignored="transition already recorded")
    notify(session, bug, kind, changed_at, now, config)
    return Observed(transition=kind)


def _older(state: BugState, bug: Bug) -> bool:
    """Whether `state` describes the issue as it was before what the bug already records."""
    new, old = state.category_changed_at, bug.category_changed_at
    if new and old and new != old:
        return new < old
    if state.updated_at and bug.source_updated_at:
        return state.updated_at < bug.source_updated_at
    return False


def _update(bug: Bug, state: BugState, now: datetime) -> None:
    bug.status, bug.category = state.status, state.category
    bug.resolution, bug.fix_versions = state.resolution, list(state.fix_versions)
    if state.summary:
        bug.summary = state.summary[:1000]
    if state.components is not None:
        bug.components = list(state.components)
    if state.created_at and not bug.jira_created_at:
        bug.jira_created_at = state.created_at
    if state.url and not bug.url:
        bug.url = state.url
    if state.category_changed_at:
        bug.category_changed_at = state.category_changed_at
    if state.updated_at:
        bug.source_updated_at = state.updated_at
    bug.updated_at = now


def _kind(previous: str, previous_changed: datetime | None, state: BugState) -> str | None:
    was_done, is_done = previous == DONE, state.category == DONE
    if was_done != is_done:
        return CLOSED if is_done else REOPENED
    # Done before and done now, but entered `done` later than we saw: it was reopened and
    # closed again while both webhooks were lost. The agents hear that it is closed (again).
    if (
        is_done
        and previous_changed
        and state.category_changed_at
        and state.category_changed_at > previous_changed
    ):
        return CLOSED
    return None


def bug_view(bug: Bug) -> render.BugView:
    """What the messages show of a bug."""
    return render.BugView(
        key=bug.key,
        summary=bug.summary,
        url=bug.url,
        status=bug.status,
        resolution=bug.resolution,
        fix_versions=list(bug.fix_versions or []),
    )


def notify(
    session: Session, bug: Bug, kind: str, changed_at: datetime, now: datetime, config: BugConfig
) -> int:
    """Queue a reply in every linked ticket's thread, a note per ticket, and one DM per person
    waiting (who filed or linked a ticket, and each ticket's assignee) listing their tickets."""
    stamp = changed_at.strftime("%Y%m%dT%H%M%S%f")
    base = f"bug:{bug.key}:{kind}:{stamp}"
    view = bug_view(bug)
    rows = session.execute(
        select(BugLink, Ticket)
        .join(Ticket, Ticket.id == BugLink.ticket_id)
        .where(BugLink.bug_id == bug.id, BugLink.unlinked_at.is_(None))
        .order_by(BugLink.id)
    ).all()
    waiting: dict[str, list[render.WaitingTicket]] = {}
    assignees: dict[tuple[str, str | None, str | None], str | None] = {}
    note = render.bug_note(view, kind)
    roots = outbox.posted_many(session, [ticket.root_key for _, ticket in rows])
    noted: list[Ticket] = []
    told = customers.told_before(session, bug, [t.id for _, t in rows]) if kind == REOPENED else {}
    tell = tell_render.tell_button(bug.key) if kind == CLOSED else None
    can_tell: set[str] = set()
    told_to: dict[str, list[str]] = {}  # per person waiting: who told their tickets' customers
    for link, ticket in rows:
        shown = render.WaitingTicket(
            label=ticket_label(ticket),
            subject=ticket.subject,
            url=ticket.url,
            channel=ticket.channel_id or None,
        )
        waiting.setdefault(link.linked_by, []).append(shown)
        teller = told[ticket.id].told_by if ticket.id in told else None
        if teller:
            told_to.setdefault(link.linked_by, []).append(teller)
        replies = customers.replies_to(ticket, config)
        if replies:
            can_tell.add(link.linked_by)
        who = (ticket.provider, ticket.assignee_id, ticket.assignee)
        if who not in assignees:
            assignees[who] = agents.assignee_of(session, ticket)
        assignee_id = assignees[who]
        if assignee_id and assignee_id != link.linked_by:
            waiting.setdefault(assignee_id, []).append(shown)
            if teller:
                told_to.setdefault(assignee_id, []).append(teller)
            if replies:
                can_tell.add(assignee_id)
        if ticket.published_version >= 0 and ticket.channel_id:
            reply = render.transition_reply(
                view,
                kind,
                agents=[link.linked_by],
                assignee=ticket.assignee,
                assignee_id=assignee_id,
                tell=tell if replies else None,
                told_by=teller,
            )
            # A posted root's ts is given directly: the dispatcher then has no parent to look
            # up for each of what may be a thousand replies.
            posted = roots.get(ticket.root_key)
            outbox.enqueue_message(
                session,
                reply,
                key=f"{base}:ticket:{ticket.id}",
                channel=posted[0] if posted else ticket.channel_id,
                thread_key=None if posted else ticket.root_key,
                thread_ts=posted[1] if posted else None,
                now=now,
                meta={"bug": bug.key, "ticket": ticket.external_id},
            )
        if takes_notes(ticket, config):
            noted.append(ticket)
    queue_notes(session, noted, f"{base}:note", note, now)
    for user_id, tickets in waiting.items():
        person = session.get(SlackUser, user_id)
        if person is not None and (person.deleted or person.is_bot):
            continue
        button = tell if user_id in can_tell else None
        tellers = told_to.get(user_id)
        told_line = tell_render.already_told(tellers) if tellers else None
        outbox.enqueue_message(
            session,
            render.transition_dm(view, kind, tickets, tell=button, told=told_line),
            key=f"{base}:dm:{user_id}",
            channel=user_id,
            now=now,
        )
    return len(rows)


def takes_notes(ticket: Ticket, config: BugConfig) -> bool:
    """Whether the bot can add internal notes to the ticket's helpdesk (Zendesk when it is
    configured, another desk when HELPDESK_CALLBACK_URL is)."""
    return customers.replies_to(ticket, config)


def queue_notes(
    session: Session, tickets: list[Ticket], key: str, body: str, now: datetime
) -> None:
    """Queue an internal note on each helpdesk ticket, recorded first so its echo stays silent.

    Inserted in two statements (a bug may have a thousand tickets); the rows are the ones
    `pending_calls.enqueue` writes, and the keys make a repeat a no-op.
    """
    if not tickets:
        return
    comments = [
        {
            "ticket_id": ticket.id,
            "external_id": f"slack:{key}"[:128],
            "author": "supportbot",
            "author_id": None,
            "by_agent": True,
            "public": False,
            "body": body,
            "created_at": now,
            "from_slack": True,
            "posted": True,
        }
        for ticket in tickets
    ]
    calls = [
        {
            "key": f"{key}:{ticket.id}"[:255],
            "kind": SYSTEM_NOTE,
            "payload": {
                "ticket_pk": ticket.id,
                "ticket_id": ticket.external_id,
                "provider": ticket.provider,
                "body": body,
            },
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "requested_by": None,
            "created_at": now,
        }
        for ticket in tickets
    ]
    insert_rows_if_absent(session, TicketComment, comments, ["ticket_id", "external_id"])
    insert_rows_if_absent(session, PendingCall, calls, ["key"])
    if calls:
        wake(session, "calls")


def process_webhook(
    session: Session, payload: dict[str, Any], now: datetime, config: BugConfig
) -> str | None:
    """The inbox processor for stored Jira webhooks; returns why one changed nothing."""
    state = BugState.from_json(payload["state"])
    detail = f"{payload.get('event') or 'webhook'} changelog={payload.get('changelog') or '-'}"
    return observe(session, state, source="webhook", now=now, config=config, detail=detail).ignored
