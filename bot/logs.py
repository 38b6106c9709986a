"""Logging set-up: key=value text or JSON lines, with secrets scrubbed from every record.

Log messages read `event.name key=value key=value`; in JSON each key becomes its own field
(`{"msg": "event.name", "key": "value", ...}`), as do `extra={...}` attributes.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any

# Slack tokens, Basic/Bearer credentials: never written, whatever a library puts in a message.
_SECRETS = re.compile(
    r"(xox[abposr]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+|(?i:authorization:?\s*(?:basic|bearer)\s+)\S+)"
)
# ` key=` where a field starts (keys are lower-case identifiers, dots allowed).
_KEY = re.compile(r"(?:^|\s)([a-z_][a-z0-9_.]*)=")
_INT = re.compile(r"^-?\d{1,18}$")
_FLOAT = re.compile(r"^-?\d+\.\d+$")
_RESERVED = {"ts", "level", "logger", "msg", "exc"}
# Attributes every LogRecord has; anything else on a record came from `extra=`.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


def scrub(text: str) -> str:
    """Replace anything that looks like a token or credential."""
    return _SECRETS.sub("[redacted]", text)


def fields(message: str) -> dict[str, Any]:
    """Split `event.name key=value key=two words` into {"msg": "event.name", "key": ...}.

    A value runs to the next ` key=`; quotes around it are dropped; whole numbers and
    decimals become numbers, true/false booleans.
    """
    found = list(_KEY.finditer(message))
    if not found:
        return {"msg": message}
    out: dict[str, Any] = {"msg": message[: found[0].start()].strip()}
    for index, match in enumerate(found):
        end = found[index + 1].start() if index + 1 < len(found) else len(message)
        key = match.group(1)
        out[key + "_" if key in _RESERVED else key] = _value(message[match.end() : end].strip())
    return out


def _value(raw: str) -> Any:
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "'\"":
        return raw[1:-1]
    if _INT.match(raw):
        return int(raw)
    if _FLOAT.match(raw):
        return float(raw)
    if raw in ("true", "false", "True", "False"):
        return raw.lower() == "true"
    return raw


class _Scrubbing(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return scrub(super().format(record))


class _Json(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
        }
        entry.update(fields(record.getMessage()))
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key + "_" if key in _RESERVED else key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return scrub(json.dumps(entry, default=str))


def configure(level: str = "INFO", fmt: str = "text") -> None:
    """Send logs to stderr in the chosen format."""
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(_Json())
    else:
        handler.setFormatter(_Scrubbing("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("apscheduler", "uvicorn.access", "slack_bolt", "urllib3"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
