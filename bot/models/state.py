"""Small named values the app keeps between runs (poll cursors, one-time markers)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base


class AppState(Base):
    """A named JSON value, e.g. the Zendesk export cursor."""

    __tablename__ = "app_state"

    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    value: Mapped[dict[str, Any]]
    updated_at: Mapped[datetime]
