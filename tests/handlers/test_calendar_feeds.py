"""Shifts in calendars: `/support calendar` links, the iCalendar feed over HTTP, revocation."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, timedelta
from typing import Any

import pytest
import requests
from harness import TravellingClock, start_app
from icalendar import Calendar
from rotation_helpers import (
    BACKEND,
    MONDAY,
    ROTATION_CHANNEL,
    add_workspace,
    form_values,
    refresh_directory,
    seats,
)
from sqlalchemy import select

from bot.db import transaction
from bot.rotations import attendance, lifecycle, offers
from bot.rotations.config import spec_of
from bot.rotations.models import CalendarToken, Rotation, ShiftOffer

pytestmark = pytest.mark.travel(MONDAY)

PUBLIC = "https://supportbot.example.com"


@pytest.fixture
def app(db_url: str, clock: TravellingClock) -> Iterator[Any]:
    running = start_app(db_url, clock=clock, public_url=PUBLIC)
    add_workspace(running.slack)
    refresh_directory(running)
    opened = running.driver.command(
        "/support", "rotation create", user_id="U0LEAD", channel_id=ROTATION_CHANNEL
    )
    answer = running.driver.view_submission("U0LEAD", opened.view or {}, form_values())
    assert answer.errors is None
    yield running
    running.stop()


def _link(app: Any, user: str, text: str = "calendar") -> str:
    answer = app.driver.command("/support", text, user_id=user, channel_id="C0SUPPORT")
    found = re.search(rf"<({re.escape(PUBLIC)}/calendar/[^>|]+\.ics)>", answer.json["text"])
    assert found, answer.json["text"]
    return found.group(1)


def _get(app: Any, link: str) -> requests.Response:
    return requests.get(app.url + link.removeprefix(PUBLIC), timeout=10)


def _events(app: Any, link: str) -> list[Any]:
    answer = _get(app, link)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/calendar")
    return list(Calendar.from_ical(answer.content).walk("VEVENT"))


def _rotation_id(app: Any) -> int:
    with transaction(app.runtime.factory) as session:
        found = session.scalar(select(Rotation.id))
    assert found is not None
    return found


def test_a_personal_feed_lists_the_shifts_on_the_rotations_wall_clock(app: Any) -> None:
    mine = [s for s in seats(app.runtime.factory, _rotation_id(app)) if s.user_id == "U0BE1"]
    link = _link(app, "U0BE1")
    body = _get(app, link).content
    cal = Calendar.from_ical(body)
    assert cal["VERSION"] == "2.0" and "supportbot" in str(cal["PRODID"])
    assert [tz["TZID"] for tz in cal.walk("VTIMEZONE")] == ["Europe/Berlin"]
    events = _events(app, link)
    assert len(events) == len(mine) > 0
    first = events[0]
    start = first.decoded("DTSTART")
    assert (start.hour, str(start.tzinfo)) == (14, "Europe/Berlin")  # 14:00 Berlin, not UTC
    assert start.astimezone(UTC) == mine[0].starts_at
    assert first.decoded("DTEND") - start == timedelta(hours=2)
    assert "chat-support" in str(first["SUMMARY"])
    assert b"DTSTART;TZID=Europe/Berlin:" in body
    assert len({str(e["UID"]) for e in events}) == len(events)


def test_the_feed_follows_a_swap(app: Any) -> None:
    seat = next(s for s in seats(app.runtime.factory, _rotation_id(app)) if s.user_id == "U0BE1")
    mine = _link(app, "U0BE1")
    uid = f"seat-{seat.id}@supportbot"
    assert uid in {str(e["UID"]) for e in _events(app, mine)}
    with transaction(app.runtime.factory) as session:
        attendance.start_swap(session, "U0BE1", app.clock.now(), seat_id=seat.id)
        offer = session.scalar(select(ShiftOffer))
        assert offer is not None
        taker = offer.asked[0]
        offers.accept(session, offer.id, taker, app.clock.now())
    assert uid not in {str(e["UID"]) for e in _events(app, mine)}
    theirs = {str(e["UID"]): e for e in _events(app, _link(app, taker))}
    assert int(theirs[uid]["SEQUENCE"]) == 1


def test_reset_revokes_and_unknown_links_reveal_nothing(app: Any) -> None:
    link = _link(app, "U0BE1")
    other = _link(app, "U0BE1")
    assert link != other and _get(app, link).status_code == 200
    answer = app.driver.command(
        "/support", "calendar reset", user_id="U0BE1", channel_id="C0SUPPORT"
    )
    assert "Revoked 2 calendar links" in answer.json["text"]
    unknown = f"{PUBLIC}/calendar/{'A' * 43}.ics"
    bodies = set()
    for path in (link, other, unknown, f"{PUBLIC}/calendar/nope", f"{PUBLIC}/calendar/x.ics"):
        got = _get(app, path)
        assert got.status_code == 404
        bodies.add(got.text)
    assert len(bodies) == 1 and "BEGIN" not in bodies.pop()
    with transaction(app.runtime.factory) as session:
        stored = session.scalars(select(CalendarToken.token_hash)).all()
    token = link.rsplit("/", 1)[1].removesuffix(".ics")
    assert stored and token not in stored  # only hashes are kept


def test_leads_get_a_rotation_feed_and_others_are_told_no(app: Any) -> None:
    refused = app.driver.command(
        "/support", "calendar chat-support", user_id="U0BE1", channel_id="C0SUPPORT"
    )
    assert "Only leads of chat-support" in refused.json["text"]
    events = _events(app, _link(app, "U0LEAD", "calendar chat-support"))
    assert len(events) == 12  # four weeks of Mon/Wed/Fri
    names = " ".join(str(e["SUMMARY"]) for e in events)
    assert any(name in names for name in BACKEND.values())
    unknown = app.driver.command(
        "/support", "calendar no-such", user_id="U0LEAD", channel_id="C0SUPPORT"
    )
    assert "No rotation called" in unknown.json["text"]


def test_without_a_public_url_the_command_says_what_to_set(
    db_url: str, clock: TravellingClock
) -> None:
    running = start_app(db_url, clock=clock)
    try:
        answer = running.driver.command(
            "/support", "calendar", user_id="U0AGENT", channel_id="C0SUPPORT"
        )
        assert "PUBLIC_URL" in answer.json["text"]
        with transaction(running.runtime.factory) as session:
            assert session.scalar(select(CalendarToken.id)) is None
    finally:
        running.stop()


def test_a_feed_keeps_a_year_of_past_shifts(app: Any) -> None:
    link = _link(app, "U0BE1")
    count = len(_events(app, link))
    app.clock.set(MONDAY + timedelta(days=400))
    assert len(_events(app, link)) == 0 < count


def test_a_new_check_in_window_shows_in_the_feed(app: Any) -> None:
    link = _link(app, "U0BE1")
    before = [str(e["DESCRIPTION"]) for e in _events(app, link)]
    assert all("between 13:45 CET and 14:10 CET" in d for d in before), before[0]
    with transaction(app.runtime.factory) as session:
        rotation = lifecycle.get(session, "chat-support")
        spec = spec_of(rotation)
        spec.checkin_before = 30
        lifecycle.update(session, rotation, spec, actor="U0LEAD", now=app.clock.now())
    after = [str(e["DESCRIPTION"]) for e in _events(app, link)]
    assert all("between 13:30 CET and 14:10 CET" in d for d in after), after[0]
