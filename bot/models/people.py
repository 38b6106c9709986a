"""What the app knows of the Slack workspace: users and user groups (a refreshed cache)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base


class SlackUser(Base):
    """A workspace member as users.info last described them."""

    __tablename__ = "slack_users"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    real_name: Mapped[str] = mapped_column(String(255), default="")
    tz: Mapped[str | None] = mapped_column(String(64))
    is_bot: Mapped[bool] = mapped_column(Boolean, default=False)
    is_guest: Mapped[bool] = mapped_column(Boolean, default=False)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime]


class SlackUserGroup(Base):
    """A user group (team), by id, with its handle."""

    __tablename__ = "slack_usergroups"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    handle: Mapped[str] = mapped_column(String(255), default="")
    name: Mapped[str] = mapped_column(String(255), default="")
    updated_at: Mapped[datetime]


class SlackUserGroupMember(Base):
    """Membership of a user in a user group, as of the group's last refresh."""

    __tablename__ = "slack_usergroup_members"

    group_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("slack_usergroups.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
