"""Support rotations: their configuration, members, shifts, seats, offers, records and OOO."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base


class Rotation(Base):
    """A rotation: who takes turns, when, and how they are reminded and checked in."""

    __tablename__ = "rotations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    channel: Mapped[str] = mapped_column(String(32))
    timezone: Mapped[str] = mapped_column(String(64))
    # {"days": [...], "start": "HH:MM", "every_weeks": n, "start_date": "YYYY-MM-DD"} or
    # {"rrule": "...", "start_date": ...}; {} when the rotation has fixed shifts only.
    pattern: Mapped[dict[str, Any]]
    length_minutes: Mapped[int | None] = mapped_column(Integer)
    people_per_shift: Mapped[int] = mapped_column(Integer, default=1)
    reminder_lead_minutes: Mapped[list[Any]]
    checkin_before_minutes: Mapped[int] = mapped_column(Integer, default=15)
    checkin_after_minutes: Mapped[int] = mapped_column(Integer, default=10)
    cover_timeout_minutes: Mapped[int] = mapped_column(Integer, default=10)
    swap_deadline_minutes: Mapped[int] = mapped_column(Integer, default=120)
    # Product areas (Jira components or free names) whose questions go to whoever is on shift;
    # unanswered for `escalation_minutes`, a question goes to a backup, then to the leads.
    areas: Mapped[list[str]] = mapped_column(default=list)
    escalation_minutes: Mapped[int] = mapped_column(Integer, default=15)
    # A user group (S… id) kept equal to whoever is on shift, and whether the channel's topic
    # says who is on now.
    usergroup: Mapped[str | None] = mapped_column(String(32))
    channel_topic: Mapped[bool] = mapped_column(Boolean, default=False)
    leads: Mapped[list[str]]
    teams: Mapped[list[str]]
    users: Mapped[list[str]]
    holiday_calendar: Mapped[str | None] = mapped_column(String(64))
    holidays: Mapped[list[str]]
    # Fixed shifts as configured: [{"user": U…, "start": iso, "end": iso}].
    fixed_shifts: Mapped[list[Any]]
    status: Mapped[str] = mapped_column(String(16), default="active")
    # Bumped whenever future shifts are cancelled in bulk, so regenerated shifts get new keys.
    epoch: Mapped[int] = mapped_column(Integer, default=0)
    generated_until: Mapped[datetime | None]
    created_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class RotationMember(Base):
    """A participant of a rotation, as resolved from its teams and users."""

    __tablename__ = "rotation_members"

    rotation_id: Mapped[int] = mapped_column(
        ForeignKey("rotations.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Shift count a newcomer starts from, so joining late does not mean a run of shifts.
    baseline: Mapped[int] = mapped_column(Integer, default=0)
    joined_at: Mapped[datetime]
    left_at: Mapped[datetime | None]


class Shift(Base):
    """One occurrence of a rotation's pattern (or a fixed shift), in UTC."""

    __tablename__ = "shifts"

    id: Mapped[int] = mapped_column(primary_key=True)
    rotation_id: Mapped[int] = mapped_column(ForeignKey("rotations.id", ondelete="CASCADE"))
    # rotation id, epoch, kind and start: unique, so generating twice inserts nothing.
    key: Mapped[str] = mapped_column(String(160), unique=True)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    source: Mapped[str] = mapped_column(String(16), default="pattern")
    status: Mapped[str] = mapped_column(String(16), default="scheduled")
    # When the "on now" post is due; NULL once posted or skipped.
    start_notice_at: Mapped[datetime | None]
    # The hand-off's next step: the Hand off prompt (30 minutes before the end), then the
    # hand-off to the next shift (at the end); NULL once done.
    handoff_at: Mapped[datetime | None]
    created_at: Mapped[datetime]

    __table_args__ = (
        Index("ix_shifts_rotation_starts", "rotation_id", "starts_at"),
        Index("ix_shifts_start_notice_at", "start_notice_at"),
        Index("ix_shifts_handoff_at", "handoff_at"),
    )


