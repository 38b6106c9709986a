"""The receiving end of the generic helpdesk callback, as README documents it.

It checks what a careful desk would: the signature (`X-Helpdesk-Signature: sha256=<hex
HMAC-SHA256 of "<X-Helpdesk-Timestamp>.<raw body>">`), a timestamp at most five minutes old,
the schema, and the `Idempotency-Key` header matching the body's key. A repeated key is
answered like the first time and applied once, so tests count notes and replies exactly.
Failure injection (an outage, a refusal, a lost answer) comes from SimulatorServer.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import time
from collections.abc import Callable
from typing import Any

from integrations.simulators.base import SimRequest, SimResponse, SimulatorServer
from integrations.simulators.zendesk.events import RateWindow

KINDS = ("ticket.note", "ticket.reply")
STATUSES = ("open", "pending", "solved")
MAX_AGE = 300


class HelpdeskReceiver(SimulatorServer):
    """Receives signed callbacks; `received` holds each applied one, once per key."""

    name = "helpdesk"

    def __init__(
        self,
        secret: str,
        *,
        clock: Callable[[], float] = time.time,
        requests_per_minute: int | None = None,
    ) -> None:
        super().__init__(clock)
        self.secret = secret
        self.received: list[dict[str, Any]] = []
        self.by_key: dict[str, dict[str, Any]] = {}
        self.duplicates = 0
        self.statuses: dict[str, str] = {}
        self.limit = RateWindow(requests_per_minute, clock) if requests_per_minute else None
        self._ids = itertools.count(1)
        self.route("POST", "/callback", "callback", self._http_callback)

    @property
    def url(self) -> str:
        """The HELPDESK_CALLBACK_URL to configure."""
        return f"{self.base_url}/callback"

    def notes(self, ticket_id: str) -> list[str]:
        """Bodies of the internal notes applied to a ticket, in order."""
        return [e["comment"]["body"] for e in self._for(ticket_id, "ticket.note")]

    def replies(self, ticket_id: str) -> list[str]:
        """Bodies of the public replies applied to a ticket, in order."""
        return [e["comment"]["body"] for e in self._for(ticket_id, "ticket.reply")]

    def _for(self, ticket_id: str, kind: str) -> list[dict[str, Any]]:
        with self.lock:
            return [e for e in self.received if e["ticket_id"] == ticket_id and e["type"] == kind]

    def authenticate(self, request: SimRequest, route: str) -> SimResponse | None:
        """The signature over `<timestamp>.<body>`, a fresh timestamp, then the rate limit."""
        stamp = request.header("x-helpdesk-timestamp")
        given = request.header("x-helpdesk-signature")
        digest = hmac.new(
            self.secret.encode(), stamp.encode() + b"." + request.body, hashlib.sha256
        ).hexdigest()
        if not hmac.compare_digest("sha256=" + digest, given):
            return SimResponse(401, {"error": "invalid signature"})
        if not stamp.isdigit() or abs(self.clock() - int(stamp)) > MAX_AGE:
            return SimResponse(401, {"error": "stale timestamp"})
        if self.limit is not None:
            wait = self.limit.take()
            if wait is not None:
                return SimResponse(429, {"error": "rate limited"}, {"Retry-After": str(wait)})
        return None

    def _http_callback(self, request: SimRequest) -> SimResponse:
        event = request.json
        key = request.header("idempotency-key")
        problem = _invalid(event, key)
        if problem:
            return SimResponse(422, {"error": problem})
        with self.lock:
            known = self.by_key.get(key)
            if known is not None:
                self.duplicates += 1
                return SimResponse(200, {"comment_id": known["comment_id"], "duplicate": True})
            applied = {**event, "comment_id": next(self._ids), "received_at": self.clock()}
            self.by_key[key] = applied
            self.received.append(applied)
            if event.get("status"):
                self.statuses[event["ticket_id"]] = event["status"]
        return SimResponse(200, {"comment_id": applied["comment_id"]})


def _invalid(event: Any, key: str) -> str | None:
    """What is wrong with a callback body, or None."""
    if not isinstance(event, dict):
        return "body must be a JSON object"
    if event.get("type") not in KINDS:
        return f"type must be one of {', '.join(KINDS)}"
    if not key or event.get("idempotency_key") != key:
        return "Idempotency-Key header must equal the body's idempotency_key"
    if not isinstance(event.get("ticket_id"), str) or not event["ticket_id"]:
        return "ticket_id is required"
    if not isinstance(event.get("source"), str) or not event["source"]:
        return "source is required"
    comment = event.get("comment")
    if not isinstance(comment, dict) or not isinstance(comment.get("body"), str):
        return "comment.body is required"
    if comment.get("public") is not (event["type"] == "ticket.reply"):
        return "comment.public must be true for a reply and false for a note"
    if event.get("status") not in (None, *STATUSES):
        return f"status must be one of {', '.join(STATUSES)}"
    return None
