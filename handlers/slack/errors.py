"""The last resort for a listener that raised: log it with an id, apologise to the user."""

from __future__ import annotations

import json
import logging
import uuid

from slack_bolt import App, BoltResponse
from slack_bolt.request import BoltRequest

log = logging.getLogger("supportbot.slack")


def apology(error_id: str) -> str:
    """What a user sees when something failed that they cannot fix."""
    return (
        f":warning: Sorry, that did not work. If it keeps happening, give your admin "
        f"this error id: `{error_id}`."
    )


def register(app: App) -> None:
    """Install the error handler: no traceback ever reaches a user."""

    @app.error
    def on_error(error: Exception, request: BoltRequest) -> BoltResponse:
        error_id = uuid.uuid4().hex[:8]
        kind = request.body.get("type") or ("command" if "command" in request.body else "?")
        log.error("slack.listener_failed error_id=%s kind=%s", error_id, kind, exc_info=error)
        body = json.dumps({"response_type": "ephemeral", "text": apology(error_id)})
        return BoltResponse(status=200, body=body, headers={"content-type": "application/json"})
