"""Rotations through Slack: the modal, the subcommands, the reminder and offer buttons."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from rotation_helpers import (
    BACKEND,
    FRONTEND,
    MONDAY,
    ROTATION_CHANNEL,
    add_workspace,
    form_values,
    refresh_directory,
    seats,
)
from sqlalchemy import select

from bot.db import transaction
from bot.ids import Action
from bot.ids import RotationField as F
from bot.render.times import slack_clock, slack_span
from bot.rotations.models import OutOfOffice, Rotation
from integrations.simulators.driver.client import SlackDriver
from scheduling.sweeps import rotations as sweeps

pytestmark = pytest.mark.travel(MONDAY)


@pytest.fixture
def slack(app: Any) -> SlackDriver:
    """Two teams in the workspace, known to the app; the driver signs on the app's clock."""
    add_workspace(app.slack)
    refresh_directory(app)
    return app.driver


def _open_form(slack: SlackDriver, text: str = "rotation create") -> dict[str, Any]:
    answer = slack.command("/support", text, user_id="U0LEAD", channel_id=ROTATION_CHANNEL)
    assert answer.status == 200
    view = answer.view
    assert view is not None and view["callback_id"] == "rotation_form"
    return view


def _create(app: Any, slack: SlackDriver, **overrides: Any) -> int:
    view = _open_form(slack)
    answer = slack.view_submission("U0LEAD", view, form_values(**overrides))
    assert answer.errors is None, answer.errors
    with transaction(app.runtime.factory) as session:
        return session.scalar(select(Rotation.id).where(Rotation.name == "chat-support"))


def _tick(app: Any, **delta: float) -> None:
    now = app.clock.advance(**delta) if delta else app.clock.now()
    with transaction(app.runtime.factory) as session:
        sweeps.tick(session, now)
    app.settle()


def _button(message: dict[str, Any], action_id: str) -> dict[str, Any]:
    for block in message.get("blocks") or []:
        for element in block.get("elements") or []:
            if element.get("action_id") == action_id:
                return element
    raise AssertionError(f"no {action_id} button in {json.dumps(message)[:300]}")


def test_rotation_create_opens_the_modal_for_leads_only(app: Any, slack: SlackDriver) -> None:
    view = _open_form(slack)
    blocks = {b.get("block_id") for b in view["blocks"]}
    assert {F.NAME, F.TIMEZONE, F.DAYS, F.RRULE, F.TEAMS, F.REMINDERS} <= blocks
    answer = slack.command("/support", "rotation create", user_id="U0AGENT", channel_id="C0SUPPORT")
    assert "leads only" in answer.json["text"]


def test_saving_the_modal_creates_the_rotation_and_dms_the_lead(
    app: Any, slack: SlackDriver
) -> None:
    rotation_id = _create(app, slack)
    app.settle()
    planned = seats(app.runtime.factory, rotation_id)
    assert len(planned) == 12  # 4 weeks of Mon/Wed/Fri
    assert {s.user_id for s in planned} == set(BACKEND) | set(FRONTEND)
    confirmation = app.slack.dms("U0LEAD")[-1]
    assert "created" in confirmation["text"]


@pytest.mark.parametrize(
    ("override", "block", "words"),
    [
        ({F.TIMEZONE: "Mars/Olympus"}, F.TIMEZONE, "unknown time zone"),
        ({F.LENGTH: "3d"}, F.LENGTH, "longer than"),
        ({F.TEAMS: "no-such-team"}, F.TEAMS, "unknown user group"),
        ({F.TEAMS: "empty-team"}, F.TEAMS, "no members"),
        ({F.LENGTH: "two hours"}, F.LENGTH, "not a duration"),
        ({F.RRULE: "FREQ=WEEKLY;BYDAY=XX"}, F.RRULE, "not a valid RRULE"),
        ({F.DAYS: [], F.START: None}, F.DAYS, "pick days and a start time"),
    ],
)
def test_bad_modal_input_is_a_field_error_and_saves_nothing(
    app: Any, slack: SlackDriver, override: dict[str, Any], block: str, words: str
) -> None:
    view = _open_form(slack)
    answer = slack.view_submission("U0LEAD", view, form_values(**override))
    assert answer.errors is not None and words in answer.errors[block]
    with transaction(app.runtime.factory) as session:
        assert session.scalar(select(Rotation.id)) is None


