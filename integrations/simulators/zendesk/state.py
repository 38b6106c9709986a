"""The records of the simulated Zendesk account and the builders tests use to set them up.

`ZendeskAccount` is mixed into `ZendeskSimulator`. It holds users, organizations, groups,
brands, tickets and comments in the JSON shapes of the Ticketing API, and offers builders that
change them the way people in Zendesk would: each ticket change bumps `updated_at` on the
simulator clock and emits webhook events, through the same rules as the API (`zendesk_tickets`).
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Iterable
from typing import Any

from integrations.simulators.zendesk.events import iso
from integrations.simulators.zendesk.tickets import TicketEngine

USER_DEFAULTS: dict[str, Any] = {
    **dict.fromkeys(
        (
            "external_id",
            "signature",
            "photo",
            "default_group_id",
            "custom_role_id",
            "role_type",
            "last_login_at",
        ),
        None,
    ),  # fmt: skip
    **dict.fromkeys(("suspended", "shared", "shared_agent", "only_private_comments"), False),
    "active": True,
    "verified": True,
    "locale": "en-US",
    "locale_id": 1,
    "alias": "",
    "details": "",
    "notes": "",
    "tags": [],
    "user_fields": {},
}
ORGANIZATION_DEFAULTS: dict[str, Any] = {
    **dict.fromkeys(("external_id", "group_id"), None),
    **dict.fromkeys(("shared_tickets", "shared_comments"), False),
    "details": "",
    "notes": "",
    "domain_names": [],
    "tags": [],
    "organization_fields": {},
}
GROUP_DEFAULTS: dict[str, Any] = {
    "description": "", "default": False, "deleted": False, "is_public": True,
}  # fmt: skip
BRAND_DEFAULTS: dict[str, Any] = {
    **dict.fromkeys(("host_mapping", "logo"), None),
    **dict.fromkeys(("has_help_center", "is_deleted"), False),
    "help_center_state": "disabled",
    "active": True,
    "ticket_form_ids": [],
    "signature_template": "{{agent.signature}}",
}


class _Unset:
    """Marks an `update_ticket` keyword the caller left out (None means "clear it")."""


UNSET = _Unset()


class ZendeskAccount(TicketEngine):
    """Records and test builders of one Zendesk account (a mixin for the simulator)."""

    subdomain: str

    def _init_account(self, email: str, max_comments: int) -> None:
        self.max_comments = max_comments
        self.users = {}
        self.organizations = {}
        self.groups = {}
        self.brands = {}
        self.tickets = {}
        self.comments = {}
        # Zendesk ids are large integers; tickets count from 1 per account.
        self._ids = itertools.count(8_447_388_090_001)
        self._ticket_ids = itertools.count(1)
        self.default_brand = self.add_brand(self.subdomain.capitalize(), default=True)
        self.me = self.add_agent("API Agent", email=email, role="admin")

    def _root(self) -> str:
        return f"https://{self.subdomain}.zendesk.com"

    def _store(self, table: dict[int, dict[str, Any]], kind: str, record: dict[str, Any],
               defaults: dict[str, Any]) -> dict[str, Any]:  # fmt: skip
        now = iso(self.clock())
        with self.lock:
            record = {**copy.deepcopy(defaults), **record}
            record.setdefault("id", next(self._ids))
            record.update(url=f"{self._root()}/api/v2/{kind}/{record['id']}.json",
                          created_at=now, updated_at=now)  # fmt: skip
            table[record["id"]] = record
        return record

    # ---- people and places ------------------------------------------------------------------
    def add_user(
        self, name: str, *, email: str | None = None, role: str = "end-user",
        organization_id: int | None = None, phone: str | None = None, id: int | None = None,
        time_zone: str = "Pacific Time (US & Canada)",
        iana_time_zone: str = "America/Los_Angeles",
    ) -> dict[str, Any]:  # fmt: skip
        """Add a user (an end-user unless `role` says "agent" or "admin"); returns the record."""
        staff = role != "end-user"
        user = {"name": name, "email": email, "role": role, "organization_id": organization_id,
                "phone": phone, "time_zone": time_zone, "iana_time_zone": iana_time_zone,
                "moderator": staff, "restricted_agent": not staff,
                "ticket_restriction": None if staff else "requested"}  # fmt: skip
        if id is not None:
            user["id"] = id
        return self._store(self.users, "users", user, USER_DEFAULTS)

    def add_agent(
        self, name: str, *, email: str | None = None, role: str = "agent", **kwargs: Any
    ) -> dict[str, Any]:
        """Add an agent (or an admin); takes the same keywords as `add_user`."""
        return self.add_user(name, email=email, role=role, **kwargs)

    def add_organization(self, name: str) -> dict[str, Any]:
        """Add an organization."""
        return self._store(self.organizations, "organizations", {"name": name},
                           ORGANIZATION_DEFAULTS)  # fmt: skip

    def add_group(self, name: str) -> dict[str, Any]:
        """Add an agent group."""
        return self._store(self.groups, "groups", {"name": name}, GROUP_DEFAULTS)

    def add_brand(self, name: str, *, default: bool = False) -> dict[str, Any]:
        """Add a brand (the account starts with one default brand)."""
        sub = "".join(ch for ch in name.lower() if ch.isalnum()) or self.subdomain
        brand = {"name": name, "subdomain": sub, "brand_url": f"https://{sub}.zendesk.com",
                 "default": default}  # fmt: skip
        return self._store(self.brands, "brands", brand, BRAND_DEFAULTS)

    # ---- tickets --------------------------------------------------------------------------------
    def create_ticket(
        self, subject: str, description: str, *, requester_id: int,
        priority: str | None = None, status: str = "new", assignee_id: int | None = None,
        group_id: int | None = None, brand_id: int | None = None, tags: Iterable[str] = (),
        organization_id: int | None = None, type: str | None = None,
    ) -> dict[str, Any]:  # fmt: skip
        """Create a ticket as its requester would on the web; emits created + comment_added."""
        fields = {"subject": subject, "priority": priority, "status": status, "type": type,
                  "assignee_id": assignee_id, "group_id": group_id, "brand_id": brand_id,
                  "tags": list(tags), "organization_id": organization_id}  # fmt: skip
        ticket, _ = self._create(fields, {"body": description}, actor_id=requester_id,
                                 requester_id=requester_id, submitter_id=requester_id,
                                 via="web")  # fmt: skip
        return self.tickets[ticket["id"]]

    def add_comment(
        self, ticket_id: int, body: str, *, author_id: int, public: bool = True
    ) -> dict[str, Any]:
        """Add a public reply or internal note by `author_id`; emits comment_added."""
        comment = {"body": body, "public": public, "author_id": author_id}
        self._change(ticket_id, {}, comment, actor_id=author_id, via="web")
        return self.comments[ticket_id][-1]

    def update_ticket(
        self, ticket_id: int, *, actor_id: int | None = None, status: str | _Unset = UNSET,
        priority: str | None | _Unset = UNSET, assignee_id: int | None | _Unset = UNSET,
        group_id: int | None | _Unset = UNSET, tags: Iterable[str] | _Unset = UNSET,
        subject: str | _Unset = UNSET, type: str | None | _Unset = UNSET,
    ) -> dict[str, Any]:  # fmt: skip
        """Change ticket fields as an agent would; emits one event per changed field."""
        given = {"status": status, "priority": priority, "assignee_id": assignee_id,
                 "group_id": group_id, "subject": subject, "type": type}  # fmt: skip
        fields: dict[str, Any] = {k: v for k, v in given.items() if not isinstance(v, _Unset)}
        if not isinstance(tags, _Unset):
            fields["tags"] = list(tags)
        self._change(ticket_id, fields, None, actor_id=actor_id or self.me["id"], via="web")
        return self.tickets[ticket_id]

    def solve(self, ticket_id: int, *, actor_id: int | None = None) -> dict[str, Any]:
        """Set a ticket to solved."""
        return self.update_ticket(ticket_id, actor_id=actor_id, status="solved")

    def close(self, ticket_id: int, *, actor_id: int | None = None) -> dict[str, Any]:
        """Set a ticket to closed, after which Zendesk refuses every update."""
        return self.update_ticket(ticket_id, actor_id=actor_id, status="closed")

    def delete_ticket(self, ticket_id: int) -> None:
        """Soft-delete a ticket: 404 from the API, status "deleted" in the export."""
        with self.lock:
            ticket = self._live(ticket_id)
            ticket["status"] = "deleted"
            self._touch(ticket)
            events = self._events(ticket, [("soft_deleted", {})], self.me["id"])
        self.webhooks.emit(events)
