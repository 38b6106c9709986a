"""Keeping each user's App Home current: a publish is queued through the outbox."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bot import outbox
from bot.render.home import render_home


def request_home(session: Session, user_id: str, now: datetime, *, reason: str) -> bool:
    """Queue a fresh Home tab for `user_id`; `reason` makes the request's key unique."""
    view = render_home(user_id, generated_at=now.strftime("%Y-%m-%d %H:%M UTC"))
    return outbox.enqueue_home(
        session, key=f"home:{user_id}:{reason}", user_id=user_id, view=view, now=now
    )
