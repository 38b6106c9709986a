"""Slack messages sent to the ticket as internal notes (by shortcut, or by channel opt-in)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import outbox, pending_calls
from bot.db import insert_if_absent
from bot.errors import UserError
from bot.models import PendingCall
from bot.pending_calls import Reactions
from bot.tickets import threads
from bot.tickets.intake import ZENDESK
from bot.tickets.models import ChannelSetting, Ticket, TicketComment

NOTE = "helpdesk.note"


def note_from_thread(
    session: Session,
    *,
    channel: str,
    message_ts: str,
    thread_ts: str,
    text: str,
    user_id: str,
    now: datetime,
    callback: bool = False,
) -> tuple[Ticket, bool]:
    """Queue a reply in a ticket's thread as an internal note (the message shortcut):
    (the ticket, False if already queued); UserError when it is no reply in a ticket thread."""
    ticket = threads.thread_ticket(session, channel, thread_ts)
    if ticket is None:
        raise UserError(
            "That message is not in a ticket thread, so there is no ticket to send it to."
        )
    if thread_ts == message_ts:
        raise UserError("That is the ticket itself: pick a reply in its thread.")
    queued = request_note(
        session,
        ticket=ticket,
        channel=channel,
        message_ts=message_ts,
        text=text,
        user_id=user_id,
        now=now,
        callback=callback,
    )
    return ticket, queued


def request_note(
    session: Session,
    *,
    ticket: Ticket,
    channel: str,
    message_ts: str,
    text: str,
    user_id: str,
    now: datetime,
    callback: bool = False,
) -> bool:
    """Queue a Slack message as an internal note on its ticket; False if already queued.

    Zendesk tickets take notes always; other helpdesks' when `callback` (their
    HELPDESK_CALLBACK_URL is set)."""
    if ticket.provider != ZENDESK and not callback:
        raise UserError(
            f"tickets from {ticket.provider} cannot take notes from Slack until "
            "HELPDESK_CALLBACK_URL is set"
        )
    if not text.strip():
        raise UserError("that message has no text to send")
    key = f"note:{channel}:{message_ts}"
    insert_if_absent(
        session,
        TicketComment,
        {
            "ticket_id": ticket.id,
            "external_id": f"slack:{channel}:{message_ts}",
            "author": "",
            "author_id": user_id,
            "by_agent": True,
            "public": False,
            "body": text,
            "created_at": now,
            "from_slack": True,
            "posted": True,
        },
        ["ticket_id", "external_id"],
    )
    return pending_calls.enqueue(
        session,
        key=key,
        kind=NOTE,
        requested_by=user_id,
        now=now,
        payload={
            "ticket_pk": ticket.id,
            "ticket_id": ticket.external_id,
            "provider": ticket.provider,
            "text": text,
            "channel": channel,
            "ts": message_ts,
            "user_id": user_id,
        },
    )


def prepare(session: Session, payload: dict[str, Any], body: str, author: str) -> None:
    """Record the exact note body before it is sent, so its webhook echo is recognised."""
    comment = session.scalar(
        select(TicketComment).where(
            TicketComment.ticket_id == payload["ticket_pk"],
            TicketComment.external_id == f"slack:{payload['channel']}:{payload['ts']}",
        )
    )
    if comment is not None:
        comment.body, comment.author = body, author


def _sent(session: Session, call: PendingCall, result: dict[str, Any], now: datetime) -> None:
    payload = call.payload
    insert_if_absent(
        session,
        TicketComment,
        {
            "ticket_id": payload["ticket_pk"],
            "external_id": str(result["comment_id"]),
            "author": str(result.get("author", "")),
            "author_id": None,
            "by_agent": True,
            "public": False,
            "body": str(result.get("body", "")),
            "created_at": now,
            "from_slack": True,
            "posted": True,
        },
        ["ticket_id", "external_id"],
    )
    ticket = session.get(Ticket, payload["ticket_pk"])
    label = f"#{payload['ticket_id']}" if ticket is None else f"#{ticket.external_id}"
    outbox.enqueue_ephemeral(
        session,
        key=f"{call.key}:sent",
        channel=payload["channel"],
        user_id=payload["user_id"],
        now=now,
        text=f":white_check_mark: Sent to ticket {label} as an internal note.",
    )


def _failed(session: Session, call: PendingCall, error: str, gave_up: bool, now: datetime) -> None:
    payload = call.payload
    if gave_up:
        text = (
            f":x: Could not send your message to ticket #{payload['ticket_id']}: {error}. "
            "Gave up; copy it into the ticket by hand."
        )
    elif call.attempts == 1:
        text = (
            f":warning: Could not send your message to ticket #{payload['ticket_id']} yet "
            f"({error}). It will be retried automatically."
        )
    else:
        return
    outbox.enqueue_ephemeral(
        session,
        key=f"{call.key}:failed:{call.attempts}",
        channel=payload["channel"],
        user_id=payload["user_id"],
        now=now,
        text=text,
    )


REACTIONS = Reactions(on_success=_sent, on_failure=_failed)


def set_sync(session: Session, channel: str, enabled: bool, user_id: str, now: datetime) -> None:
    """Turn syncing every agent reply in this channel's ticket threads on or off."""
    setting = session.get(ChannelSetting, channel) or ChannelSetting(channel_id=channel)
    setting.sync_replies, setting.updated_by, setting.updated_at = enabled, user_id, now
    session.add(setting)


def syncs(session: Session, channel: str, at: datetime | None = None) -> bool:
    """Whether replies in this channel's ticket threads go to the ticket (as of `at`)."""
    setting = session.get(ChannelSetting, channel)
    if setting is None or not setting.sync_replies:
        return False
    return at is None or at >= setting.updated_at
