"""What a request body may be before the app trusts it, and how a refusal is answered and logged.

- Over 1 MiB: 413, from the ASGI middleware below, before any route reads the body.
- JSON is decoded only by `decode_json`: UTF-8, standard JSON (no NaN or Infinity), at most
  `MAX_DEPTH` levels deep, numbers within 64 bits, no NUL characters or unpaired surrogates
  (neither can be stored in PostgreSQL). Anything else is a `BodyError`, answered 400.
- Every refusal is answered `{"error": reason}` and logged as one line naming the endpoint,
  the status and the reason: never the body, never a traceback.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from fastapi.responses import JSONResponse

MAX_BODY = 1024 * 1024
# Real payloads nest about a dozen levels (a Slack view, a Jira issue with a rich description);
# far below the depth at which decoding or storing recurses out of stack.
MAX_DEPTH = 64
MAX_INT = 2**63 - 1
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")

log = logging.getLogger("supportbot.refused")

Scope = dict[str, Any]


class BodyError(ValueError):
    """A body that cannot be trusted; the message is the reason given to the sender."""


def refuse(endpoint: str, reason: str, status: int = 400) -> JSONResponse:
    """Answer a refused request with its reason, and log one line (no body, no traceback)."""
    log.info("request.refused endpoint=%s status=%d reason=%s", endpoint, status, reason[:200])
    return JSONResponse({"error": reason}, status_code=status)


def _constant(name: str) -> Any:
    raise BodyError(f"{name} is not a JSON number")


def _float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise BodyError("a number is out of range")
    return value


def decode_json(body: bytes | str) -> Any:
    """The JSON value of a body, checked as described above; BodyError when it is not one."""
    try:
        text = body.decode("utf-8") if isinstance(body, bytes) else body
    except UnicodeDecodeError:
        raise BodyError("body is not UTF-8") from None
    try:
        value = json.loads(text, parse_constant=_constant, parse_float=_float)
    except RecursionError:
        raise BodyError(f"JSON is nested deeper than {MAX_DEPTH} levels") from None
    except BodyError:
        raise
    except ValueError:
        raise BodyError("body is not JSON") from None
    check_json(value)
    return value


def check_json(value: Any) -> None:
    """Raise BodyError when a decoded value is too deep or holds what cannot be stored."""
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict | list):
            if depth > MAX_DEPTH:
                raise BodyError(f"JSON is nested deeper than {MAX_DEPTH} levels")
            children = item.values() if isinstance(item, dict) else item
            pending.extend((child, depth + 1) for child in children)
            if isinstance(item, dict):
                pending.extend((key, depth) for key in item)
        elif isinstance(item, str):
            if _UNSTORABLE.search(item):
                raise BodyError("a string holds a NUL character or an unpaired surrogate")
        elif isinstance(item, int) and not isinstance(item, bool) and abs(item) > MAX_INT:
            raise BodyError("a number is out of range")


class BodyLimit:
    """Answer 413 when Content-Length or the streamed body exceeds the limit."""

    def __init__(self, app: Any, limit: int = MAX_BODY) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await _too_large(scope, send)
            return
        seen = 0
        responded = False

        async def limited_receive() -> dict[str, Any]:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise _TooLarge
            return message

        async def tracking_send(message: dict[str, Any]) -> None:
            nonlocal responded
            if message["type"] == "http.response.start":
                responded = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:
            if not responded:
                await _too_large(scope, send)


class _TooLarge(Exception):
    pass


async def _too_large(scope: Scope, send: Any) -> None:
    reason = "request body is larger than 1 MiB"
    path = str(scope.get("path", "?"))[:100]
    log.info("request.refused endpoint=%s status=413 reason=%s", path, reason)
    body = json.dumps({"error": reason}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