class ShiftAssignment(Base):
    """One seat of a shift: who holds it and how their attendance went."""

    __tablename__ = "shift_assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    shift_id: Mapped[int] = mapped_column(ForeignKey("shifts.id", ondelete="CASCADE"))
    rotation_id: Mapped[int] = mapped_column(ForeignKey("rotations.id", ondelete="CASCADE"))
    seat: Mapped[int] = mapped_column(Integer, default=0)
    user_id: Mapped[str] = mapped_column(String(32))
    team_id: Mapped[str] = mapped_column(String(32), default="")
    # scheduled | checked_in | late | no_show | covered | unfilled | cancelled
    state: Mapped[str] = mapped_column(String(16), default="scheduled")
    # Incremented whenever the holder changes: offers and claims compare it.
    version: Mapped[int] = mapped_column(Integer, default=0)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    window_opens_at: Mapped[datetime]
    window_closes_at: Mapped[datetime]
    # Due time of the holder's next reminder; NULL when none is left.
    next_notice_at: Mapped[datetime | None]
    checked_in_at: Mapped[datetime | None]
    absent_user_id: Mapped[str | None] = mapped_column(String(32))
    late_at: Mapped[datetime | None]

    __table_args__ = (
        UniqueConstraint("shift_id", "seat"),
        Index("ix_shift_assignments_state_window", "state", "window_closes_at"),
        Index("ix_shift_assignments_user_starts", "user_id", "starts_at"),
        Index("ix_shift_assignments_next_notice_at", "next_notice_at"),
        Index("ix_shift_assignments_rotation_starts", "rotation_id", "starts_at"),
    )


class ShiftEvent(Base):
    """A state change of a shift or seat: what, when, who did it, and about whom."""

    __tablename__ = "shift_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    shift_id: Mapped[int] = mapped_column(ForeignKey("shifts.id", ondelete="CASCADE"))
    assignment_id: Mapped[int | None] = mapped_column(
        ForeignKey("shift_assignments.id", ondelete="CASCADE")
    )
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str | None] = mapped_column(String(32))
    detail: Mapped[dict[str, Any]]

    __table_args__ = (
        Index("ix_shift_events_shift_id", "shift_id"),
        Index("ix_shift_events_kind_at", "kind", "at"),
    )


class ShiftOffer(Base):
    """A seat offered to colleagues (a swap) or to backups (cover after a no-show)."""

    __tablename__ = "shift_offers"

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("shift_assignments.id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(String(16))
    # The seat's version when offered: at most one offer of a kind per holder change.
    version: Mapped[int] = mapped_column(Integer)
    from_user: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="open")
    candidates: Mapped[list[str]]
    asked: Mapped[list[str]]
    created_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime]
    # cover: when to ask the next backup; swap: when to alert the leads. NULL when done.
    next_at: Mapped[datetime | None]
    expires_at: Mapped[datetime]
    accepted_by: Mapped[str | None] = mapped_column(String(32))
    closed_at: Mapped[datetime | None]

    __table_args__ = (
        UniqueConstraint("assignment_id", "version", "kind"),
        Index("ix_shift_offers_status_next", "status", "next_at"),
        Index("ix_shift_offers_status_expires", "status", "expires_at"),
    )


class OutOfOffice(Base):
    """A person's time away (whole days in their time zone, stored as UTC instants)."""

    __tablename__ = "out_of_office"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32))
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]

    __table_args__ = (Index("ix_out_of_office_user_id", "user_id", "ends_at"),)


class HandoffNote(Base):
    """What someone on a shift left for the next person (one note per person and shift)."""

    __tablename__ = "handoff_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    shift_id: Mapped[int] = mapped_column(ForeignKey("shifts.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("shift_id", "user_id"),)


class CalendarToken(Base):
    """A private calendar feed: a person's shifts, or (for leads) one rotation's.

    Only the token's SHA-256 is stored; the token itself is shown once, in the link.
    """

    __tablename__ = "calendar_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[str] = mapped_column(String(32))
    rotation_id: Mapped[int | None] = mapped_column(ForeignKey("rotations.id", ondelete="CASCADE"))
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_calendar_tokens_user_id", "user_id"),)


class OnShiftSync(Base):
    """What the app last set in Slack for a rotation's on-shift user group or channel topic.

    `applied` is the members (sorted ids) or topic text last set; the sync compares against it
    and calls Slack only when who is on shift changed. A refusal is kept with the state it was
    about, and retried at `retry_at` or when that state changes.
    """

    __tablename__ = "on_shift_syncs"

    rotation_id: Mapped[int] = mapped_column(
        ForeignKey("rotations.id", ondelete="CASCADE"), primary_key=True
    )
    target: Mapped[str] = mapped_column(String(16), primary_key=True)  # usergroup | topic
    ref: Mapped[str] = mapped_column(String(32))  # the user group or channel id
    applied: Mapped[str | None] = mapped_column(Text)
    enabled: Mapped[bool | None] = mapped_column(Boolean)  # the user group's handle is on
    applied_at: Mapped[datetime | None]
    wanted: Mapped[str | None] = mapped_column(Text)  # what the last refused call tried
    error: Mapped[str | None] = mapped_column(String(64))
    error_at: Mapped[datetime | None]
    retry_at: Mapped[datetime | None]
