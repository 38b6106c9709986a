"""App Home publishing state, the weekly digests sent, and the emerging patterns raised."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base


class HomeView(Base):
    """Someone who opened the App Home: what they last saw, so changes refresh it (throttled)."""

    __tablename__ = "home_views"

    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    opened_at: Mapped[datetime]
    published_at: Mapped[datetime | None]
    # A fingerprint of the data the view was rendered from; a new one means "refresh".
    stamp: Mapped[str] = mapped_column(String(255), default="")
    # When they opened it before this visit: what changed since then is new to them.
    seen_before: Mapped[datetime | None]


class DigestRun(Base):
    """One weekly digest: the scheduled time it belongs to (unique), where it went, when."""

    __tablename__ = "digest_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    fire_at: Mapped[datetime] = mapped_column(unique=True)
    channel_id: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))  # sent | skipped
    detail: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime]


class Pattern(Base):
    """A spike raised to the leads: one tag, component or group on one UTC day (unique)."""

    __tablename__ = "patterns"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[str] = mapped_column(String(10))  # YYYY-MM-DD (UTC) the spike was raised on
    kind: Mapped[str] = mapped_column(String(16))  # tag | component | group
    value: Mapped[str] = mapped_column(String(255))
    tickets: Mapped[int] = mapped_column(Integer)  # in the 24 hours before raised_at
    baseline: Mapped[float] = mapped_column(Float)  # tickets per day over the 4 weeks before
    ticket_ids: Mapped[list[Any]]
    bug_key: Mapped[str | None] = mapped_column(String(64))
    raised_at: Mapped[datetime]

    __table_args__ = (
        UniqueConstraint("day", "kind", "value"),
        Index("ix_patterns_raised_at", "raised_at"),
    )
