"""The outside-world clients one process uses, built once by the composition root.

The Zendesk and Jira clients are typed by what the executors and sweeps call on them, so a
test double or another implementation fits without the concrete classes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from slack_sdk import WebClient

from integrations.pacing import Pacer
from integrations.zendesk import ExportPage


class ZendeskApi(Protocol):
    """What the app asks of Zendesk: internal notes, the export, comments, names."""

    def add_internal_note(self, ticket_id: str, body: str) -> dict[str, Any]:
        """Add a private comment; returns {'comment_id': …}."""
        ...

    def add_public_reply(
        self, ticket_id: str, body: str, status: str | None = None
    ) -> dict[str, Any]:
        """Add a public comment, optionally setting the status; returns {'comment_id': …}."""
        ...

    def export_tickets(
        self,
        *,
        cursor: str | None = None,
        start_time: int | None = None,
        per_page: int | None = None,
    ) -> ExportPage:
        """A page of tickets changed since `start_time` or after `cursor`."""
        ...

    def comments(self, ticket_id: str) -> list[dict[str, Any]]:
        """A ticket's comments, oldest first."""
        ...

    def name_of(self, kind: str, external_id: str) -> dict[str, Any]:
        """{'kind', 'id', 'name', 'email', 'is_agent'} for a user, group, organisation or brand."""
        ...


class HelpdeskApi(Protocol):
    """What the app asks of the generic helpdesk: notes and public replies, by callback."""

    def send(
        self,
        *,
        kind: str,
        source: str,
        ticket_id: str,
        body: str,
        idempotency_key: str,
        author: str | None = None,
        status: str | None = None,
    ) -> dict[str, Any]:
        """POST a `ticket.note` or `ticket.reply`; returns {'comment_id': …}."""
        ...


class JiraApi(Protocol):
    """What the app asks of Jira: file and find issues, link and comment, poll, metadata."""

    def browse_url(self, key: str) -> str:
        """The human link to an issue."""
        ...

    def create_issue(self, fields: dict[str, Any]) -> dict[str, Any]:
        """Create an issue; returns its REST JSON."""
        ...

    def find_filed(self, project: str, label: str, summary: str) -> dict[str, Any] | None:
        """An issue created earlier for this label and summary."""
        ...

    def issue(self, key: str) -> dict[str, Any]:
        """An issue's key and status fields."""
        ...

    def add_remote_link(self, key: str, *, url: str, title: str, global_id: str) -> None:
        """Add (or, by `global_id`, update) a link from the issue to a page outside Jira."""
        ...

    def delete_remote_link(self, key: str, global_id: str) -> bool:
        """Remove a remote link by its global id; False when it was not there."""
        ...

    def add_comment(self, key: str, body: str) -> str:
        """Comment on an issue; returns the comment id."""
        ...

    def statuses(self, keys: Sequence[str]) -> tuple[list[dict[str, Any]], list[str]]:
        """The status fields of up to 100 issues, and the keys Jira lacks."""
        ...

    def metadata(self, default_project: str | None) -> dict[str, Any]:
        """Projects (issue types, components) and priorities, the default project first."""
        ...


@dataclass
class Clients:
    """Slack always; Zendesk, the generic helpdesk's callback and Jira when configured."""

    slack: WebClient
    zendesk: ZendeskApi | None = None
    helpdesk: HelpdeskApi | None = None  # the generic helpdesk's callback
    jira: JiraApi | None = None
    # The Update Ticket budget notes and public replies to Zendesk share (one per process)
    zendesk_pace: Pacer | None = None
    # Jira with timeouts short enough for Slack's options requests
    jira_search: JiraApi | None = None
