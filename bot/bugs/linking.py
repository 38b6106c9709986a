"""Filing, linking and unlinking from a ticket's Slack thread: who may, and what each asks for.

Only full members of the workspace (not guests, deactivated users or bots) may file or link
bugs. The Slack directory cache answers (`people.is_full_member`); the edge reads a user it does
not know yet from Slack before asking, outside any transaction. Each function here is one unit
of work: a UserError leaves nothing behind.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from sqlalchemy.orm import Session

from bot import people
from bot.bugs import records
from bot.bugs.filing import Filing, read_meta, validate_filing
from bot.bugs.models import Bug
from bot.errors import UserError
from bot.ids import BugField as F
from bot.tickets import threads
from bot.tickets.models import Ticket

NOT_ALLOWED = "Only full members of this workspace can file or link Jira bugs."
NOT_A_THREAD = "That message is not in a ticket thread: use this on a ticket's thread."
UNKNOWN_TICKET = "That ticket is no longer known here."


def may_file_or_link(session: Session, user_id: str) -> bool:
    """Full members only: a guest, or a user the directory does not know, may not."""
    return people.is_full_member(session, user_id) is True


def may_search(session: Session, user_id: str) -> bool:
    """Anyone but a known guest: the search runs in a modal only full members could open."""
    return people.is_full_member(session, user_id) is not False


def thread_ticket(session: Session, *, user_id: str, channel: str, thread_ts: str) -> Ticket:
    """The ticket of the thread a member files or links from; UserError when they may not or
    the thread is no ticket's."""
    if not may_file_or_link(session, user_id):
        raise UserError(NOT_ALLOWED)
    ticket = threads.thread_ticket(session, channel, thread_ts)
    if ticket is None:
        raise UserError(NOT_A_THREAD)
    return ticket


def known_ticket(session: Session, ticket_id: object) -> Ticket | None:
    """The ticket a modal was opened for (its id from the modal's metadata), if still known."""
    return session.get(Ticket, ticket_id) if isinstance(ticket_id, int) else None


def file_from_form(
    session: Session,
    *,
    ticket_id: object,
    filing: Filing,
    user_id: str,
    channel: str,
    thread_ts: str,
    request_id: str,
    now: datetime,
) -> dict[str, str]:
    """Queue the filing the File bug modal describes; {block id: message} to show instead."""
    if not may_file_or_link(session, user_id):
        return {F.SUMMARY: "Only full members of this workspace can file bugs."}
    ticket = known_ticket(session, ticket_id)
    if ticket is None:
        return {F.SUMMARY: UNKNOWN_TICKET}
    errors = validate_filing(filing, read_meta(session))
    if not errors:
        records.request_filing(
            session,
            ticket=ticket,
            filing=filing,
            form=asdict(filing),
            user_id=user_id,
            channel=channel,
            thread_ts=thread_ts,
            request_id=request_id,
            now=now,
        )
    return errors


def link_from_form(
    session: Session,
    *,
    ticket_id: object,
    key: str | None,
    unlink: list[str],
    user_id: str,
    channel: str,
    thread_ts: str,
    request_id: str,
    now: datetime,
) -> None:
    """Unlink the bugs ticked in the Link modal and queue the link to `key`, all or nothing.

    A UserError says why not; its field is "unlink" when an unlink was refused.
    """
    if not may_file_or_link(session, user_id):
        raise UserError("Only full members of this workspace can link bugs.")
    ticket = known_ticket(session, ticket_id)
    if ticket is None:
        raise UserError(UNKNOWN_TICKET)
    for old in unlink:
        try:
            records.unlink(
                session,
                ticket=ticket,
                key=old,
                user_id=user_id,
                thread_ts=thread_ts,
                request_id=request_id,
                now=now,
            )
        except UserError as err:
            raise UserError(err.message, field="unlink") from None
    if key:
        records.request_link(
            session,
            ticket=ticket,
            key=key,
            user_id=user_id,
            channel=channel,
            thread_ts=thread_ts,
            request_id=request_id,
            now=now,
        )


def unlink_in_thread(
    session: Session,
    *,
    key: str,
    user_id: str,
    channel: str,
    thread_ts: str,
    request_id: str,
    now: datetime,
) -> Bug:
    """Unlink the thread's ticket from bug `key` (the Unlink button on a "Linked to" reply)."""
    ticket = thread_ticket(session, user_id=user_id, channel=channel, thread_ts=thread_ts)
    return records.unlink(
        session,
        ticket=ticket,
        key=key,
        user_id=user_id,
        thread_ts=thread_ts,
        request_id=request_id,
        now=now,
    )


def link_in_thread(
    session: Session, *, key: str, user_id: str, channel: str, thread_ts: str, now: datetime
) -> bool:
    """Queue the link of the thread's ticket to bug `key` (a Link to <KEY> button on the
    similar-tickets reply); False when that link was already asked for from this reply."""
    ticket = thread_ticket(session, user_id=user_id, channel=channel, thread_ts=thread_ts)
    return records.request_link(
        session,
        ticket=ticket,
        key=key,
        user_id=user_id,
        channel=channel,
        thread_ts=thread_ts,
        request_id="similar",  # one link per bug from this reply, however often clicked
        now=now,
    )
