"""Shared HTTP plumbing for the Slack, Zendesk and Jira simulators.

Each simulator is a threaded HTTP server on 127.0.0.1 with an ephemeral port, a route table,
an in-memory state guarded by one lock, a log of the calls it answered, and failure injection
(an HTTP status, a vendor error body, a delay) so tests can exercise outages over real HTTP,
and holds that keep a route's requests waiting until released, to see what an app does while a
call to the vendor is still in flight.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class SimRequest:
    """One parsed request as a route handler sees it."""

    method: str
    path: str
    params: dict[str, str]
    headers: dict[str, str]
    body: bytes
    json: Any = None
    form: dict[str, str] = field(default_factory=dict)
    path_args: dict[str, str] = field(default_factory=dict)
    # Every value of each query parameter, for repeated keys (`fields=a&fields=b`).
    query: dict[str, list[str]] = field(default_factory=dict)

    def header(self, name: str, default: str = "") -> str:
        """A request header by case-insensitive name."""
        return self.headers.get(name.lower(), default)

    def args(self) -> dict[str, Any]:
        """Query parameters, form fields and a JSON object body merged (body wins)."""
        merged: dict[str, Any] = dict(self.params)
        merged.update(self.form)
        if isinstance(self.json, dict):
            merged.update(self.json)
        return merged


@dataclass
class SimResponse:
    """What a route handler answers."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json; charset=utf-8"


@dataclass
class Failure:
    """An injected failure: answer `times` requests to `route` with this instead."""

    route: str
    status: int = 500
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    times: int = 1
    delay: float = 0.0
    # When True the real handler still runs (the side effect happens) before the failure is
    # answered: a lost response, as after a timeout or a crash between send and commit.
    after_effect: bool = False


@dataclass
class Hold:
    """Requests to `route` wait until `release()` (or `timeout` real seconds), then are answered
    as usual. A context manager: leaving the block releases them."""

    route: str
    timeout: float = 10.0
    arrived: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)

    def release(self) -> None:
        """Let waiting and later requests through."""
        self.released.set()

    def wait_arrival(self, timeout: float = 10.0) -> bool:
        """Wait until a request to the route has arrived; False if none did within `timeout`."""
        return self.arrived.wait(timeout)

    def __enter__(self) -> Hold:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


@dataclass
class Call:
    """A request the simulator answered, for assertions."""

    route: str
    method: str
    path: str
    args: dict[str, Any]
    status: int
    response: Any
    at: float


Handler = Callable[[SimRequest], SimResponse]

# Every simulator started in this process, in start order, so a test suite can look at the
# ones a test started (e.g. to fail on warnings the Slack simulator recorded).
_STARTS = itertools.count(1)
_STARTED: weakref.WeakSet[SimulatorServer] = weakref.WeakSet()


def start_mark() -> int:
    """A mark to pass to `started_since`: simulators started after this call come back."""
    return next(_STARTS)


def started_since(mark: int) -> list[SimulatorServer]:
    """The simulators started after `start_mark()` returned `mark`, oldest first."""
    return sorted(
        (s for s in list(_STARTED) if s.started_order > mark), key=lambda s: s.started_order
    )


