"""Inbound events (Slack, Zendesk, helpdesk, Jira), stored before they are acknowledged."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base


class InboundEvent(Base):
    """One delivery from the outside, unique per source and external id."""

    __tablename__ = "inbound_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(255))
    event_type: Mapped[str] = mapped_column(String(128))
    payload: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    received_at: Mapped[datetime]
    next_attempt_at: Mapped[datetime]
    processed_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)
    # What the event is about (e.g. one ticket): pending events with one subject are
    # processed together, in arrival order (None: on its own).
    subject: Mapped[str | None] = mapped_column(String(160))

    __table_args__ = (
        UniqueConstraint("source", "external_id"),
        Index("ix_inbound_events_status_next", "status", "next_attempt_at"),
        Index("ix_inbound_events_subject_status", "subject", "status"),
        # The events still pending in arrival order: the inbox's claim reads the head of this,
        # not every finished event before it (queries must say status = 'pending' literally).
        Index(
            "ix_inbound_events_pending",
            "id",
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
    )
