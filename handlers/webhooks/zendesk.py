"""POST /webhooks/zendesk: Zendesk event-subscribed webhooks for tickets."""

from __future__ import annotations

import json

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from bot.tickets import intake
from handlers.deps import Deps
from handlers.webhooks.common import bad, ignored, store
from integrations.signatures import verify_zendesk


def register(api: FastAPI, deps: Deps) -> None:
    """Add the route."""

    @api.post(
        "/webhooks/zendesk",
        tags=["webhooks"],
        summary="Zendesk ticket events",
        description="Zendesk webhook subscribed to ticket events, signed with "
        "ZENDESK_WEBHOOK_SECRET (X-Zendesk-Webhook-Signature over timestamp + body).",
    )
    async def zendesk(request: Request) -> JSONResponse:
        body = await request.body()
        secret = deps.settings.secret("zendesk_webhook_secret")
        if not secret:
            return bad("the Zendesk webhook is not configured (ZENDESK_WEBHOOK_SECRET)", 503)
        valid = verify_zendesk(
            secret,
            request.headers.get("x-zendesk-webhook-signature-timestamp", ""),
            body,
            request.headers.get("x-zendesk-webhook-signature", ""),
            deps.clock().timestamp(),
        )
        if not valid:
            return bad("invalid or stale signature", 401)
        try:
            payload = json.loads(body)
            intake.check_zendesk_payload(payload)
        except (ValueError, intake.PayloadError) as err:
            reason = str(err) if isinstance(err, intake.PayloadError) else "body is not JSON"
            return bad(reason)
        if not intake.zendesk_is_ticket_event(payload):
            return ignored("zendesk", payload["type"], "not a ticket event")
        return await store(
            deps,
            source="zendesk",
            external_id=payload["id"],
            event_type=payload["type"].removeprefix(intake.ZENDESK_PREFIX),
            payload=payload,
        )
