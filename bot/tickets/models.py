"""Helpdesk tickets mirrored into Slack: the ticket, its comments and its recorded changes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    ColumnElement,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base

# Statuses in which a ticket no longer waits on anybody.
CLOSED = ("solved", "closed", "deleted")
# Open tickets, written out (not as bound parameters) so both SQLite and PostgreSQL can prove
# that a query with this condition may use the partial index `ix_tickets_open`.
OPEN_SQL = "status NOT IN ('solved', 'closed', 'deleted')"


def open_tickets() -> ColumnElement[bool]:
    """SQL: the ticket is open (matches the partial index on open tickets)."""
    return text("tickets." + OPEN_SQL)  # type: ignore[return-value]


class Ticket(Base):
    """One helpdesk ticket and the Slack thread that follows it."""

    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(1000), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(32), default="new")
    priority: Mapped[str | None] = mapped_column(String(32))
    requester_id: Mapped[str | None] = mapped_column(String(64))
    requester_name: Mapped[str | None] = mapped_column(String(255))
    requester_email: Mapped[str | None] = mapped_column(String(255))
    requester_phone: Mapped[str | None] = mapped_column(String(64))
    organization_id: Mapped[str | None] = mapped_column(String(64))
    organization: Mapped[str | None] = mapped_column(String(255))
    assignee_id: Mapped[str | None] = mapped_column(String(64))
    assignee: Mapped[str | None] = mapped_column(String(255))
    group_id: Mapped[str | None] = mapped_column(String(64))
    group_name: Mapped[str | None] = mapped_column(String(255))
    brand_id: Mapped[str | None] = mapped_column(String(64))
    brand: Mapped[str | None] = mapped_column(String(255))
    tags: Mapped[list[str]]
    url: Mapped[str | None] = mapped_column(String(1000))
    opened_at: Mapped[datetime | None]
    source_updated_at: Mapped[datetime | None]
    sla_due_at: Mapped[datetime | None]
    channel_id: Mapped[str] = mapped_column(String(32))
    routed_channel_id: Mapped[str] = mapped_column(String(32))
    root_key: Mapped[str] = mapped_column(String(255))
    version: Mapped[int] = mapped_column(Integer, default=0)
    published_version: Mapped[int] = mapped_column(Integer, default=-1)
    waiting_since: Mapped[datetime | None]
    first_seen_at: Mapped[datetime]
    first_response_at: Mapped[datetime | None]
    solved_at: Mapped[datetime | None]
    # Service-level thresholds from the SLA policy of the ticket's priority (bot/sla.py):
    # "at risk" and "due" for the first response and for resolution, and the next of them
    # not yet alerted on (NULL when none is left), which the SLA sweep looks for.
    response_risk_at: Mapped[datetime | None]
    response_due_at: Mapped[datetime | None]
    resolve_risk_at: Mapped[datetime | None]
    resolve_due_at: Mapped[datetime | None]
    sla_next_at: Mapped[datetime | None]

    __table_args__ = (
        UniqueConstraint("provider", "external_id"),
        Index("ix_tickets_status", "status"),
        Index("ix_tickets_channel_id", "channel_id"),
        Index("ix_tickets_sla_next_at", "sla_next_at"),
        Index("ix_tickets_first_seen_at", "first_seen_at"),
        # Covers the emerging-patterns sweep's count of tickets per group over four weeks.
        Index("ix_tickets_seen_group", "first_seen_at", "group_name"),
        # Open tickets are a small share of all: the queue, SLA and App Home queries read
        # them from this covering partial index instead of scanning every ticket.
        Index(
            "ix_tickets_open",
            "id",
            "status",
            "priority",
            "channel_id",
            "assignee_id",
            "assignee",
            "first_response_at",
            "response_risk_at",
            "response_due_at",
            "resolve_risk_at",
            "resolve_due_at",
            sqlite_where=text(OPEN_SQL),
            postgresql_where=text(OPEN_SQL),
        ),
    )


class TicketComment(Base):
    """A public comment or internal note, from the helpdesk or sent from Slack."""

    __tablename__ = "ticket_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(128))
    author: Mapped[str] = mapped_column(String(255), default="")
    author_id: Mapped[str | None] = mapped_column(String(64))
    by_agent: Mapped[bool] = mapped_column(Boolean, default=False)
    public: Mapped[bool] = mapped_column(Boolean, default=True)
    body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    from_slack: Mapped[bool] = mapped_column(Boolean, default=False)
    posted: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (UniqueConstraint("ticket_id", "external_id"),)


class TicketChange(Base):
    """A change of status, priority, assignee or group, with when and who."""

    __tablename__ = "ticket_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(255))
    field: Mapped[str] = mapped_column(String(32))
    old: Mapped[str | None] = mapped_column(String(255))
    new: Mapped[str | None] = mapped_column(String(255))
    actor: Mapped[str | None] = mapped_column(String(255))
    at: Mapped[datetime]
    posted: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (UniqueConstraint("ticket_id", "key"),)


class HelpdeskName(Base):
    """Names behind helpdesk ids (users, groups, organisations, brands), looked up once."""

    __tablename__ = "helpdesk_names"

    provider: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    email: Mapped[str | None] = mapped_column(String(255))
    # Kept only while SHOW_REQUESTER_CONTACT is on (a requester's number is shown then alone).
    phone: Mapped[str | None] = mapped_column(String(64))
    is_agent: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime]


class RoutingRule(Base):
    """Tickets whose `field` matches `value` go to `channel_id`; the lowest position wins."""

    __tablename__ = "routing_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    field: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(255))
    channel_id: Mapped[str] = mapped_column(String(32))
    created_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime]


class ChannelSetting(Base):
    """Per-channel choices, e.g. syncing every agent reply in ticket threads to the ticket."""

    __tablename__ = "channel_settings"

    channel_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    sync_replies: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_by: Mapped[str] = mapped_column(String(32))
    updated_at: Mapped[datetime]


class HelpdeskAgent(Base):
    """A helpdesk agent, by email, and the Slack user they are.

    `how` says where the answer came from: `email` (Slack's users.lookupByEmail found them),
    `lead` (a lead set it with `/support people map`, and no lookup overrides it) or `missing`
    (Slack knows nobody with that email, as of `checked_at`; the assignee's name is tried).
    """

    __tablename__ = "helpdesk_agents"

    email: Mapped[str] = mapped_column(String(255), primary_key=True)
    slack_user_id: Mapped[str | None] = mapped_column(String(32), index=True)
    how: Mapped[str] = mapped_column(String(16))
    checked_at: Mapped[datetime | None]
    set_by: Mapped[str | None] = mapped_column(String(32))
    updated_at: Mapped[datetime]


class EngineerQuestion(Base):
    """An agent's question to the engineer on shift for a product area, from a ticket thread.

    Asked first of whoever is on shift (`stage` shift), after `escalation_minutes` of the
    rotation of a backup (`backup`), then of the leads (`leads`); `next_at` is when the next
    step is due, NULL once taken or when nobody is left to ask.
    """

    __tablename__ = "engineer_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The modal submission that asked it: submitting twice asks once.
    request_id: Mapped[str] = mapped_column(String(64), unique=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    rotation_id: Mapped[int] = mapped_column(ForeignKey("rotations.id", ondelete="CASCADE"))
    area: Mapped[str] = mapped_column(String(255))
    text: Mapped[str] = mapped_column(Text)
    asked_by: Mapped[str] = mapped_column(String(32))
    asked_at: Mapped[datetime]
    stage: Mapped[str] = mapped_column(String(16))
    asked: Mapped[list[str]]
    next_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | taken
    taken_by: Mapped[str | None] = mapped_column(String(32))
    taken_at: Mapped[datetime | None]

    __table_args__ = (
        Index("ix_engineer_questions_next_at", "next_at"),
        Index("ix_engineer_questions_rotation_asked", "rotation_id", "asked_at"),
        Index("ix_engineer_questions_ticket_id", "ticket_id"),
    )


class TicketTouch(Base):
    """Someone worked on a ticket from Slack: a reply in its thread, a question, taking one."""

    __tablename__ = "ticket_touches"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))  # reply | asked | took
    ref: Mapped[str] = mapped_column(String(64))  # the message ts or question id
    at: Mapped[datetime]

    __table_args__ = (
        UniqueConstraint("ticket_id", "user_id", "kind", "ref"),
        Index("ix_ticket_touches_user_at", "user_id", "at"),
    )
