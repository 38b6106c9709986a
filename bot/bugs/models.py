"""Jira bugs linked to tickets: the bug as last seen, its links, and its status transitions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base


class Bug(Base):
    """A Jira issue some ticket was linked to, as the webhooks and polls last described it."""

    __tablename__ = "bugs"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    summary: Mapped[str] = mapped_column(String(1000), default="")
    url: Mapped[str | None] = mapped_column(String(1000))
    # The status name is localised and only shown; `category` (new / indeterminate / done)
    # is what rules compare. None until the first observation.
    status: Mapped[str | None] = mapped_column(String(255))
    category: Mapped[str | None] = mapped_column(String(32))
    resolution: Mapped[str | None] = mapped_column(String(255))
    fix_versions: Mapped[list[str]]
    components: Mapped[list[str]]
    # When the issue was created in Jira (None until an observation says).
    jira_created_at: Mapped[datetime | None]
    # Jira's `statuscategorychangedate` and `updated` of the newest observation: they order
    # observations, so a late or repeated report changes nothing.
    category_changed_at: Mapped[datetime | None]
    source_updated_at: Mapped[datetime | None]
    polled_at: Mapped[datetime | None]
    gone_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (Index("ix_bugs_category", "category"),)


class BugLink(Base):
    """A ticket linked to a bug (filed from its thread, or linked later), by whom and when."""

    __tablename__ = "bug_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    bug_id: Mapped[int] = mapped_column(ForeignKey("bugs.id", ondelete="CASCADE"))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    how: Mapped[str] = mapped_column(String(16))  # filed | linked
    linked_by: Mapped[str] = mapped_column(String(32))
    linked_at: Mapped[datetime]
    unlinked_by: Mapped[str | None] = mapped_column(String(32))
    unlinked_at: Mapped[datetime | None]

    __table_args__ = (
        UniqueConstraint("bug_id", "ticket_id"),
        Index("ix_bug_links_ticket_id", "ticket_id"),
        Index("ix_bug_links_linked_at", "linked_at"),
        # Covers the per-bug counts of current links (bug_load), read without the table.
        Index("ix_bug_links_load", "bug_id", "unlinked_at", "ticket_id", "linked_at"),
    )


class BugTransition(Base):
    """A bug entering (`closed`) or leaving (`reopened`) a done status category, once.

    Unique on (bug, kind, Jira's category change time): a webhook and a poll reporting the same
    transition, in any order or number, insert one row, and only the insert notifies.
    """

    __tablename__ = "bug_transitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    bug_id: Mapped[int] = mapped_column(ForeignKey("bugs.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # closed | reopened
    changed_at: Mapped[datetime]
    from_category: Mapped[str | None] = mapped_column(String(32))
    to_category: Mapped[str] = mapped_column(String(32))
    status: Mapped[str | None] = mapped_column(String(255))
    resolution: Mapped[str | None] = mapped_column(String(255))
    fix_versions: Mapped[list[str]]
    source: Mapped[str] = mapped_column(String(16))  # webhook | poll
    detail: Mapped[str | None] = mapped_column(Text)
    observed_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("bug_id", "kind", "changed_at"),)


class CustomerReply(Base):
    """A public reply telling a ticket's customer that its bug is fixed, once per close.

    Unique on (close transition, ticket): a double submit, two agents at once, or the DM and a
    thread both telling the same customer queue one reply. `status` is queued, sent or failed.
    """

    __tablename__ = "customer_replies"

    id: Mapped[int] = mapped_column(primary_key=True)
    transition_id: Mapped[int] = mapped_column(ForeignKey("bug_transitions.id", ondelete="CASCADE"))
    bug_id: Mapped[int] = mapped_column(ForeignKey("bugs.id", ondelete="CASCADE"))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(Text)
    new_status: Mapped[str | None] = mapped_column(String(16))  # pending | solved
    told_by: Mapped[str] = mapped_column(String(32))
    batch: Mapped[str] = mapped_column(String(64))  # the modal submission that queued it
    status: Mapped[str] = mapped_column(String(16), default="queued")
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]

    __table_args__ = (
        UniqueConstraint("transition_id", "ticket_id"),
        Index("ix_customer_replies_ticket", "ticket_id", "bug_id"),
    )
