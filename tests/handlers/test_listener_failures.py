"""A listener that fails for a reason the user cannot fix answers Slack's way: HTTP 200 with
an apology and an error id the user can give an admin, one log line naming that id, and the
app keeps serving. The failure is real: the table the listener reads is taken away."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
from sqlalchemy import text

SUPPORT = "C0SUPPORT"


def _rename(app: Any, old: str, new: str) -> None:
    with app.runtime.engine.begin() as conn:
        conn.execute(text(f'ALTER TABLE "{old}" RENAME TO "{new}"'))


def test_a_failing_slash_command_apologises_with_an_error_id(
    app: Any, caplog: pytest.LogCaptureFixture
) -> None:
    assert (
        app.driver.command("/support", "queue", user_id="U0LEAD", channel_id=SUPPORT).status == 200
    )
    _rename(app, "tickets", "tickets_away")
    try:
        with caplog.at_level(logging.WARNING, logger="supportbot"):
            answer = app.driver.command("/support", "queue", user_id="U0LEAD", channel_id=SUPPORT)
    finally:
        _rename(app, "tickets_away", "tickets")
    assert answer.status == 200
    said = answer.json["text"]
    assert said.startswith(":warning: Sorry, that did not work.")
    error_id = re.search(r"error id: `([0-9a-f]{8})`", said)
    assert error_id is not None
    logged = [r for r in caplog.records if error_id.group(1) in r.getMessage()]
    assert len(logged) == 1 and "listener_failed" in logged[0].getMessage()
    assert "Traceback" not in said and "tickets" not in said
    again = app.driver.command("/support", "queue", user_id="U0LEAD", channel_id=SUPPORT)
    assert again.status == 200 and "Sorry" not in (again.text or "")


def test_an_event_that_could_not_be_stored_gets_a_5xx_so_slack_sends_it_again(app: Any) -> None:
    """Slack retries an event answered with a 5xx; answering 200 would lose it."""
    event = {
        "type": "app_home_opened",
        "user": "U0LEAD",
        "channel": app.slack.open_dm("U0LEAD"),
        "tab": "home",
        "event_ts": "1700000000.000100",
    }
    _rename(app, "inbound_events", "inbound_events_away")
    try:
        failed = app.driver.event(event, event_id="Ev0NOTSTORED")
    finally:
        _rename(app, "inbound_events_away", "inbound_events")
    assert failed.status == 503
    again = app.driver.event(event, event_id="Ev0NOTSTORED", retry_num=1, retry_reason="http_error")
    assert again.status == 200
    with app.runtime.engine.connect() as conn:
        stored = conn.execute(
            text("SELECT count(*) FROM inbound_events WHERE external_id = 'Ev0NOTSTORED'")
        ).scalar()
    assert stored == 1
