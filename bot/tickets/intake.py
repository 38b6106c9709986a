"""Helpdesk events in one shape, whatever desk sent them (Zendesk webhooks and export, generic).

A `TicketSnapshot` is the ticket as the event saw it; unknown fields are None and leave the
stored value alone. Snapshots older than what is stored change no field, so events may arrive
in any order and any number of times.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

ZENDESK = "zendesk"
ZENDESK_PREFIX = "zen:event-type:"
_FRACTION = re.compile(r"(\.\d{6})\d+")
_PROVIDER = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")


class PayloadError(ValueError):
    """A payload that is not what the endpoint documents (answered with 400)."""


@dataclass
class TicketSnapshot:
    """The ticket's fields as one event reports them."""

    external_id: str
    subject: str | None = None
    description: str | None = None
    status: str | None = None
    priority: str | None = None
    requester_id: str | None = None
    requester_name: str | None = None
    requester_email: str | None = None
    requester_phone: str | None = None
    organization_id: str | None = None
    organization: str | None = None
    assignee_id: str | None = None
    assignee: str | None = None
    group_id: str | None = None
    group_name: str | None = None
    brand_id: str | None = None
    brand: str | None = None
    tags: list[str] | None = None
    url: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    sla_due_at: datetime | None = None
    actor_id: str | None = None
    actor: str | None = None
    # True when the event carries the whole ticket, so a None means "empty" (e.g. unassigned)
    # rather than "not reported".
    complete: bool = False


@dataclass
class CommentIn:
    """A comment carried by an event."""

    external_id: str
    body: str
    public: bool
    author: str = ""
    author_id: str | None = None
    by_agent: bool = False
    created_at: datetime | None = None


@dataclass
class HelpdeskEvent:
    """One normalized helpdesk event."""

    provider: str
    kind: str
    ticket: TicketSnapshot
    comments: list[CommentIn] = field(default_factory=list)
    occurred_at: datetime | None = None


def subject(provider: str, external_id: str) -> str:
    """What a ticket's stored events are about (`InboundEvent.subject`): one ticket's events
    are processed together."""
    return f"ticket:{provider}:{external_id}"


def parse_time(value: Any) -> datetime | None:
    """An ISO 8601 timestamp (any fraction length, `Z` or offset) as aware UTC, or None."""
    if value in (None, ""):
        return None
    try:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return datetime.fromtimestamp(float(value), UTC)
        if not isinstance(value, str):
            raise ValueError(value)
        parsed = datetime.fromisoformat(_FRACTION.sub(r"\1", value.strip()).replace("Z", "+00:00"))
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except (ValueError, OverflowError, OSError) as err:
        raise PayloadError("not an ISO 8601 time in range") from err


def _id(value: Any) -> str | None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, str | int)):
        raise PayloadError("an id must be a string or a number")
    return None if value in (None, "") else str(value)


def _text(obj: dict[str, Any], key: str) -> str | None:
    value = obj.get(key)
    if value is not None and not isinstance(value, str):
        raise PayloadError(f"'{key}' must be a string")
    return value


