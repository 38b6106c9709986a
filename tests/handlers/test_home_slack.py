"""The App Home by role, published when opened and again (throttled) when its data changes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from bug_helpers import file_bug, ticket_thread
from harness import start_app
from rotation_helpers import add_workspace, cache_workspace, chat_support, create_rotation, seats

from bot.db import transaction
from bot.events import home_config
from bot.ids import Action
from bot.insights import home
from scheduling.jobs import build_jobs


def _home(app: Any, user: str) -> dict[str, Any]:
    app.driver.app_home_opened(user)
    app.settle()
    view = app.slack.home(user)
    assert view is not None and view["type"] == "home"
    return view


def _shown(view: dict[str, Any]) -> str:
    return json.dumps(view["blocks"])


def _headers(view: dict[str, Any]) -> list[str]:
    return [b["text"]["text"] for b in view["blocks"] if b["type"] == "header"]


def _rotation_starting_soon(app: Any, minutes: int = 10) -> str:
    """A daily rotation whose next shift starts in `minutes` (its check-in window is open)."""
    add_workspace(app.slack)
    now = app.clock.now()
    with transaction(app.runtime.factory) as session:
        cache_workspace(session, now)
    start = now + timedelta(minutes=minutes)
    days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    spec = chat_support(timezone="UTC", days=days, start=f"{start:%H:%M}")
    rotation_id = create_rotation(app.runtime.factory, now, spec)
    return seats(app.runtime.factory, rotation_id)[0].user_id


def test_a_lead_sees_the_queue_todays_shifts_and_no_show_alerts(desk: Any) -> None:
    _rotation_starting_soon(desk)
    ticket_thread(desk, "Checkout fails")
    view = _home(desk, "U0LEAD")
    assert _headers(view)[:4] == ["supportbot", "Queue", "Today's shifts", "No-show alerts"]
    shown = _shown(view)
    assert "*1* open" in shown and "Oldest waiting" in shown
    assert "SLA breaches and risks" not in shown  # nothing at risk yet
    assert "(check-in open)" in shown
    assert "No no-shows in the last 7 days" in shown
    assert "Your next shifts" not in shown and "Top bugs" not in shown


def test_someone_without_a_role_is_pointed_at_help(app: Any) -> None:
    view = _home(app, "U0AGENT")
    assert _headers(view) == ["supportbot"]
    assert "/support help" in _shown(view)


def test_an_engineer_checks_in_from_the_home_tab(app: Any) -> None:
    holder = _rotation_starting_soon(app)
    view = _home(app, holder)
    assert "Your next shifts" in _headers(view)
    buttons = [
        e["action_id"] for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]
    ]
    assert buttons[:2] == [Action.SHIFT_CHECKIN, Action.SHIFT_CANT_MAKE_IT]
    seat_id = next(
        e["value"]
        for b in view["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == Action.SHIFT_CHECKIN
    )
    resp = app.driver.block_action(holder, Action.SHIFT_CHECKIN, value=seat_id, view=view)
    assert resp.status == 200
    app.settle()
    # Home buttons have no response_url: the answer comes by DM, and the Home shows the change.
    assert any("checked in" in m["text"].lower() for m in app.slack.dms(holder))
    refreshed = app.slack.home(holder)
    assert refreshed is not None and "_checked in_" in _shown(refreshed)


@pytest.fixture
def owners_desk(db_url: str, clock: Any) -> Iterator[Any]:
    """The app with Zendesk and Jira, and U0AGENT as a product owner."""
    running = start_app(db_url, clock=clock, zendesk=True, jira=True, product_owners="U0AGENT")
    yield running
    running.stop()


def test_a_product_owner_sees_bugs_by_support_load(owners_desk: Any) -> None:
    owners_desk.slack.add_user("U0AGENT", "agent", real_name="Ada Agent")
    _, root = ticket_thread(owners_desk, "Checkout fails")
    file_bug(owners_desk, root)
    owners_desk.settle()
    view = _home(owners_desk, "U0AGENT")
    assert "Top bugs by support load" in _headers(view)
    shown = _shown(view)
    assert "SUP-1" in shown and "*1 open* / 1 ticket" in shown
    assert "Support load per component" in shown


def test_homes_follow_their_data_at_most_once_a_minute(desk: Any) -> None:
    _home(desk, "U0LEAD")
    jobs = {
        j.name: j
        for j in build_jobs(desk.runtime.factory, desk.runtime.clients, desk.runtime.settings)
    }
    published = [desk.slack.home("U0LEAD")]
    assert jobs["home"].run(desk.clock.now()) == {"refreshed": 0}  # nothing changed
    ticket_thread(desk, "Refund please")
    assert jobs["home"].run(desk.clock.now()) == {"refreshed": 0}  # published moments ago
    desk.clock.advance(seconds=61)
    assert jobs["home"].run(desk.clock.now()) == {"refreshed": 1}
    assert jobs["home"].run(desk.clock.now()) == {"refreshed": 0}  # twice: once
    desk.settle()
    published.append(desk.slack.home("U0LEAD"))
    assert "*1* open" in _shown(published[1]) and "*0* open" in _shown(published[0])


def test_homes_not_opened_for_two_weeks_are_left_alone(desk: Any) -> None:
    config = home_config(desk.runtime.settings)
    with transaction(desk.runtime.factory) as session:
        home.request_home(
            session, "U0LEAD", desk.clock.now() - timedelta(days=15), config, reason="open:old"
        )
    ticket_thread(desk, "Refund please")
    with transaction(desk.runtime.factory) as session:
        assert home.refresh_changed(session, desk.clock.now(), config) == {"refreshed": 0}
