"""`/support stats` and `/support digest` over signed HTTP, and the weekly digest sweep."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from harness import TravellingClock
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.bugs.models import Bug, BugLink
from bot.db import transaction
from bot.insights import digest
from bot.insights.models import DigestRun
from bot.settings import Settings, describe_errors
from bot.tickets.models import Ticket
from integrations.simulators.driver.client import DriverResponse
from scheduling.sweeps import digest as digest_sweep

# Monday 9 March 2026, 08:00 UTC: the default digest (Mondays 09:00, TIMEZONE=UTC) is an hour off.
START = datetime(2026, 3, 9, 8, 0, tzinfo=UTC)
FIRE = datetime(2026, 3, 9, 9, 0, tzinfo=UTC)
SUPPORT = "C0SUPPORT"
LEADS_CHANNEL = "C0LEADS"


@pytest.fixture
def clock() -> Iterator[TravellingClock]:
    """Time starts an hour before the default digest, for the app, the simulator and Python."""
    with time_machine.travel(START, tick=False) as traveller:
        yield TravellingClock(START, traveller)


def _support(app: Any, text: str, user: str = "U0LEAD") -> DriverResponse:
    answer = app.driver.command("/support", text, user_id=user, channel_id=SUPPORT)
    assert answer.status == 200
    return answer


def _shown(answer: DriverResponse) -> str:
    body = answer.json if isinstance(answer.json, dict) else {}
    return str(body.get("text", "")) + json.dumps(body.get("blocks") or [], ensure_ascii=False)


def _seed(session: Session, now: datetime) -> None:
    """Six tickets this week (answered in 1..6 hours), two the week before, one linked bug."""
    tickets = []
    for i in range(8):
        seen = now - timedelta(hours=20 + i) if i < 6 else now - timedelta(days=9)
        row = Ticket(
            provider="zendesk",
            external_id=str(500 + i),
            subject=f"Ticket {i}",
            tags=["billing", "<!channel>"] if i < 3 else ["login"],
            opened_at=seen,
            channel_id=SUPPORT,
            routed_channel_id=SUPPORT,
            root_key=f"ticket:zendesk:{500 + i}:root",
            first_seen_at=seen,
            first_response_at=seen + timedelta(hours=i + 1),
            response_due_at=seen + timedelta(hours=4),
            resolve_due_at=seen + timedelta(hours=48),
        )
        session.add(row)
        tickets.append(row)
    bug = Bug(
        key="SUP-42",
        summary="Checkout <b>fails</b>",
        url="https://jira.example/browse/SUP-42",
        status="In Progress",
        category="indeterminate",
        fix_versions=[],
        components=[],
        created_at=now,
        updated_at=now,
    )
    session.add(bug)
    session.flush()
    for t in tickets[:3]:
        session.add(
            BugLink(bug_id=bug.id, ticket_id=t.id, how="filed", linked_by="U0AGENT", linked_at=now)
        )


def _sweep(app: Any) -> dict[str, Any]:
    with transaction(app.runtime.factory) as session:
        result = digest_sweep.sweep_for(app.runtime.settings)(session, app.clock.now())
    app.settle()
    return result


def _runs(app: Any) -> list[tuple[datetime, str, str]]:
    with transaction(app.runtime.factory) as session:
        rows = session.scalars(select(DigestRun).order_by(DigestRun.fire_at))
        return [(r.fire_at, r.status, r.channel_id) for r in rows]


def _digests(app: Any, channel: str) -> list[dict[str, Any]]:
    return [m for m in app.slack.messages(channel) if "Weekly support digest" in m["text"]]


def test_stats_answers_everyone_with_the_periods_figures(app: Any) -> None:
    with transaction(app.runtime.factory) as session:
        _seed(session, app.clock.now())
    answer = _support(app, "stats", user="U0AGENT")
    assert answer.json["response_type"] == "ephemeral"
    shown = _shown(answer)
    for expected in ("the last 7 days", "*6* tickets", "+200%", "3h 30m", "*67%* (4 of 6)"):
        assert expected in shown, expected
    assert "`billing` 3" in shown and "`login` 3" in shown
    assert "<!channel>" not in shown and "&lt;!channel&gt;" in shown
    month = _shown(_support(app, "stats 30d", user="U0AGENT"))
    assert "the last 30 days" in month and "*8* tickets" in month


@pytest.mark.parametrize("text", ["stats soon", "stats 0d", "stats 7d please"])
def test_a_bad_period_gets_the_usage_line(app: Any, text: str) -> None:
    answer = _support(app, text, user="U0AGENT")
    assert answer.ephemeral and ":warning:" in answer.ephemeral[0]
    assert "Usage: `/support stats [<period>]`" in answer.ephemeral[0]


def test_a_lead_sees_and_changes_the_digest_schedule(app: Any) -> None:
    app.slack.add_channel(LEADS_CHANNEL, "support-leads", members=["U0LEAD"])
    shown = _shown(_support(app, "digest"))
    assert "is on" in shown and "Mondays at 09:00 (UTC)" in shown
    assert f"<#{SUPPORT}>" in shown and "in 1 hour" in shown
    shown = _shown(_support(app, "digest at fri 16:30 Europe/Berlin"))
    assert "Saved" in shown and "Fridays at 16:30 (Europe/Berlin)" in shown
    assert "^{date_short_pretty} {time}|Fri 13 Mar 16:30 CET>" in shown  # the reader's time
    shown = _shown(_support(app, f"digest channel <#{LEADS_CHANNEL}|support-leads>"))
    assert f"<#{LEADS_CHANNEL}>" in shown
    assert "is *off*" in _shown(_support(app, "digest off"))
    shown = _shown(_support(app, "digest show"))
    assert "is *off*" in shown and "Fridays at 16:30" in shown and f"<#{LEADS_CHANNEL}>" in shown
    assert "is on" in _shown(_support(app, "digest on"))


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("digest at someday 09:00", "is not a day"),
        ("digest at mon 25:00", "is not a time"),
        ("digest at mon 09:00 Mars/Olympus", "is not a time zone"),
        ("digest channel #support-leads", "is not a channel"),
        ("digest shout", "is not a digest action"),
        ("digest on now", "takes nothing more"),
    ],
)
def test_bad_digest_arguments_get_the_usage_line(app: Any, text: str, words: str) -> None:
    [shown] = _support(app, text).ephemeral
    assert words in shown and "Usage: `/support digest [show | at <mon..sun>" in shown


def test_a_non_lead_is_refused_the_digest_naming_the_leads(app: Any) -> None:
    for text in ("digest", "digest off", "digest preview"):
        [shown] = _support(app, text, user="U0AGENT").ephemeral
        assert "leads only" in shown and "<@U0LEAD>" in shown
    assert "is on" in _shown(_support(app, "digest"))


def test_help_explains_stats_and_digest(app: Any) -> None:
    assert "median and p90" in _shown(_support(app, "help stats", user="U0AGENT"))
    shown = _shown(_support(app, "help digest", user="U0AGENT"))
    assert "leads only" in shown and "DIGEST_CHANNEL" in shown


def test_the_digest_goes_out_once_at_its_cron_time_in_its_channel(app: Any) -> None:
    app.slack.add_channel(LEADS_CHANNEL, "support-leads", members=["U0LEAD"])
    _support(app, f"digest channel {LEADS_CHANNEL}")
    with transaction(app.runtime.factory) as session:
        _seed(session, app.clock.now())
    app.clock.advance(minutes=59)
    # Before 09:00 the latest scheduled digest is last week's, long gone: recorded, not posted.
    assert _sweep(app) == {"sent": 0, "skipped": 1}
    assert _sweep(app) == {"sent": 0, "skipped": 0}
    assert _digests(app, LEADS_CHANNEL) == []
    app.clock.advance(seconds=90)  # the first tick after 09:00
    assert _sweep(app)["sent"] == 1
    assert _sweep(app)["sent"] == 0  # a second run (or replica) posts nothing more
    [posted] = _digests(app, LEADS_CHANNEL)
    shown = posted["text"] + json.dumps(posted["blocks"])
    for expected in ("*6* tickets", "SUP-42", "Checkout &lt;b&gt;fails&lt;/b&gt;", "3 open"):
        assert expected in shown, expected
    assert "`billing` 3" in shown and "<!channel>" not in shown
    assert _digests(app, SUPPORT) == []
    assert _runs(app) == [
        (FIRE - timedelta(days=7), "skipped", LEADS_CHANNEL),
        (FIRE, "sent", LEADS_CHANNEL),
    ]
    app.clock.advance(days=7)
    _sweep(app)
    _sweep(app)
    assert len(_digests(app, LEADS_CHANNEL)) == 2
    assert [status for _, status, _ in _runs(app)] == ["skipped", "sent", "sent"]


def test_a_digest_missed_by_more_than_a_day_is_skipped_not_posted(app: Any) -> None:
    app.clock.advance(hours=26)  # the bot was down from before Monday 09:00 to Tuesday 10:00
    assert _sweep(app) == {"sent": 0, "skipped": 1}
    assert _digests(app, SUPPORT) == []
    assert _runs(app) == [(FIRE, "skipped", SUPPORT)]
    shown = _shown(_support(app, "digest"))
    assert "skipped (missed: 25 hours late)" in shown
    app.clock.advance(days=6)  # the next Monday, 10:00: an hour late is still posted
    assert _sweep(app)["sent"] == 1
    assert len(_digests(app, SUPPORT)) == 1


def test_moving_the_time_after_a_digest_went_out_does_not_post_another(app: Any) -> None:
    app.clock.advance(hours=1, minutes=30)
    assert _sweep(app)["sent"] == 1
    _support(app, "digest at mon 09:15")  # Monday 09:15 has passed too, after the 09:00 one
    assert _sweep(app) == {"sent": 0, "skipped": 1}
    assert len(_digests(app, SUPPORT)) == 1


def test_a_digest_that_is_off_is_neither_posted_nor_recorded(app: Any) -> None:
    _support(app, "digest off")
    app.clock.advance(hours=2)
    assert _sweep(app) == {"sent": 0, "skipped": 0}
    assert _runs(app) == [] and _digests(app, SUPPORT) == []


def test_digest_preview_shows_the_lead_the_last_seven_days_and_records_nothing(app: Any) -> None:
    with transaction(app.runtime.factory) as session:
        _seed(session, app.clock.now())
    answer = _support(app, "digest preview")
    assert answer.json["response_type"] == "ephemeral"
    shown = _shown(answer)
    assert "Weekly support digest (preview)" in shown and "SUP-42" in shown
    assert "Mon 2 Mar – Mon 9 Mar" in shown
    app.settle()
    assert _runs(app) == [] and _digests(app, SUPPORT) == []
    with transaction(app.runtime.factory) as session:
        assert session.scalar(select(func.count()).select_from(DigestRun)) == 0


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        # Europe/Berlin leaves CET (UTC+1) for CEST (UTC+2) on Sunday 29 March 2026.
        (datetime(2026, 3, 27, 12, 0, tzinfo=UTC), datetime(2026, 3, 23, 8, 0, tzinfo=UTC)),
        (datetime(2026, 3, 30, 7, 30, tzinfo=UTC), datetime(2026, 3, 30, 7, 0, tzinfo=UTC)),
        (datetime(2026, 3, 30, 6, 59, tzinfo=UTC), datetime(2026, 3, 23, 8, 0, tzinfo=UTC)),
    ],
)
def test_the_digest_calendar_is_local_time_across_dst(now: datetime, expected: datetime) -> None:
    config = digest.DigestConfig(channel="C1", day="mon", time="09:00", timezone="Europe/Berlin")
    assert digest_sweep.last_fire(config, now) == expected


def test_bad_digest_settings_get_one_line_each() -> None:
    with pytest.raises(ValidationError) as raised:
        Settings(_env_file=None, digest_channel="#leads", digest_day="someday", digest_time="9pm")
    lines = describe_errors(raised.value)
    assert len(lines) == 3
    assert lines[0].startswith("DIGEST_CHANNEL: must be a Slack channel id")
    assert lines[1].startswith("DIGEST_DAY: must be a day of the week")
    assert lines[2] == "DIGEST_TIME: must be a 24-hour time HH:MM (example: DIGEST_TIME=09:00)"
    fine = Settings(
        _env_file=None, support_channel="C0SUP", digest_day="Friday", digest_time="7:05"
    )
    assert digest.defaults(fine) == digest.DigestConfig("C0SUP", "fri", "07:05", "UTC")
