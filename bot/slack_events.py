"""Processing stored Slack events."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from bot import home, notes, threads
from bot.errors import UserError
from bot.models import InboundEvent


def process(
    session: Session, event: InboundEvent, now: datetime, config: home.HomeConfig
) -> str | None:
    """Act on one stored Slack event; returns why it was ignored, or None."""
    body = event.payload.get("event") or {}
    if event.event_type == "app_home_opened":
        if body.get("tab", "home") != "home":
            return "messages tab"
        home.request_home(session, body["user"], now, config, reason=f"open:{event.external_id}")
        return None
    if event.event_type == "message":
        return _thread_reply(session, body, now)
    return f"unhandled slack event {event.event_type}"


def _thread_reply(session: Session, message: dict[str, object], now: datetime) -> str | None:
    """A person's reply in a ticket thread goes to the ticket when the channel opted in."""
    if message.get("subtype") or message.get("bot_id") or not message.get("user"):
        return "not a person's message"
    ts, thread_ts = str(message.get("ts", "")), str(message.get("thread_ts") or "")
    if not thread_ts or thread_ts == ts:
        return "not a thread reply"
    channel = str(message.get("channel", ""))
    posted_at = datetime.fromtimestamp(float(ts), UTC)
    if not notes.syncs(session, channel, posted_at):
        return "reply sync is off in this channel"
    ticket = threads.thread_ticket(session, channel, thread_ts)
    if ticket is None:
        return "not a ticket thread"
    try:
        notes.request_note(
            session,
            ticket=ticket,
            channel=channel,
            message_ts=ts,
            text=str(message.get("text") or ""),
            user_id=str(message["user"]),
            now=now,
        )
    except UserError as err:
        return err.message
    return None
