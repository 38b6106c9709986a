"""/slack/events through signed HTTP: commands, events, and every kind of bad request."""

from __future__ import annotations

import json
from typing import Any

import requests
from sqlalchemy import func, select

from bot.db import transaction
from bot.models import InboundEvent
from integrations.signatures import sign_slack


def _stored(app: Any) -> int:
    with transaction(app.runtime.factory) as session:
        return session.scalar(select(func.count()).select_from(InboundEvent)) or 0


def test_support_help_lists_every_subcommand(app: Any) -> None:
    answer = app.driver.command("/support", "help", user_id="U0AGENT", channel_id="C0SUPPORT")
    assert answer.status == 200
    body = answer.json
    assert body["response_type"] == "ephemeral"
    assert "help" in body["text"]
    shown = json.dumps(body["blocks"])
    assert "/support help" in shown


def test_support_without_subcommand_shows_help(app: Any) -> None:
    answer = app.driver.command("/support", "", user_id="U0AGENT", channel_id="C0SUPPORT")
    assert "/support help" in json.dumps(answer.json["blocks"])


def test_unknown_subcommand_says_so_and_shows_help(app: Any) -> None:
    answer = app.driver.command(
        "/support", "frobnicate <!channel>", user_id="U0AGENT", channel_id="C0SUPPORT"
    )
    text = json.dumps(answer.json)
    assert "Unknown subcommand" in text and "frobnicate" in text
    assert "<!channel>" not in text  # user text is escaped


def test_help_for_one_subcommand_explains_it(app: Any) -> None:
    answer = app.driver.command("/support", "help help", user_id="U0AGENT", channel_id="C0SUPPORT")
    assert "/support help [<subcommand>]" in answer.json["text"]


def _post(app: Any, body: bytes, headers: dict[str, str]) -> requests.Response:
    return requests.post(f"{app.url}/slack/events", data=body, headers=headers, timeout=10)


def _signed(
    app: Any,
    body: bytes,
    *,
    ts: int | None = None,
    content_type: str = "application/json",
    secret: str | None = None,
) -> dict[str, str]:
    stamp = str(ts if ts is not None else int(app.clock.epoch()))
    from harness import SIGNING_SECRET

    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": sign_slack(secret or SIGNING_SECRET, stamp, body),
    }


def _event_body(event_id: str = "Ev0001") -> bytes:
    return json.dumps(
        {
            "type": "event_callback",
            "team_id": "T0SIM",
            "api_app_id": "A0SIM",
            "event_id": event_id,
            "event_time": 1,
            "event": {
                "type": "app_home_opened",
                "user": "U0AGENT",
                "channel": "D0AGENT",
                "tab": "home",
                "event_ts": "1.000001",
            },
        }
    ).encode()


def test_unsigned_request_gets_401_and_changes_nothing(app: Any) -> None:
    response = _post(app, _event_body(), {"Content-Type": "application/json"})
    assert response.status_code == 401
    assert _stored(app) == 0


def test_wrongly_signed_request_gets_401(app: Any) -> None:
    body = _event_body()
    response = _post(app, body, _signed(app, body, secret="not-the-secret"))
    assert response.status_code == 401
    assert _stored(app) == 0


def test_requests_are_checked_against_the_apps_clock(app: Any) -> None:
    """One clock for the app: a request signed three days on, when the app's clock says so
    too, is answered (the demo runs days of a story in seconds)."""
    app.clock.advance(days=3)
    answer = app.driver.command("/support", "help", user_id="U0AGENT", channel_id="C0SUPPORT")
    assert answer.status == 200 and "supportbot commands" in answer.json["text"]
    body = _event_body()
    wall_clock = _post(app, body, _signed(app, body, ts=int(app.clock.epoch()) - 3 * 86400))
    assert wall_clock.status_code == 401


def test_stale_request_gets_401(app: Any) -> None:
    body = _event_body()
    response = _post(app, body, _signed(app, body, ts=int(app.clock.epoch()) - 301))
    assert response.status_code == 401
    assert _stored(app) == 0


def test_signed_but_malformed_bodies_get_400(app: Any) -> None:
    cases = [
        (b"{not json", "application/json"),
        (b"[1, 2]", "application/json"),
        (b"payload=%7Bnope", "application/x-www-form-urlencoded"),
        (b"hello=world", "application/x-www-form-urlencoded"),
        (b"\xff\xfe", "application/json"),
    ]
    for body, content_type in cases:
        response = _post(app, body, _signed(app, body, content_type=content_type))
        assert response.status_code == 400, body
        assert response.json()["error"]
    assert _stored(app) == 0


def test_body_over_one_mebibyte_gets_413(app: Any) -> None:
    body = b"{" + b" " * (1024 * 1024 + 10) + b"}"
    response = _post(app, body, _signed(app, body))
    assert response.status_code == 413
    assert _stored(app) == 0


def test_app_home_is_published_once_even_when_slack_retries_the_event(app: Any) -> None:
    event = {
        "type": "app_home_opened",
        "user": "U0AGENT",
        "channel": "D0AGENT",
        "tab": "home",
        "event_ts": "1700000000.000100",
    }
    first = app.driver.event(event, event_id="Ev0HOME")
    again = app.driver.event(event, event_id="Ev0HOME", retry_num=1, retry_reason="http_timeout")
    assert first.status == 200 and again.status == 200
    assert _stored(app) == 1
    app.settle()
    home = app.slack.home("U0AGENT")
    assert home is not None and "supportbot" in json.dumps(home)
    assert len(app.slack.calls_to("views.publish")) == 1


def test_home_refresh_button_publishes_again(app: Any) -> None:
    app.driver.block_action("U0AGENT", "home_refresh", view={"type": "home", "id": "V0HOME"})
    app.settle()
    assert len(app.slack.calls_to("views.publish")) == 1


def test_healthz_reports_database_scheduler_and_outbox(app: Any) -> None:
    report = requests.get(f"{app.url}/healthz", timeout=10).json()
    assert report["database"]["ok"] is True
    assert report["scheduler"]["running"] is False
    assert report["outbox"] == {"backlog": 0, "dead_letters": 0, "sent": 0}
    app.runtime.announce()
    report = requests.get(f"{app.url}/healthz", timeout=10).json()
    assert report["outbox"]["backlog"] == 1


def test_welcome_note_is_posted_once_however_often_the_app_starts(app: Any) -> None:
    app.runtime.announce()
    app.settle()
    app.runtime.announce()
    app.settle()
    notes = app.slack.messages("C0SUPPORT")
    assert len(notes) == 1 and "supportbot is connected" in notes[0]["text"]


def test_jira_webhook_without_a_secret_configured_answers_503(app: Any) -> None:
    assert requests.post(f"{app.url}/webhooks/jira", json={}, timeout=10).status_code == 503


def test_a_command_mentioning_payload_is_answered(app: Any) -> None:
    # Bolt reads any form containing the word "payload" as an interaction payload.
    answer = app.driver.command(
        "/support", "help payload", user_id="U0AGENT", channel_id="C0SUPPORT"
    )
    assert answer.status == 200, answer.text
    assert "payload" in answer.json["text"]
