"""The FastAPI app: Slack's request URL, the helpdesk and Jira webhooks, health and metrics."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from slack_bolt import App
from slack_bolt.request import BoltRequest
from starlette.concurrency import run_in_threadpool

from handlers import ops
from handlers.deps import Deps
from handlers.limits import BodyLimit
from handlers.webhooks import helpdesk, jira, zendesk
from integrations.signatures import verify_slack


def _bad(reason: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": reason}, status_code=status)


def slack_body_problem(body: bytes, content_type: str) -> str | None:
    """Why a signed Slack body cannot be a Slack request, or None when it looks right."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return "body is not UTF-8"
    if "application/json" in content_type:
        try:
            parsed = json.loads(text)
        except ValueError:
            return "body is not valid JSON"
        if not isinstance(parsed, dict) or not isinstance(parsed.get("type"), str):
            return "JSON body has no 'type'"
        return None
    form = parse_qs(text, keep_blank_values=True)
    if "payload" in form:
        try:
            payload = json.loads(form["payload"][-1])
        except ValueError:
            return "'payload' is not valid JSON"
        if not isinstance(payload, dict) or not isinstance(payload.get("type"), str):
            return "'payload' has no 'type'"
        return None
    if "command" in form:
        return None
    if "ssl_check" in form:
        return None
    return "expected a slash command, an interaction payload or an event"


def build_web_app(deps: Deps, bolt: App, operations: ops.Operations) -> Any:
    """The ASGI app uvicorn serves."""
    api = FastAPI(
        title="supportbot",
        description="Slack request URL, helpdesk and Jira webhooks, health and metrics.",
        version="0.1.0",
    )

    @api.post("/slack/events", include_in_schema=False)
    async def slack_events(request: Request) -> Response:
        deps.pressure.touch()
        body = await request.body()
        timestamp = request.headers.get("x-slack-request-timestamp", "")
        signature = request.headers.get("x-slack-signature", "")
        secret = deps.settings.secret("slack_signing_secret")
        if not verify_slack(secret, timestamp, body, signature, deps.clock().timestamp()):
            return _bad("invalid request", 401)
        problem = slack_body_problem(body, request.headers.get("content-type", ""))
        if problem:
            return _bad(problem)
        bolt_request = BoltRequest(
            body=body.decode("utf-8"),
            query=request.url.query,
            headers={k: [v] for k, v in request.headers.items()},
        )
        answer = await run_in_threadpool(bolt.dispatch, bolt_request)
        headers = {
            k: v[0] for k, v in answer.headers.items() if v and k.lower() != "content-length"
        }
        return Response(content=answer.body, status_code=answer.status, headers=headers)

    ops.register(api, operations)
    zendesk.register(api, deps)
    helpdesk.register(api, deps)
    jira.register(api, deps)

    return ops.Observed(BodyLimit(api), operations.metrics, access_log=deps.settings.access_log)
