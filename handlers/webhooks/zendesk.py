"""POST /webhooks/zendesk: Zendesk event-subscribed webhooks for tickets."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from bot.tickets import intake
from handlers.deps import Deps
from handlers.limits import BodyError, decode_json, refuse
from handlers.webhooks.common import ignored, store
from integrations.signatures import verify_zendesk

PATH = "/webhooks/zendesk"


def register(api: FastAPI, deps: Deps) -> None:
    """Add the route."""

    @api.post(
        PATH,
        tags=["webhooks"],
        summary="Zendesk ticket events",
        description="Zendesk webhook subscribed to ticket events, signed with "
        "ZENDESK_WEBHOOK_SECRET (X-Zendesk-Webhook-Signature over timestamp + body).",
    )
    async def zendesk(request: Request) -> JSONResponse:
        def bad(reason: str, status: int = 400) -> JSONResponse:
            return refuse(PATH, reason, status)

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
            payload = decode_json(body)
            intake.check_zendesk_payload(payload)
        except (BodyError, intake.PayloadError) as err:
            return bad(str(err))
        if not intake.zendesk_is_ticket_event(payload):
            return ignored("zendesk", payload["type"], "not a ticket event")
        return await store(
            deps,
            source="zendesk",
            external_id=payload["id"],
            event_type=payload["type"].removeprefix(intake.ZENDESK_PREFIX),
            payload=payload,
            subject=intake.subject(intake.ZENDESK, payload["subject"].rsplit(":", 1)[1]),
        )