def test_a_user_who_left_the_workspace_is_refused(app: Any, slack: SlackDriver) -> None:
    app.slack.add_user("U0LEFT", "left", deleted=True)
    refresh_directory(app)
    view = _open_form(slack)
    answer = slack.view_submission("U0LEAD", view, form_values(**{F.USERS: ["U0LEFT"]}))
    assert answer.errors is not None and "left the workspace" in answer.errors[F.USERS]


def test_edit_pause_resume_and_list(app: Any, slack: SlackDriver) -> None:
    rotation_id = _create(app, slack)
    view = _open_form(slack, "rotation edit chat-support")
    assert "backend-eng" in json.dumps(view["blocks"])
    answer = slack.view_submission("U0LEAD", view, form_values(**{F.PEOPLE: "2"}))
    assert answer.errors is None
    scheduled = [s for s in seats(app.runtime.factory, rotation_id) if s.state == "scheduled"]
    assert len(scheduled) == 24  # two people per shift now
    paused = slack.command(
        "/support", "rotation pause chat-support", user_id="U0LEAD", channel_id=ROTATION_CHANNEL
    )
    assert "paused" in paused.json["text"]
    assert not [s for s in seats(app.runtime.factory, rotation_id) if s.state == "scheduled"]
    resumed = slack.command(
        "/support", "rotation resume chat-support", user_id="U0LEAD", channel_id=ROTATION_CHANNEL
    )
    assert "resumed" in resumed.json["text"]
    listing = slack.command(
        "/support", "rotation list", user_id="U0LEAD", channel_id=ROTATION_CHANNEL
    )
    assert "chat-support" in json.dumps(listing.json) and "active" in json.dumps(listing.json)


def test_reminder_buttons_check_in_and_the_start_post_names_who_is_on(
    app: Any, slack: SlackDriver
) -> None:
    rotation_id = _create(app, slack)
    first = seats(app.runtime.factory, rotation_id)[0]
    app.clock.set(first.window_opens_at)
    _tick(app)
    reminder = app.slack.dms(first.user_id)[-1]
    assert "starts in 15 minutes" in reminder["text"]
    check_in = _button(reminder, Action.SHIFT_CHECKIN)
    answer = slack.block_action(
        first.user_id, Action.SHIFT_CHECKIN, message=reminder, value=check_in["value"]
    )
    assert answer.status == 200
    assert any("Checked in" in t for t in answer.ephemeral)
    _tick(app, minutes=15)
    post = app.slack.messages(ROTATION_CHANNEL)[-1]
    assert f"<@{first.user_id}>" in post["text"] and "Next:" in post["text"]
    _tick(app, minutes=15)
    assert seats(app.runtime.factory, rotation_id)[0].state == "checked_in"


def test_cant_make_it_offers_the_shift_and_the_first_accept_wins(
    app: Any, slack: SlackDriver
) -> None:
    rotation_id = _create(app, slack)
    first = seats(app.runtime.factory, rotation_id)[1]
    app.clock.set(first.starts_at - timedelta(hours=24))
    _tick(app)
    reminder = app.slack.dms(first.user_id)[-1]
    slack.block_action(
        first.user_id,
        Action.SHIFT_CANT_MAKE_IT,
        message=reminder,
        value=_button(reminder, Action.SHIFT_CANT_MAKE_IT)["value"],
    )
    app.settle()
    asked = [
        u
        for u in [*BACKEND, *FRONTEND]
        if u != first.user_id
        and app.slack.dms(u)
        and "Can you take it" in app.slack.dms(u)[-1]["text"]
    ]
    assert len(asked) >= 2
    winner, loser = asked[0], asked[1]
    offer = app.slack.dms(winner)[-1]
    slack.block_action(
        winner, Action.SHIFT_TAKE, message=offer, value=_button(offer, Action.SHIFT_TAKE)["value"]
    )
    late = app.slack.dms(loser)[-1]
    answer = slack.block_action(
        loser, Action.SHIFT_TAKE, message=late, value=_button(late, Action.SHIFT_TAKE)["value"]
    )
    assert any("Too late" in t for t in answer.ephemeral)
    app.settle()
    assert seats(app.runtime.factory, rotation_id)[1].user_id == winner
    assert "took your" in app.slack.dms(first.user_id)[-1]["text"]
    assert "took this" in app.slack.dms(loser)[-1]["text"]  # the ask was edited


