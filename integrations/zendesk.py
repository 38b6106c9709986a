"""The few Zendesk Support API calls the app makes, with errors it can act on.

Auth is an API token: basic auth with `{email}/token` and the token
(https://developer.zendesk.com/api-reference/introduction/security-and-auth/). Messages never
carry credentials, request headers or bodies.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests

PERMANENT_STATUSES = frozenset({400, 401, 403, 404, 422})


class ZendeskError(Exception):
    """A failed call: HTTP status, a short reason, and how long to wait when rate limited."""

    def __init__(self, status: int, reason: str, retry_after: float | None = None) -> None:
        super().__init__(f"Zendesk answered {status}: {reason}" if status else reason)
        self.status = status
        self.reason = reason
        self.retry_after = retry_after

    @property
    def permanent(self) -> bool:
        """True when retrying the same call cannot succeed."""
        return self.status in PERMANENT_STATUSES


@dataclass(frozen=True)
class ExportPage:
    """One page of the incremental ticket export."""

    tickets: list[dict[str, Any]]
    after_cursor: str | None
    end_of_stream: bool


class ZendeskClient:
    """Internal notes, the incremental export, comments, and names behind ids."""

    def __init__(self, base_url: str, email: str, api_token: str, *, timeout: float = 10) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._http = requests.Session()
        self._http.auth = (f"{email}/token", api_token)
        self._http.headers["Accept"] = "application/json"

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        url = path if path.startswith("http") else f"{self.base_url}{path}"
        try:
            response = self._http.request(method, url, timeout=self.timeout, **kwargs)
        except requests.RequestException as err:
            raise ZendeskError(0, f"cannot reach Zendesk ({type(err).__name__})") from None
        if response.status_code == 429 or response.status_code >= 500:
            raise ZendeskError(response.status_code, _reason(response), _retry_after(response))
        if response.status_code >= 400:
            raise ZendeskError(response.status_code, _reason(response))
        try:
            return response.json()
        except ValueError:
            raise ZendeskError(response.status_code, "the answer was not JSON") from None

    def add_internal_note(self, ticket_id: str, body: str) -> dict[str, Any]:
        """Add a private comment; returns {'comment_id': …}."""
        answer = self._call(
            "PUT",
            f"/api/v2/tickets/{ticket_id}.json",
            json={"ticket": {"comment": {"body": body, "public": False}}},
        )
        events = (answer.get("audit") or {}).get("events") or []
        comment = next((e for e in events if e.get("type") == "Comment"), None)
        if comment is None or comment.get("id") is None:
            raise ZendeskError(200, "the answer named no comment")
        return {"comment_id": str(comment["id"])}

    def add_public_reply(
        self, ticket_id: str, body: str, status: str | None = None
    ) -> dict[str, Any]:
        """Add a public comment (the customer gets it), optionally setting the status;
        returns {'comment_id': …}."""
        ticket: dict[str, Any] = {"comment": {"body": body, "public": True}}
        if status:
            ticket["status"] = status
        answer = self._call("PUT", f"/api/v2/tickets/{ticket_id}.json", json={"ticket": ticket})
        events = (answer.get("audit") or {}).get("events") or []
        comment = next((e for e in events if e.get("type") == "Comment"), None)
        if comment is None or comment.get("id") is None:
            raise ZendeskError(200, "the answer named no comment")
        return {"comment_id": str(comment["id"])}

    def export_tickets(
        self,
        *,
        cursor: str | None = None,
        start_time: int | None = None,
        per_page: int | None = None,
    ) -> ExportPage:
        """A page of tickets changed since `start_time` or after `cursor`."""
        params: dict[str, Any] = {"cursor": cursor} if cursor else {"start_time": start_time}
        if per_page:
            params["per_page"] = per_page
        answer = self._call("GET", "/api/v2/incremental/tickets/cursor.json", params=params)
        return ExportPage(
            list(answer.get("tickets") or []),
            answer.get("after_cursor"),
            bool(answer.get("end_of_stream")),
        )

    def comments(self, ticket_id: str, *, limit_pages: int = 20) -> list[dict[str, Any]]:
        """A ticket's comments, oldest first."""
        found: list[dict[str, Any]] = []
        url: str | None = f"/api/v2/tickets/{ticket_id}/comments.json"
        for _ in range(limit_pages):
            if url is None:
                break
            answer = self._call("GET", url)
            found.extend(answer.get("comments") or [])
            url = answer.get("next_page")
        return found

    def name_of(self, kind: str, external_id: str) -> dict[str, Any]:
        """{'kind', 'id', 'name', 'email', 'phone', 'is_agent'} for a user, group, organisation
        or brand (a user's email and phone come from the Users API: ticket events carry ids)."""
        plural = {
            "user": "users",
            "group": "groups",
            "organization": "organizations",
            "brand": "brands",
        }[kind]
        answer = self._call("GET", f"/api/v2/{plural}/{external_id}.json")
        item = answer.get(kind) or {}
        return {
            "kind": kind,
            "id": external_id,
            "name": str(item.get("name") or f"#{external_id}"),
            "email": item.get("email"),
            "phone": item.get("phone"),
            "is_agent": item.get("role") in ("agent", "admin"),
        }

    def me(self) -> dict[str, Any]:
        """The API user."""
        return dict(self._call("GET", "/api/v2/users/me.json").get("user") or {})


def _reason(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.reason or f"HTTP {response.status_code}"
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            return str(error.get("title") or error.get("message") or "error")[:200]
        detail = body.get("description") or ""
        return f"{error or 'error'}{': ' + str(detail) if detail else ''}"[:200]
    return f"HTTP {response.status_code}"


def _retry_after(response: requests.Response) -> float | None:
    try:
        return max(float(response.headers.get("Retry-After", "")), 1.0)
    except ValueError:
        return None
