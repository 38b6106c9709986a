"""POST /webhooks/helpdesk: the generic, signed helpdesk webhook (schema in README)."""

from __future__ import annotations

import hashlib

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from bot.tickets import generic as helpdesk_generic
from bot.tickets import intake
from bot.tickets.intake import PayloadError
from handlers.deps import Deps
from handlers.limits import BodyError, decode_json, refuse
from handlers.webhooks.common import ignored, store
from integrations.signatures import verify_helpdesk

DESCRIPTION = """Events from any helpdesk. Sign each request with HELPDESK_WEBHOOK_SECRET:
`X-Helpdesk-Timestamp: <unix seconds>` and
`X-Helpdesk-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>">`.
Requests older than 5 minutes are refused. Duplicate `event_id`s are accepted and ignored."""
PATH = "/webhooks/helpdesk"


def register(api: FastAPI, deps: Deps) -> None:
    """Add the route, documenting the body schema on the OpenAPI page."""

    @api.post(
        PATH,
        tags=["webhooks"],
        summary="Generic helpdesk events",
        description=DESCRIPTION,
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": helpdesk_generic.schema()}},
            }
        },
    )
    async def generic(request: Request) -> JSONResponse:
        def bad(reason: str, status: int = 400) -> JSONResponse:
            return refuse(PATH, reason, status)

        body = await request.body()
        secret = deps.settings.secret("helpdesk_webhook_secret")
        if not secret:
            return bad("the helpdesk webhook is not configured (HELPDESK_WEBHOOK_SECRET)", 503)
        valid = verify_helpdesk(
            secret,
            request.headers.get("x-helpdesk-timestamp", ""),
            body,
            request.headers.get("x-helpdesk-signature", ""),
            deps.clock().timestamp(),
        )
        if not valid:
            return bad("invalid or stale signature", 401)
        try:
            raw = decode_json(body)
            status, event, key = helpdesk_generic.parse(raw, hashlib.sha256(body).hexdigest())
        except (BodyError, PayloadError) as err:
            return bad(str(err))
        assert event is not None
        if status == "ignored":
            return ignored("helpdesk", event.type, "unknown event type")
        return await store(
            deps,
            source="helpdesk",
            external_id=f"{event.source}:{key}",
            event_type=event.type,
            payload=event.model_dump(mode="json"),
            subject=intake.subject(event.source, event.ticket.id),
        )
