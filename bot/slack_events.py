"""Processing stored Slack events."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bot import home
from bot.models import InboundEvent


def process(session: Session, event: InboundEvent, now: datetime) -> str | None:
    """Act on one stored Slack event; returns why it was ignored, or None."""
    body = event.payload.get("event") or {}
    if event.event_type == "app_home_opened":
        if body.get("tab", "home") != "home":
            return "messages tab"
        home.request_home(session, body["user"], now, reason=event.external_id)
        return None
    return f"unhandled slack event {event.event_type}"
