"""The generic helpdesk webhook schema (for Freshdesk, Intercom or in-house desks).

Documented in README.md and on the OpenAPI page; the JSON Schema comes from these models.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot.tickets.intake import (
    CommentIn,
    HelpdeskEvent,
    PayloadError,
    TicketSnapshot,
    check_fits,
    check_provider,
)

EVENT_TYPES = (
    "ticket.created",
    "ticket.updated",
    "ticket.comment_added",
    "ticket.solved",
    "ticket.closed",
    "ticket.deleted",
)


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Person(BaseModel):
    """A requester, assignee or comment author."""

    model_config = ConfigDict(extra="ignore")
    id: str | None = Field(default=None, max_length=64)
    name: str | None = Field(default=None, max_length=255)
    email: str | None = Field(default=None, max_length=255)
    phone: str | None = Field(default=None, max_length=64)

    @field_validator("id", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) else value


class GenericTicket(BaseModel):
    """The ticket as the helpdesk knows it after the event."""

    model_config = ConfigDict(extra="ignore")
    id: str = Field(min_length=1, max_length=64, description="The helpdesk's ticket id.")
    subject: str | None = Field(default=None, max_length=1000)
    description: str | None = None
    status: str | None = Field(default=None, max_length=32, examples=["open"])
    priority: str | None = Field(default=None, max_length=32, examples=["high"])
    url: str | None = Field(default=None, max_length=1000, description="Agent link to the ticket.")
    requester: Person | None = None
    organization: str | None = Field(default=None, max_length=255)
    assignee: Person | None = None
    group: str | None = Field(default=None, max_length=255)
    brand: str | None = Field(default=None, max_length=255)
    tags: list[str] = Field(default_factory=list)
    created_at: datetime | None = None
    updated_at: datetime | None = Field(
        default=None, description="When the ticket last changed; orders out-of-order events."
    )
    sla_due_at: datetime | None = None

    @field_validator("id", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) else value


class GenericComment(BaseModel):
    """A comment or internal note added to the ticket."""

    model_config = ConfigDict(extra="ignore")
    id: str = Field(min_length=1, max_length=128)
    body: str
    public: bool = Field(default=True, description="false for an internal note")
    author: Person | None = None
    author_is_agent: bool = False
    created_at: datetime | None = None

    @field_validator("id", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) else value


class GenericEvent(BaseModel):
    """One event from a helpdesk, POSTed to /webhooks/helpdesk and signed (see README)."""

    model_config = ConfigDict(extra="ignore")
    event_id: str | None = Field(
        default=None,
        max_length=255,
        description="Unique per event; retries reuse it. When absent, the content is the key.",
    )
    type: str = Field(description="One of " + ", ".join(EVENT_TYPES) + "; others are ignored.")
    source: str = Field(default="helpdesk", description="Which desk sent it, e.g. freshdesk.")
    occurred_at: datetime | None = None
    actor: Person | None = Field(
        default=None, description="Who made the change; its thread reply names them."
    )
    ticket: GenericTicket
    comment: GenericComment | None = Field(
        default=None, description="Required for ticket.comment_added."
    )


def schema() -> dict[str, Any]:
    """The JSON Schema of the generic webhook body."""
    return GenericEvent.model_json_schema()


Outcome = tuple[Literal["ok", "ignored"], GenericEvent | None, str]


def parse(raw: Any, content_key: str) -> Outcome:
    """(status, event, dedupe key) for a decoded body; raises PayloadError when malformed.

    `content_key` (a digest of the body) is the dedupe key of an event without `event_id`.
    """
    if not isinstance(raw, dict):
        raise PayloadError("body must be a JSON object")
    try:
        event = GenericEvent.model_validate(raw)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        raise PayloadError(f"{where}: {first['msg']}") from None
    check_provider(event.source)
    key = event.event_id or content_key
    if event.type not in EVENT_TYPES:
        return "ignored", event, key
    if event.type == "ticket.comment_added" and event.comment is None:
        raise PayloadError("comment: required for ticket.comment_added")
    try:
        check_fits(to_event(event))
    except OverflowError:
        raise PayloadError("a time is out of range") from None
    return "ok", event, key


def _person_id(person: Person | None) -> str | None:
    """A person's id, or their email when the desk sends no id (it fits the id column)."""
    if person is None:
        return None
    if person.id:
        return person.id
    return person.email if person.email and len(person.email) <= 64 else None


def to_event(event: GenericEvent) -> HelpdeskEvent:
    """Normalize a validated generic event."""
    t = event.ticket
    status = t.status.lower() if t.status else None
    if event.type == "ticket.solved":
        status = "solved"
    elif event.type == "ticket.closed":
        status = "closed"
    elif event.type == "ticket.deleted":
        status = "deleted"
    snapshot = TicketSnapshot(
        external_id=t.id,
        subject=t.subject,
        description=t.description,
        status=status,
        priority=t.priority.lower() if t.priority else None,
        requester_id=t.requester.id if t.requester else None,
        requester_name=t.requester.name if t.requester else None,
        requester_email=t.requester.email if t.requester else None,
        requester_phone=t.requester.phone if t.requester else None,
        organization=t.organization,
        assignee_id=_person_id(t.assignee),
        assignee=(t.assignee.name or t.assignee.id) if t.assignee else None,
        group_name=t.group,
        brand=t.brand,
        tags=list(t.tags),
        url=t.url,
        created_at=_utc(t.created_at),
        updated_at=_utc(t.updated_at) or _utc(event.occurred_at),
        sla_due_at=_utc(t.sla_due_at),
        actor=(event.actor.name or event.actor.id) if event.actor else None,
    )
    comments = []
    if event.comment is not None:
        c = event.comment
        comments.append(
            CommentIn(
                external_id=c.id,
                body=c.body,
                public=c.public,
                author=(c.author.name or c.author.id or "") if c.author else "",
                author_id=c.author.id if c.author else None,
                by_agent=c.author_is_agent,
                created_at=_utc(c.created_at) or _utc(event.occurred_at),
            )
        )
    return HelpdeskEvent(
        event.source,
        event.type.removeprefix("ticket."),
        snapshot,
        comments,
        _utc(event.occurred_at),
    )
