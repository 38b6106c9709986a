"""Zendesk's side of the wire for the simulator: webhook events, their delivery, rate windows.

Ticket webhooks follow Zendesk's event-subscribed webhooks, schema version 2022-11-06:
https://developer.zendesk.com/api-reference/webhooks/event-types/webhook-event-types/ and
https://developer.zendesk.com/api-reference/webhooks/event-types/ticket-events/ . Where the docs
are silent, the shapes follow payloads captured from real accounts (ids as strings, enum values in
upper case, `null` for empty fields); see the notes at each function.
"""

from __future__ import annotations

import base64
import json
import math
import secrets
import threading
import urllib.error
import urllib.request
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from integrations.signatures import sign_zendesk

EVENT_PREFIX = "zen:event-type:ticket."
EVENT_VERSION = "2022-11-06"
DeliveryMode = Literal["sync", "queue", "drop"]
DELIVERY_MODES: tuple[str, ...] = ("sync", "queue", "drop")
# Ticket `via.channel` as the REST API reports it -> as event `detail.via.channel` reports it:
# captured ticket.created payloads for API-made tickets say "web_service", never "api".
EVENT_CHANNELS = {"api": "web_service"}


def iso(ts: float) -> str:
    """Seconds-precision ISO 8601 UTC (`2024-04-17T17:18:10Z`), as the REST API writes times."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_nanos(ts: float) -> str:
    """The envelope `time`: real payloads carry nine fractional digits (`...:07.672717030Z`)."""
    whole, frac = divmod(round(ts * 1_000_000_000), 1_000_000_000)
    return datetime.fromtimestamp(whole, UTC).strftime("%Y-%m-%dT%H:%M:%S") + f".{frac:09d}Z"


def _sid(value: Any) -> str | None:
    return None if value is None else str(value)


def _upper(value: str | None) -> str | None:
    return None if value is None else value.upper()


def ticket_detail(ticket: dict[str, Any], *, actor_id: int | None, is_public: bool) -> dict:
    """The `detail` snapshot of a ticket event, with the documented properties only.

    Ids are strings and status/priority/type are upper case, as in captured payloads; empty
    tags arrive as `null` (seen in a captured ticket.attachment_linked_to_comment payload).
    """
    return {
        "actor_id": _sid(actor_id),
        "assignee_id": _sid(ticket["assignee_id"]),
        "brand_id": _sid(ticket["brand_id"]),
        "created_at": ticket["created_at"],
        "custom_status": _sid(ticket["custom_status_id"]),
        "description": ticket["description"],
        "external_id": _sid(ticket["external_id"]),
        "form_id": _sid(ticket["ticket_form_id"]),
        "group_id": _sid(ticket["group_id"]),
        "id": str(ticket["id"]),
        "is_public": is_public,
        "organization_id": _sid(ticket["organization_id"]),
        "priority": _upper(ticket["priority"]),
        "requester_id": _sid(ticket["requester_id"]),
        "status": _upper(ticket["status"]),
        "subject": ticket["subject"],
        "submitter_id": _sid(ticket["submitter_id"]),
        "tags": list(ticket["tags"]) or None,
        "type": _upper(ticket["type"]),
        "updated_at": ticket["updated_at"],
        "via": {"channel": EVENT_CHANNELS.get(ticket["via"]["channel"], ticket["via"]["channel"])},
    }


def change_event(current: Any, previous: Any) -> dict[str, Any]:
    """The `event` of a `*_changed` ticket event: `{current, previous}`."""
    return {"current": current, "previous": previous}


def tags_event(added: Iterable[str], removed: Iterable[str]) -> dict[str, Any]:
    """The `event` of `ticket.tags_changed`."""
    return {"tags_added": list(added), "tags_removed": list(removed)}


def comment_event(comment: dict[str, Any], author: dict[str, Any]) -> dict[str, Any]:
    """The `event` of `ticket.comment_added`; ids are strings as in captured payloads."""
    return {
        "comment": {
            "author": {
                "id": str(author["id"]),
                "is_staff": author["role"] in ("agent", "admin"),
                "name": author["name"],
            },
            "body": comment["body"],
            "html_body": comment["html_body"],
            "id": str(comment["id"]),
            "is_public": comment["public"],
        }
    }


def build_events(
    ticket: dict[str, Any],
    changes: list[tuple[str, dict[str, Any]]],
    *,
    account_id: int,
    actor_id: int | None,
    is_public: bool,
    at: float,
) -> list[dict[str, Any]]:
    """One envelope per change, all sharing one `meta.sequence.id` (one action, one sequence).

    `ticket.created` goes out with an empty `event`, as a captured payload shows; the others
    carry `meta.sequence` {id, position}, the common property the ticket-events page documents.
    """
    sequence = uuid.uuid4().hex.upper()
    detail = ticket_detail(ticket, actor_id=actor_id, is_public=is_public)
    envelopes = []
    for position, (kind, event) in enumerate(changes, start=1):
        body = dict(event)
        if kind != "created":
            body["meta"] = {"sequence": {"id": sequence, "position": position}}
        envelopes.append(
            {
                "account_id": account_id,
                "detail": dict(detail),
                "event": body,
                "id": str(uuid.uuid4()),
                "subject": f"zen:ticket:{ticket['id']}",
                "time": iso_nanos(at),
                "type": EVENT_PREFIX + kind,
                "zendesk_event_version": EVENT_VERSION,
            }
        )
    return envelopes


@dataclass
class WebhookDelivery:
    """One webhook event handed to the outbox: an HTTP attempt, or a deliberately lost event."""

    event_id: str
    ticket_id: int
    payload: dict[str, Any]
    headers: dict[str, str]
    status: int | None
    error: str | None = None
    attempt: int = 1
    lost: bool = False
    response_headers: dict[str, str] = field(default_factory=dict)


class WebhookOutbox:
    """Signs and sends ticket events to one endpoint, or queues or drops them, and keeps a log."""

    def __init__(
        self,
        *,
        url: str | None,
        secret: str,
        clock: Callable[[], float],
        deliver: DeliveryMode = "sync",
        retries: int = 0,
        timeout: float = 12.0,
    ) -> None:
        if deliver not in DELIVERY_MODES:
            raise ValueError(f"deliver must be one of {DELIVERY_MODES}")
        self.url = url
        self.secret = secret
        self.clock = clock
        self.deliver: DeliveryMode = deliver
        self.retries = retries
        # Zendesk gives a receiver 12 s (not adjustable) before logging 504 and retrying.
        self.timeout = timeout
        # Zendesk sends the webhook's own id (ULID-like) in X-Zendesk-Webhook-Id.
        self.webhook_id = "01" + secrets.token_hex(12).upper()
        self.events: list[dict[str, Any]] = []
        self.pending: list[dict[str, Any]] = []
        self.log: list[WebhookDelivery] = []
        self._bodies: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def emit(self, payloads: list[dict[str, Any]]) -> None:
        """Record new events and deliver, queue or drop them according to `deliver`."""
        with self._lock:
            for payload in payloads:
                self.events.append(payload)
                self._bodies[payload["id"]] = json.dumps(
                    payload, sort_keys=True, separators=(",", ":")
                ).encode("utf-8")
            mode = self.deliver
            if mode == "queue":
                self.pending.extend(payloads)
            elif mode == "drop":
                for payload in payloads:
                    self.log.append(
                        WebhookDelivery(
                            payload["id"], _ticket_of(payload), payload, {}, None, lost=True
                        )
                    )
        if mode == "sync":
            for payload in payloads:
                self.send(payload)

    def flush(self) -> list[WebhookDelivery]:
        """Send every queued event, oldest first; returns the final attempt of each."""
        with self._lock:
            queued, self.pending = self.pending, []
        return [self.send(payload) for payload in queued]

    def replay(self, event_id: str) -> WebhookDelivery:
        """Send a recorded event again: same id and body, fresh timestamp and signature."""
        for payload in self.events:
            if payload["id"] == event_id:
                return self.send(payload)
        raise KeyError(event_id)

    def payloads_for(self, ticket_id: int) -> list[dict[str, Any]]:
        """Every event emitted for one ticket, oldest first (sent, queued or dropped)."""
        return [p for p in self.events if _ticket_of(p) == ticket_id]

    def lost(self) -> list[dict[str, Any]]:
        """Events dropped on purpose (deliver="drop"), for reconciliation tests."""
        return [d.payload for d in self.log if d.lost]

    def signed_headers(self, body: bytes) -> dict[str, str]:
        """The headers Zendesk sends with a webhook body, signed now with the signing secret."""
        stamp = iso(self.clock())
        return {
            "Content-Type": "application/json",
            "User-Agent": "Zendesk Webhook",
            "X-Zendesk-Webhook-Id": self.webhook_id,
            "X-Zendesk-Webhook-Signature": sign_zendesk(self.secret, stamp, body),
            "X-Zendesk-Webhook-Signature-Timestamp": stamp,
        }

    def send(self, payload: dict[str, Any]) -> WebhookDelivery:
        """POST one event, retrying as Zendesk documents when `retries` allows; log each try."""
        body = self._bodies[payload["id"]]
        attempt = 1
        while True:
            headers = self.signed_headers(body)
            status, error, answer = self._post(body, headers)
            delivery = WebhookDelivery(
                payload["id"],
                _ticket_of(payload),
                payload,
                headers,
                status,
                error,
                attempt,
                response_headers=answer,
            )
            with self._lock:
                self.log.append(delivery)
            if status is not None and 200 <= status < 300:
                return delivery
            if attempt > self._retry_budget(status, error, answer):
                return delivery
            attempt += 1

    def _retry_budget(self, status: int | None, error: str | None, answer: dict[str, str]) -> int:
        # Zendesk retries only these (developer.zendesk.com/api-reference/webhooks/introduction,
        # "Webhook retries"): 409 up to 3 times; 429/503 when Retry-After is under 60 s;
        # timeouts up to 5 times. Anything else is final. Retries here are immediate.
        if error == "timeout":
            return min(self.retries, 5)
        if status == 409:
            return min(self.retries, 3)
        if status in (429, 503):
            wait = _seconds(answer.get("retry-after"))
            if wait is not None and wait < 60:
                return self.retries
        return 0

    def _post(
        self, body: bytes, headers: dict[str, str]
    ) -> tuple[int | None, str | None, dict[str, str]]:
        if not self.url or not self.url.startswith(("http://", "https://")):
            return None, f"no usable webhook_url: {self.url!r}", {}
        request = urllib.request.Request(self.url, body, headers, method="POST")  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:  # noqa: S310
                return answer.status, None, {k.lower(): v for k, v in answer.headers.items()}
        except urllib.error.HTTPError as err:
            return err.code, None, {k.lower(): v for k, v in err.headers.items()}
        except TimeoutError:
            return None, "timeout", {}
        except (urllib.error.URLError, OSError) as err:
            reason = getattr(err, "reason", err)
            if isinstance(reason, TimeoutError):
                return None, "timeout", {}
            return None, f"connection failed: {reason}", {}


def _ticket_of(payload: dict[str, Any]) -> int:
    return int(payload["subject"].rsplit(":", 1)[1])


def _seconds(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


class RateWindow:
    """A requests-per-rolling-minute budget on the simulator clock."""

    def __init__(self, limit: int, clock: Callable[[], float], period: float = 60.0) -> None:
        self.limit = limit
        self.clock = clock
        self.period = period
        self._hits: deque[float] = deque()
        self._lock = threading.Lock()

    def take(self) -> int | None:
        """Spend one request; None when allowed, else the Retry-After seconds (nothing spent)."""
        with self._lock:
            now = self.clock()
            while self._hits and self._hits[0] <= now - self.period:
                self._hits.popleft()
            if len(self._hits) >= self.limit:
                return max(1, math.ceil(self._hits[0] + self.period - now))
            self._hits.append(now)
            return None

    def remaining(self) -> int:
        """Requests left in the current window."""
        with self._lock:
            now = self.clock()
            return self.limit - sum(1 for hit in self._hits if hit > now - self.period)


def encode_cursor(generated: int, ticket_id: int) -> str:
    """An export cursor in Zendesk's observed form: base64 of `{timestamp}.0||{id}|`."""
    return base64.b64encode(f"{generated}.0||{ticket_id}|".encode()).decode("ascii")


def decode_cursor(cursor: str) -> tuple[int, int] | None:
    """The (generated_timestamp, ticket id) position a cursor points after; None if malformed."""
    try:
        stamp, _, rest = base64.b64decode(cursor, validate=True).decode().partition("||")
        return int(float(stamp)), int(rest.rstrip("|"))
    except (ValueError, UnicodeDecodeError):
        return None
