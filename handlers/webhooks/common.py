"""What every webhook route does after verifying: store the event once, answer at once."""

from __future__ import annotations

import logging
from typing import Any

from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from bot import inbox
from handlers.deps import Deps

log = logging.getLogger("supportbot.webhooks")


async def store(
    deps: Deps,
    *,
    source: str,
    external_id: str,
    event_type: str,
    payload: dict[str, Any],
    subject: str | None = None,
) -> JSONResponse:
    """Store the event (a duplicate is a no-op), wake the inbox worker, answer 200."""
    deps.pressure.touch()

    def write() -> bool:
        return inbox.store_now(
            deps.factory,
            source=source,
            external_id=external_id,
            event_type=event_type,
            payload=payload,
            now=deps.clock(),
            subject=subject,
            sender=deps.instance,
        )

    # In a worker thread: waiting for the database must not stall the event loop.
    new = await run_in_threadpool(write)
    deps.metrics.webhook(source, "stored" if new else "duplicate")
    if new:
        deps.wake_inbox()
    return JSONResponse({"ok": True, "duplicate": not new}, status_code=200)


def ignored(source: str, event_type: str, reason: str) -> JSONResponse:
    """202 for a well-formed event the app does not act on, with a log line."""
    log.info("webhook.ignored source=%s type=%s reason=%s", source, event_type[:80], reason)
    return JSONResponse({"ok": True, "ignored": reason}, status_code=202)
