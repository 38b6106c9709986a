"""How the simulated Zendesk account changes tickets: validation, comments, audits, events.

`TicketEngine` is mixed into the simulator's account (`zendesk_state.ZendeskAccount`). Test
builders and the HTTP API both go through `_create` and `_change`, so a change made either way
looks the same to the app: validated first, applied under the lock, audited, and emitted as
webhook events once the lock is released (a receiver may call straight back into the API).
"""

from __future__ import annotations

import copy
import html
import itertools
import threading
from collections.abc import Callable
from typing import Any

from integrations.simulators.zendesk.events import (
    WebhookOutbox,
    build_events,
    change_event,
    comment_event,
    iso,
    tags_event,
)

STATUSES = ("new", "open", "pending", "hold", "solved", "closed")
PRIORITIES = (None, "low", "normal", "high", "urgent")
TYPES = (None, "problem", "incident", "question", "task")
# Each status category's default custom status; the ids are made up.
CUSTOM_STATUS_IDS = {s: 1000 + i for i, s in enumerate((*STATUSES, "deleted"))}
# developer.zendesk.com/api-reference/ticketing/tickets/ticket_comments/: "A ticket can contain
# up to 5000 comments in total ... any additional attempts to add comments results in a 422".
MAX_COMMENTS = 5000
# Fields an update may change, in the order their events are emitted.
UPDATABLE = ("subject", "status", "priority", "type", "group_id", "assignee_id", "tags",
             "organization_id", "external_id", "custom_fields")  # fmt: skip
EVENT_KINDS = {
    "subject": "subject_changed",
    "status": "status_changed",
    "priority": "priority_changed",
    "type": "type_changed",
    "group_id": "group_assignment_changed",
    "assignee_id": "agent_assignment_changed",
    "tags": "tags_changed",
}
CREATE_KEYS = ("subject", "status", "priority", "type", "assignee_id", "group_id", "tags")
COMMENT_KEYS = ("id", "author_id", "body", "html_body", "plain_body", "public", "attachments")
TICKET_DEFAULTS: dict[str, Any] = {
    **dict.fromkeys(
        (
            "external_id",
            "type",
            "priority",
            "recipient",
            "assignee_id",
            "group_id",
            "forum_topic_id",
            "problem_id",
            "due_at",
            "satisfaction_rating",
            "ticket_form_id",
            "custom_status_id",
        ),
        None,
    ),  # fmt: skip
    **dict.fromkeys(
        (
            "collaborator_ids",
            "follower_ids",
            "email_cc_ids",
            "tags",
            "custom_fields",
            "sharing_agreement_ids",
            "fields",
            "followup_ids",
        ),
        [],
    ),  # fmt: skip
    **dict.fromkeys(("has_incidents", "allow_channelback", "from_messaging_channel"), False),
    "allow_attachments": True,
    "is_public": True,
    "description": "",
}


class ZendeskValidationError(ValueError):
    """A change Zendesk refuses with 422 RecordInvalid; `details` maps field -> problems."""

    def __init__(self, field: str, description: str, error: str = "InvalidValue") -> None:
        super().__init__(description)
        self.details = {field: [{"description": description, "error": error}]}


def _via(channel: str) -> dict[str, Any]:
    return {"channel": channel, "source": {"from": {}, "to": {}, "rel": None}}


def _wire(key: str, value: Any) -> Any:
    """A field value as ticket events carry it: enums upper case, ids as strings."""
    if value is None:
        return None
    return value.upper() if key in ("status", "priority", "type") else str(value)


