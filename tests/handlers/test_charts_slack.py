"""Charts in the weekly digest and `/support stats`: a PNG shared with alt text through
files.getUploadURLExternal / files.completeUploadExternal, checked in the Slack simulator."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from harness import TravellingClock
from sqlalchemy.orm import Session

from bot.db import transaction
from bot.insights import charts
from bot.models import OutboxMessage
from bot.tickets.models import Ticket
from scheduling.sweeps import digest as digest_sweep

START = datetime(2026, 3, 9, 9, 0, 30, tzinfo=UTC)  # just after the default digest's time
SUPPORT = "C0SUPPORT"


@pytest.fixture
def clock() -> Iterator[TravellingClock]:
    with time_machine.travel(START, tick=False) as traveller:
        yield TravellingClock(START, traveller)


def _seed(session: Session, now: datetime) -> None:
    """Tickets over eight weeks: `billing` growing, `login` steady."""
    n = 0
    for week in range(8):
        for i in range(2 + week):
            n += 1
            seen = now - timedelta(weeks=8 - week) + timedelta(hours=i + 1)
            session.add(
                Ticket(
                    provider="zendesk",
                    external_id=str(n),
                    subject=f"Ticket {n}",
                    tags=["billing"] if i % 2 else ["login"],
                    channel_id=SUPPORT,
                    routed_channel_id=SUPPORT,
                    root_key=f"ticket:zendesk:{n}:root",
                    first_seen_at=seen,
                    opened_at=seen,
                    first_response_at=seen + timedelta(hours=1),
                    response_due_at=seen + timedelta(hours=4),
                    resolve_due_at=seen + timedelta(hours=48),
                )
            )


def _digest(app: Any) -> dict[str, Any]:
    with transaction(app.runtime.factory) as session:
        result = digest_sweep.sweep_for(app.runtime.settings)(session, app.clock.now())
    app.settle()
    return result


def test_the_digest_posts_its_text_then_one_chart_with_alt_text(app: Any) -> None:
    with transaction(app.runtime.factory) as session:
        _seed(session, app.clock.now())
    assert _digest(app)["sent"] == 1
    assert _digest(app)["sent"] == 0
    messages = app.slack.messages(SUPPORT)
    [text] = [m for m in messages if "Weekly support digest" in m["text"]]
    assert "A chart follows below" in str(text["blocks"])
    [chart] = app.slack.shared_files()
    assert chart["channel"] == SUPPORT and chart["png"] and chart["bytes"] == chart["size"]
    assert chart["name"] == "support-digest-20260309-0900.png"
    assert chart["title"] == "Support, 8 weeks to 9 Mar 2026"
    alt = chart["alt_txt"]
    assert "Tickets per week over 8 weeks from 12 Jan: 2, 3, 4, 5, 6, 7, 8, 9" in alt
    assert "billing" in alt and "login" in alt
    assert "SLA attainment: first response 100%" in alt
    shared = [m for m in messages if m.get("files")]
    assert [m["files"][0]["id"] for m in shared] == [chart["id"]]
    assert float(shared[0]["ts"]) > float(text["ts"])  # the text first


def test_stats_answers_at_once_and_sends_the_chart_to_the_dm(app: Any) -> None:
    with transaction(app.runtime.factory) as session:
        _seed(session, app.clock.now())
    answer = app.driver.command("/support", "stats", user_id="U0AGENT", channel_id=SUPPORT)
    assert answer.json["response_type"] == "ephemeral"
    assert "A chart follows in your DM with the bot" in str(answer.json["blocks"])
    app.settle()
    [chart] = app.slack.shared_files()
    assert chart["channel"] == app.slack.open_dm("U0AGENT")
    assert "Tickets per week" in chart["alt_txt"] and chart["png"]
    app.driver.command("/support", "stats 30d", user_id="U0AGENT", channel_id=SUPPORT)
    app.settle()
    assert len(app.slack.shared_files()) == 2  # one per request


def test_no_data_says_so_instead_of_an_empty_chart(app: Any) -> None:
    answer = app.driver.command("/support", "stats", user_id="U0AGENT", channel_id=SUPPORT)
    assert "No chart: no tickets" in str(answer.json["blocks"])
    assert _digest(app)["sent"] == 1
    [text] = [m for m in app.slack.messages(SUPPORT) if "Weekly support digest" in m["text"]]
    assert "No chart: no tickets" in str(text["blocks"])
    assert app.slack.shared_files() == []


def test_a_failed_upload_keeps_the_text_and_is_retried_once(app: Any) -> None:
    with transaction(app.runtime.factory) as session:
        _seed(session, app.clock.now())
    app.slack.fail_method("files.completeUploadExternal", "internal_error")
    _digest(app)
    assert [m for m in app.slack.messages(SUPPORT) if "Weekly support digest" in m["text"]]
    assert app.slack.shared_files() == []
    with transaction(app.runtime.factory) as session:
        row = session.query(OutboxMessage).filter(OutboxMessage.key.like("digest:%:chart")).one()
        assert (row.status, row.last_error) == ("pending", "internal_error")
    app.clock.advance(minutes=10)
    app.settle()
    [chart] = app.slack.shared_files()
    assert chart["channel"] == SUPPORT
    digests = [m for m in app.slack.messages(SUPPORT) if "Weekly support digest" in m["text"]]
    assert len(digests) == 1


def test_alt_text_states_the_main_figures_within_slacks_limit() -> None:
    chart = {
        "weeks": ["1 Jan", "8 Jan"],
        "total": [3, 9],
        "series": [{"name": "billing", "counts": [1, 6]}],
        "sla": {"response": 0.5, "resolve": None},
        "teams": [{"team": "@backend", "staffed": 4, "no_shows": 1}] * 200,
    }
    alt = charts.alt_text(chart)
    assert alt.startswith("Tickets per week over 2 weeks from 1 Jan: 3, 9 (last week 9).")
    assert "billing 1 to 6" in alt and "first response 50%, resolution no outcome yet" in alt
    assert len(alt) <= 1000
    assert charts.has_data(chart)
    empty = {"total": [0, 0], "series": [], "sla": {"response": None, "resolve": None}}
    assert not charts.has_data({**empty, "teams": []})


def test_an_upload_whose_answer_was_lost_is_not_shared_twice(app: Any) -> None:
    with transaction(app.runtime.factory) as session:
        _seed(session, app.clock.now())
    # Slack shares the file, then the answer is lost (a 500 after the effect).
    app.slack.fail("files.completeUploadExternal", 500, {"ok": False}, after_effect=True)
    _digest(app)
    assert len(app.slack.shared_files()) == 1
    with transaction(app.runtime.factory) as session:
        row = session.query(OutboxMessage).filter(OutboxMessage.key.like("digest:%:chart")).one()
        assert row.status == "pending" and row.uncertain
    app.clock.advance(minutes=10)
    app.settle()
    assert len(app.slack.shared_files()) == 1  # found in the channel by its file name
    with transaction(app.runtime.factory) as session:
        row = session.query(OutboxMessage).filter(OutboxMessage.key.like("digest:%:chart")).one()
        assert row.status == "sent"
