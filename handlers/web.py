"""The FastAPI app: Slack's request URL, the helpdesk and Jira webhooks, calendar feeds, health
and metrics."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response
from slack_bolt import App
from slack_bolt.request import BoltRequest
from starlette.concurrency import run_in_threadpool

from bot.db import reading
from bot.rotations import calendar
from handlers import ops
from handlers.deps import Deps
from handlers.limits import BodyError, BodyLimit, refuse
from handlers.slack import shapes
from handlers.slack.errors import PATH as SLACK_PATH
from handlers.webhooks import helpdesk, jira, zendesk
from integrations.signatures import verify_slack

log = logging.getLogger("supportbot.slack")


def build_web_app(deps: Deps, bolt: App, operations: ops.Operations) -> Any:
    """The ASGI app uvicorn serves."""
    api = FastAPI(
        title="supportbot",
        description="Slack request URL, helpdesk and Jira webhooks, health and metrics.",
        version="0.1.0",
    )

    @api.post(SLACK_PATH, include_in_schema=False)
    async def slack_events(request: Request) -> Response:
        deps.pressure.touch()
        body = await request.body()
        timestamp = request.headers.get("x-slack-request-timestamp", "")
        signature = request.headers.get("x-slack-signature", "")
        secret = deps.settings.secret("slack_signing_secret")
        if not verify_slack(secret, timestamp, body, signature, deps.clock().timestamp()):
            return refuse(SLACK_PATH, "invalid request", 401)
        try:
            _, text = shapes.parse(body, request.headers.get("content-type", ""))
        except BodyError as err:
            return refuse(SLACK_PATH, str(err))
        try:
            bolt_request = BoltRequest(
                body=text,
                query=request.url.query,
                headers={k: [v] for k, v in request.headers.items()},
            )
        except Exception:  # noqa: BLE001 - a shape the checks above missed: a bug, logged
            log.exception("slack.unreadable_request")
            return refuse(SLACK_PATH, "request could not be read")
        answer = await run_in_threadpool(bolt.dispatch, bolt_request)
        headers = {
            k: v[0] for k, v in answer.headers.items() if v and k.lower() != "content-length"
        }
        return Response(content=answer.body, status_code=answer.status, headers=headers)

    ops.register(api, operations)

    @api.get("/calendar/{name}", tags=["calendar"], response_class=Response)
    def calendar_feed(name: str) -> Response:
        """A private iCalendar feed of shifts; an unknown or revoked link is 404."""
        token = name.removesuffix(".ics") if name.endswith(".ics") else ""
        with reading(deps.factory) as session:
            body = calendar.feed(session, token, deps.clock())
        if body is None:
            return Response("Not found\n", status_code=404, media_type="text/plain")
        return Response(
            body,
            media_type="text/calendar; charset=utf-8",
            headers={"Cache-Control": "private, max-age=300"},
        )

    zendesk.register(api, deps)
    helpdesk.register(api, deps)
    jira.register(api, deps)

    return ops.Observed(BodyLimit(api), operations.metrics, access_log=deps.settings.access_log)