def test_shifts_checkin_swap_and_noshows_subcommands(app: Any, slack: SlackDriver) -> None:
    rotation_id = _create(app, slack)
    first = seats(app.runtime.factory, rotation_id)[0]
    overview = slack.command("/support", "shifts", user_id="U0AGENT", channel_id="C0SUPPORT")
    assert "chat-support" in json.dumps(overview.json)
    mine = slack.command("/support", "shifts me", user_id=first.user_id, channel_id="C0SUPPORT")
    assert f"#{first.shift_id}" in json.dumps(mine.json)
    schedule = slack.command(
        "/support", "shifts chat-support", user_id="U0AGENT", channel_id="C0SUPPORT"
    )
    assert "Upcoming" in json.dumps(schedule.json)
    early = slack.command("/support", "checkin", user_id=first.user_id, channel_id="C0SUPPORT")
    assert "opens at" in early.json["text"]
    app.clock.set(first.starts_at)
    ok = slack.command("/support", "checkin", user_id=first.user_id, channel_id="C0SUPPORT")
    assert "Checked in" in ok.json["text"]
    second = seats(app.runtime.factory, rotation_id)[1]
    swap = slack.command(
        "/support", f"swap {second.shift_id}", user_id=second.user_id, channel_id="C0SUPPORT"
    )
    assert "Offered" in swap.json["text"]
    app.clock.set(first.window_closes_at + timedelta(minutes=1))
    report = slack.command(
        "/support", "noshows chat-support 7d", user_id="U0AGENT", channel_id="C0SUPPORT"
    )
    assert "Per person" in json.dumps(report.json)
    unknown = slack.command("/support", "shifts nope", user_id="U0AGENT", channel_id="C0SUPPORT")
    assert "No rotation called" in unknown.json["text"]


def test_ooo_add_list_remove_and_a_range_that_ends_before_it_starts(
    app: Any, slack: SlackDriver
) -> None:
    rotation_id = _create(app, slack)
    first = seats(app.runtime.factory, rotation_id)[0]
    day = first.starts_at.date().isoformat()
    backwards = slack.command(
        "/support", "ooo add 2026-12-10 2026-12-01", user_id=first.user_id, channel_id="C0SUPPORT"
    )
    assert "ends" in backwards.json["text"] and "before it starts" in backwards.json["text"]
    added = slack.command(
        "/support", f"ooo add {day} {day} dentist", user_id=first.user_id, channel_id="C0SUPPORT"
    )
    assert "handed on" in json.dumps(added.json)
    assert seats(app.runtime.factory, rotation_id)[0].user_id != first.user_id
    app.settle()
    new_holder = seats(app.runtime.factory, rotation_id)[0].user_id
    assert "out of office" in app.slack.dms(new_holder)[-1]["text"]
    listed = slack.command("/support", "ooo list", user_id=first.user_id, channel_id="C0SUPPORT")
    assert "dentist" in json.dumps(listed.json)
    with transaction(app.runtime.factory) as session:
        entry = session.scalar(select(OutOfOffice.id))
    removed = slack.command(
        "/support", f"ooo remove {entry}", user_id=first.user_id, channel_id="C0SUPPORT"
    )
    assert "Removed" in removed.json["text"]


def test_every_rotation_button_and_view_is_a_registered_listener(app: Any) -> None:
    listening = app.runtime.deps.listening
    assert {Action.SHIFT_CHECKIN, Action.SHIFT_CANT_MAKE_IT, Action.SHIFT_TAKE} <= listening.actions
    assert "rotation_form" in listening.views


def test_the_hourly_team_refresh_follows_the_user_groups(app: Any, slack: SlackDriver) -> None:
    rotation_id = _create(app, slack)
    leaver, deactivated = "U0FE2", "U0BE3"
    app.slack.set_usergroup_users("S0FRONT", ["U0FE1"])
    app.slack.remove_user(deactivated)
    app.clock.advance(hours=1)
    refresh_directory(app)
    app.settle()
    future = [s for s in seats(app.runtime.factory, rotation_id) if s.state == "scheduled"]
    assert future and not {leaver, deactivated} & {s.user_id for s in future}
    handed = [
        u
        for u in [*BACKEND, *FRONTEND]
        if any("no longer in the rotation" in m["text"] for m in app.slack.dms(u))
    ]
    assert handed


