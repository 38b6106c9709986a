"""Logs: each key=value of a message is its own JSON field, and tokens never get out."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest

from bot import logs


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_key_values_become_fields() -> None:
    assert logs.fields(
        "outbox.retry key=ticket:1:root error=ratelimited attempt=2 in=1.5s ok=true"
    ) == {
        "msg": "outbox.retry",
        "key": "ticket:1:root",
        "error": "ratelimited",
        "attempt": 2,
        "in": "1.5s",
        "ok": True,
    }


def test_a_value_of_several_words_and_quoted_values_stay_whole() -> None:
    assert logs.fields("webhook.ignored source=zendesk reason=not a ticket event") == {
        "msg": "webhook.ignored",
        "source": "zendesk",
        "reason": "not a ticket event",
    }
    assert logs.fields("outbox.dead hint='invite the bot (/invite @bot)' ms=12.5") == {
        "msg": "outbox.dead",
        "hint": "invite the bot (/invite @bot)",
        "ms": 12.5,
    }
    assert logs.fields("supportbot.stopping") == {"msg": "supportbot.stopping"}


def test_json_lines_carry_fields_extras_and_no_tokens(
    restore_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    logs.configure("INFO", "json")
    log = logging.getLogger("supportbot.test")
    log.info("sweep.done job=%s done=%d level=%s", "sla", 3, "x", extra={"replica": "a"})
    log.warning("slack.failed token=%s", "xoxb-1234-secret")
    err = capsys.readouterr().err
    first, second = (json.loads(line) for line in err.splitlines())
    assert first["msg"] == "sweep.done" and first["logger"] == "supportbot.test"
    assert first["job"] == "sla" and first["done"] == 3 and first["replica"] == "a"
    assert first["level"] == "info" and first["level_"] == "x"  # a clashing key keeps both
    assert second["token"] == "[redacted]"
