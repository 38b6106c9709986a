"""Socket Mode on the simulated Slack: `apps.connections.open` and the WebSocket link.

`apps.connections.open` takes the app-level token (`xapp-…`, scope `connections:write`) as a
bearer token and answers a single-use URL (https://api.slack.com/methods/apps.connections.open);
a bot or user token is `not_allowed_token_type`. Slack answers
`wss://wss-primary.slack.com/link/?ticket=…&app_id=…`; on loopback the simulator serves the
same path over plain `ws://` (slack_sdk's built-in client uses TLS only on port 443).

On the link (https://api.slack.com/apis/connections/socket-implement) Slack first sends `hello`
(`num_connections`, `debug_info`, `connection_info.app_id`); each delivery is an envelope
`{envelope_id, type, payload, accepts_response_payload}` with `type` one of `events_api`,
`slash_commands` or `interactive` (Events API envelopes also carry `retry_attempt` and
`retry_reason`). The app acknowledges each with `{envelope_id}`, adding `payload` only where
`accepts_response_payload` is true (slash commands, view submissions, options requests): Slack
ignores a payload elsewhere, so the simulator records a warning. `disconnect` with reason
`warning` (the link is about to close) or `refresh_requested` asks the app to open a new link;
the old one closes once the new one says hello. An Events API envelope not acknowledged when
its link is lost is delivered again on the next link with `retry_attempt` + 1; an unacknowledged
slash command or interaction is not (Slack shows the person an error instead).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import socket
import threading
import uuid
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, urlsplit

from integrations.simulators.base import SimRequest, SimResponse
from integrations.simulators.slack.state import SlackFault, SlackState

APP_TOKEN_PREFIX = "xapp-"
KINDS = ("events_api", "slash_commands", "interactive")


@dataclass
class Envelope:
    """One delivery over Socket Mode and the app's acknowledgement of it."""

    envelope_id: str
    type: str
    payload: dict[str, Any]
    accepts_response_payload: bool
    retry_attempt: int = 0
    retry_reason: str = ""
    deliveries: int = 0
    ack: dict[str, Any] | None = None
    acked: threading.Event = field(default_factory=threading.Event)

    def message(self) -> dict[str, Any]:
        """The envelope as Slack writes it on the socket."""
        body: dict[str, Any] = {
            "envelope_id": self.envelope_id,
            "payload": self.payload,
            "type": self.type,
            "accepts_response_payload": self.accepts_response_payload,
        }
        if self.type == "events_api":
            body["retry_attempt"] = self.retry_attempt
            body["retry_reason"] = self.retry_reason
        return body

    def wait(self, timeout: float = 10.0) -> dict[str, Any] | None:
        """The acknowledgement, or None when none came within `timeout` seconds."""
        return self.ack if self.acked.wait(timeout) else None

    @property
    def response_payload(self) -> dict[str, Any] | None:
        """The payload the app acknowledged with, if any."""
        return (self.ack or {}).get("payload")


@dataclass
class _Link:
    number: int
    connection: Any  # websockets.sync.server.ServerConnection
    ready: bool = False  # hello sent
    retiring: bool = False  # told to reconnect: no new envelopes
    sent: dict[str, Envelope] = field(default_factory=dict)
    send_lock: threading.Lock = field(default_factory=threading.Lock)

    def send(self, message: dict[str, Any]) -> bool:
        try:
            with self.send_lock:
                self.connection.send(json.dumps(message))
        except Exception:  # noqa: BLE001 - the link is gone; the caller requeues
            return False
        return True