def _comment_row(comment: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Comment", **{key: comment[key] for key in COMMENT_KEYS}}


class TicketEngine:
    """Ticket creation and change rules shared by the builders and the HTTP API (a mixin)."""

    lock: threading.RLock
    clock: Callable[[], float]
    webhooks: WebhookOutbox
    account_id: int
    max_comments: int
    users: dict[int, dict[str, Any]]
    organizations: dict[int, dict[str, Any]]
    groups: dict[int, dict[str, Any]]
    brands: dict[int, dict[str, Any]]
    tickets: dict[int, dict[str, Any]]
    comments: dict[int, list[dict[str, Any]]]
    me: dict[str, Any]
    default_brand: dict[str, Any]
    _ids: itertools.count[int]
    _ticket_ids: itertools.count[int]

    def _root(self) -> str:
        raise NotImplementedError

    def _live(self, ticket_id: int) -> dict[str, Any]:
        ticket = self.tickets.get(ticket_id)
        if ticket is None or ticket["status"] == "deleted":
            raise KeyError(ticket_id)
        return ticket

    def _touch(self, ticket: dict[str, Any]) -> None:
        now = self.clock()
        ticket.update(updated_at=iso(now), generated_timestamp=int(now))
        ticket["custom_status_id"] = CUSTOM_STATUS_IDS[ticket["status"]]

    def _events(
        self, ticket: dict[str, Any], changes: list[tuple[str, dict[str, Any]]], actor_id: int
    ) -> list[dict[str, Any]]:
        public = any(c["public"] for c in self.comments[ticket["id"]])
        return build_events(ticket, changes, account_id=self.account_id, actor_id=actor_id,
                            is_public=public, at=self.clock())  # fmt: skip

    def _comment_event(self, comment: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        return "comment_added", comment_event(comment, self.users[comment["author_id"]])

    def _check(self, fields: dict[str, Any]) -> None:
        for key, allowed in (("status", STATUSES), ("priority", PRIORITIES), ("type", TYPES)):
            if key in fields and fields[key] not in allowed:
                raise ZendeskValidationError(key, f"{key.capitalize()}: is not valid")
        tables = {"assignee": self.users, "group": self.groups,
                  "organization": self.organizations, "brand": self.brands}  # fmt: skip
        for name, table in tables.items():
            value = fields.get(f"{name}_id")
            if value is not None and value not in table:
                raise ZendeskValidationError(name, f"{name.capitalize()}: is invalid")
        assignee = fields.get("assignee_id")
        if assignee is not None and self.users[assignee]["role"] == "end-user":
            raise ZendeskValidationError("assignee", "Assignee: is not an agent")

    def _new_comment(
        self, ticket_id: int, comment: dict[str, Any], author_id: int, via: str, client: str
    ) -> dict[str, Any]:
        body = str(comment.get("body") or "").strip()
        if not body:
            raise ZendeskValidationError("base", "Comment: cannot be blank", "BlankValue")
        if author_id not in self.users:
            raise ZendeskValidationError("author_id", "Author: is invalid")
        if len(self.comments.get(ticket_id, ())) >= self.max_comments:
            # The 422 is documented, its body is not: the usual RecordInvalid envelope here.
            raise ZendeskValidationError(
                "base", f"Ticket has reached the limit of {self.max_comments} comments",
                "TooManyComments")  # fmt: skip
        public = comment.get("public", True)
        if not isinstance(public, bool):
            public = str(public).lower() not in ("false", "0")
        paragraphs = "".join(f'<p dir="auto">{html.escape(p)}</p>' for p in body.split("\n"))
        record = {
            "id": next(self._ids),
            "type": "Comment",
            "author_id": author_id,
            "body": body,
            "html_body": comment.get("html_body")
            or f'<div class="zd-comment" dir="auto">{paragraphs}</div>',
            "plain_body": body,
            "public": public,
            "attachments": [],
            "audit_id": None,
            "via": _via(via),
            "metadata": {"system": {"client": client, "ip_address": "127.0.0.1"}, "custom": {}},
            "created_at": iso(self.clock()),
        }
        self.comments.setdefault(ticket_id, []).append(record)
        return record

    def _audit(
        self, ticket: dict[str, Any], author_id: int, via: str, rows: list[dict[str, Any]]
    ) -> dict[str, Any]:
        audit_id = next(self._ids)
        for row in rows:
            row.setdefault("id", next(self._ids))
            if row["type"] == "Comment":
                self.comments[ticket["id"]][-1]["audit_id"] = audit_id
        return {"id": audit_id, "ticket_id": ticket["id"], "created_at": iso(self.clock()),
                "author_id": author_id, "metadata": {"system": {}, "custom": {}},
                "via": _via(via), "events": rows}  # fmt: skip

    def _create(
        self, fields: dict[str, Any], comment: dict[str, Any], *, actor_id: int,
        requester_id: int, submitter_id: int, via: str, client: str = "",
    ) -> tuple[dict[str, Any], dict[str, Any]]:  # fmt: skip
        with self.lock:
            if requester_id not in self.users:
                raise ZendeskValidationError("requester", "Requester: is invalid")
            self._check(fields)
            ticket_id = next(self._ticket_ids)
            status = fields.get("status") or "new"
            if status == "new" and fields.get("assignee_id") is not None:
                status = "open"  # Zendesk never leaves an assigned ticket "new"
            ticket = copy.deepcopy(TICKET_DEFAULTS)
            ticket.update({k: fields[k] for k in UPDATABLE if fields.get(k) is not None})
            ticket.update(
                id=ticket_id,
                url=f"{self._root()}/api/v2/tickets/{ticket_id}.json",
                subject=fields.get("subject") or "",
                raw_subject=fields.get("subject") or "",
                status=status,
                requester_id=requester_id,
                submitter_id=submitter_id,
                organization_id=fields.get("organization_id")
                or self.users[requester_id]["organization_id"],
                brand_id=fields.get("brand_id") or self.default_brand["id"],
                tags=list(dict.fromkeys(fields.get("tags") or [])),
                via=_via(via),
            )
            # Tickets reference: "The submitter always becomes the author of the first comment".
            author = comment.get("author_id") or submitter_id
            first = self._new_comment(ticket_id, comment, author, via, client)
            ticket.update(description=first["body"], is_public=first["public"])
            self.tickets[ticket_id] = ticket
            self._touch(ticket)
            ticket["created_at"] = ticket["updated_at"]
            rows = [{"type": "Create", "field_name": k, "value": ticket[k]}
                    for k in CREATE_KEYS if ticket[k] not in (None, [], "")]  # fmt: skip
            audit = self._audit(ticket, actor_id, via, [*rows, _comment_row(first)])
            changes = [("created", {}), self._comment_event(first)]
            events = self._events(ticket, changes, actor_id)
        self.webhooks.emit(events)
        return dict(ticket), audit

    def _change(
        self, ticket_id: int, fields: dict[str, Any], comment: dict[str, Any] | None, *,
        actor_id: int, via: str, client: str = "",
    ) -> tuple[dict[str, Any], dict[str, Any]]:  # fmt: skip
        with self.lock:
            ticket = self._live(ticket_id)
            if ticket["status"] == "closed":
                # Body captured from a real account's 422 when updating a closed ticket.
                raise ZendeskValidationError("status", "closed prevents ticket update", "")
            self._check(fields)
            new = {key: fields[key] for key in UPDATABLE if key in fields}
            tags = list(dict.fromkeys(new.get("tags", ticket["tags"])))
            tags += [t for t in fields.get("additional_tags", ()) if t not in tags]
            new["tags"] = [t for t in tags if t not in fields.get("remove_tags", ())]
            assignee = new.get("assignee_id", ticket["assignee_id"])
            if new.get("status", ticket["status"]) == "new" and assignee is not None:
                new["status"] = "open"
            added = None
            if comment:
                author = comment.get("author_id") or actor_id
                added = self._new_comment(ticket_id, comment, author, via, client)
            rows: list[dict[str, Any]] = []
            changes: list[tuple[str, dict[str, Any]]] = []
            for key in UPDATABLE:
                if key not in new or new[key] == ticket[key]:
                    continue
                old, ticket[key] = ticket[key], new[key]
                rows.append({"type": "Change", "field_name": key, "value": new[key],
                             "previous_value": old})  # fmt: skip
                if key == "tags":
                    gained = [t for t in new[key] if t not in old]
                    lost = [t for t in old if t not in new[key]]
                    changes.append((EVENT_KINDS[key], tags_event(gained, lost)))
                elif key in EVENT_KINDS:
                    event = change_event(_wire(key, new[key]), _wire(key, old))
                    changes.append((EVENT_KINDS[key], event))
            if added:
                rows.append(_comment_row(added))
                changes.append(self._comment_event(added))
            if rows:
                self._touch(ticket)
            audit = self._audit(ticket, actor_id, via, rows)
            events = self._events(ticket, changes, actor_id) if changes else []
        self.webhooks.emit(events)
        return dict(ticket), audit
