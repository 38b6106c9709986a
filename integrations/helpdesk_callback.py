"""The generic helpdesk's way back: internal notes and public replies POSTed as signed JSON.

Signed like the inbound webhook (integrations.signatures.sign_helpdesk): `X-Helpdesk-Timestamp`
(Unix seconds) and `X-Helpdesk-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">`
with HELPDESK_WEBHOOK_SECRET. Every request carries `Idempotency-Key` (also in the body): a
retry sends the same key, so the desk applies each note or reply once. The schema is in README.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import requests

from integrations.signatures import sign_helpdesk

PERMANENT_STATUSES = frozenset({400, 401, 403, 404, 410, 422})


class HelpdeskError(Exception):
    """A callback the desk did not take: HTTP status (0 when unreachable), reason, wait."""

    def __init__(self, status: int, reason: str, retry_after: float | None = None) -> None:
        super().__init__(f"the helpdesk answered {status}: {reason}" if status else reason)
        self.status = status
        self.reason = reason
        self.retry_after = retry_after

    @property
    def permanent(self) -> bool:
        """True when sending the same callback again cannot succeed."""
        return self.status in PERMANENT_STATUSES


class HelpdeskCallback:
    """POSTs notes and replies to HELPDESK_CALLBACK_URL."""

    def __init__(
        self,
        url: str,
        secret: str,
        *,
        timeout: float = 10,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.url = url
        self._secret = secret
        self.timeout = timeout
        self.clock = clock
        self._http = requests.Session()

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
        """POST one `ticket.note` or `ticket.reply`; returns {'comment_id': …} when the desk
        names the comment it made."""
        event: dict[str, Any] = {
            "type": kind,
            "idempotency_key": idempotency_key,
            "source": source,
            "ticket_id": ticket_id,
            "comment": {"body": body, "public": kind == "ticket.reply", "author": author},
        }
        if status:
            event["status"] = status
        raw = json.dumps(event, separators=(",", ":")).encode()
        stamp = str(int(self.clock()))
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": idempotency_key,
            "X-Helpdesk-Timestamp": stamp,
            "X-Helpdesk-Signature": sign_helpdesk(self._secret, stamp, raw),
        }
        try:
            response = self._http.post(self.url, data=raw, headers=headers, timeout=self.timeout)
        except requests.RequestException as err:
            raise HelpdeskError(0, f"cannot reach the helpdesk ({type(err).__name__})") from None
        if response.status_code == 429 or response.status_code >= 500:
            raise HelpdeskError(response.status_code, _reason(response), _retry_after(response))
        if response.status_code >= 400:
            raise HelpdeskError(response.status_code, _reason(response))
        try:
            answer = response.json()
        except ValueError:
            answer = {}
        comment_id = answer.get("comment_id") if isinstance(answer, dict) else None
        return {"comment_id": str(comment_id or f"callback:{idempotency_key}")}


def _reason(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return (response.reason or f"HTTP {response.status_code}")[:200]
    if isinstance(body, dict) and body.get("error"):
        return str(body["error"])[:200]
    return f"HTTP {response.status_code}"


def _retry_after(response: requests.Response) -> float | None:
    try:
        return max(float(response.headers.get("Retry-After", "")), 1.0)
    except ValueError:
        return None
