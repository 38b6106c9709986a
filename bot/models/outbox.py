"""The outbox: Slack calls waiting to be made, made, or given up on."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base


class OutboxMessage(Base):
    """One Slack call (post, update, home publish) with its idempotency key and delivery state."""

    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(255), unique=True)
    method: Mapped[str] = mapped_column(String(32))
    # A channel id, or a user id for a DM (resolved with conversations.open at send time).
    channel: Mapped[str] = mapped_column(String(32))
    # Thread parent: another outbox row's key (its ts is used once it is sent) or a known ts.
    thread_key: Mapped[str | None] = mapped_column(String(255))
    thread_ts: Mapped[str | None] = mapped_column(String(32))
    # For chat.update: the outbox row whose message is edited.
    target_key: Mapped[str | None] = mapped_column(String(255))
    payload: Mapped[dict[str, Any]]
    meta: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    uncertain: Mapped[bool] = mapped_column(Boolean, default=False)
    next_attempt_at: Mapped[datetime]
    lease_until: Mapped[datetime | None]
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    posted_channel: Mapped[str | None] = mapped_column(String(32))
    posted_ts: Mapped[str | None] = mapped_column(String(32))
    last_error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index("ix_outbox_messages_status_id", "status", "id"),
        Index("ix_outbox_messages_posted", "posted_channel", "posted_ts"),
    )
