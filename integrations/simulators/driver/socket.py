"""Drive the app over Socket Mode: the same commands, clicks, submissions and events as
`SlackDriver`, sent as envelopes on the simulator's WebSocket link instead of signed HTTP.

Each request body the driver builds becomes the envelope Slack would send
(https://api.slack.com/apis/connections/socket-implement): a slash command's form fields as
`slash_commands`, an interaction's `payload` as `interactive`, an Events API body as
`events_api` (with `X-Slack-Retry-Num`/`-Reason` as `retry_attempt`/`retry_reason`). The
acknowledgement comes back as the `DriverResponse`: status 200 with the ack's `payload` as its
JSON (what Slack does with it: shows a command's message, applies a view_submission's
`response_action`), or status 504 when the app did not acknowledge in time. Socket Mode has no
request signatures, so the signing arguments are accepted and ignored.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

from integrations.simulators.driver.client import DriverResponse, SlackDriver
from integrations.simulators.slack.server import SlackSimulator
from integrations.simulators.slack.socket_mode import Envelope

# Interactions whose acknowledgement may carry a payload Slack acts on.
ANSWERED_INTERACTIONS = {"view_submission", "block_suggestion"}


def envelope_for(body: bytes, headers: dict[str, str]) -> tuple[str, dict[str, Any], bool, int]:
    """(type, payload, accepts_response_payload, retry_attempt) for an HTTP body as built for
    the request URL."""
    text = body.decode("utf-8")
    if text.startswith("{"):
        return "events_api", json.loads(text), False, int(headers.get("X-Slack-Retry-Num", 0))
    fields = dict(parse_qsl(text, keep_blank_values=True))
    if "payload" in fields:
        payload = json.loads(fields["payload"])
        return "interactive", payload, payload.get("type") in ANSWERED_INTERACTIONS, 0
    return "slash_commands", fields, True, 0


class SocketDriver(SlackDriver):
    """A SlackDriver whose requests travel over the simulator's Socket Mode link."""

    def __init__(
        self,
        sim: SlackSimulator,
        *,
        clock: Callable[[], float] = time.time,
        after_answer: Callable[[], object] | None = None,
        ack_timeout: float = 10.0,
    ) -> None:
        super().__init__("socket-mode:", "", sim, clock=clock, after_answer=after_answer)
        self.ack_timeout = ack_timeout
        self.envelopes: list[Envelope] = []

    def post(
        self,
        body: bytes,
        content_type: str,
        *,
        headers: dict[str, str] | None = None,
        timestamp: int | None = None,
        sign: bool = True,
        signature: str | None = None,
        follow: Callable[[DriverResponse], None] | None = None,
    ) -> DriverResponse:
        """Send the body as an envelope and wait for its acknowledgement."""
        sent = dict(headers or {})
        kind, payload, answered, retry = envelope_for(body, sent)
        envelope = self.sim.socket_mode.deliver(
            kind,
            payload,
            accepts_response_payload=answered,
            retry_attempt=retry,
            retry_reason=sent.get("X-Slack-Retry-Reason", "") if retry else "",
        )
        self.envelopes.append(envelope)
        ack = envelope.wait(self.ack_timeout)
        answer = envelope.response_payload
        text = json.dumps(answer) if answer is not None else ""
        resp = DriverResponse(200 if ack is not None else 504, {}, text, answer, sim=self.sim)
        if follow is not None:
            follow(resp)
        if self.after_answer is not None:
            self.after_answer()
        return resp