class SocketModeLink:
    """Slack's side of Socket Mode for one app, served on its own loopback port."""

    def __init__(self, state: SlackState, app_token: str) -> None:
        self.state = state
        self.app_token = app_token
        self.revoked = False
        self.refusing = False  # an outage: new links are refused at the handshake
        self.lose_acks = 0  # the next acknowledgements that never reach Slack (a bad network)
        self.tickets: set[str] = set()
        self.envelopes: dict[str, Envelope] = {}
        self.backlog: list[Envelope] = []
        self.links: list[_Link] = []
        self.opened = 0  # links that said hello, ever
        self._numbers = itertools.count(1)
        self._turn = itertools.count()
        self._changed = threading.Condition(threading.RLock())
        self._server: Any = None

    # ---- lifecycle ------------------------------------------------------------------------
    def start(self) -> None:
        """Serve WebSocket links on an ephemeral loopback port."""
        from websockets.sync.server import serve

        self._server = serve(
            self._serve,
            "127.0.0.1",
            0,
            process_request=self._handshake,
            compression=None,
            logger=None,
        )
        threading.Thread(
            target=self._server.serve_forever, name="slack-socket-mode", daemon=True
        ).start()

    def stop(self) -> None:
        """Close every link and stop serving."""
        if self._server is not None:
            self.drop()
            self._server.shutdown()
            self._server = None

    @property
    def port(self) -> int:
        """The loopback port links connect to."""
        return int(self._server.socket.getsockname()[1])

    # ---- apps.connections.open ------------------------------------------------------------
    def open_connection(self, token: str) -> dict[str, Any]:
        """The `apps.connections.open` answer for `token`, or a SlackFault."""
        if not token:
            raise SlackFault("not_authed")
        if not token.startswith(APP_TOKEN_PREFIX):
            raise SlackFault("invalid_auth" if "-" not in token else "not_allowed_token_type")
        if token != self.app_token:
            raise SlackFault("invalid_auth")
        if self.revoked:
            raise SlackFault("token_revoked")
        ticket = uuid.uuid4().hex
        with self._changed:
            if self._server is None:
                self.start()  # on first use: the demo and most tests never open a link
            self.tickets.add(ticket)
        return {
            "url": f"ws://127.0.0.1:{self.port}/link/?ticket={ticket}&app_id={self.state.app_id}"
        }

    # ---- the link -------------------------------------------------------------------------
    def _handshake(self, connection: Any, request: Any) -> Any:
        query = parse_qs(urlsplit(request.path).query)
        ticket = (query.get("ticket") or [""])[0]
        with self._changed:
            if self.refusing:
                return connection.respond(HTTPStatus.SERVICE_UNAVAILABLE, "unavailable\n")
            if urlsplit(request.path).path.rstrip("/") != "/link" or ticket not in self.tickets:
                return connection.respond(HTTPStatus.UNAUTHORIZED, "invalid ticket\n")
            self.tickets.discard(ticket)  # a URL opens one link
        return None

    def _serve(self, connection: Any) -> None:
        link = _Link(next(self._numbers), connection)
        with self._changed:
            self.links.append(link)
            live = [x for x in self.links if not x.retiring]
            hello = {
                "type": "hello",
                "num_connections": len(live),
                "debug_info": {
                    "host": f"applink-sim-{link.number}",
                    "build_number": 1,
                    "approximate_connection_time": 18060,
                },
                "connection_info": {"app_id": self.state.app_id},
            }
            link.ready = link.send(hello)
            self.opened += 1
            retired = [x for x in self.links if x.retiring]
            backlog, self.backlog = self.backlog, []
            self._changed.notify_all()
        for old in retired:
            old.connection.close()
        for envelope in backlog:
            self._dispatch(envelope)
        try:
            with contextlib.suppress(Exception):  # a dropped link ends as a closed one does
                for text in connection:
                    self._acknowledged(link, text)
        finally:
            self._lost(link)

    def _acknowledged(self, link: _Link, text: Any) -> None:
        try:
            ack = json.loads(text)
        except (TypeError, ValueError):
            self.state.warn("socket_mode_unreadable_message", link=link.number)
            return
        with self._changed:
            envelope = self.envelopes.get(str(ack.get("envelope_id") or ""))
            if envelope is None or envelope.acked.is_set():
                return
            if self.lose_acks > 0:
                self.lose_acks -= 1
                return
            if "payload" in ack and not envelope.accepts_response_payload:
                self.state.warn("socket_mode_payload_not_accepted", type=envelope.type)
            link.sent.pop(envelope.envelope_id, None)
            envelope.ack = ack
            envelope.acked.set()
            self._changed.notify_all()

    def _lost(self, link: _Link) -> None:
        with self._changed:
            if link in self.links:
                self.links.remove(link)
            unacked = [e for e in link.sent.values() if not e.acked.is_set()]
            link.sent.clear()
            self._changed.notify_all()
        for envelope in unacked:
            if envelope.type == "events_api":
                envelope.retry_attempt += 1
                envelope.retry_reason = "timeout"
                self._dispatch(envelope)

    def _dispatch(self, envelope: Envelope) -> None:
        """Send on a live link (taking turns), else keep Events API envelopes for the next."""
        while True:
            with self._changed:
                live = [x for x in self.links if x.ready and not x.retiring]
                if not live:
                    if envelope.type == "events_api":
                        self.backlog.append(envelope)
                    return
                link = live[next(self._turn) % len(live)]
                link.sent[envelope.envelope_id] = envelope
                envelope.deliveries += 1
            if link.send(envelope.message()):
                return
            with self._changed:
                link.sent.pop(envelope.envelope_id, None)
                if link in self.links:
                    self.links.remove(link)

    # ---- what tests do --------------------------------------------------------------------
    def deliver(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        accepts_response_payload: bool = False,
        retry_attempt: int = 0,
        retry_reason: str = "",
    ) -> Envelope:
        """Send an envelope to the app (queued until a link is open for Events API ones)."""
        if kind not in KINDS:
            raise ValueError(f"envelope type must be one of {KINDS}")
        envelope = Envelope(
            str(uuid.uuid4()),
            kind,
            payload,
            accepts_response_payload,
            retry_attempt=retry_attempt,
            retry_reason=retry_reason,
        )
        with self._changed:
            self.envelopes[envelope.envelope_id] = envelope
        self._dispatch(envelope)
        return envelope

    def disconnect(self, reason: str = "refresh_requested") -> None:
        """Tell every live link to reconnect (`warning` or `refresh_requested`)."""
        with self._changed:
            links = [x for x in self.links if not x.retiring]
            for link in links:
                link.retiring = True
        for link in links:
            link.send(
                {
                    "type": "disconnect",
                    "reason": reason,
                    "debug_info": {"host": f"applink-sim-{link.number}"},
                }
            )

    def drop(self) -> None:
        """Cut every link without a close frame, as a network failure does."""
        with self._changed:
            links = list(self.links)
        for link in links:
            sock = getattr(link.connection, "socket", None)
            try:
                if sock is not None:
                    sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            link.connection.close_socket()

    def wait_links(self, count: int = 1, *, opened: int | None = None, timeout: float = 10) -> bool:
        """Wait until `count` live links have said hello (and `opened` links ever, if given)."""

        def ready() -> bool:
            live = [x for x in self.links if x.ready and not x.retiring]
            return len(live) >= count and (opened is None or self.opened >= opened)

        with self._changed:
            return self._changed.wait_for(ready, timeout)

    def wait_no_links(self, timeout: float = 10) -> bool:
        """Wait until no link is open."""
        with self._changed:
            return self._changed.wait_for(lambda: not self.links, timeout)

    def unacked(self) -> list[Envelope]:
        """Envelopes sent or queued and not acknowledged yet."""
        with self._changed:
            return [e for e in self.envelopes.values() if not e.acked.is_set()]

    def handle(self, request: SimRequest) -> SimResponse:
        """The `apps.connections.open` route. Slack wants a POST with the token in the
        Authorization header: "passing it as a POST parameter will result in an error", and a
        GET is `insecure_request` (https://api.slack.com/methods/apps.connections.open)."""
        auth = request.header("authorization")
        token = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
        try:
            if request.method != "POST":
                raise SlackFault("insecure_request")
            body = {"ok": True, **self.open_connection(token)}
        except SlackFault as fault:
            body = {"ok": False, "error": fault.error}
        return SimResponse(200, body)
