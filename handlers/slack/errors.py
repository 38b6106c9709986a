"""The last resort for a listener that raised: log it with an id, apologise to the user.

A Web API call Slack refused (an expired trigger_id, a view that is gone) is logged as one
line with Slack's error code, no traceback. A request no listener handles is refused (404)
with one log line, never with its body.
"""

from __future__ import annotations

import json
import logging
import uuid

from slack_bolt import App, BoltResponse
from slack_bolt.error import BoltUnhandledRequestError
from slack_bolt.request import BoltRequest
from slack_sdk.errors import SlackApiError

from handlers.limits import refuse

log = logging.getLogger("supportbot.slack")
PATH = "/slack/events"  # the request URL Slack posts to


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
        if isinstance(error, BoltUnhandledRequestError):
            answer = refuse(PATH, "no listener for this request", 404)
            return BoltResponse(
                status=answer.status_code,
                body=bytes(answer.body).decode(),
                headers={"content-type": "application/json"},
            )
        error_id = uuid.uuid4().hex[:8]
        kind = request.body.get("type") or ("command" if "command" in request.body else "?")
        if isinstance(error, SlackApiError):
            code = str(error.response.get("error") or error.response.status_code)[:60]
            log.warning("slack.call_failed error_id=%s kind=%s error=%s", error_id, kind, code)
        elif kind == "event_callback":
            # The event listeners only store the event: one that failed was not stored. A 5xx
            # makes Slack send it again (https://docs.slack.dev/apis/events-api/#retries), and
            # the inbox's unique event_id keeps a retry from storing it twice.
            log.error("slack.event_not_stored error_id=%s", error_id, exc_info=error)
            return BoltResponse(status=503, body="", headers={"content-type": "text/plain"})
        else:
            log.error("slack.listener_failed error_id=%s kind=%s", error_id, kind, exc_info=error)
        body = json.dumps({"response_type": "ephemeral", "text": apology(error_id)})
        return BoltResponse(status=200, body=body, headers={"content-type": "application/json"})