class SimulatorServer:
    """A threaded loopback HTTP server with routes, a call log and failure injection."""

    name = "simulator"
    # How often serve_forever checks for shutdown; stop() waits up to this long.
    poll_interval = 0.05

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self.lock = threading.RLock()
        self._routes: list[tuple[str, re.Pattern[str], str, Handler]] = []
        self._failures: list[Failure] = []
        self._holds: dict[str, Hold] = {}
        self.calls: list[Call] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.started_order = 0

    # ---- routes ---------------------------------------------------------------------------
    def route(self, method: str, pattern: str, name: str, handler: Handler) -> None:
        """Register `handler` for `method` and a path pattern with `{name}` placeholders."""
        regex = "^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern) + "$"
        self._routes.append((method.upper(), re.compile(regex), name, handler))

    # ---- lifecycle --------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:PORT` of the running server."""
        if self._server is None:
            raise RuntimeError(f"{self.name} simulator is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> SimulatorServer:
        """Bind an ephemeral loopback port and serve in a daemon thread."""
        sim = self

        class _Handler(_RequestHandler):
            simulator = sim

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": self.poll_interval},
            name=f"{self.name}-sim",
            daemon=True,
        )
        self._thread.start()
        self.started_order = next(_STARTS)
        _STARTED.add(self)
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- failure injection ------------------------------------------------------------------
    def fail(
        self,
        route: str,
        status: int = 500,
        body: Any = None,
        *,
        times: int = 1,
        headers: dict[str, str] | None = None,
        delay: float = 0.0,
        after_effect: bool = False,
    ) -> None:
        """Answer the next `times` calls of `route` with `status` and `body` instead."""
        with self.lock:
            self._failures.append(
                Failure(route, status, body, dict(headers or {}), times, delay, after_effect)
            )

    def hold(self, route: str, *, timeout: float = 10.0) -> Hold:
        """Keep requests to `route` waiting until the returned hold is released."""
        held = Hold(route, timeout)
        with self.lock:
            self._holds[route] = held
        return held

    def clear_failures(self) -> None:
        """Forget every pending injected failure."""
        with self.lock:
            self._failures.clear()

    def _take_failure(self, route: str) -> Failure | None:
        with self.lock:
            for failure in self._failures:
                if failure.route == route and failure.times > 0:
                    failure.times -= 1
                    if failure.times == 0:
                        self._failures.remove(failure)
                    return failure
        return None

    # ---- call log -----------------------------------------------------------------------------
    def calls_to(self, route: str) -> list[Call]:
        """The calls answered for one route, oldest first."""
        with self.lock:
            return [c for c in self.calls if c.route == route]

    def reset_calls(self) -> None:
        """Empty the call log."""
        with self.lock:
            self.calls.clear()

    # ---- dispatch ---------------------------------------------------------------------------
    def authenticate(self, request: SimRequest, route: str) -> SimResponse | None:
        """Check credentials; return a response to refuse the request, or None to go on."""
        return None

    def handle(self, request: SimRequest) -> tuple[str, SimResponse]:
        """Route a request, apply injected failures, and log the call."""
        match: tuple[str, Handler] | None = None
        for method, regex, name, handler in self._routes:
            found = regex.match(request.path)
            if found and method == request.method:
                request.path_args = found.groupdict()
                match = (name, handler)
                break
        if match is None:
            return "", SimResponse(404, {"error": "not_found", "path": request.path})
        name, handler = match
        with self.lock:
            held = self._holds.get(name)
        if held is not None:
            held.arrived.set()
            held.released.wait(held.timeout)
        refused = self.authenticate(request, name)
        if refused is not None:
            return name, self._log(name, request, refused)
        failure = self._take_failure(name)
        if failure is not None:
            if failure.delay:
                time.sleep(failure.delay)
            if failure.after_effect:
                self._run(handler, request)
            response = SimResponse(failure.status, failure.body, failure.headers)
            return name, self._log(name, request, response)
        return name, self._log(name, request, self._run(handler, request))

    def _run(self, handler: Handler, request: SimRequest) -> SimResponse:
        try:
            return handler(request)
        except SimError as err:
            return err.response

    def _log(self, name: str, request: SimRequest, response: SimResponse) -> SimResponse:
        with self.lock:
            self.calls.append(
                Call(
                    name,
                    request.method,
                    request.path,
                    request.args(),
                    response.status,
                    response.body,
                    self.clock(),
                )
            )
        return response


class SimError(Exception):
    """Raised inside a route handler to answer with a prepared error response."""

    def __init__(self, response: SimResponse) -> None:
        super().__init__(response.status)
        self.response = response


class _RequestHandler(BaseHTTPRequestHandler):
    simulator: SimulatorServer
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; without TCP_NODELAY each keep-alive response
    # stalls ~40 ms on Nagle + delayed ACK.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        return  # quiet: tests read the call log instead

    def _dispatch(self) -> None:
        split = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        query = parse_qs(split.query, keep_blank_values=True)
        params = {k: v[-1] for k, v in query.items()}
        request = SimRequest(self.command, split.path, params, headers, body, query=query)
        ctype = headers.get("content-type", "")
        if body and "json" in ctype:
            try:
                request.json = json.loads(body)
            except ValueError:
                self._send(SimResponse(400, {"error": "invalid_json"}))
                return
        elif body and "x-www-form-urlencoded" in ctype:
            request.form = {
                k: v[-1] for k, v in parse_qs(body.decode("utf-8"), keep_blank_values=True).items()
            }
        _, response = self.simulator.handle(request)
        try:
            self._send(response)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client stopped waiting (its timeout, a hold)

    def _send(self, response: SimResponse) -> None:
        if response.body is None:
            payload = b""
        elif isinstance(response.body, bytes):
            payload = response.body
        elif isinstance(response.body, str) and not response.content_type.startswith(
            "application/json"
        ):
            payload = response.body.encode("utf-8")
        else:
            payload = json.dumps(response.body).encode("utf-8")
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(payload)))
        for key, value in response.headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(payload)

    do_GET = _dispatch
    do_POST = _dispatch
    do_PUT = _dispatch
    do_DELETE = _dispatch