def test_the_directory_job_reads_every_group_in_one_call(app: Any, slack: SlackDriver) -> None:
    from scheduling.sweeps import directory

    before = len(app.slack.calls_to("usergroups.list"))
    result = directory.refresh(
        app.runtime.factory, app.runtime.clients, ["S0BACK"], app.clock.now()
    )
    assert result["groups"] == 3 and result["failed"] == 0
    assert len(app.slack.calls_to("usergroups.list")) == before + 1
    assert app.slack.calls_to("usergroups.users.list") == []


def test_the_rotation_form_opens_after_the_command_is_acknowledged(
    app: Any, slack: SlackDriver
) -> None:
    bare = app.bare_driver()
    with app.slack.hold("views.open", timeout=5) as held:
        answer = bare.command(
            "/support", "rotation create", user_id="U0LEAD", channel_id=ROTATION_CHANNEL
        )
        # Slack has the ack while the form is not open yet: views.open comes after it.
        assert answer.status == 200 and "Opening the form" in (answer.ack_text or "")
        assert answer.view is None
        assert held.wait_arrival()
    app.followed()
    opened = answer.view
    assert opened is not None and opened["callback_id"] == "rotation_form"
    [call] = app.slack.calls_to("views.open")
    assert call.args["trigger_id"] == answer.trigger_id
    bare.close()


def _zone(user: str) -> str:
    return "Europe/Berlin" if user in BACKEND else "America/New_York"


def test_the_check_in_button_checks_its_own_seats_window(app: Any, slack: SlackDriver) -> None:
    rotation_id = _create(app, slack)
    first, second = seats(app.runtime.factory, rotation_id)[:2]
    app.clock.set(first.window_opens_at)
    _tick(app)
    reminder = app.slack.dms(first.user_id)[-1]

    def click(user: str, seat: Any) -> str:
        answer = slack.block_action(
            user, Action.SHIFT_CHECKIN, message=reminder, value=str(seat.id)
        )
        return " ".join(answer.ephemeral)

    # A check-in button for the next seat (an old message, a replayed click) is checked
    # against that seat's own window, in its holder's time zone, not today's open one.
    early = click(second.user_id, second)
    zone = _zone(second.user_id)
    assert f"Check-in opens at {slack_clock(second.window_opens_at, zone)}" in early
    app.clock.set(second.window_opens_at - timedelta(seconds=1))
    assert "opens at" in click(second.user_id, second)
    app.clock.set(second.window_opens_at)
    checked = click(second.user_id, second)
    assert "Checked in" in checked
    assert slack_span(second.starts_at, second.ends_at, zone) in checked
    app.clock.set(first.ends_at + timedelta(minutes=1))
    assert "shift is over" in click(first.user_id, first)
    states = [s.state for s in seats(app.runtime.factory, rotation_id)[:2]]
    assert states == ["scheduled", "checked_in"]


def test_offers_show_each_colleague_the_shift_in_their_time_zone(
    app: Any, slack: SlackDriver
) -> None:
    rotation_id = _create(app, slack)
    seat = seats(app.runtime.factory, rotation_id)[1]
    swap = slack.command(
        "/support", f"swap {seat.shift_id}", user_id=seat.user_id, channel_id="C0SUPPORT"
    )
    assert slack_span(seat.starts_at, seat.ends_at, _zone(seat.user_id)) in swap.json["text"]
    app.settle()
    asked = [u for u in [*BACKEND, *FRONTEND] if "Can you take it" in str(app.slack.dms(u))]
    assert {_zone(u) for u in asked} == {"Europe/Berlin", "America/New_York"}
    for user in asked:
        ask = app.slack.dms(user)[-1]["text"]
        assert slack_span(seat.starts_at, seat.ends_at, _zone(user)) in ask
        # The rotation's own wall clock is added for those who live elsewhere.
        assert ("(14:00–16:00 CET rotation time)" in ask) is (_zone(user) != "Europe/Berlin")
