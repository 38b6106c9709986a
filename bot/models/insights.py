"""Service levels, SLA alerts, App Home publishing state and weekly digests."""

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


class HomeView(Base):
    """Someone who opened the App Home: what they last saw, so changes refresh it (throttled)."""

    __tablename__ = "home_views"

    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    opened_at: Mapped[datetime]
    published_at: Mapped[datetime | None]
    # A fingerprint of the data the view was rendered from; a new one means "refresh".
    stamp: Mapped[str] = mapped_column(String(255), default="")


class DigestRun(Base):
    """One weekly digest: the scheduled time it belongs to (unique), where it went, when."""

    __tablename__ = "digest_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    fire_at: Mapped[datetime] = mapped_column(unique=True)
    channel_id: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))  # sent | skipped
    detail: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime]
