"""Service levels: each priority's targets as leads set them, and the alerts sent per ticket."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base


class SlaPolicy(Base):
    """The first-response and resolution targets of one ticket priority, as a lead set them."""

    __tablename__ = "sla_policies"

    priority: Mapped[str] = mapped_column(String(32), primary_key=True)
    first_response_minutes: Mapped[int] = mapped_column(Integer)
    resolution_minutes: Mapped[int] = mapped_column(Integer)
    # A ticket is "at risk" once this share of a target's time has passed.
    at_risk_percent: Mapped[int] = mapped_column(Integer, default=75)
    updated_by: Mapped[str] = mapped_column(String(32))
    updated_at: Mapped[datetime]


class SlaAlert(Base):
    """A ticket reaching a threshold (at risk, breached) of one target, once.

    `sent` is False when the threshold had passed unnoticed for so long that a newer one
    superseded it (an "at risk" alert is pointless once the target is breached).
    """

    __tablename__ = "sla_alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    metric: Mapped[str] = mapped_column(String(16))  # first_response | resolution
    level: Mapped[str] = mapped_column(String(16))  # at_risk | breached
    due_at: Mapped[datetime]
    at: Mapped[datetime]
    mentioned: Mapped[str | None] = mapped_column(String(255))
    sent: Mapped[bool] = mapped_column(Boolean, default=True)

    __table_args__ = (UniqueConstraint("ticket_id", "metric", "level"),)
