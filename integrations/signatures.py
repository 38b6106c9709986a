"""Webhook signature schemes: signing (used by the simulators) and verification (used by the app).

- Slack: https://api.slack.com/authentication/verifying-requests-from-slack
  `v0=` + hex HMAC-SHA256 of `v0:{timestamp}:{body}`; timestamp in Unix seconds.
- Zendesk: https://developer.zendesk.com/documentation/webhooks/verifying/
  base64 HMAC-SHA256 of `{timestamp}{body}` (no separator); the timestamp is ISO 8601.
- Jira admin webhooks with a secret: `X-Hub-Signature: sha256=` + hex HMAC-SHA256 of the body
  (WebSub style; see developer.atlassian.com/cloud/jira/platform/webhooks/#secure-admin-webhooks).
- Generic helpdesk (ours): `X-Helpdesk-Signature: sha256=` + hex HMAC-SHA256 of
  `{timestamp}.{body}`, `X-Helpdesk-Timestamp` in Unix seconds.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime

MAX_AGE_SECONDS = 300


def _hmac(secret: str, message: bytes) -> bytes:
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).digest()


def sign_slack(secret: str, timestamp: str, body: bytes) -> str:
    """The `X-Slack-Signature` value for a request body."""
    return "v0=" + _hmac(secret, b"v0:" + timestamp.encode() + b":" + body).hex()


def sign_zendesk(secret: str, timestamp: str, body: bytes) -> str:
    """The `X-Zendesk-Webhook-Signature` value for a webhook body."""
    return base64.b64encode(_hmac(secret, timestamp.encode() + body)).decode("ascii")


def sign_jira(secret: str, body: bytes) -> str:
    """The `X-Hub-Signature` value Jira sends for a webhook registered with a secret."""
    return "sha256=" + _hmac(secret, body).hex()


def sign_helpdesk(secret: str, timestamp: str, body: bytes) -> str:
    """The `X-Helpdesk-Signature` value for the generic helpdesk webhook."""
    return "sha256=" + _hmac(secret, timestamp.encode() + b"." + body).hex()


def _fresh(sent_at: float | None, now: float) -> bool:
    return sent_at is not None and abs(now - sent_at) <= MAX_AGE_SECONDS


def _unix(value: str) -> float | None:
    try:
        return float(int(value))
    except (TypeError, ValueError):
        return None


def _iso(value: str) -> float | None:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (TypeError, ValueError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def verify_slack(secret: str, timestamp: str, body: bytes, signature: str, now: float) -> bool:
    """True when a Slack request is signed with `secret` and at most five minutes old."""
    if not secret or not _fresh(_unix(timestamp), now):
        return False
    return hmac.compare_digest(sign_slack(secret, timestamp, body), signature or "")


def verify_zendesk(secret: str, timestamp: str, body: bytes, signature: str, now: float) -> bool:
    """True when a Zendesk webhook is signed with `secret` and at most five minutes old."""
    if not secret or not _fresh(_iso(timestamp), now):
        return False
    return hmac.compare_digest(sign_zendesk(secret, timestamp, body), signature or "")


def verify_jira(secret: str, body: bytes, signature: str) -> bool:
    """True when a Jira webhook carries the HMAC of `secret` (Jira sends no timestamp)."""
    if not secret:
        return False
    return hmac.compare_digest(sign_jira(secret, body), signature or "")


def verify_helpdesk(secret: str, timestamp: str, body: bytes, signature: str, now: float) -> bool:
    """True when a generic helpdesk webhook is signed with `secret` and fresh."""
    if not secret or not _fresh(_unix(timestamp), now):
        return False
    return hmac.compare_digest(sign_helpdesk(secret, timestamp, body), signature or "")
