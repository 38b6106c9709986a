"""Slack over Socket Mode: the same Bolt app and checks as the request URL, on a WebSocket.

slack_sdk's built-in client (stdlib only) opens the link with `apps.connections.open` and the
app-level token, answers pings, and opens a new link when Slack sends `disconnect` or the link
drops. Each envelope's payload gets the shape checks of handlers/web.py, then Bolt dispatches
it exactly as an HTTP request (`process_before_response`, so an event is stored in the inbox,
deduplicated by event_id, before the acknowledgement goes out). A payload that fails the checks
or that no listener handles is acknowledged, with one log line, so Slack does not send it
again; an event the app failed to store is not, and Slack delivers it again on the next link.

`SocketState` remembers since when the link is up or down, for /readyz (not ready after 60 s
down) and the `socket_mode_connected` gauge.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from slack_bolt import App
from slack_bolt.request import BoltRequest
from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError
from slack_sdk.socket_mode.builtin import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from handlers.deps import Deps
from handlers.limits import BodyError
from handlers.slack import shapes

log = logging.getLogger("supportbot.socket_mode")
refused = logging.getLogger("supportbot.refused")  # as handlers/limits.py's refusals

RECEIVE_BUFFER = 64 * 1024
# /readyz reports Socket Mode once it has been down this long.
DOWN_SECONDS = 60.0


@dataclass
class SocketState:
    """Since when the Socket Mode link has been up or down, on the app's clock."""

    clock: Callable[[], datetime]
    set_gauge: Callable[[float], None] = lambda _value: None
    connected_since: datetime | None = None
    disconnected_since: datetime | None = None
    links: int = 0  # `num_connections` of the last hello
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        self.disconnected_since = self.clock()  # down until the first hello

    def up(self, links: int = 1) -> None:
        """A link said hello."""
        with self._lock:
            self.links = links
            if self.connected_since is None:
                self.connected_since, self.disconnected_since = self.clock(), None
                log.info("slack.socket_mode connected=true links=%d", links)
            self.set_gauge(1.0)

    def down(self) -> None:
        """The link is lost (a reconnect is on its way)."""
        with self._lock:
            if self.disconnected_since is None:
                self.connected_since, self.disconnected_since = None, self.clock()
                log.warning("slack.socket_mode connected=false reconnecting=true")
            self.set_gauge(0.0)

    def report(self) -> dict[str, Any]:
        """For /healthz: connected or not, and since when."""
        since = self.connected_since or self.disconnected_since
        return {
            "connected": self.connected_since is not None,
            "since": since.isoformat() if since else None,
        }

    def probe(self, now: datetime) -> str | None:
        """The /readyz reason while the link has been down more than DOWN_SECONDS."""
        since = self.disconnected_since
        if since is None or (now - since).total_seconds() <= DOWN_SECONDS:
            return None
        return (
            f"socket_mode: disconnected from Slack for {(now - since).total_seconds():.0f} s "
            f"(since {since.isoformat()}); reconnecting"
        )


class _OneLine(logging.Filter):
    """slack_sdk's client logs whole HTTP answers on a failed handshake: keep the first line."""

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        if "\n" in text:
            record.msg, record.args = text.split("\n", 1)[0][:300] + " …)", ()
        return True


