"""POST /webhooks/jira: Jira admin webhooks (`jira:issue_updated`) signed with a secret."""

from __future__ import annotations

import hashlib
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from bot.bugs.state import state_of_webhook
from handlers.deps import Deps
from handlers.limits import BodyError, decode_json, refuse
from handlers.webhooks.common import ignored, store
from integrations.signatures import verify_jira

DESCRIPTION = """Jira Cloud admin webhook for `jira:issue_updated`, registered with a secret
(JIRA_WEBHOOK_SECRET): Jira sends `X-Hub-Signature: sha256=<hex HMAC-SHA256 of the raw body>`.
Deliveries are deduplicated on `X-Atlassian-Webhook-Identifier` (stable across Jira's retries).
Answers: 200 stored (`"duplicate": true` for a repeat), 202 other events, 400 malformed,
401 missing or bad signature, 503 when no secret is configured."""
EVENT = "jira:issue_updated"
PATH = "/webhooks/jira"


def register(api: FastAPI, deps: Deps) -> None:
    """Add the route."""

    @api.post(PATH, tags=["webhooks"], summary="Jira issue updates", description=DESCRIPTION)
    async def jira(request: Request) -> JSONResponse:
        def bad(reason: str, status: int = 400) -> JSONResponse:
            return refuse(PATH, reason, status)

        body = await request.body()
        secret = deps.settings.secret("jira_webhook_secret")
        if not secret:
            return bad("the Jira webhook is not configured (JIRA_WEBHOOK_SECRET)", 503)
        if not verify_jira(secret, body, request.headers.get("x-hub-signature", "")):
            return bad("missing or invalid signature", 401)
        try:
            payload = decode_json(body)
        except BodyError as err:
            return bad(str(err))
        if not isinstance(payload, dict) or not isinstance(payload.get("webhookEvent"), str):
            return bad("body has no webhookEvent")
        event = payload["webhookEvent"]
        if event != EVENT:
            return ignored("jira", event, "not an issue update")
        try:
            state = state_of_webhook(payload)
        except ValueError as err:
            return bad(str(err))
        identifier = request.headers.get("x-atlassian-webhook-identifier") or (
            "sha256:" + hashlib.sha256(body).hexdigest()
        )
        changelog = payload.get("changelog") if isinstance(payload.get("changelog"), dict) else {}
        kind = _short(payload.get("issue_event_type_name"))
        return await store(
            deps,
            source="jira",
            external_id=identifier,
            event_type=kind or event,
            payload={
                "state": state.to_json(),
                "event": kind,
                "changelog": _short(changelog.get("id")),
                "timestamp": payload.get("timestamp"),
            },
        )


def _short(value: Any) -> str | None:
    """An identifying string or number from the body, as a short string (else None)."""
    if isinstance(value, bool) or not isinstance(value, str | int) or value == "":
        return None
    return str(value)[:64]