def _object(value: Any, name: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise PayloadError(f"'{name}' must be an object")
    return value


# The longest value each snapshot and comment field may have (the columns that keep them).
SNAPSHOT_LIMITS = {
    "external_id": 64,
    "subject": 1000,
    "status": 32,
    "priority": 32,
    "requester_id": 64,
    "requester_name": 255,
    "requester_email": 255,
    "organization_id": 64,
    "organization": 255,
    "assignee_id": 64,
    "assignee": 255,
    "group_id": 64,
    "group_name": 255,
    "brand_id": 64,
    "brand": 255,
    "url": 1000,
    "actor_id": 64,
    "actor": 255,
}
COMMENT_LIMITS = {"external_id": 128, "author": 255, "author_id": 64}


def check_fits(event: HelpdeskEvent) -> None:
    """Raise PayloadError when a field of the event is longer than the app can keep."""
    checks = [(event.ticket, SNAPSHOT_LIMITS, "ticket")]
    checks += [(comment, COMMENT_LIMITS, "comment") for comment in event.comments]
    for item, limits, where in checks:
        for name, limit in limits.items():
            value = getattr(item, name)
            if value is not None and len(value) > limit:
                raise PayloadError(f"{where} {name} is longer than {limit} characters")
    if any(len(tag) > 255 for tag in event.ticket.tags or []):
        raise PayloadError("a tag is longer than 255 characters")


def _lower(value: Any) -> str | None:
    return None if value in (None, "") else str(value).lower()


# ---- Zendesk event-subscribed webhooks ---------------------------------------------------------
# https://developer.zendesk.com/api-reference/webhooks/event-types/ticket-events/


def zendesk_is_ticket_event(payload: dict[str, Any]) -> bool:
    """True for `zen:event-type:ticket.*` events (the ones this app mirrors)."""
    return str(payload.get("type", "")).startswith(ZENDESK_PREFIX + "ticket.")


def check_zendesk_payload(payload: Any) -> None:
    """Raise PayloadError unless this is a Zendesk webhook event of the documented shape."""
    if not isinstance(payload, dict):
        raise PayloadError("body must be a JSON object")
    for name in ("type", "id"):
        if not isinstance(payload.get(name), str) or not payload[name]:
            raise PayloadError(f"'{name}' must be a non-empty string")
    if not payload["type"].startswith(ZENDESK_PREFIX):
        raise PayloadError("'type' must start with zen:event-type:")
    if zendesk_is_ticket_event(payload):
        subject = payload.get("subject")
        if not isinstance(subject, str) or not re.fullmatch(r"zen:ticket:\d+", subject):
            raise PayloadError("'subject' must look like zen:ticket:<id>")
        if not isinstance(payload.get("detail"), dict):
            raise PayloadError("'detail' must be the ticket object")
        if not isinstance(payload.get("event", {}), dict):
            raise PayloadError("'event' must be an object")
        check_fits(from_zendesk_webhook(payload, None))
    if len(payload["id"]) > 255:
        raise PayloadError("'id' is longer than 255 characters")


def from_zendesk_webhook(payload: dict[str, Any], base_url: str | None) -> HelpdeskEvent:
    """Normalize a Zendesk ticket event (status values arrive upper-case, ids as strings)."""
    detail = payload["detail"]
    ticket_id = payload["subject"].rsplit(":", 1)[1]
    tags = detail.get("tags") or []
    if not isinstance(tags, list):
        raise PayloadError("'tags' must be a list")
    snapshot = TicketSnapshot(
        external_id=ticket_id,
        subject=_text(detail, "subject"),
        description=_text(detail, "description"),
        status=_lower(_text(detail, "status")),
        priority=_lower(_text(detail, "priority")),
        requester_id=_id(detail.get("requester_id")),
        organization_id=_id(detail.get("organization_id")),
        assignee_id=_id(detail.get("assignee_id")),
        group_id=_id(detail.get("group_id")),
        brand_id=_id(detail.get("brand_id")),
        tags=[str(t) for t in tags if isinstance(t, str | int)],
        url=f"{base_url}/agent/tickets/{ticket_id}" if base_url else None,
        created_at=parse_time(detail.get("created_at")),
        # The event time is precise to the nanosecond where updated_at has whole seconds, so
        # it orders two changes made within one second.
        updated_at=parse_time(payload.get("time")) or parse_time(detail.get("updated_at")),
        actor_id=_id(detail.get("actor_id")),
        complete=True,
    )
    kind = payload["type"].removeprefix(ZENDESK_PREFIX + "ticket.")
    comments = []
    comment = (payload.get("event") or {}).get("comment")
    comment_id = _id(comment.get("id")) if isinstance(comment, dict) else None
    if kind == "comment_added" and isinstance(comment, dict) and comment_id is not None:
        author = _object(comment.get("author"), "author")
        comments.append(
            CommentIn(
                external_id=comment_id,
                body=_text(comment, "body") or "",
                public=bool(comment.get("is_public", True)),
                author=_text(author, "name") or "",
                author_id=_id(author.get("id")),
                by_agent=bool(author.get("is_staff")),
                created_at=parse_time(payload.get("time")),
            )
        )
    return HelpdeskEvent(ZENDESK, kind, snapshot, comments, parse_time(payload.get("time")))


def from_zendesk_api(
    ticket: dict[str, Any], comments: list[dict[str, Any]], base_url: str | None
) -> HelpdeskEvent:
    """Normalize a ticket from the REST API (incremental export) and its comments."""
    ticket_id = str(ticket["id"])
    snapshot = TicketSnapshot(
        external_id=ticket_id,
        subject=ticket.get("subject"),
        description=ticket.get("description"),
        status=_lower(ticket.get("status")),
        priority=_lower(ticket.get("priority")),
        requester_id=_id(ticket.get("requester_id")),
        organization_id=_id(ticket.get("organization_id")),
        assignee_id=_id(ticket.get("assignee_id")),
        group_id=_id(ticket.get("group_id")),
        brand_id=_id(ticket.get("brand_id")),
        tags=[str(t) for t in ticket.get("tags") or []],
        url=f"{base_url}/agent/tickets/{ticket_id}" if base_url else None,
        created_at=parse_time(ticket.get("created_at")),
        updated_at=parse_time(ticket.get("updated_at")),
        complete=True,
    )
    parsed = [
        CommentIn(
            external_id=str(c["id"]),
            body=str(c.get("plain_body") or c.get("body") or ""),
            public=bool(c.get("public", True)),
            author_id=_id(c.get("author_id")),
            created_at=parse_time(c.get("created_at")),
        )
        for c in comments
        if c.get("id") is not None
    ]
    return HelpdeskEvent(ZENDESK, "export", snapshot, parsed, snapshot.updated_at)


def check_provider(name: str) -> str:
    """A generic helpdesk's `source` name: lower-case letters, digits, - and _."""
    if not _PROVIDER.match(name) or name == ZENDESK:
        raise PayloadError("'source' must be lower-case letters, digits, - or _ (not zendesk)")
    return name