class SocketMode:
    """The Bolt app on a Socket Mode link that reconnects by itself."""

    def __init__(self, deps: Deps, bolt: App, app_token: str, *, ping_interval: float = 5.0):
        self.deps = deps
        self.bolt = bolt
        self.state = SocketState(deps.clock, deps.metrics.socket_mode.set)
        self.state.set_gauge(0.0)
        client_log = logging.getLogger("supportbot.socket_mode.client")
        if not any(isinstance(f, _OneLine) for f in client_log.filters):
            client_log.addFilter(_OneLine())
        self.client = SocketModeClient(
            app_token=app_token,
            logger=client_log,
            web_client=WebClient(base_url=deps.settings.slack_api_url, timeout=10),
            ping_interval=ping_interval,
            # The client reads a frame one buffer per recursive step: 1 KiB (its default) makes a
            # large envelope (a big modal's state) slow and deep enough to stall the link.
            receive_buffer_size=RECEIVE_BUFFER,
            on_close_listeners=[self._closed],
            on_error_listeners=[self._failed],
        )
        self.client.message_listeners.append(self._message)
        self.client.socket_mode_request_listeners.append(self._handle)
        self.ping_interval = ping_interval
        self._closing = threading.Event()
        self._connecting = threading.Lock()
        self._watcher = threading.Thread(target=self._watch, name="socket-mode-watch", daemon=True)

    def connect(self) -> None:
        """Open the first link (later ones open by themselves); if Slack cannot be reached now,
        keep trying in the background."""
        self._first_link()
        self._watcher.start()

    def _first_link(self) -> None:
        with self._connecting:  # never after close(): the new link would outlive the process's wish
            if self._closing.is_set():
                return
            try:
                self.client.connect()
            except (SlackClientError, OSError) as err:
                log.warning(
                    "slack.socket_mode connect_failed error=%s retrying=true", type(err).__name__
                )

    def close(self) -> None:
        """Close the link for good."""
        with self._connecting:
            self._closing.set()
        self.client.close()
        self.state.set_gauge(0.0)

    def _watch(self) -> None:
        """The client notices a dead link by its pings, and says so by no callback: look."""
        while not self._closing.wait(self.ping_interval):
            if not self.client.is_connected():
                self.state.down()
                if not self.client.current_app_monitor_started:  # the first link never opened
                    self.client.wss_uri = None
                    self._first_link()

    # ---- connection state -------------------------------------------------------------------
    def _message(self, _client: Any, message: dict[str, Any], _raw: str | None) -> None:
        if message.get("type") == "hello":
            self.state.up(int(message.get("num_connections") or 1))

    def _closed(self, _code: int, _reason: str | None) -> None:
        if not self.client.is_connected():
            self.state.down()

    def _failed(self, _error: Exception) -> None:
        if not self.client.is_connected():
            self.state.down()

    # ---- envelopes ----------------------------------------------------------------------------
    def _handle(self, client: SocketModeClient, req: SocketModeRequest) -> None:
        self.deps.pressure.touch()
        try:
            shapes.check(req.payload)
        except BodyError as err:
            refused.info("request.refused endpoint=socket_mode type=%s reason=%s", req.type, err)
            self.deps.metrics.webhook("slack", "refused")
            self._ack(client, req, None)
            return
        headers: dict[str, str] = {}
        if req.retry_attempt:
            headers["x-slack-retry-num"] = str(req.retry_attempt)
            headers["x-slack-retry-reason"] = str(req.retry_reason or "")
        answer = self.bolt.dispatch(
            BoltRequest(mode="socket_mode", body=req.payload, headers=headers or None)
        )
        # An event's listener stores it and answers an empty 200; anything else there means it
        # was not stored (the error handler's apology), so Slack must deliver it again.
        if answer.status >= 500 or (
            req.type == "events_api" and answer.status == 200 and answer.body
        ):
            log.warning("slack.socket_mode not_acked type=%s status=%d", req.type, answer.status)
            return
        payload = None
        if answer.status == 200 and answer.body and req.accepts_response_payload:
            content_type = (answer.headers.get("content-type") or [""])[0]
            payload = (
                json.loads(answer.body)
                if content_type.startswith("application/json")
                else {"text": answer.body}
            )
        self._ack(client, req, payload)

    def _ack(
        self, client: SocketModeClient, req: SocketModeRequest, payload: dict[str, Any] | None
    ) -> None:
        try:
            client.send_socket_mode_response(
                SocketModeResponse(envelope_id=req.envelope_id, payload=payload)
            )
        except SlackClientError as err:
            # Lost with the link: Slack sends an Events API envelope again, and the inbox
            # knows it by its event_id.
            log.warning("slack.socket_mode ack_lost type=%s error=%s", req.type, type(err).__name__)
