"""Webhook delivery for the Jira simulator: sync, queued or dropped, signed, redeliverable.

Headers as Jira Cloud sends them to an admin webhook (see developer.atlassian.com/cloud/jira/
platform/webhooks/): `X-Atlassian-Webhook-Identifier` (one per delivery, the same on every
retry — the receiver's dedup key), `X-Atlassian-Webhook-Retry` (retry count, absent on the
first attempt), `X-Atlassian-Webhook-Flow: Primary`, `X-Hub-Signature: sha256=<hex HMAC of
the body>` only when the webhook has a secret, `User-Agent: Atlassian Webhook HTTP Client`.
Jira retries on 408, 409, 425, 429, any 5xx and connection failures; here retries happen
only when a test asks (`redeliver`, `retry_failed`), so nothing depends on wall-clock time.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests

from integrations.signatures import sign_jira

MODES = ("sync", "queue", "drop")
RETRYABLE = {408, 409, 425, 429}


@dataclass
class WebhookAttempt:
    """One POST of a delivery to the receiver."""

    identifier: str
    event: str
    payload: dict[str, Any]
    headers: dict[str, str]
    retry: int
    status: int | None
    error: str | None
    at: float

    @property
    def ok(self) -> bool:
        """True when the receiver answered 2xx."""
        return self.status is not None and 200 <= self.status < 300


@dataclass
class WebhookDelivery:
    """One webhook event with a stable identifier, and the attempts made to deliver it."""

    identifier: str
    event: str
    payload: dict[str, Any]
    body: bytes
    attempts: list[WebhookAttempt] = field(default_factory=list)
    dropped: bool = False

    @property
    def delivered(self) -> bool:
        """True once some attempt got a 2xx."""
        return any(a.ok for a in self.attempts)

    @property
    def retryable(self) -> bool:
        """True when Jira would retry: last attempt failed with 408/409/425/429/5xx or no answer."""
        if not self.attempts or self.delivered:
            return False
        status = self.attempts[-1].status
        return status is None or status in RETRYABLE or status >= 500


class WebhookSender:
    """Holds the delivery mode, the queue and the log; posts with `requests`."""

    def __init__(
        self,
        url: str | None,
        secret: str | None,
        clock: Callable[[], float] = time.time,
        events: tuple[str, ...] = ("jira:issue_updated",),
    ) -> None:
        self.url = url
        self.secret = secret
        self.clock = clock
        self.events = events
        self.mode = "sync"
        self.timeout = 10.0
        self.deliveries: dict[str, WebhookDelivery] = {}
        self.pending: list[WebhookDelivery] = []
        self.log: list[WebhookAttempt] = []
        self._lock = threading.Lock()

    def emit(
        self, event: str, payload: dict[str, Any], deliver: str | None = None
    ) -> WebhookDelivery | None:
        """Record an event and deliver it per mode; None when the webhook is not subscribed."""
        mode = deliver or self.mode
        if mode not in MODES:
            raise ValueError(f"deliver must be one of {MODES}, not {mode!r}")
        if event not in self.events or not self.url:
            return None
        body = json.dumps(payload, separators=(",", ":")).encode("utf-8")
        delivery = WebhookDelivery(str(uuid.uuid4()), event, payload, body, dropped=mode == "drop")
        with self._lock:
            self.deliveries[delivery.identifier] = delivery
            if mode == "queue":
                self.pending.append(delivery)
        if mode == "sync":
            self._post(delivery)
        return delivery

    def flush(self) -> list[WebhookAttempt]:
        """Deliver every queued webhook, oldest first."""
        with self._lock:
            queued, self.pending = self.pending, []
        return [self._post(d) for d in queued]

    def redeliver(self, identifier: str) -> WebhookAttempt:
        """Send a delivery again as Jira's retry does: same identifier and body, retry header."""
        with self._lock:
            delivery = self.deliveries[identifier]
        return self._post(delivery)

    def retry_failed(self) -> list[WebhookAttempt]:
        """Retry every delivery whose last attempt Jira would retry."""
        with self._lock:
            failed = [d for d in self.deliveries.values() if d.retryable]
        return [self._post(d) for d in failed]

    def _post(self, delivery: WebhookDelivery) -> WebhookAttempt:
        retry = len(delivery.attempts)
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "Atlassian Webhook HTTP Client",
            "X-Atlassian-Webhook-Identifier": delivery.identifier,
            "X-Atlassian-Webhook-Flow": "Primary",
        }
        if retry:
            headers["X-Atlassian-Webhook-Retry"] = str(retry)
        if self.secret:
            headers["X-Hub-Signature"] = sign_jira(self.secret, delivery.body)
        status: int | None = None
        error: str | None = None
        try:
            answer = requests.post(
                str(self.url), data=delivery.body, headers=headers, timeout=self.timeout
            )
            status = answer.status_code
        except requests.RequestException as exc:
            error = type(exc).__name__
        attempt = WebhookAttempt(
            delivery.identifier,
            delivery.event,
            delivery.payload,
            headers,
            retry,
            status,
            error,
            self.clock(),
        )
        with self._lock:
            delivery.attempts.append(attempt)
            self.log.append(attempt)
        return attempt
