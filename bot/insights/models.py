"""App Home publishing state and the weekly digests sent."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
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
