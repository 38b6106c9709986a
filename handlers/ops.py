"""Operations endpoints: /healthz (liveness), /readyz (readiness with reasons), /metrics.

Readiness asks a list of probes; each returns None when its part can do its job, or one line
saying why not. The runtime owns the list, so a part added later (a Socket Mode connection)
adds its own probe. Nothing here reports a token, a secret or a message's text.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from bot import outbox
from bot.db import reading
from integrations.metrics import CONTENT_TYPE, Metrics

access = logging.getLogger("supportbot.access")

# One reason why the bot cannot do its job now, or None.
Probe = Callable[[datetime], str | None]

# Request paths whose deliveries are counted, and the source each is counted under.
SOURCES = {
    "/slack/events": "slack",
    "/webhooks/zendesk": "zendesk",
    "/webhooks/helpdesk": "helpdesk",
    "/webhooks/jira": "jira",
}


@dataclass
class Operations:
    """What the operations endpoints report from."""

    health: Callable[[], tuple[bool, dict[str, Any]]]
    readiness: Callable[[], list[str]]
    metrics: Metrics


def register(api: FastAPI, operations: Operations) -> None:
    """Add /healthz, /readyz and /metrics."""

    @api.get("/healthz", tags=["operations"], summary="Liveness: the process and its database")
    async def healthz() -> JSONResponse:
        ok, report = await run_in_threadpool(operations.health)
        return JSONResponse(report, status_code=200 if ok else 503)

    @api.get(
        "/readyz",
        tags=["operations"],
        summary="Readiness: 503 with the reasons while the bot cannot do its job",
    )
    async def readyz() -> JSONResponse:
        reasons = await run_in_threadpool(operations.readiness)
        return JSONResponse(
            {"ready": not reasons, "reasons": reasons}, status_code=503 if reasons else 200
        )

    @api.get("/metrics", tags=["operations"], summary="Prometheus metrics (text format)")
    async def metrics() -> Response:
        body = await run_in_threadpool(operations.metrics.exposition)
        return Response(body, media_type=CONTENT_TYPE)


def ask(probes: list[Probe], now: datetime) -> list[str]:
    """Every probe's reason; a probe that fails is a reason too."""
    reasons = []
    for probe in probes:
        try:
            reason = probe(now)
        except Exception as exc:  # noqa: BLE001 - reported as not ready
            reason = f"{getattr(probe, '__name__', 'probe')}: failed ({type(exc).__name__})"
        if reason:
            reasons.append(reason)
    return reasons


def database_probe(factory: sessionmaker[Session]) -> Probe:
    """Not ready while the database does not answer or has no schema."""

    def database(_now: datetime) -> str | None:
        try:
            with reading(factory) as session:
                revision = session.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except Exception as exc:  # noqa: BLE001 - the reason names the error type only
            return f"database: not answering ({type(exc).__name__})"
        return None if revision else "database: no schema; run `supportbot db upgrade`"

    return database


def outbox_probe(factory: sessionmaker[Session], stall_seconds: float) -> Probe:
    """Not ready while the oldest undelivered Slack message has waited too long."""

    def outbox_stall(now: datetime) -> str | None:
        try:
            with reading(factory) as session:
                oldest = outbox.oldest_waiting(session)
        except Exception:  # noqa: BLE001 - the database probe says why
            return None
        waited = (now - oldest).total_seconds() if oldest else 0.0
        if waited <= stall_seconds:
            return None
        return (
            f"outbox: the oldest undelivered Slack message has waited {waited:.0f} s "
            f"(OUTBOX_STALL_SECONDS={stall_seconds:g})"
        )

    return outbox_stall


class Observed:
    """ASGI middleware: counts refused and ignored deliveries, and writes the access log."""

    def __init__(self, app: Any, metrics: Metrics, *, access_log: bool = False) -> None:
        self.app = app
        self.metrics = metrics
        self.access_log = access_log

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def observed_send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, observed_send)
        finally:
            path = str(scope.get("path", ""))
            source = SOURCES.get(path) if scope.get("method") == "POST" else None
            if source and status >= 400:
                self.metrics.webhook(source, "refused")
            elif source and status == 202:
                self.metrics.webhook(source, "ignored")
            if self.access_log:
                client = scope.get("client") or ("-", 0)
                access.info(
                    "http.request method=%s path=%s status=%d duration_ms=%.1f client=%s",
                    scope.get("method"),
                    path[:200],
                    status,
                    (time.perf_counter() - started) * 1000,
                    client[0],
                )
